#pragma once
// Poller is the event loop's view of the kernel's readiness API: register a descriptor with
// what it wants to hear about and a 64-bit token, then wait for a batch of (token, what
// happened). It is an interface so that the loop is written once and each kernel API is one
// backend in its own file, as muduo's Poller.h + poller/ and Redis's ae_*.c do: EpollPoller
// (epoll_poller.hpp) today, room for io_uring (poll requests) and kqueue (EVFILT_READ /
// EVFILT_WRITE) later. The token is opaque: the loop stores a slot index and a generation in
// it, never a pointer, so a stale event for a reused fd is recognised and dropped.
//
// A Poller belongs to one loop thread: every method is for that thread only. Registrations
// are level-triggered (reported while the condition holds) unless Interest::edge_triggered
// asks for one report per change; see edge_read_budget.hpp for what that asks of the loop.

#include <concepts>
#include <cstdint>
#include <memory>
#include <span>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/status.hpp"

namespace actnet::io {

/// What a registration wants to hear about.
enum class Interest : std::uint32_t {
  none = 0,  ///< only hang-up and error, which are always reported
  readable = 1 << 0,
  writable = 1 << 1,
  edge_triggered = 1 << 2,  ///< one report per change instead of one per wait
};

/// What happened to a registered descriptor.
enum class Ready : std::uint32_t {
  none = 0,
  readable = 1 << 0,
  writable = 1 << 1,
  /// The peer closed, or shut down its sending side (EPOLLHUP / EPOLLRDHUP). Data it sent
  /// before may still be unread: read until EOF before closing.
  hang_up = 1 << 2,
  error = 1 << 3,  ///< a pending socket error: read it with SO_ERROR (finish_connect)
};

template <class E>
concept PollFlags = std::same_as<E, Interest> || std::same_as<E, Ready>;

/// The union of two flag sets.
template <PollFlags E>
constexpr E operator|(E a, E b) noexcept {
  return static_cast<E>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
/// The intersection of two flag sets.
template <PollFlags E>
constexpr E operator&(E a, E b) noexcept {
  return static_cast<E>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
/// Adds the flags of `b` to `a`.
template <PollFlags E>
constexpr E& operator|=(E& a, E b) noexcept {
  return a = a | b;
}
/// True when `set` holds any of the bits in `flags`.
template <PollFlags E>
constexpr bool has(E set, E flags) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(flags)) != 0;
}

/// One readiness event from Poller::wait().
struct ACTNET_API PollEvent {
  std::uint64_t token;  ///< the token the fd was registered with
  Ready ready;          ///< what the fd is ready for
};

/// What a poller has asked of the kernel so far: the loop's cost per message is visible in
/// these (a steady echo should change no interest, whatever the load).
struct ACTNET_API PollerCounts {
  std::uint64_t waits = 0;     ///< epoll_wait calls
  std::uint64_t adds = 0;      ///< registrations
  std::uint64_t modifies = 0;  ///< interest changes (EPOLL_CTL_MOD)
  std::uint64_t removes = 0;   ///< unregistrations
};

/// The readiness poller behind a loop: a small interface with one implementation per backend
/// (EpollPoller). Owned by one loop thread.
class ACTNET_API Poller {
 public:
  virtual ~Poller() = default;

  /// The loop thread: the backend's calls so far.
  const PollerCounts& counts() const noexcept { return counts_; }

  /// Registers `fd`; events for it carry `token`. Refused (EEXIST) if already registered.
  virtual Status add(int fd, Interest interest, std::uint64_t token) = 0;
  /// Replaces the interest and the token of a registered `fd`.
  virtual Status modify(int fd, Interest interest, std::uint64_t token) = 0;
  /// Unregisters `fd`. Call it before closing the fd: a descriptor that was dup'ed (or is
  /// shared with a child) stays registered after close() otherwise.
  virtual Status remove(int fd) = 0;

  /// Waits up to `timeout_ms` (0: just look; negative: no limit) and returns the batch of
  /// events. The span points into the poller's own array and is valid until the next wait();
  /// the array is reused, so a steady-state wait allocates nothing. An interrupted wait
  /// (EINTR) returns an empty batch: the loop just turns again.
  virtual Result<std::span<const PollEvent>> wait(int timeout_ms) = 0;

  /// "epoll", ...: for logs.
  virtual const char* name() const noexcept = 0;

 protected:
  PollerCounts counts_;  ///< a backend counts each call it makes
};

/// The best backend for this system (epoll on Linux).
ACTNET_API Result<std::unique_ptr<Poller>> make_default_poller();

}  // namespace actnet::io
