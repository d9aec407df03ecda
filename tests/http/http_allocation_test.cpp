// The http handler's steady state: once a keep-alive connection has served its first
// requests, answering more — pipelined /plaintext and /json, a small /echo — allocates
// nothing in on_traffic (the session's parser and buffers are reused, the responses are
// precomputed, the Date line is cached). This binary replaces the global allocation
// functions to count what on_traffic allocates, on the loop thread only.

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include <catch2/catch.hpp>

#include "counting_new.hpp"

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "http/http_wire.hpp"
#include "http_server.hpp"

namespace {

thread_local bool t_in_traffic = false;  // set while the handler's on_traffic runs
std::atomic<std::size_t> g_allocations{0};

// Passes every callback to the http handler, and marks on_traffic for the counter.
class Counted final : public actnet::EventHandler {
 public:
  explicit Counted(http::HttpServer& inner) : inner_(inner) {}
  actnet::Action on_open(actnet::Conn& conn) override { return inner_.on_open(conn); }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    t_in_traffic = true;
    const actnet::Action action = inner_.on_traffic(conn);
    t_in_traffic = false;
    return action;
  }
  actnet::Action on_eof(actnet::Conn& conn) override { return inner_.on_eof(conn); }

 private:
  http::HttpServer& inner_;
};

}  // namespace

// The test's rule for what counts (tests/counting_new.hpp replaces operator new).
void note_allocation(std::size_t) noexcept {
  if (t_in_traffic) g_allocations.fetch_add(1, std::memory_order_relaxed);
}

TEST_CASE("answering pipelined requests on a warm connection allocates nothing in on_traffic") {
  http::HttpServer server({});
  Counted counted(server);
  auto running = actnet::start(counted, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));

  std::string batch;
  for (int i = 0; i < 14; ++i)
    batch += "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
  batch += "GET /json HTTP/1.1\r\nHost: a\r\n\r\n";
  batch += "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  std::size_t answer_size = 0;
  {  // one batch to learn the answers' size (the Date line's is fixed)
    client.send_all(batch);
    const std::string tail = "\r\n\r\nhello";
    std::string got;
    while (got.size() < tail.size() || got.compare(got.size() - tail.size(), tail.size(), tail)) {
      const std::string more = client.recv_exact(1);
      REQUIRE(more.size() == 1);
      got += more;
    }
    answer_size = got.size();
  }
  // The counter does see on_traffic: the first answers grew the session's output buffer.
  CHECK(g_allocations.load() > 0);
  auto round = [&] {
    client.send_all(batch);
    REQUIRE(client.recv_exact(answer_size).size() == answer_size);
  };
  for (int i = 0; i < 200; ++i)
    round();  // warm: buffers at their working size

  g_allocations.store(0);
  for (int i = 0; i < 2000; ++i)
    round();  // 32,000 requests
  CHECK(g_allocations.load() == 0);
  CHECK(server.requests_answered() == 2201 * 16);
}
