#pragma once
// One round of mixed load against each demo, as the soak's client threads run them: each
// round picks a scenario at random (a short session, a pipelined burst, a slow reader, a
// reset with SO_LINGER 0, a close in the middle of a request) and checks every byte it gets
// back. Tally owns the counts all threads add to; a wrong byte is recorded with its context.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace soak {

// Shared by every client thread; the counters are independent, so relaxed order suffices.
struct Tally {
  std::atomic<std::uint64_t> rounds{0}, resets{0}, wrong{0}, io_errors{0}, timeouts{0};
  std::atomic<std::uint64_t> bytes_checked{0};
  std::mutex mutex;  // guards first_failures
  std::string first_failures;

  void failure(std::string_view protocol, std::string_view what);
  void io(std::string_view protocol, int outcome);  // an exchange() that did not finish
};

struct Client {
  int port = 0;
  int id = 0;  // unique per thread: keys and names do not collide
  std::mt19937_64 rng;
  Tally* tally = nullptr;
  std::uint64_t counter = 0;

  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng() % n); }
  std::string payload(std::size_t n);  // random bytes, every value 0..255
  std::string word(std::size_t n);     // random [a-z0-9]
};

void echo_round(Client& c);
void http_round(Client& c);
void redis_round(Client& c);
void chat_round(Client& c);

}  // namespace soak
