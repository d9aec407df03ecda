#include "actnet/runtime/error.hpp"

namespace actnet {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "actnet"; }

  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok:
        return "success";
      case Errc::mailbox_closed:
        return "mailbox closed: its owner has stopped";
      case Errc::actor_stopped:
        return "actor stopped";
      case Errc::actor_failed:
        return "actor failed while handling the message";
      case Errc::connection_closed:
        return "connection closed";
      case Errc::queue_full:
        return "queue full";
      case Errc::pool_released:
        return "worker pool released";
      case Errc::shutting_down:
        return "engine shutting down";
      case Errc::invalid_argument:
        return "invalid argument";
      case Errc::timed_out:
        return "timed out";
      case Errc::end_of_stream:
        return "end of stream: the peer closed the connection";
      case Errc::write_limit_exceeded:
        return "outbound bytes passed write_hard_limit: the peer does not read fast enough";
      case Errc::read_buffer_full:
        return "inbound bytes reached read_buffer_cap without being consumed";
      case Errc::unsupported:
        return "not supported in this configuration";
      case Errc::handler_failed:
        return "a handler callback threw";
      case Errc::job_failed:
        return "an offloaded job threw";
      case Errc::no_reply:
        return "the actor dropped the request without replying";
    }
    return "unknown actnet error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace actnet
