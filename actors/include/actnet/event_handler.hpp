#pragma once
// EventHandler is what a user writes: gnet's life cycle as virtual functions with no-op
// defaults, so a handler overrides only what it needs. Which thread runs each callback is
// part of the contract, and nothing here may block (hand blocking work to a WorkerPool).

#include <chrono>
#include <system_error>

#include "actnet/action.hpp"
#include "actnet/export.hpp"

namespace actnet {

class Conn;
class Engine;

/// What on_tick() returns: when to run next, and whether to stop the engine.
struct ACTNET_API Tick {
  std::chrono::milliseconds delay{1000};  ///< when on_tick runs next
  Action action = Action::none;           ///< shutdown stops the engine
};

/// What a user writes: gnet's life cycle as virtual functions with no-op defaults. Which
/// thread runs each callback is part of the contract; none of them may block.
class ACTNET_API EventHandler {
 public:
  virtual ~EventHandler() = default;

  /// Supervisor thread, once the listeners are bound and the loops run.
  virtual Action on_boot(Engine&) { return Action::none; }

  /// The connection's loop, when it opens. Bytes written here (conn.write) reach the peer
  /// before anything else.
  virtual Action on_open(Conn&) { return Action::none; }

  /// The connection's loop, when bytes arrived (read them with peek/next/discard/read) or
  /// after a ConnRef::wake(). For a udp:// listener: once per datagram, with the datagram as
  /// the inbound bytes and its sender as remote_address() (Conn::is_datagram()); a listening
  /// UDP server gets no on_open or on_close, as in gnet.
  virtual Action on_traffic(Conn&) { return Action::none; }

  /// The connection's loop, when the peer shut its write side (a read found EOF), after
  /// on_traffic has seen its last bytes. Action::close, the default, closes the connection:
  /// on_close(Errc::end_of_stream). Action::none keeps it open for writing (a reply after a
  /// request that ended with EOF, a proxy passing the EOF on): it reads nothing more, and
  /// once this side ended its own stream with Conn::shutdown_write() and that was flushed,
  /// it closes by itself with on_close and an empty error — as it does right after on_eof,
  /// whatever on_eof returns, when this side's write was already shut. Action::shutdown
  /// stops the engine and keeps the connection open until the stop closes it.
  virtual Action on_eof(Conn&) { return Action::close; }

  /// The connection's loop, once, when it closes. `error` is empty for a close this side
  /// asked for or one that ended with both directions shut (Conn::shutdown_write and on_eof),
  /// Errc::end_of_stream when the peer closed, Errc::shutting_down on engine stop, or what
  /// broke it. The connection's buffers can still be read here.
  virtual Action on_close(Conn&, std::error_code /*error*/) { return Action::none; }

  /// The connection's loop, when its outbound bytes pass Options::write_high_water (true:
  /// reading from it is paused) and when they fall back to write_low_water (false: resumed).
  virtual void on_backpressure(Conn&, bool /*paused*/) {}

  /// Supervisor thread, with Options::ticker: first at once, then after each returned delay.
  /// It runs concurrently with the loops' callbacks: reach connections through ConnRefs.
  virtual Tick on_tick() { return {}; }

  /// Supervisor thread, after every loop has stopped and every connection has closed.
  virtual void on_shutdown(Engine&) {}
};

}  // namespace actnet
