#pragma once
// EdgeReadBudget is the loop's half of the edge-triggered contract. With edge triggering the
// poller reports a connection once per arrival of data, not once per wait. Reading until
// EAGAIN on every report would let one fast sender hold the loop while every other
// connection waits; reading one chunk and moving on would strand the rest, since no new edge
// will come for bytes already there. So a read gets at most chunk() bytes per turn, and a
// connection whose read spent its budget is carried: the loop serves it again next turn, and
// waits with timeout 0 while anything is carried. The poller itself only reports.
//
// One turn, written once in the loop:
//   int timeout = budget.wait_timeout(until_next_deadline);
//   auto ready = poller.wait(timeout);
//   auto carried = budget.begin_turn();          // last turn's carried tokens
//   for (auto& ev : *ready) serve(ev.token);     // read() up to chunk(); carry() if spent
//   for (auto token : carried) serve(token);     // same; skip if served this turn
// A carried token can get a fresh edge too: the loop keeps, per connection, the turn() it
// was last served in and skips a second serve in the same turn, so no connection gets more
// than one chunk per turn; a carried token whose connection closed meanwhile fails the
// loop's generation check and is dropped. It owns only the carried lists, which keep their
// capacity, so a steady state allocates nothing. One loop thread uses it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "actnet/export.hpp"

namespace actnet::io {

/// Edge-triggered reading with a per-connection budget: read until EAGAIN or `chunk` bytes,
/// and carry a connection that may still be readable over to the next turn.
class ACTNET_API EdgeReadBudget {
 public:
  /// A budget of `chunk` bytes per connection per turn (at least 1).
  explicit EdgeReadBudget(std::size_t chunk) noexcept : chunk_(chunk > 0 ? chunk : 1) {}

  /// The budget per connection per turn.
  std::size_t chunk() const noexcept { return chunk_; }

  /// How a budgeted read ended.
  enum class End {
    drained,  ///< EAGAIN: nothing left; the next edge will say when more arrives
    spent,    ///< the budget (or `into`) is full and more may be waiting: carry() the fd
    eof,      ///< the peer shut down its sending side
    error,    ///< `error_number` says why
  };
  /// What one read() did.
  struct Outcome {
    std::size_t bytes = 0;   ///< read before the end, valid for every End
    End end = End::drained;  ///< why it stopped
    int error_number = 0;    ///< the errno, when `end` is End::error
  };
  /// Reads from the non-blocking `fd` into `into`, at most chunk() bytes, until EAGAIN, EOF,
  /// an error or the budget is spent. An empty `into` reads nothing and ends `spent`.
  Outcome read(int fd, std::span<char> into) const noexcept;

  /// The connection `token` may still be readable: serve it next turn.
  void carry(std::uint64_t token) { next_.push_back(token); }
  /// Whether any connection was carried to the next turn.
  bool has_carried() const noexcept { return !next_.empty(); }
  /// `wanted_ms` unless something is carried: then 0, as it is ready now with no edge to come.
  int wait_timeout(int wanted_ms) const noexcept { return has_carried() ? 0 : wanted_ms; }

  /// Starts a turn (after the poller's wait): returns the tokens carried by the last one,
  /// valid until the next begin_turn(), and advances turn().
  std::span<const std::uint64_t> begin_turn();
  /// The number of the current turn, for the loop's "served in this turn" mark.
  std::uint64_t turn() const noexcept { return turn_; }

 private:
  std::size_t chunk_;
  std::uint64_t turn_ = 0;
  std::vector<std::uint64_t> next_;     // carried during this turn, for the next
  std::vector<std::uint64_t> serving_;  // carried by the last turn, served in this one
};

}  // namespace actnet::io
