// offload(): the loop side. The job leaves the loop for the engine's pool and its `then`
// comes back as a task message, counted so that a graceful stop waits for it.

#include "actnet/offload.hpp"

#include <memory>

#include "actnet/conn.hpp"
#include "event_loop.hpp"
#include "loop_message.hpp"

namespace actnet::detail {
namespace {

// One offloaded job on its way out and back. The worker touches only `job`; the loop
// touches `then` before it leaves and after the message that brings it back.
struct Offloaded {
  UniqueFunction<void()> job;
  UniqueFunction<void(Conn*, std::error_code)> then;
  ConnId id;
};

// Loop thread: runs `then` as a callback of the connection, if it is still open.
void come_back(EventLoop& loop, Offloaded& offloaded, std::error_code failure) noexcept {
  loop.offload_finished();
  Conn* conn = loop.find(offloaded.id);
  std::error_code ec = failure;
  if (!ec && conn == nullptr) ec = make_error_code(Errc::connection_closed);
  (void)loop.call("offload then", conn, [&] {
    offloaded.then(conn, ec);
    return Action::none;
  });
}

}  // namespace

void submit_offload(Conn& conn, UniqueFunction<void()> job,
                    UniqueFunction<void(Conn*, std::error_code)> then) {
  EventLoop& loop = conn.loop_;
  ACTNET_ASSERT_OWNER(loop.owner());
  auto offloaded = std::make_shared<Offloaded>(
      Offloaded{std::move(job), std::move(then), ConnId{conn.slot_, conn.generation_}});
  loop.offload_started();

  std::shared_ptr<LoopInbox> home = loop.inbox();
  const SubmitResult submitted = loop.core().workers().try_submit([offloaded, home] {
    offloaded->job();  // offload() wraps the user's job so that it does not throw
    LoopMessage message(
        TaskMsg{[offloaded](EventLoop& l) { come_back(l, *offloaded, std::error_code{}); }});
    // A loop that has stopped cannot run `then` any more: it is destroyed with the message.
    (void)home->mailbox.push(std::move(message));
  });
  if (submitted == SubmitResult::ok) return;

  // Refused: answer on a later turn, never inside the caller's callback, with the reason.
  const std::error_code why =
      make_error_code(submitted == SubmitResult::full ? Errc::queue_full : Errc::pool_released);
  LoopMessage message(TaskMsg{[offloaded, why](EventLoop& l) { come_back(l, *offloaded, why); }});
  if (home->mailbox.push(std::move(message)) != PushResult::ok) loop.offload_finished();
}

}  // namespace actnet::detail
