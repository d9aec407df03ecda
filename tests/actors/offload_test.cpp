// offload(conn, job, then): the job runs on a worker thread, `then` on the connection's loop
// with the result; a connection gone meanwhile gives `then` a null Conn* and
// connection_closed; a throwing job gives job_failed; a graceful stop waits for jobs in
// flight; and the loop keeps answering other connections while jobs block the workers.

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

// Line protocol: "sleep:<ms>" offloads a blocking sleep and answers "slept:<ms>"; "throw"
// offloads a job that throws; "ping" is answered at once on the loop.
class Blocking : public actnet::EventHandler {
 public:
  std::atomic<std::thread::id> loop_thread;
  std::atomic<int> job_on_loop{0}, then_off_loop{0};
  std::atomic<int> thens{0}, gone{0}, failed{0};

  actnet::Action on_open(actnet::Conn&) override {
    loop_thread = std::this_thread::get_id();
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    std::string* pending = conn.context<std::string>();
    if (pending == nullptr) pending = &conn.emplace_context<std::string>();
    pending->append(conn.next());
    std::size_t end;
    while ((end = pending->find('\n')) != std::string::npos) {
      serve(conn, pending->substr(0, end));
      pending->erase(0, end + 1);
    }
    return actnet::Action::none;
  }

  void serve(actnet::Conn& conn, const std::string& request) {
    if (request == "ping") {
      conn.write("pong");
    } else if (request == "throw") {
      actnet::offload(
          conn, []() -> int { throw std::runtime_error("disk on fire"); },
          [this](actnet::Conn* c, actnet::Result<int> r) {
            if (!r && r.error().code == actnet::Errc::job_failed) failed.fetch_add(1);
            if (c != nullptr) c->write(r ? std::string("?") : r.error().message);
          });
    } else if (request.rfind("sleep:", 0) == 0) {
      const int ms = std::stoi(request.substr(6));
      actnet::offload(
          conn,
          [this, ms] {
            if (std::this_thread::get_id() == loop_thread.load()) job_on_loop.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return "slept:" + std::to_string(ms);
          },
          [this](actnet::Conn* c, actnet::Result<std::string> r) {
            if (std::this_thread::get_id() != loop_thread.load()) then_off_loop.fetch_add(1);
            thens.fetch_add(1, std::memory_order_release);
            if (c == nullptr) {
              if (!r && r.error().code == actnet::Errc::connection_closed) gone.fetch_add(1);
              return;
            }
            c->write(*r);
          });
    }
  }
};

}  // namespace

TEST_CASE("an offloaded job runs on a worker and its result comes back on the connection's loop",
          "[concurrency]") {
  Blocking handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.worker_threads = 2});
  REQUIRE(running.ok());
  TestClient client(running->engine().listen_addresses().at(0));
  client.send_all("sleep:20\n");
  CHECK(client.recv_exact(8) == "slept:20");
  CHECK(handler.job_on_loop.load() == 0);
  CHECK(handler.then_off_loop.load() == 0);

  client.send_all("throw\n");
  const std::string expected = "offloaded job: disk on fire";
  CHECK(client.recv_exact(expected.size()) == expected);
  CHECK(handler.failed.load() == 1);
}

TEST_CASE(
    "offload's then runs with no connection and connection_closed when the connection "
    "closed while the job ran") {
  Blocking handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  {
    TestClient client(running->engine().listen_addresses().at(0));
    client.send_all("sleep:300\n");
    REQUIRE(eventually([&] { return running->engine().count_connections() == 1; }));
  }  // closes before the job ends
  REQUIRE(eventually([&] { return handler.thens.load(std::memory_order_acquire) == 1; }));
  CHECK(handler.gone.load() == 1);
}

TEST_CASE(
    "the loop answers a ping within milliseconds while a thousand blocking jobs are "
    "queued on the pool") {
  Blocking handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.worker_threads = 2});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);
  TestClient busy(address), pinger(address);  // one loop: both on it
  std::string burst;
  for (int i = 0; i < 1000; ++i)
    burst += "sleep:10\n";  // 2 workers: about 5 s of blocking work
  busy.send_all(burst);
  std::this_thread::sleep_for(50ms);  // the loop has read the burst and queued the jobs
  const auto start = std::chrono::steady_clock::now();
  pinger.send_all("ping\n");
  CHECK(pinger.recv_exact(4) == "pong");
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 500ms);                 // generous for sanitizers; the jobs alone take seconds
  CHECK(handler.thens.load() < 1000);  // the ping did not wait for the queue to drain
  CHECK_FALSE(running->engine().stop(100ms));  // do not wait for 5 s of jobs
}

TEST_CASE("a graceful stop waits for an offloaded job in flight and delivers its answer",
          "[concurrency]") {
  Blocking handler;
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"});
  REQUIRE(running.ok());
  actnet::Engine engine = running->engine();
  TestClient client(engine.listen_addresses().at(0));
  client.send_all("sleep:300\n");
  REQUIRE(eventually([&] { return engine.count_connections() == 1; }));
  std::this_thread::sleep_for(50ms);  // the job has started
  CHECK_FALSE(engine.stop(5s));
  CHECK(client.recv_exact(9) == "slept:300");
  CHECK(running->wait().ok());
}
