// actnet-soak-load: the mixed client load of scripts/soak.sh. Client threads run rounds
// against the echo, http, redis and chat demos (connects and disconnects, pipelined bursts,
// slow readers, resets) for --seconds, checking every byte, then print a tally. The exit
// status is 1 when any client saw a wrong byte, lost a connection it should have kept, or
// waited past the stall limit.
//   actnet-soak-load --echo PORT --http PORT --redis PORT --chat PORT --seconds N
//                    [--threads K] [--pause-ms MS]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "scenarios.hpp"

int main(int argc, char** argv) {
  int ports[4] = {0, 0, 0, 0};
  long seconds = 60, threads = 2, pause_ms = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (arg == "--echo")
      ports[0] = static_cast<int>(value);
    else if (arg == "--http")
      ports[1] = static_cast<int>(value);
    else if (arg == "--redis")
      ports[2] = static_cast<int>(value);
    else if (arg == "--chat")
      ports[3] = static_cast<int>(value);
    else if (arg == "--seconds")
      seconds = value;
    else if (arg == "--threads")
      threads = value;
    else if (arg == "--pause-ms")
      pause_ms = value;
    else {
      std::fprintf(stderr, "actnet-soak-load: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  using Round = void (*)(soak::Client&);
  const Round rounds[4] = {soak::echo_round, soak::http_round, soak::redis_round, soak::chat_round};
  soak::Tally tally;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> workers;
  int id = 0;
  for (int p = 0; p < 4; ++p) {
    if (ports[p] == 0) continue;
    for (long t = 0; t < threads; ++t) {
      workers.emplace_back([&, p, id = ++id] {
        soak::Client client{ports[p], id, std::mt19937_64(0x50a4 + id), &tally};
        while (std::chrono::steady_clock::now() < end) {
          rounds[p](client);
          tally.rounds.fetch_add(1, std::memory_order_relaxed);
          std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
        }
      });
    }
  }
  for (std::thread& w : workers)
    w.join();
  std::printf(
      "soak-load: %llu rounds, %llu resets, %llu bytes checked, %llu wrong, %llu lost "
      "connections, %llu stalls\n",
      static_cast<unsigned long long>(tally.rounds.load()),
      static_cast<unsigned long long>(tally.resets.load()),
      static_cast<unsigned long long>(tally.bytes_checked.load()),
      static_cast<unsigned long long>(tally.wrong.load()),
      static_cast<unsigned long long>(tally.io_errors.load()),
      static_cast<unsigned long long>(tally.timeouts.load()));
  if (!tally.first_failures.empty()) std::printf("%s", tally.first_failures.c_str());
  return tally.wrong.load() + tally.io_errors.load() + tally.timeouts.load() == 0 ? 0 : 1;
}
