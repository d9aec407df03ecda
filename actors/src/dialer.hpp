#pragma once
// Dialer is a loop's outbound half: the connects it has started and not yet finished. A
// UDP dial finishes at once (connect() on a datagram socket only fixes the peer). A stream
// connect is a non-blocking socket registered for writable; when the poller reports it the
// Dialer reads SO_ERROR and either hands the socket to the loop as a connection or fails
// the dial. Deadlines sit in a DeadlineHeap that the loop's turn consults for its
// epoll_wait timeout, so an unanswered SYN never holds anything but its own slot. Owned by
// one EventLoop; every method is for that loop's thread.

#include <any>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <vector>

#include "actnet/client.hpp"
#include "actnet/io/poller.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/unique_fd.hpp"
#include "deadline_heap.hpp"

namespace actnet::detail {

class EventLoop;

// One dial, as the loop receives it (the address already resolved by the caller).
struct DialRequest {
  io::SocketAddress peer;
  std::vector<io::SocketAddress> fallbacks;  // tried in order when `peer` refuses or fails
  io::UniqueFd fd;        // set: enroll this connected socket instead of connecting
  bool datagram = false;  // UDP: connect() fixes the peer at once (connected datagram mode)
  DeadlineHeap::Clock::time_point deadline = DeadlineHeap::Clock::time_point::max();
  std::any context;
  DialCallback done;
  EventHandler* handler = nullptr;  // nullptr: the engine's
};

class Dialer {
 public:
  // Poller tokens of pending connects: the loop's own bit (63), this bit (62), a 29-bit
  // generation (bits 32-60; bit 61 marks UDP listeners), the slot (bits 0-31).
  static constexpr std::uint64_t kTokenBit = std::uint64_t{1} << 62;

  explicit Dialer(EventLoop& loop) : loop_(loop) {}
  Dialer(const Dialer&) = delete;
  Dialer& operator=(const Dialer&) = delete;

  void start(DialRequest&& request);
  void ready(std::uint64_t token);
  // The loop's epoll_wait timeout, shortened to the next dial deadline.
  int timeout_ms(int wait) const;
  // Fails the dials whose deadline passed with Errc::timed_out.
  void expire();
  // Fails every pending dial (only those for `only`, when set) with `error`.
  void cancel_all(std::error_code error, EventHandler* only = nullptr);
  std::size_t pending() const noexcept { return pending_; }

 private:
  struct Pending {
    io::UniqueFd fd;
    DialRequest request;
    std::uint32_t generation = 1;
    bool active = false;
  };

  std::uint64_t token_of(std::uint32_t slot) const noexcept;
  Pending* find(std::uint64_t key) noexcept;
  void fail(Pending& p, std::uint32_t slot, std::error_code error);
  void connected(io::UniqueFd fd, DialRequest&& request);
  void release(Pending& p, std::uint32_t slot);
  static bool next_address(DialRequest& request);

  EventLoop& loop_;
  std::vector<Pending> slots_;
  std::vector<std::uint32_t> free_;
  DeadlineHeap deadlines_;
  std::size_t pending_ = 0;
};

}  // namespace actnet::detail
