// actnet-echo-client: actnet's own Client against any echo server (actnet-echo, or another).
// It dials N connections without blocking its loops, sends each one B random bytes in
// write-then-read rounds, compares every byte that comes back, and reports throughput.
//
//   actnet-echo-client --addr URL [--connections N] [--bytes B] [--round R] [--loops L]
//                      [--timeout-ms T]
//
// Exits 0 when every connection echoed every byte, 1 otherwise.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include <actnet/actnet.hpp>

namespace {

struct Progress {
  std::string data;
  std::size_t sent = 0;
  std::size_t received = 0;
  bool counted = false;  // in succeeded or failed already
};

class EchoCheck final : public actnet::EventHandler {
 public:
  explicit EchoCheck(std::size_t round) : round_(round) {}

  actnet::Action on_open(actnet::Conn& conn) override {
    send_round(conn, *conn.context<Progress>());
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    Progress& p = *conn.context<Progress>();
    const std::string_view got = conn.next();
    if (p.received + got.size() > p.sent ||
        std::memcmp(got.data(), p.data.data() + p.received, got.size()) != 0) {
      p.counted = true;
      failed.fetch_add(1);
      return actnet::Action::close;
    }
    p.received += got.size();
    if (p.received == p.data.size()) {
      p.counted = true;
      succeeded.fetch_add(1);
      return actnet::Action::close;
    }
    if (p.received == p.sent) send_round(conn, p);
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn& conn, std::error_code error) override {
    Progress& p = *conn.context<Progress>();
    if (!p.counted) {
      p.counted = true;
      std::fprintf(stderr, "connection to %s closed early: %s\n",
                   conn.remote_address().to_string().c_str(), error.message().c_str());
      failed.fetch_add(1);
    }
    return actnet::Action::none;
  }

  std::atomic<int> succeeded{0}, failed{0};

 private:
  void send_round(actnet::Conn& conn, Progress& p) {
    const std::size_t n = std::min(round_, p.data.size() - p.sent);
    conn.write(std::string_view(p.data).substr(p.sent, n));
    p.sent += n;
  }
  std::size_t round_;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "actnet-echo-client: %s\n"
               "usage: actnet-echo-client --addr URL [--connections N] [--bytes B] [--round R]\n"
               "                          [--loops L] [--timeout-ms T]\n",
               why);
  std::exit(2);
}

std::size_t number(const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') usage("not a number");
  return static_cast<std::size_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr;
  std::size_t connections = 10, bytes = 1 << 20, round = 64 * 1024, loops = 1, timeout = 5000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) usage("missing value");
    const char* v = argv[++i];
    if (a == "--addr")
      addr = v;
    else if (a == "--connections")
      connections = number(v);
    else if (a == "--bytes")
      bytes = number(v);
    else if (a == "--round")
      round = std::max<std::size_t>(1, number(v));
    else if (a == "--loops")
      loops = number(v);
    else if (a == "--timeout-ms")
      timeout = number(v);
    else
      usage("unknown argument");
  }
  if (addr.empty()) usage("--addr is required");

  EchoCheck handler(round);
  auto client = actnet::Client::start(handler, {.num_event_loops = loops});
  if (!client) {
    std::fprintf(stderr, "actnet-echo-client: %s\n", client.error().message.c_str());
    return 1;
  }
  std::atomic<int> dial_failures{0};
  std::mt19937_64 rng(42);
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < connections; ++i) {
    Progress p;
    p.data.resize(bytes);
    for (char& c : p.data)
      c = static_cast<char>(rng());
    const std::error_code posted =
        client->dial(addr, {.timeout = std::chrono::milliseconds(timeout), .context = std::move(p)},
                     [&](std::error_code ec, actnet::ConnRef) {
                       if (!ec) return;
                       std::fprintf(stderr, "dial %s: %s\n", addr.c_str(), ec.message().c_str());
                       dial_failures.fetch_add(1);
                     });
    if (posted) break;  // the callback reported it
  }
  const int want = static_cast<int>(connections);
  while (handler.succeeded + handler.failed + dial_failures < want) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  (void)client->stop();
  (void)client->wait();
  const double mib = static_cast<double>(bytes) * handler.succeeded / (1024.0 * 1024.0);
  std::printf("%d/%d connections echoed %zu bytes each: %.1f MiB in %.3f s (%.1f MiB/s)\n",
              handler.succeeded.load(), want, bytes, mib, seconds, mib / seconds);
  return handler.succeeded == want ? 0 : 1;
}
