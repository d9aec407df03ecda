#include "http_server.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "date_line.hpp"
#include "protocol/request_parser.hpp"

namespace http {

enum class Route : std::uint8_t { plaintext, json, echo, not_found, get_only, post_only };

// One connection's state, owned by its loop (kept in the Conn's context).
struct HttpServer::Session {
  explicit Session(const Limits& limits) : parser(limits) {}
  RequestParser parser;
  std::string out;   // answers produced in this on_traffic, written at its end
  std::string body;  // the /echo body received so far
  Route route = Route::not_found;
  bool head_only = false;
  Persistence persistence = Persistence::implied;
  bool keep_alive = true;
  bool draining = false;    // its last answer is out: input is discarded until it closes
  bool head_timed = false;  // the connection's read deadline bounds a head in progress
};

namespace {

// Beyond this, a session's buffers are given back after a request instead of kept for the
// next one: a single large /echo must not pin its memory for the connection's lifetime.
constexpr std::size_t kKeepCapacity = 64 * 1024;

// The Conn's context holds a shared_ptr because std::any needs a copyable type and a
// Session (its parser) is deliberately neither copyable nor movable.
using SessionPtr = std::shared_ptr<void>;

// How long a connection whose last answer is out may stay silent before it is dropped
// (nginx's lingering_timeout): its client should read the answer and close.
constexpr std::chrono::milliseconds kLingerTimeout{5000};

}  // namespace

HttpServer::HttpServer(ServerConfig config) : config_(std::move(config)) {}
HttpServer::~HttpServer() = default;

actnet::Action HttpServer::on_boot(actnet::Engine& engine) {
  if (config_.announce != nullptr) {
    for (const auto& address : engine.listen_addresses()) {
      std::fprintf(config_.announce, "actnet-http: serving http://%s/\n",
                   address.to_string().c_str());
    }
    std::fflush(config_.announce);
  }
  return actnet::Action::none;
}

actnet::Action HttpServer::on_open(actnet::Conn& conn) {
  opened_.fetch_add(1, std::memory_order_relaxed);
  auto session = std::make_shared<Session>(config_.limits);
  // A keep-alive connection that stays silent this long is closed (Errc::timed_out).
  conn.set_idle_timeout(config_.idle_timeout);
  // So is one whose first request head is not whole in time, however it trickles in.
  if (config_.head_timeout.count() > 0) {
    conn.set_read_deadline(config_.head_timeout);
    session->head_timed = true;
  }
  conn.emplace_context<SessionPtr>(std::move(session));
  return actnet::Action::none;
}

// The head deadline is absolute: set once when a head starts, cleared when it is whole. So
// a client sending a byte a second cannot keep a connection by trickling (the idle timeout
// alone would be re-armed by every byte), while waiting between keep-alive requests stays
// the idle timeout's business. Re-arming costs the loop nothing but a store.
void HttpServer::time_head(actnet::Conn& conn, Session& s) {
  if (config_.head_timeout.count() == 0) return;
  const bool in_progress = !s.draining && s.parser.in_head() && conn.inbound_buffered() > 0;
  if (in_progress && !s.head_timed) {
    conn.set_read_deadline(config_.head_timeout);
    s.head_timed = true;
  } else if (!in_progress && s.head_timed) {
    conn.set_read_deadline({});
    s.head_timed = false;
  }
}

// Decides at the head what the request is for, so the body can be kept or dropped as it
// streams through.
void HttpServer::begin(Session& s) {
  const RequestParser& p = s.parser;
  std::string_view path = p.target();
  path = path.substr(0, path.find('?'));
  const std::string_view method = p.method();
  const bool get = method == "GET", head = method == "HEAD";
  if (path == "/plaintext") {
    s.route = get || head ? Route::plaintext : Route::get_only;
  } else if (path == "/json") {
    s.route = get || head ? Route::json : Route::get_only;
  } else if (path == "/echo") {
    s.route = method == "POST" ? Route::echo : Route::post_only;
  } else {
    s.route = Route::not_found;
  }
  s.head_only = head;
  s.keep_alive = p.keep_alive();
  if (!s.keep_alive) {
    s.persistence = Persistence::close;
  } else {
    s.persistence = p.minor_version() == 0 ? Persistence::keep_alive : Persistence::implied;
  }
  // The client waits for this before it sends the body (curl does for large uploads).
  if (p.expects_continue() && p.minor_version() == 1 && p.has_body()) {
    Responses::continue_100(s.out);
  }
}

void HttpServer::answer(Session& s, std::string_view date) {
  switch (s.route) {
    case Route::plaintext:
      responses_.plaintext(s.out, s.persistence, date, s.head_only);
      break;
    case Route::json:
      responses_.json(s.out, s.persistence, date, s.head_only);
      break;
    case Route::echo:
      responses_.echo(s.out, s.persistence, date, s.body);
      break;
    case Route::not_found:
      responses_.not_found(s.out, s.persistence, date);
      break;
    case Route::get_only:
      responses_.method_not_allowed(s.out, Allow::get_head, s.persistence, date);
      break;
    case Route::post_only:
      responses_.method_not_allowed(s.out, Allow::post, s.persistence, date);
      break;
  }
  s.body.clear();
  if (s.body.capacity() > kKeepCapacity) std::string().swap(s.body);
  answered_.fetch_add(1, std::memory_order_relaxed);
}

actnet::Action HttpServer::on_traffic(actnet::Conn& conn) {
  auto* ptr = conn.context<SessionPtr>();
  if (ptr == nullptr) return actnet::Action::close;
  Session& s = *static_cast<Session*>(ptr->get());
  if (s.draining) {
    conn.discard();
    return actnet::Action::none;
  }

  // One view of everything buffered; the parser's head views point into it, so the bytes
  // are dropped from the Conn only once, after the loop.
  // The Session is not freed mid-call even if a write fails and closes the connection: the
  // loop drops a closed Conn's context only at the end of its turn.
  const std::string_view in = conn.peek();
  std::size_t used = 0;
  std::string_view date;  // fetched once per call, on the first answer
  auto today = [&date]() {
    if (date.empty()) date = DateLine::current().get();
    return date;
  };
  bool more = true;
  while (more && !s.draining) {
    const RequestParser::Result r = s.parser.parse(in.substr(used));
    used += r.consumed;
    switch (r.step) {
      case RequestParser::Step::head:
        begin(s);
        break;
      case RequestParser::Step::body:
        if (s.route == Route::echo) s.body.append(r.body);
        break;
      case RequestParser::Step::complete:
        answer(s, today());
        s.parser.next_request();
        s.draining = !s.keep_alive;
        break;
      case RequestParser::Step::error:
        responses_.error(s.out, s.parser.error().status, today());
        answered_.fetch_add(1, std::memory_order_relaxed);
        s.draining = true;
        break;
      case RequestParser::Step::need_more:
        more = false;
        break;
    }
  }
  conn.discard(s.draining ? actnet::Conn::kAll : used);
  time_head(conn, s);
  if (!s.out.empty()) {
    conn.write(s.out);
    s.out.clear();
    if (s.out.capacity() > kKeepCapacity) std::string().swap(s.out);
  }
  // Half-close after the last answer: the client reads it, then EOF; the connection closes
  // when the client closes its side too.
  if (s.draining) {
    conn.shutdown_write();
    // Waiting for the client's close is bounded: a silent client is dropped sooner.
    const auto idle = config_.idle_timeout;
    conn.set_idle_timeout(idle.count() == 0 ? kLingerTimeout : std::min(idle, kLingerTimeout));
  }
  return actnet::Action::none;
}

actnet::Action HttpServer::on_eof(actnet::Conn& conn) {
  // The client is done sending; what was answered still has to reach it. Once flushed, the
  // write side shuts and the connection closes by itself.
  conn.shutdown_write();
  return actnet::Action::none;
}

}  // namespace http
