#pragma once
// The server's side of the WebSocket opening handshake (RFC 6455 §4.2): decides whether an
// HTTP request is a valid upgrade and writes the 101 response or the 400 that refuses it.
// No subprotocol or extension is ever agreed to, so frames never carry RSV bits.

#include <string>
#include <string_view>

#include "protocol/http_request.hpp"

namespace chat {

// Any thread: Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (base64 of the SHA-1 of
// the key followed by the RFC's GUID).
std::string websocket_accept(std::string_view key);

struct Handshake {
  bool accepted = false;
  std::string response;    // the 101 when accepted, else a 400 that closes the connection
  std::string_view error;  // why it was refused (static text)
};

// Any thread: checks `request` (already routed to the WebSocket path).
Handshake websocket_handshake(const HttpRequest& request);

}  // namespace chat
