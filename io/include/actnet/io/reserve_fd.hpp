#pragma once
// ReserveFd keeps one spare descriptor (open on /dev/null) so that an acceptor out of
// descriptors can still refuse connections instead of spinning. When accept4 fails with EMFILE
// the pending connection stays queued, the level-triggered listener stays readable, and the
// loop turns at 100% CPU without progress. shed() frees the spare, accepts the connection
// into it, closes it at once (the client sees EOF) and reopens the spare: muduo's idle-fd
// trick (Acceptor.cc). It owns the spare descriptor. The acceptor's thread only; another
// thread opening a file between the close and the accept can take the freed slot (then
// shed() reports EMFILE again, and nothing worse happens).

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"

namespace actnet::io {

/// A spare file descriptor held open so that, out of descriptors (EMFILE), an acceptor can
/// free it, accept and close the waiting connection, and take it again (muduo's trick).
class ACTNET_API ReserveFd {
 public:
  /// Opens the spare. Fails only if the process is already out of descriptors.
  static Result<ReserveFd> open();

  /// True when `error` (from accept_one) means the process or system is out of descriptors:
  /// the case for shed().
  static bool is_exhaustion(const Error& error) noexcept;

  /// Accepts one pending connection on the non-blocking `listen_fd` and closes it: true
  /// when one was shed, false when none was pending. Then reopens the spare; if that fails,
  /// the error says so, holds_spare() turns false, and every later shed() tries again.
  Result<bool> shed(int listen_fd);

  /// Whether the spare is held (false only after a failed reopen).
  bool holds_spare() const noexcept { return spare_.valid(); }

 private:
  explicit ReserveFd(UniqueFd spare) noexcept : spare_(std::move(spare)) {}
  static Result<UniqueFd> open_spare();

  UniqueFd spare_;
};

}  // namespace actnet::io
