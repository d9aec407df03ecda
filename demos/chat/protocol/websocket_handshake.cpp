#include "protocol/websocket_handshake.hpp"

#include "protocol/base64.hpp"
#include "protocol/http_response.hpp"
#include "protocol/sha1.hpp"

namespace chat {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

Handshake refuse(std::string_view why, std::string_view extra_headers = {}) {
  return {false, error_response(400, why, extra_headers), why};
}

}  // namespace

std::string websocket_accept(std::string_view key) {
  std::string text(key);
  text += kGuid;
  const Sha1Digest digest = sha1(text);
  return base64_encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Handshake websocket_handshake(const HttpRequest& request) {
  if (request.method != "GET") return refuse("a WebSocket handshake must be a GET");
  if (request.version_minor < 1) return refuse("a WebSocket handshake needs HTTP/1.1");
  if (request.has_body()) return refuse("a WebSocket handshake has no body");
  if (!request.has_token("Upgrade", "websocket")) return refuse("missing Upgrade: websocket");
  if (!request.has_token("Connection", "upgrade")) return refuse("missing Connection: Upgrade");
  const auto version = request.header("Sec-WebSocket-Version");
  if (!version || *version != "13") {
    // RFC 6455 §4.4: name the versions this server speaks.
    return refuse("unsupported Sec-WebSocket-Version", "Sec-WebSocket-Version: 13\r\n");
  }
  const auto key = request.header("Sec-WebSocket-Key");
  const auto nonce = key ? base64_decode(*key) : std::nullopt;
  if (!nonce || nonce->size() != 16) return refuse("Sec-WebSocket-Key must be 16 bytes in base64");

  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response += websocket_accept(*key);
  response += "\r\n\r\n";
  return {true, std::move(response), {}};
}

}  // namespace chat
