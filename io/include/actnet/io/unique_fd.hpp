#pragma once
// UniqueFd owns one file descriptor: move-only, closed exactly once (on destruction or
// reset), never copied. Everything in io/ that opens a descriptor hands it out as one.

#include <type_traits>
#include <utility>

#include "actnet/export.hpp"

namespace actnet::io {

/// Owns one file descriptor and closes it once (the fd's unique_ptr). Move-only.
class ACTNET_API UniqueFd {
 public:
  UniqueFd() noexcept = default;
  /// Takes ownership of `fd` (-1: none).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  /// Takes `other`'s descriptor; `other` owns none afterwards.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  /// Closes this descriptor, then takes `other`'s.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  /// The descriptor, still owned (-1 when none).
  int get() const noexcept { return fd_; }
  /// Whether it owns a descriptor.
  bool valid() const noexcept { return fd_ >= 0; }
  /// valid().
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the current descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(!std::is_copy_constructible_v<UniqueFd>);

}  // namespace actnet::io
