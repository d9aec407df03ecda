#pragma once
// ClientHandler is the handler a Client's connections run: it forwards every callback to
// the user's handler and counts the connections open, so Client::count_connections() is
// exact even when the connections share an engine's loops with accepted ones. Callbacks
// run on the loops; the count is an atomic any thread may read.

#include <atomic>
#include <cstdint>

#include "actnet/conn.hpp"
#include "actnet/event_handler.hpp"

namespace actnet::detail {

class ClientHandler final : public EventHandler {
 public:
  explicit ClientHandler(EventHandler& user) : user_(user) {}

  Action on_boot(Engine& engine) override { return user_.on_boot(engine); }
  Action on_open(Conn& conn) override {
    open.fetch_add(1, std::memory_order_relaxed);
    return user_.on_open(conn);
  }
  Action on_traffic(Conn& conn) override { return user_.on_traffic(conn); }
  Action on_eof(Conn& conn) override { return user_.on_eof(conn); }
  Action on_close(Conn& conn, std::error_code error) override {
    open.fetch_sub(1, std::memory_order_relaxed);
    return user_.on_close(conn, error);
  }
  void on_backpressure(Conn& conn, bool paused) override { user_.on_backpressure(conn, paused); }
  Tick on_tick() override { return user_.on_tick(); }
  void on_shutdown(Engine& engine) override { user_.on_shutdown(engine); }

  std::atomic<std::int64_t> open{0};  // relaxed: a statistic

 private:
  EventHandler& user_;
};

}  // namespace actnet::detail
