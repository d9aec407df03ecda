#pragma once
// FrameParser turns the bytes a WebSocket client sends into messages (RFC 6455 §5), however
// the bytes are split. It owns the frame header being read, the message being assembled
// from fragments (bounded by max_message) and the UTF-8 state of a text message, and it
// enforces the rules a server must: masked frames, no RSV bits, known opcodes, short
// unfragmented control frames, well-ordered fragments, valid UTF-8 and close payloads.
// A violation ends the stream with a `failure` message naming the close code to send.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/utf8_validator.hpp"
#include "protocol/websocket_frame.hpp"

namespace chat {

class FrameParser {
 public:
  static constexpr std::size_t kMaxMessage = 1024 * 1024;

  struct Step {
    std::size_t consumed = 0;  // bytes taken from the input (kept by the parser)
    std::optional<WebSocketMessage> message;
  };

  explicit FrameParser(std::size_t max_message = kMaxMessage) : max_message_(max_message) {}

  // One thread at a time. Reads `bytes` until a message is complete (returned, with the bytes
  // used so far: call again with the rest) or the bytes run out (all consumed, no message).
  // After a close or a failure the parser is finished and swallows whatever follows.
  Step parse(std::string_view bytes);

  bool finished() const noexcept { return state_ == State::finished; }
  // Bytes held for a message still being assembled (for memory accounting).
  std::size_t buffered() const noexcept { return message_.size(); }

 private:
  enum class State : std::uint8_t { header, payload, finished };

  std::optional<WebSocketMessage> check_start();   // the first two header bytes are in
  std::optional<WebSocketMessage> check_length();  // the whole header is in
  std::optional<WebSocketMessage> append_payload(std::string_view chunk);
  std::optional<WebSocketMessage> finish_frame();
  WebSocketMessage fail(std::uint16_t code, std::string_view why);
  WebSocketMessage close_message();

  std::size_t max_message_;
  State state_ = State::header;

  // The frame being read.
  std::array<std::uint8_t, 14> header_{};  // at most 2 + 8 (length) + 4 (mask)
  std::size_t header_have_ = 0;
  std::size_t header_need_ = 2;
  bool fin_ = false;
  Opcode opcode_ = Opcode::continuation;
  std::uint64_t remaining_ = 0;  // payload bytes still to come
  std::size_t mask_at_ = 0;      // payload bytes unmasked so far, modulo 4

  // The data message being assembled, and the current control frame's payload.
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::text;
  std::string message_;
  Utf8Validator utf8_;
  std::string control_;
};

}  // namespace chat
