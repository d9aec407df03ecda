#include "acceptor.hpp"

namespace actnet::detail {

Acceptor::Acceptor(EngineCore& core, std::string who) : core_(core), who_(std::move(who)) {
  if (auto reserve = io::ReserveFd::open()) {
    reserve_ = std::make_unique<io::ReserveFd>(std::move(*reserve));
  } else {
    core_.logger->warn("{}no spare descriptor: running out of fds will refuse connections late",
                       who_);
  }
}

bool Acceptor::shed(int listen_fd, const Error& error) {
  if (!reserve_ || !io::ReserveFd::is_exhaustion(error)) {
    core_.logger->error("{}accept failed: {}", who_, error.message);
    return false;
  }
  if (!shed_logged_) {
    core_.logger->warn(
        "{}out of file descriptors ({}): closing new connections at once until some free up", who_,
        error.message);
    shed_logged_ = true;
  }
  // Go round again only when one was shed: a shed that failed (the spare could not be
  // freed) would otherwise spin here forever, away from the mailbox.
  auto shed = reserve_->shed(listen_fd);
  if (shed && *shed) {
    core_.shed.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  return false;
}

}  // namespace actnet::detail
