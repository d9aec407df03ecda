#include "actnet/conn_ref.hpp"

#include "actnet/loop_handle.hpp"
#include "actnet/runtime/error.hpp"
#include "event_loop.hpp"
#include "loop_message.hpp"

namespace actnet {
namespace {

// Sends `message` to the loop; if the loop has stopped, fails its completion here.
template <class M>
std::error_code post_to_loop(const std::shared_ptr<detail::LoopInbox>& inbox, M message) {
  if (!inbox) {
    complete(message.done, Errc::connection_closed);
    return Errc::connection_closed;
  }
  detail::LoopMessage wrapped(std::move(message));
  if (inbox->mailbox.push(std::move(wrapped)) == PushResult::ok) return {};
  complete(std::get<M>(wrapped).done, Errc::shutting_down);
  return Errc::shutting_down;
}

// The same, but on the connection's own loop it runs at once: an actor broadcasting to the
// connections of its loop, or one handler writing to another connection, costs no hop.
template <class M>
std::error_code send_or_run(const std::shared_ptr<detail::LoopInbox>& inbox, M message) {
  detail::EventLoop* here = detail::EventLoop::current();
  if (here == nullptr || !inbox || here->inbox() != inbox)
    return post_to_loop(inbox, std::move(message));
  detail::LoopMessage wrapped(std::move(message));
  here->handle_now(wrapped);
  return {};
}

}  // namespace

std::error_code ConnRef::async_write(std::string bytes, Completion done) const {
  return send_or_run(inbox_,
                     detail::WriteMsg{{slot_, generation_}, std::move(bytes), std::move(done)});
}

std::error_code ConnRef::async_writev(std::vector<std::string> parts, Completion done) const {
  return send_or_run(inbox_,
                     detail::WritevMsg{{slot_, generation_}, std::move(parts), std::move(done)});
}

std::error_code ConnRef::wake(Completion done) const {
  return post_to_loop(inbox_, detail::WakeMsg{{slot_, generation_}, std::move(done)});
}

std::error_code ConnRef::close(Completion done) const {
  return send_or_run(inbox_, detail::CloseMsg{{slot_, generation_}, std::move(done)});
}

std::error_code ConnRef::send_erased(Delivery deliver, Completion done) const {
  return post_to_loop(inbox_,
                      detail::UserMsg{{slot_, generation_}, std::move(deliver), std::move(done)});
}

// ---- LoopHandle ----------------------------------------------------------------------------

LoopHandle LoopHandle::current() {
  detail::EventLoop* here = detail::EventLoop::current();
  return here != nullptr ? LoopHandle(here->inbox()) : LoopHandle();
}

bool LoopHandle::post(UniqueFunction<void()> task) const {
  if (!inbox_) return false;
  detail::LoopMessage message(
      detail::TaskMsg{[task = std::move(task)](detail::EventLoop& loop) mutable {
        (void)loop.call("a posted task", nullptr, [&] {
          task();
          return Action::none;
        });
      }});
  return inbox_->mailbox.push(std::move(message)) == PushResult::ok;
}

bool LoopHandle::is_current() const {
  detail::EventLoop* here = detail::EventLoop::current();
  return here != nullptr && inbox_ && here->inbox() == inbox_;
}

std::error_code ConnRef::shutdown_write(Completion done) const {
  return send_or_run(inbox_, detail::ShutdownWriteMsg{{slot_, generation_}, std::move(done)});
}

std::error_code ConnRef::set_read_deadline(std::chrono::steady_clock::time_point when,
                                           Completion done) const {
  return send_or_run(
      inbox_,
      detail::DeadlineMsg{{slot_, generation_}, when, detail::DeadlineMsg::read, std::move(done)});
}

std::error_code ConnRef::set_write_deadline(std::chrono::steady_clock::time_point when,
                                            Completion done) const {
  return send_or_run(
      inbox_,
      detail::DeadlineMsg{{slot_, generation_}, when, detail::DeadlineMsg::write, std::move(done)});
}

std::error_code ConnRef::set_deadline(std::chrono::steady_clock::time_point when,
                                      Completion done) const {
  return send_or_run(
      inbox_,
      detail::DeadlineMsg{{slot_, generation_}, when, detail::DeadlineMsg::both, std::move(done)});
}

}  // namespace actnet
