#pragma once
// BlockingEcho is the handler of actnet-echo-blocking: a line echo server where every line
// costs a blocking job (a sleep standing in for a disk read or a legacy client library) on
// the engine's WorkerPool, and the echo goes back through the connection's loop. The line
// "PING" is answered on the loop at once: the proof that blocking work does not block the
// loop is that PING stays fast while thousands of jobs are queued (gnet's ants pattern,
// without its data race: the job never touches the connection). Jobs of one connection run
// in parallel on several workers, yet the echoes go out in the order the lines came in.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include <actnet/actnet.hpp>

namespace echo_blocking {

class BlockingEcho final : public actnet::EventHandler {
 public:
  // Any thread, before the engine starts.
  explicit BlockingEcho(std::chrono::milliseconds job) : job_(job) {}

  // Connection's loop.
  actnet::Action on_traffic(actnet::Conn& conn) override {
    State* state = conn.context<State>();
    if (state == nullptr) state = &conn.emplace_context<State>();
    state->partial.append(conn.next());
    std::size_t start = 0, end;
    while ((end = state->partial.find('\n', start)) != std::string::npos) {
      serve(conn, *state, std::string_view(state->partial).substr(start, end - start));
      start = end + 1;
    }
    state->partial.erase(0, start);
    if (state->partial.size() > kMaxLine) return actnet::Action::close;  // no newline in sight
    return actnet::Action::none;
  }

  // Any thread: jobs whose answer came back to a loop.
  std::uint64_t completed() const noexcept { return completed_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kMaxLine = 64 * 1024;

  // Per connection, on its loop: the unfinished line, and echoes that finished ahead of an
  // earlier line's, held until their turn.
  struct State {
    std::string partial;
    std::uint64_t next_job = 0;
    std::uint64_t next_out = 0;
    std::map<std::uint64_t, std::string> finished;
  };

  void serve(actnet::Conn& conn, State& state, std::string_view line) {
    if (line == "PING" || line == "PING\r") {
      conn.write("PONG\n");
      return;
    }
    actnet::offload(
        conn,
        [line = std::string(line), job = job_] {  // a worker thread: nothing of the loop's
          std::this_thread::sleep_for(job);
          return line;
        },
        [this, id = state.next_job++](actnet::Conn* c, actnet::Result<std::string> echoed) {
          // The connection's loop again.
          completed_.fetch_add(1, std::memory_order_relaxed);
          if (c == nullptr) return;  // the client left while its job ran
          State* s = c->context<State>();
          s->finished[id] = echoed ? *echoed + "\n" : "ERR " + echoed.error().message + "\n";
          for (auto it = s->finished.begin(); it != s->finished.end() && it->first == s->next_out;
               it = s->finished.erase(it), ++s->next_out) {
            c->write(it->second);
          }
        });
  }

  const std::chrono::milliseconds job_;
  std::atomic<std::uint64_t> completed_{0};
};

}  // namespace echo_blocking
