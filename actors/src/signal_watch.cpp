#include "signal_watch.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace actnet::detail {
namespace {

// A few engines may watch at once; each has a slot. Lock-free atomics only: the handler
// may run on any thread at any moment.
constexpr int kSlots = 8;
std::atomic<int> g_fds[kSlots] = {-1, -1, -1, -1, -1, -1, -1, -1};
std::atomic<int> g_signal[kSlots] = {};
std::atomic<int> g_watchers{0};
// The handlers before the first watch began; put back when the last one ends.
struct sigaction g_old_int {};
struct sigaction g_old_term {};

void on_signal(int signo) {
  const int saved = errno;
  for (int i = 0; i < kSlots; ++i) {
    const int fd = g_fds[i].load(std::memory_order_acquire);
    if (fd < 0) continue;
    g_signal[i].store(signo, std::memory_order_release);
    const std::uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  }
  errno = saved;
}

}  // namespace

SignalWatch::SignalWatch() {
  for (int i = 0; i < kSlots && slot_ < 0; ++i) {
    int expected = -1;
    if (g_fds[i].compare_exchange_strong(expected, wakeup_.fd())) slot_ = i;
  }
  if (slot_ < 0)
    throw std::system_error(EBUSY, std::system_category(), "too many engines handle signals");
  g_signal[slot_].store(0);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (g_watchers.fetch_add(1) == 0) {
    ::sigaction(SIGINT, &sa, &g_old_int);
    ::sigaction(SIGTERM, &sa, &g_old_term);
  }
}

SignalWatch::~SignalWatch() {
  g_fds[slot_].store(-1, std::memory_order_release);
  if (g_watchers.fetch_sub(1) == 1) {
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
  }
}

int SignalWatch::take() noexcept {
  wakeup_.consume();
  return g_signal[slot_].exchange(0, std::memory_order_acq_rel);
}

}  // namespace actnet::detail
