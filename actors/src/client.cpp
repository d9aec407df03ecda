#include "actnet/client.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <atomic>
#include <exception>
#include <future>
#include <thread>
#include <vector>

#include "actnet/io/address.hpp"
#include "actnet/io/resolve.hpp"
#include "actnet/io/socket.hpp"
#include "actnet/io/unix_socket.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/log.hpp"
#include "client_handler.hpp"
#include "dialer.hpp"
#include "engine_core.hpp"
#include "event_loop.hpp"
#include "supervisor.hpp"

namespace actnet {
namespace detail {

// What a Client shares with the messages it sends: the forwarding handler its connections
// run, and the engine whose loops they live on (its own, or the one it attached to).
struct ClientCore {
  explicit ClientCore(EventHandler& user) : handler(user) {}

  ClientHandler handler;
  std::shared_ptr<EngineCore> engine;
  bool own = false;  // own loops, served by `thread`
  std::thread thread;
  std::shared_future<io::Status> outcome;
  std::vector<std::future<void>> acks;  // attach mode: each loop closed our connections
  std::atomic<std::size_t> next{0};
  // Set by stop(); a dial the loop takes after it fails instead of starting (attach mode).
  std::shared_ptr<std::atomic<bool>> stopped = std::make_shared<std::atomic<bool>>(false);
};

namespace {

void call_now(DialCallback& done, std::error_code error) noexcept {
  if (!done) return;
  DialCallback callback = std::move(done);
  done = {};
  try {
    callback(error, {});
  } catch (...) {
    // On the caller's thread with nowhere to report it: the caller's own callback threw.
  }
}

// A dial on its way to a loop. If the loop never runs it (its mailbox closed), the ticket's
// destructor completes the dial with shutting_down, on whichever thread drops it.
struct DialTicket {
  std::unique_ptr<DialRequest> request;
  std::shared_ptr<std::atomic<bool>> stopped;

