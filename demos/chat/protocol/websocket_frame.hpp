#pragma once
// The vocabulary of RFC 6455 framing shared by the parser, the encoder and their users:
// opcodes, close codes and the message a parser hands back.

#include <cstdint>
#include <string>
#include <string_view>

namespace chat {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// RFC 6455 §7.4.1.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // never sent: "the close frame had no code"
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// Any thread: whether a peer may put `code` in a close frame (RFC 6455 §7.4; 1005, 1006 and
// 1015 are for reporting only, 1004 is reserved, 0-999 and 1016-2999 are unassigned).
bool is_valid_close_code(std::uint16_t code) noexcept;

struct WebSocketMessage {
  enum class Kind : std::uint8_t { text, binary, ping, pong, close, failure };
  Kind kind = Kind::text;
  // text/binary: the whole message, all fragments joined; ping/pong: the application data;
  // close: the peer's reason (UTF-8).
  std::string payload;
  // close: the peer's code (close_code::no_status when it sent none); failure: the code to
  // close the connection with.
  std::uint16_t code = 0;
  std::string_view error;  // failure: what was wrong (static text)
};

}  // namespace chat
