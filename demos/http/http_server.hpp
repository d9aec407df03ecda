#pragma once
// HttpServer is the handler of actnet-http: HTTP/1.1 (and 1.0) in the TechEmpower style —
// GET /plaintext, GET /json, POST /echo — with keep-alive and pipelining. Each connection
// owns a Session (parser, output and body buffers, reused for every request); on_traffic
// answers every complete request in its input, in order, appending the answers to the
// session's output and handing them to the connection in one write. A request the parser
// refuses gets its status, then the connection's write side is shut and further input is
// discarded until the client closes (a clean close, not a reset that could eat the answer).
//
// The handler itself holds only configuration and counters; it is shared by all loops.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include <actnet/actnet.hpp>

#include "protocol/limits.hpp"
#include "responses.hpp"

namespace http {

struct ServerConfig {
  Limits limits;
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connections; 0: none
  // A request head must be whole this long after its first byte — the first request's
  // after the connection opened — however its bytes trickle in (slowloris); 0: none.
  std::chrono::milliseconds head_timeout{10'000};
  std::FILE* announce = nullptr;  // where on_boot prints "actnet-http: serving URL"
};

class HttpServer final : public actnet::EventHandler {
 public:
  // Any thread, before the engine starts. config.limits must be valid.
  explicit HttpServer(ServerConfig config);
  ~HttpServer() override;

  // Supervisor thread: prints where it serves (config.announce).
  actnet::Action on_boot(actnet::Engine& engine) override;
  // The connection's loop: a fresh Session, the idle timeout and the first head deadline.
  actnet::Action on_open(actnet::Conn& conn) override;
  // The connection's loop: answers every complete request buffered, in one write.
  actnet::Action on_traffic(actnet::Conn& conn) override;
  // The connection's loop: the client stopped sending; close once the answers are out.
  actnet::Action on_eof(actnet::Conn& conn) override;

  // Any thread: connections ever opened and requests answered (errors included).
  std::uint64_t connections_opened() const noexcept {
    return opened_.load(std::memory_order_relaxed);
  }
  std::uint64_t requests_answered() const noexcept {
    return answered_.load(std::memory_order_relaxed);
  }

 private:
  struct Session;
  void begin(Session& s);
  void answer(Session& s, std::string_view date);
  void time_head(actnet::Conn& conn, Session& s);

  ServerConfig config_;
  Responses responses_;
  // Statistics only: relaxed, nothing is ordered by them.
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> answered_{0};
};

}  // namespace http