  DialTicket(std::unique_ptr<DialRequest> r, std::shared_ptr<std::atomic<bool>> s)
      : request(std::move(r)), stopped(std::move(s)) {}
  DialTicket(DialTicket&&) noexcept = default;
  DialTicket& operator=(DialTicket&&) noexcept = default;
  ~DialTicket() {
    if (request) call_now(request->done, make_error_code(Errc::shutting_down));
  }
};

// Sets the promise once: when the task runs, or when it is dropped unrun.
struct Ack {
  std::unique_ptr<std::promise<void>> promise;
  explicit Ack(std::unique_ptr<std::promise<void>> p) : promise(std::move(p)) {}
  Ack(Ack&&) noexcept = default;
  Ack& operator=(Ack&&) noexcept = default;
  ~Ack() {
    if (promise) promise->set_value();
  }
};

}  // namespace
}  // namespace detail

Client::Client(std::unique_ptr<detail::ClientCore> core) : core_(std::move(core)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Client> Client::start(EventHandler& handler, const Options& options) {
  auto core = std::make_unique<detail::ClientCore>(handler);
  auto resolved = validate(options);
  if (!resolved) return resolved.error();
  std::shared_ptr<spdlog::logger> logger = options.logger;
  if (!logger) {
    try {
      logger = options.log_path.empty() && options.log_level == spdlog::level::info
                   ? log::default_logger()
                   : log::make_logger({.level = options.log_level, .path = options.log_path});
    } catch (const std::system_error& e) {
      return Error{e.code(), e.what()};
    }
  }
  core->engine =
      std::make_shared<detail::EngineCore>(core->handler, std::move(*resolved), std::move(logger));
  core->engine->client_only = true;
  core->own = true;

  auto boot = std::make_shared<std::promise<io::Status>>();
  auto done = std::make_shared<std::promise<io::Status>>();
  auto booted = boot->get_future();
  core->outcome = done->get_future().share();
  core->thread = std::thread([engine = core->engine, boot, done] {
    io::Status outcome = io::ok_status();
    {
      detail::Supervisor supervisor(engine, {});
      outcome = supervisor.boot();
      boot->set_value(outcome);
      if (outcome) supervisor.serve();
    }
    engine->stopped.store(true, std::memory_order_release);
    done->set_value(outcome);
  });
  io::Status status = booted.get();
  if (!status) {
    core->thread.join();
    return status.error();
  }
  return Client(std::move(core));
}

Result<Client> Client::attach(EventHandler& handler, const Engine& engine) {
  if (!engine.core_ || engine.stopped() || engine.core_->stop_requested.load()) {
    return Error{make_error_code(Errc::shutting_down), "attach: the engine is not running"};
  }
  auto core = std::make_unique<detail::ClientCore>(handler);
  core->engine = engine.core_;
  std::promise<io::Status> ready;
  ready.set_value(io::ok_status());
  core->outcome = ready.get_future().share();
  return Client(std::move(core));
}

Client::~Client() {
  if (!core_) return;
  (void)stop();
  (void)wait();
}

namespace {

std::error_code post_dial(detail::ClientCore& core, std::unique_ptr<detail::DialRequest> request) {
  detail::EngineCore& engine = *core.engine;
  if (core.stopped->load(std::memory_order_acquire) || engine.inboxes.empty()) {
    detail::call_now(request->done, make_error_code(Errc::shutting_down));
    return Errc::shutting_down;
  }
  request->handler = &core.handler;
  const std::size_t loop =
      core.next.fetch_add(1, std::memory_order_relaxed) % engine.inboxes.size();
  detail::DialTicket ticket(std::move(request), core.stopped);
  detail::LoopMessage message(
      detail::TaskMsg{[t = std::move(ticket)](detail::EventLoop& l) mutable {
        std::unique_ptr<detail::DialRequest> r = std::move(t.request);
        if (t.stopped->load(std::memory_order_acquire)) {
          detail::call_now(r->done, make_error_code(Errc::shutting_down));
          return;
        }
        l.dialer().start(std::move(*r));
      }});
  if (engine.inboxes[loop]->mailbox.push(std::move(message)) != PushResult::ok) {
    return Errc::shutting_down;  // `message` dies here: the ticket reports shutting_down
  }
  return {};
}

}  // namespace

std::error_code Client::dial(std::string_view url, DialOptions options, DialCallback done) {
  auto fail = [&](std::error_code error) {
    detail::call_now(done, error);
    return error;
  };
  if (!core_) return fail(Errc::shutting_down);
  auto endpoint = io::parse_endpoint(url);
  if (!endpoint) return fail(endpoint.error().code);
  auto request = std::make_unique<detail::DialRequest>();
  request->datagram = endpoint->is_datagram();
  if (endpoint->is_unix()) {
    std::string path = endpoint->path;
    if (endpoint->is_abstract()) path[0] = '\0';
    auto address = io::unix_address(path);
    if (!address) return fail(address.error().code);
    request->peer = *address;
  } else {
    auto addresses = io::resolve(*endpoint, io::ResolveFor::connect);  // may block: not a loop
    if (!addresses) return fail(addresses.error().code);
    request->peer = addresses->front();
    request->fallbacks.assign(addresses->begin() + 1, addresses->end());
  }
  if (options.timeout.count() > 0) {
    request->deadline = detail::DeadlineHeap::Clock::now() + options.timeout;
  }
  request->context = std::move(options.context);
  request->done = std::move(done);
  return post_dial(*core_, std::move(request));
}

std::error_code Client::enroll(io::UniqueFd fd, DialOptions options, DialCallback done) {
  auto fail = [&](std::error_code error) {
    detail::call_now(done, error);
    return error;
  };
  if (!core_) return fail(Errc::shutting_down);
  if (!fd.valid()) return fail(Errc::invalid_argument);
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0 ||
      ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC) != 0) {
    return fail({errno, std::system_category()});
  }
  int type = 0;
  socklen_t type_size = sizeof type;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &type_size) != 0) {
    return fail({errno, std::system_category()});
  }
  if (type != SOCK_STREAM && type != SOCK_DGRAM) return fail(Errc::unsupported);
  auto peer = io::peer_address(fd.get());  // also proves the socket is connected
  if (!peer) return fail(peer.error().code);
  auto request = std::make_unique<detail::DialRequest>();
  request->peer = *peer;
  request->datagram = type == SOCK_DGRAM;
  request->fd = std::move(fd);
  request->context = std::move(options.context);
  request->done = std::move(done);
  return post_dial(*core_, std::move(request));
}

std::error_code Client::stop() {
  if (!core_) return Errc::shutting_down;
  if (core_->stopped->exchange(true, std::memory_order_acq_rel)) return Errc::shutting_down;
  detail::EngineCore& engine = *core_->engine;
  if (core_->own) {
    (void)engine.request_stop(engine.options.stop_timeout);
    return {};
  }
  // Attached: close this client's connections and dials on every loop of the engine. wait()
  // then waits until each loop did (or dropped the task because it stopped): after that no
  // loop holds a pointer to this client's handler.
  EventHandler* handler = &core_->handler;
  for (const auto& inbox : engine.inboxes) {
    auto promise = std::make_unique<std::promise<void>>();
    core_->acks.push_back(promise->get_future());
    detail::Ack ack(std::move(promise));
    detail::LoopMessage message(
        detail::TaskMsg{[a = std::move(ack), handler](detail::EventLoop& l) mutable {
          l.close_handler(handler);
          detail::Ack done = std::move(a);
        }});
    (void)inbox->mailbox.push(std::move(message));
  }
  return {};
}

io::Status Client::wait() {
  if (!core_) return Error{make_error_code(Errc::invalid_argument), "wait on an empty Client"};
  io::Status outcome = core_->outcome.get();
  if (core_->thread.joinable()) core_->thread.join();
  for (auto& ack : core_->acks)
    ack.wait();
  return outcome;
}

std::size_t Client::count_connections() const {
  if (!core_) return 0;
  const std::int64_t n = core_->handler.open.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace actnet
