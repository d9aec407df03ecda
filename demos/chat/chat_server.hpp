#pragma once
// ChatServer is actnet-chat's EventHandler: it serves the page at / and the chat's WebSocket
// endpoint at /ws on the same port, and spawns the Room on boot. It owns no connection
// state itself (each connection's Session lives in its Conn) and reaches the room only by
// message, so its callbacks run on every loop at once without locks.

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>

#include <actnet/actnet.hpp>

#include "room_messages.hpp"
#include "session.hpp"

namespace chat {

class ChatServer final : public actnet::EventHandler {
 public:
  // `announce`: print "actnet-chat: serving http://ADDRESS/" to stdout once listening.
  // `http_idle`: how long a connection may stay silent while it speaks HTTP (before its
  // first request, between keep-alive requests, during a handshake): a client that never
  // finishes its request must not hold a connection forever. Members of the room have no
  // idle limit; the room drops them by backpressure instead.
  explicit ChatServer(bool announce = false,
                      std::chrono::milliseconds http_idle = std::chrono::seconds(10))
      : announce_(announce), http_idle_(http_idle) {}

  // Supervisor thread.
  actnet::Action on_boot(actnet::Engine& engine) override;
  // The connection's loop.
  actnet::Action on_open(actnet::Conn& conn) override;
  actnet::Action on_traffic(actnet::Conn& conn) override;
  actnet::Action on_close(actnet::Conn& conn, std::error_code error) override;

 private:
  void serve_http(actnet::Conn& conn, Session& session);
  void serve_websocket(actnet::Conn& conn, Session& session);
  // Returns false when the connection is done with HTTP (closing, or now a WebSocket).
  bool route(actnet::Conn& conn, Session& session, const HttpRequest& request);
  void upgrade(actnet::Conn& conn, Session& session, const HttpRequest& request);
  // Sends `bytes` as the connection's last, ignores what it sends after, and closes it once
  // they reached the kernel.
  void finish(actnet::Conn& conn, Session& session, std::string bytes);

  const bool announce_;
  const std::chrono::milliseconds http_idle_;
  // Written once by on_boot before `room_ready_` is released; with reuse_port the loops accept
  // (and may see an upgrade) before on_boot has run, and they answer 503 until then.
  actnet::ActorRef<RoomMsg> room_;
  std::atomic<bool> room_ready_{false};
};

}  // namespace chat
