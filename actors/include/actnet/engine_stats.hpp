#pragma once
// A snapshot of what each loop has done, for dashboards and tests (Engine::stats()).

#include <chrono>
#include <cstdint>
#include <vector>

#include "actnet/export.hpp"

namespace actnet {

/// One loop's counters, as of the snapshot.
struct ACTNET_API LoopStats {
  std::size_t loop = 0;                ///< the loop's index
  std::int64_t connections = 0;        ///< connections open on it
  std::uint64_t bytes_in = 0;          ///< bytes read from its connections so far
  std::uint64_t bytes_out = 0;         ///< bytes written to its connections so far
  std::uint64_t messages_handled = 0;  ///< mailbox messages run by the loop
  std::size_t mailbox_depth = 0;       ///< queued now (approximate)
  /// Eventfd writes that woke the loop from its sleep, for the loop's mailbox and its
  /// actors' mailbox together. Producers write only to a loop that announced it sleeps, so
  /// wakeups per message says how well cross-thread traffic coalesces (0 when it is busy).
  std::uint64_t wakeups = 0;
  std::chrono::nanoseconds longest_turn{0};  ///< the longest loop turn so far
  std::uint64_t watchdog_hits = 0;           ///< turns that ran past Options::watchdog_threshold
  std::uint64_t buffer_bytes = 0;            ///< buffer memory the loop's connections hold now
  /// UDP datagrams dropped because they were longer than read_buffer_cap (or 64 KiB).
  std::uint64_t datagrams_truncated = 0;
  /// User actors hosted on the loop (Engine::spawn): how many now, how often their
  /// supervision restarted one, messages they received, and their mailbox's depth now.
  std::size_t actors = 0;
  std::uint64_t actor_restarts = 0;     ///< restarts by the actors' supervision so far
  std::uint64_t actor_messages = 0;     ///< messages the actors received so far
  std::size_t actor_mailbox_depth = 0;  ///< actor messages queued now (approximate)
  /// Turns the loop has run (one epoll_wait each): what re-arming a deadline must not add to.
  std::uint64_t turns = 0;
  /// Entries in the loop's deadline heap now — connection deadlines and user timers, stale
  /// entries included (they go when they come due).
  std::size_t deadline_entries = 0;
  std::size_t timers = 0;  ///< the user timers armed now
  /// What the loop's turns cost beyond reads and writes, as of its last turn: epoll_wait
  /// calls (poller_waits) and interest changes (interest_changes: epoll_ctl MOD, of which a
  /// steady echo makes none).
  std::uint64_t poller_waits = 0;
  std::uint64_t interest_changes = 0;  ///< epoll_ctl MOD calls so far
  /// Reads of stream connections that returned only EAGAIN: a system call for nothing. A
  /// steady echo makes none, level-triggered or edge-triggered (a short read ends an
  /// edge-triggered event's reading; see Options::edge_triggered).
  std::uint64_t empty_reads = 0;
};

/// What Engine::stats() returns: every loop's counters and the engine's own.
struct ACTNET_API EngineStats {
  std::vector<LoopStats> loops;             ///< one entry per loop, in index order
  std::uint64_t accepted = 0;               ///< connections accepted so far
  std::uint64_t shed_on_fd_exhaustion = 0;  ///< connections closed at once for want of fds
};

}  // namespace actnet
