#include "actnet/conn_ref.hpp"

#include "actnet/runtime/error.hpp"
#include "loop_message.hpp"

namespace actnet {
namespace {

// Sends `message` to the loop; if the loop has stopped, fails its completion here.
template <class M>
std::error_code send(const std::shared_ptr<detail::LoopInbox>& inbox, M message) {
  if (!inbox) {
    complete(message.done, Errc::connection_closed);
    return Errc::connection_closed;
  }
  detail::LoopMessage wrapped(std::move(message));
  if (inbox->mailbox.push(std::move(wrapped)) == PushResult::ok) return {};
  complete(std::get<M>(wrapped).done, Errc::shutting_down);
  return Errc::shutting_down;
}

}  // namespace

std::error_code ConnRef::async_write(std::string bytes, Completion done) const {
  return send(inbox_, detail::WriteMsg{{slot_, generation_}, std::move(bytes), std::move(done)});
}

std::error_code ConnRef::async_writev(std::vector<std::string> parts, Completion done) const {
  return send(inbox_, detail::WritevMsg{{slot_, generation_}, std::move(parts), std::move(done)});
}

std::error_code ConnRef::wake(Completion done) const {
  return send(inbox_, detail::WakeMsg{{slot_, generation_}, std::move(done)});
}

std::error_code ConnRef::close(Completion done) const {
  return send(inbox_, detail::CloseMsg{{slot_, generation_}, std::move(done)});
}

std::error_code ConnRef::shutdown_write(Completion done) const {
  return send(inbox_, detail::ShutdownWriteMsg{{slot_, generation_}, std::move(done)});
}

}  // namespace actnet
