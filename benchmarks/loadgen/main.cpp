// actnet-loadgen: a closed-loop echo load generator that verifies every byte. It is built on
// plain POSIX epoll, not on actnet, so it favours no server under test.
//
//   actnet-loadgen (--port P [--host 127.0.0.1] | --unix PATH) [--connections 100]
//       [--size 512] [--pipeline 1] [--duration 5] [--warmup 1] [--threads 2]
//       [--server-pid PID] [--hold S]
//
// Prints one JSON line on stdout: msgs_per_s, mb_per_s (echoed payload, one direction,
// 10^6 bytes), p50_us/p99_us/p999_us round trip (from issuing a message to its last byte
// coming back), errors (connect failures + byte mismatches + disconnects), and with
// --server-pid the server's CPU (utime+stime over the measured window) per message.
// With --hold S every connection echoes one message, the JSON line is printed, and the
// connections stay open and idle for S seconds (memory benchmarks read the server's RSS
// then). Exits 0 when errors is 0, 1 otherwise, 2 on a bad command line.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"
#include "process_stat.hpp"
#include "run_state.hpp"
#include "worker.hpp"

namespace {

using namespace loadgen;
using Clock = std::chrono::steady_clock;

// One fd per connection plus a margin for epolls and stdio.
bool raise_fd_limit(int connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  const rlim_t need = static_cast<rlim_t>(connections) + 64;
  if (limit.rlim_cur >= need) return true;
  if (limit.rlim_max < need) return false;
  limit.rlim_cur = need;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

void sleep_s(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

std::string number_or_null(std::optional<double> v) {
  if (!v) return "null";
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", *v);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  Target target;
  std::string error;
  if (!resolve_target(options, &target, &error)) {
    std::fprintf(stderr, "actnet-loadgen: %s\n", error.c_str());
    return 2;
  }
  if (!raise_fd_limit(options.connections)) {
    std::fprintf(stderr, "actnet-loadgen: RLIMIT_NOFILE's hard limit is below %d connections\n",
                 options.connections);
    return 2;
  }

  const BytePattern pattern;
  RunState run{options, target, pattern};
  std::vector<std::unique_ptr<Worker>> workers;
  std::uint64_t next_id = 0;
  for (int t = 0; t < options.threads; ++t) {
    const int count =
        options.connections / options.threads + (t < options.connections % options.threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(run, next_id, count));
    next_id += static_cast<std::uint64_t>(count);
  }
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w] { w->run(); });

  while (run.workers_connected.load() < options.threads)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::uint64_t connected = 0;
  for (auto& w : workers)
    connected += w->result().connected;  // written before workers_connected was bumped

  std::optional<std::uint64_t> cpu_before, cpu_after;
  Clock::time_point begin, end;
  const bool hold = options.hold_s >= 0;
  if (hold) {
    begin = Clock::now();
    run.phase.store(kMeasure);
    // Every connected connection's one echo, or give up after 30 s.
    while (run.held_echoes.load() < connected && Clock::now() - begin < std::chrono::seconds(30))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    end = Clock::now();
  } else {
    run.phase.store(kWarmup);
    sleep_s(options.warmup_s);
    if (options.server_pid != 0) cpu_before = cpu_time_us(options.server_pid);
    begin = Clock::now();
    run.phase.store(kMeasure);
    sleep_s(options.duration_s);
    run.phase.store(kStop);
    end = Clock::now();
    if (options.server_pid != 0) cpu_after = cpu_time_us(options.server_pid);
  }

  auto report = [&](const WorkerResult& total) {
    const double seconds = std::chrono::duration<double>(end - begin).count();
    const std::uint64_t errors = total.connect_failures + total.mismatches + total.disconnects;
    const double messages = static_cast<double>(total.messages);
    std::optional<double> server_cpu, per_message;
    if (cpu_before && cpu_after) {
      server_cpu = static_cast<double>(*cpu_after - *cpu_before);
      if (total.messages > 0) per_message = *server_cpu / messages;
    }
    std::printf(
        "{\"target\":\"%s\",\"connections\":%d,\"connected\":%" PRIu64
        ",\"size\":%zu,\"pipeline\":%d,\"threads\":%d,\"warmup_s\":%.3f,\"duration_s\":%.3f,"
        "\"messages\":%" PRIu64
        ",\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"p50_us\":%.1f,"
        "\"p99_us\":%.1f,\"p999_us\":%.1f,\"errors\":%" PRIu64 ",\"connect_failures\":%" PRIu64
        ",\"mismatches\":%" PRIu64 ",\"disconnects\":%" PRIu64
        ",\"server_cpu_us\":%s,\"cpu_us_per_msg\":%s}\n",
        target.text.c_str(), options.connections, total.connected, options.size, options.pipeline,
        options.threads, hold ? 0.0 : options.warmup_s, seconds, total.messages, messages / seconds,
        messages * static_cast<double>(options.size) / seconds / 1e6,
        total.latency.quantile_ns(0.50) / 1e3, total.latency.quantile_ns(0.99) / 1e3,
        total.latency.quantile_ns(0.999) / 1e3, errors, total.connect_failures, total.mismatches,
        total.disconnects, number_or_null(server_cpu).c_str(), number_or_null(per_message).c_str());
    std::fflush(stdout);
    return errors;
  };

  // A held run reports while its connections are still open (workers keep polling them).
  std::uint64_t errors = 0;
  if (hold) {
    // Every echo is back (held_echoes, seq_cst, was bumped after each count) and the idle
    // workers no longer touch their results; on a 30 s timeout the figures are best effort.
    WorkerResult snapshot;
    for (auto& w : workers)
      snapshot.add(w->result());
    // A connection whose one echo never came back is an error too.
    snapshot.disconnects += connected - std::min(connected, run.held_echoes.load());
    errors = report(snapshot);
    sleep_s(options.hold_s);
    run.phase.store(kStop);
  }
  for (auto& t : threads)
    t.join();
  if (!hold) {
    WorkerResult total;
    for (auto& w : workers)
      total.add(w->result());
    errors = report(total);
  }
  return errors == 0 ? 0 : 1;
}
