#pragma once
// EpollPoller is the Linux backend of Poller (poller.hpp). It owns the epoll descriptor and
// the array epoll_wait fills. That array starts at 128 events and doubles (up to 1024) when
// a wait fills it, since a full batch means more were ready; it halves again after a run of
// waits that used a quarter of it or less, so a past burst does not pin memory, while the
// run keeps it from reallocating back and forth under a steady load. Between size changes a
// wait allocates nothing. One loop thread uses it.

#include <sys/epoll.h>

#include <cstddef>
#include <vector>

#include "actnet/export.hpp"
#include "actnet/io/poller.hpp"
#include "actnet/io/unique_fd.hpp"

namespace actnet::io {

/// The Linux Poller: one epoll instance and an event array that grows under load and
/// shrinks when waits stay light.
class ACTNET_API EpollPoller final : public Poller {
 public:
  /// The event array's smallest size.
  static constexpr std::size_t kMinEvents = 128;
  /// The event array's largest size.
  static constexpr std::size_t kMaxEvents = 1024;
  /// Light waits in a row (a quarter full or less) before the array halves.
  static constexpr unsigned kShrinkAfter = 16;

  /// epoll_create1(EPOLL_CLOEXEC). Any thread; then the loop thread owns it.
  static Result<EpollPoller> open();

  Status add(int fd, Interest interest, std::uint64_t token) override;
  Status modify(int fd, Interest interest, std::uint64_t token) override;
  Status remove(int fd) override;
  Result<std::span<const PollEvent>> wait(int timeout_ms) override;
  const char* name() const noexcept override { return "epoll"; }

  /// The most events one wait() can return right now.
  std::size_t capacity() const noexcept { return raw_.size(); }
  /// The epoll descriptor.
  int fd() const noexcept { return epoll_.get(); }

 private:
  explicit EpollPoller(UniqueFd epoll);
  Status control(int op, const char* op_name, int fd, Interest interest, std::uint64_t token);
  void resize_after(std::size_t returned);

  UniqueFd epoll_;
  std::vector<epoll_event> raw_;   // what epoll_wait fills
  std::vector<PollEvent> events_;  // the same batch translated; what wait() returns
  unsigned light_waits_ = 0;
};

}  // namespace actnet::io
