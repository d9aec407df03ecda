#pragma once
// Test support: a blocking loopback WebSocket client for the chat server tests, on top of
// TestClient (timeouts on every read, so a misbehaving server fails the test instead of
// hanging it). It speaks HTTP/1.1 just enough for the page and the handshake.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/test_client.hpp"
#include "protocol/frame_encoder.hpp"
#include "protocol/websocket_frame.hpp"

struct ReceivedFrame {
  std::uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
};

struct HttpReply {
  std::string head;  // status line and headers, up to the empty line
  std::string body;  // Content-Length bytes
  int status() const { return head.size() > 12 ? std::stoi(head.substr(9, 3)) : 0; }
};

class WsTestClient {
 public:
  explicit WsTestClient(const actnet::io::SocketAddress& address) : tcp_(address, 5000) {}

  TestClient& tcp() { return tcp_; }

  // Sends `request` and reads one response (head, then a body of Content-Length bytes).
  HttpReply http(std::string_view request) {
    tcp_.send_all(request);
    return read_reply();
  }

  HttpReply read_reply() {
    HttpReply reply;
    while (reply.head.find("\r\n\r\n") == std::string::npos) {
      const std::string byte = tcp_.recv_exact(1);
      if (byte.empty()) return reply;  // closed or timed out
      reply.head += byte;
    }
    const auto at = reply.head.find("Content-Length: ");
    if (at != std::string::npos) {
      reply.body = tcp_.recv_exact(std::stoul(reply.head.substr(at + 16)));
    }
    return reply;
  }

  // The opening handshake for `target` ("/ws?name=alice"); the server's reply.
  HttpReply handshake(std::string_view target) {
    std::string request = "GET ";
    request += target;
    request +=
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    return http(request);
  }

  void send(chat::Opcode opcode, std::string_view payload, bool fin = true) {
    tcp_.send_all(chat::encode_masked_frame(opcode, payload, {0x12, 0x34, 0x56, 0x78}, fin));
  }

  // The next frame, or nothing when the connection closed or the read timed out.
  std::optional<ReceivedFrame> read_frame() {
    const std::string header = tcp_.recv_exact(2);
    if (header.size() != 2) return std::nullopt;
    ReceivedFrame frame;
    frame.fin = (header[0] & 0x80) != 0;
    frame.opcode = header[0] & 0x0F;
    std::uint64_t length = header[1] & 0x7F;
    if ((header[1] & 0x80) != 0) return std::nullopt;  // a server must not mask
    if (length >= 126) {
      const std::string ext = tcp_.recv_exact(length == 126 ? 2 : 8);
      length = 0;
      for (const char c : ext)
        length = length << 8 | static_cast<std::uint8_t>(c);
    }
    frame.payload = tcp_.recv_exact(length);
    if (frame.payload.size() != length) return std::nullopt;
    return frame;
  }

  // The next text frame's payload, skipping pongs; nothing if another frame or none comes.
  std::optional<std::string> read_text() {
    for (;;) {
      auto frame = read_frame();
      if (!frame) return std::nullopt;
      if (frame->opcode == 0xA) continue;
      if (frame->opcode != 0x1) return std::nullopt;
      return frame->payload;
    }
  }

  // The next text event whose JSON starts with {"type":"<type>" (others are skipped).
  std::optional<std::string> read_event(std::string_view type) {
    const std::string prefix = "{\"type\":\"" + std::string(type) + "\"";
    for (;;) {
      auto text = read_text();
      if (!text || text->rfind(prefix, 0) == 0) return text;
    }
  }

  // The close frame's code after skipping other frames (0 when there was no close frame,
  // 1005 when it had no code).
  std::uint16_t read_close_code() {
    for (;;) {
      auto frame = read_frame();
      if (!frame) return 0;
      if (frame->opcode != 0x8) continue;
      if (frame->payload.size() < 2) return chat::close_code::no_status;
      return static_cast<std::uint16_t>(static_cast<std::uint8_t>(frame->payload[0]) << 8 |
                                        static_cast<std::uint8_t>(frame->payload[1]));
    }
  }

 private:
  TestClient tcp_;
};
