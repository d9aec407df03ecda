#pragma once
// Writing WebSocket frames (RFC 6455 §5.2). A server's frames are unmasked and the chat server
// never fragments, so one call gives one whole frame; the masked form is what a client
// sends, kept here for tests and tools that play the client.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/websocket_frame.hpp"

namespace chat {

// Any thread: one unmasked frame with FIN set.
std::string encode_frame(Opcode opcode, std::string_view payload);

// Any thread: a close frame carrying `code` and `reason` (an empty frame for
// close_code::no_status, which must not be sent on the wire).
std::string encode_close(std::uint16_t code, std::string_view reason = {});

// Any thread: a client's frame, masked with `mask`.
std::string encode_masked_frame(Opcode opcode, std::string_view payload,
                                std::array<std::uint8_t, 4> mask, bool fin = true);

}  // namespace chat
