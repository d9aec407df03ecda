#pragma once
// Session is one connection's state, kept in its Conn's context and touched only on the
// connection's loop: which protocol the bytes are in and that protocol's parser. A
// connection starts in HTTP, may upgrade to WebSocket, and ends in `closing`, where input is
// ignored while the last response or close frame is flushed.

#include <cstdint>

#include "protocol/frame_parser.hpp"
#include "protocol/http_head_parser.hpp"

namespace chat {

struct Session {
  enum class Mode : std::uint8_t { http, websocket, closing };

  Mode mode = Mode::http;
  bool member = false;  // joined the room: its close must be reported as a Leave
  HttpHeadParser http;
  FrameParser frames;
};

}  // namespace chat
