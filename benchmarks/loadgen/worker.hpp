#pragma once
// One client thread: its own epoll and its share of the connections, each keeping
// `pipeline` messages in flight (closed loop: a new message goes out as one comes back).
// Every received byte is compared with the byte pattern; a mismatch, an early EOF or a
// reset counts an error and closes that connection. Everything here is owned by the
// worker's thread until run() returns; main() reads the results after join().

#include <cstdint>
#include <vector>

#include "latency_histogram.hpp"
#include "run_state.hpp"

namespace loadgen {

struct WorkerResult {
  std::uint64_t connected = 0;
  std::uint64_t messages = 0;  // completed inside the measured window
  std::uint64_t connect_failures = 0, mismatches = 0, disconnects = 0;
  LatencyHistogram latency;  // of the messages counted

  /// Sums another worker's result into this one. Main thread.
  void add(const WorkerResult& other) {
    connected += other.connected;
    messages += other.messages;
    connect_failures += other.connect_failures;
    mismatches += other.mismatches;
    disconnects += other.disconnects;
    latency.merge(other.latency);
  }
};

class Worker {
 public:
  /// Connections get stream ids [first_id, first_id + count). Main thread.
  Worker(RunState& run, std::uint64_t first_id, int count);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// The thread body: connect, wait for warm-up, drive traffic until the stop phase.
  void run();
  /// Valid once run() has returned. Main thread, after join().
  const WorkerResult& result() const { return result_; }

 private:
  struct Connection;
  void connect_all();
  void connect_batch(std::size_t first, std::size_t end);
  void issue(Connection& c, std::int64_t now);
  void flush(Connection& c);
  void on_readable(Connection& c, std::int64_t now);
  void complete_messages(Connection& c, std::int64_t now);
  void fail(Connection& c, std::uint64_t WorkerResult::*counter);
  void watch(Connection& c, bool out);

  RunState& run_;
  int epoll_ = -1;
  std::vector<Connection> connections_;
  std::vector<unsigned char> buffer_;
  WorkerResult result_;
};

}  // namespace loadgen
