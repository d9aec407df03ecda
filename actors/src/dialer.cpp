#include "dialer.hpp"

#include <exception>

#include "actnet/io/socket.hpp"
#include "actnet/runtime/error.hpp"
#include "event_loop.hpp"

namespace actnet::detail {
namespace {

// A user callback must not unwind through the loop.
void finish(EventLoop& loop, DialCallback& done, std::error_code error, ConnRef ref) noexcept {
  if (!done) return;
  DialCallback callback = std::move(done);
  done = {};
  try {
    callback(error, std::move(ref));
  } catch (const std::exception& e) {
    loop.logger().error("loop {}: a dial callback threw: {}", loop.index(), e.what());
  } catch (...) {
    loop.logger().error("loop {}: a dial callback threw a non-standard exception", loop.index());
  }
}

}  // namespace

std::uint64_t Dialer::token_of(std::uint32_t slot) const noexcept {
  return (std::uint64_t{1} << 63) | kTokenBit |
         (static_cast<std::uint64_t>(slots_[slot].generation) << 32) | slot;
}

Dialer::Pending* Dialer::find(std::uint64_t key) noexcept {
  const auto slot = static_cast<std::uint32_t>(key);
  const auto generation = static_cast<std::uint32_t>((key >> 32) & 0x1FFF'FFFF);
  if (slot >= slots_.size()) return nullptr;
  Pending& p = slots_[slot];
  return p.active && p.generation == generation ? &p : nullptr;
}

void Dialer::start(DialRequest&& request) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (request.fd.valid()) {  // enroll: connected already
    io::UniqueFd fd = std::move(request.fd);
    connected(std::move(fd), std::move(request));
    return;
  }
  if (request.datagram) {
    auto socket = io::connect_udp(request.peer);
    if (!socket && next_address(request)) {
      start(std::move(request));
      return;
    }
    if (!socket) {
      if (!request.done) loop_.logger().warn("loop {}: {}", loop_.index(), socket.error().message);
      finish(loop_, request.done, socket.error().code, {});
      return;
    }
    connected(std::move(*socket), std::move(request));
    return;
  }
  auto connecting = io::start_connect(request.peer);
  if (!connecting && next_address(request)) {
    start(std::move(request));
    return;
  }
  if (!connecting) {
    if (!request.done)
      loop_.logger().warn("loop {}: {}", loop_.index(), connecting.error().message);
    finish(loop_, request.done, connecting.error().code, {});
    return;
  }
  if (!connecting->in_progress) {
    connected(std::move(connecting->fd), std::move(request));
    return;
  }
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Pending& p = slots_[slot];
  p.fd = std::move(connecting->fd);
  p.request = std::move(request);
  p.active = true;
  ++pending_;
  const std::uint64_t token = token_of(slot);
  if (auto added = loop_.poller().add(p.fd.get(), io::Interest::writable, token); !added) {
    fail(p, slot, added.error().code);
    return;
  }
  if (p.request.deadline != DeadlineHeap::Clock::time_point::max()) {
    deadlines_.push(p.request.deadline, token);
  }
}

void Dialer::ready(std::uint64_t token) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  Pending* p = find(token);
  if (p == nullptr) return;  // failed or timed out earlier in this turn
  const auto slot = static_cast<std::uint32_t>(token);
  (void)loop_.poller().remove(p->fd.get());
  if (auto done = io::finish_connect(p->fd.get()); !done) {
    if (next_address(p->request)) {  // the next resolved address, same deadline
      DialRequest request = std::move(p->request);
      release(*p, slot);
      start(std::move(request));
      return;
    }
    fail(*p, slot, done.error().code);
    return;
  }
  io::UniqueFd fd = std::move(p->fd);
  DialRequest request = std::move(p->request);
  release(*p, slot);
  connected(std::move(fd), std::move(request));
}

bool Dialer::next_address(DialRequest& request) {
  if (request.fallbacks.empty()) return false;
  request.peer = request.fallbacks.front();
  request.fallbacks.erase(request.fallbacks.begin());
  return true;
}

int Dialer::timeout_ms(int wait) const {
  return deadlines_.timeout_ms(wait, DeadlineHeap::Clock::now());
}

void Dialer::expire() {
  ACTNET_ASSERT_OWNER(loop_.owner());
  if (deadlines_.empty()) return;
  deadlines_.expire(DeadlineHeap::Clock::now(), [this](std::uint64_t key) {
    Pending* p = find(key);
    if (p == nullptr) return;  // finished before its deadline
    (void)loop_.poller().remove(p->fd.get());
    fail(*p, static_cast<std::uint32_t>(key), make_error_code(Errc::timed_out));
  });
}

void Dialer::cancel_all(std::error_code error, EventHandler* only) {
  ACTNET_ASSERT_OWNER(loop_.owner());
  for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
    Pending& p = slots_[slot];
    if (!p.active || (only != nullptr && p.request.handler != only)) continue;
    (void)loop_.poller().remove(p.fd.get());
    fail(p, slot, error);
  }
  if (pending_ == 0) deadlines_.clear();  // the rest expire as stale keys
}

void Dialer::fail(Pending& p, std::uint32_t slot, std::error_code error) {
  if (!p.request.done) {  // nobody hears it otherwise
    loop_.logger().warn("loop {}: dial to {} failed: {}", loop_.index(), p.request.peer.to_string(),
                        error.message());
  }
  DialCallback done = std::move(p.request.done);
  p.request.done = {};
  release(p, slot);
  finish(loop_, done, error, {});
}

void Dialer::release(Pending& p, std::uint32_t slot) {
  p.fd.reset();
  p.request = DialRequest{};
  p.active = false;
  p.generation = (p.generation + 1) & 0x1FFF'FFFF;
  if (p.generation == 0) p.generation = 1;
  free_.push_back(slot);
  --pending_;
}

void Dialer::connected(io::UniqueFd fd, DialRequest&& request) {
  Conn* conn = loop_.open_outbound(std::move(fd), request.peer, request.handler,
                                   std::move(request.context), request.datagram);
  if (conn == nullptr) {
    finish(loop_, request.done, make_error_code(Errc::shutting_down), {});
    return;
  }
  finish(loop_, request.done, {}, conn->ref());
}

}  // namespace actnet::detail
