#include "chat_server.hpp"

#include <cstdio>
#include <utility>

#include "page_html.hpp"
#include "protocol/frame_encoder.hpp"
#include "protocol/http_response.hpp"
#include "protocol/member_name.hpp"
#include "protocol/url.hpp"
#include "protocol/websocket_handshake.hpp"
#include "room.hpp"

namespace chat {

actnet::Action ChatServer::on_boot(actnet::Engine& engine) {
  room_ = engine.spawn<Room>();
  room_ready_.store(true, std::memory_order_release);  // publishes room_ to the loops
  if (announce_) {
    const auto addresses = engine.listen_addresses();
    if (!addresses.empty()) {
      std::printf("actnet-chat: serving http://%s/\n", addresses.front().to_string().c_str());
      std::fflush(stdout);
    }
  }
  return actnet::Action::none;
}

actnet::Action ChatServer::on_open(actnet::Conn& conn) {
  conn.emplace_context<Session>();
  conn.set_idle_timeout(http_idle_);
  return actnet::Action::none;
}

actnet::Action ChatServer::on_traffic(actnet::Conn& conn) {
  Session* session = conn.context<Session>();
  if (session == nullptr) return actnet::Action::close;
  if (session->mode == Session::Mode::http) serve_http(conn, *session);
  if (session->mode == Session::Mode::websocket) serve_websocket(conn, *session);
  if (session->mode == Session::Mode::closing) conn.discard();
  return actnet::Action::none;
}

actnet::Action ChatServer::on_close(actnet::Conn& conn, std::error_code) {
  Session* session = conn.context<Session>();
  if (session != nullptr && session->member) room_.send(Leave{conn.ref()});
  return actnet::Action::none;
}

void ChatServer::serve_http(actnet::Conn& conn, Session& session) {
  while (session.mode == Session::Mode::http) {
    const std::string_view bytes = conn.peek();
    if (bytes.empty()) return;
    const HeadResult head = session.http.parse(bytes);
    switch (head.status) {
      case HeadResult::Status::need_more:
        return;
      case HeadResult::Status::bad:
        finish(conn, session, error_response(head.http_status, head.error));
        return;
      case HeadResult::Status::done:
        break;
    }
    const HttpRequest request = std::move(session.http.request());
    session.http.reset();
    conn.discard(head.consumed);
    if (!route(conn, session, request)) return;
  }
}

bool ChatServer::route(actnet::Conn& conn, Session& session, const HttpRequest& request) {
  if (request.path == "/ws") {
    upgrade(conn, session, request);
    return false;
  }
  if (request.path != "/") {
    finish(conn, session, error_response(404, "not found"));
    return false;
  }
  const bool head_only = request.method == "HEAD";
  if (request.method != "GET" && !head_only) {
    finish(conn, session, error_response(405, "only GET and HEAD", "Allow: GET, HEAD\r\n"));
    return false;
  }
  // A body is never read, so a request that has one ends the connection.
  const bool keep_alive = request.keep_alive() && !request.has_body();
  std::string page = render({.status = 200,
                             .content_type = "text/html; charset=utf-8",
                             .body = kPageHtml,
                             .keep_alive = keep_alive,
                             .head_only = head_only});
  if (!keep_alive) {
    finish(conn, session, std::move(page));
    return false;
  }
  conn.write(page);
  return true;
}

void ChatServer::upgrade(actnet::Conn& conn, Session& session, const HttpRequest& request) {
  Handshake handshake = websocket_handshake(request);
  if (!handshake.accepted) {
    finish(conn, session, std::move(handshake.response));
    return;
  }
  std::optional<std::string> name = std::string();
  if (const auto raw = query_value(request.query, "name")) {
    const auto decoded = percent_decode(*raw, true);
    name = decoded ? clean_member_name(*decoded) : std::nullopt;
  }
  if (!name) {
    finish(conn, session, error_response(400, "name must be percent-encoded UTF-8"));
    return;
  }
  if (!room_ready_.load(std::memory_order_acquire)) {
    finish(conn, session, error_response(503, "the room is not open yet"));
    return;
  }
  conn.write(handshake.response);
  session.mode = Session::Mode::websocket;
  session.member = true;
  conn.set_idle_timeout(std::chrono::milliseconds::zero());
  // Sent from this loop before any Say or Leave of this connection, and a mailbox keeps each
  // producer's order, so the room always sees the Join first.
  room_.send(Join{conn.ref(), std::move(*name)});
}

void ChatServer::serve_websocket(actnet::Conn& conn, Session& session) {
  while (session.mode == Session::Mode::websocket) {
    const std::string_view bytes = conn.peek();
    if (bytes.empty()) return;
    FrameParser::Step step = session.frames.parse(bytes);
    conn.discard(step.consumed);
    if (!step.message) continue;
    WebSocketMessage& message = *step.message;
    switch (message.kind) {
      case WebSocketMessage::Kind::text:
        room_.send(Say{conn.ref(), std::move(message.payload)});
        break;
      case WebSocketMessage::Kind::binary:
        finish(conn, session, encode_close(close_code::unsupported_data, "text messages only"));
        break;
      case WebSocketMessage::Kind::ping:
        conn.write(encode_frame(Opcode::pong, message.payload));
        break;
      case WebSocketMessage::Kind::pong:
        break;
      case WebSocketMessage::Kind::close:  // echo the peer's code (RFC 6455 §5.5.1)
        finish(conn, session, encode_close(message.code));
        break;
      case WebSocketMessage::Kind::failure:
        finish(conn, session, encode_close(message.code, message.error));
        break;
    }
  }
}

void ChatServer::finish(actnet::Conn& conn, Session& session, std::string bytes) {
  session.mode = Session::Mode::closing;
  conn.discard();
  // Closing through the ref runs after this callback, once the bytes reached the kernel
  // (or failed to): Conn::close() now could cut off what the socket has not yet taken.
  conn.write(bytes, [ref = conn.ref()](std::error_code) { ref.close(); });
}

}  // namespace chat
