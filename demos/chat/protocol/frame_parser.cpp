#include "protocol/frame_parser.hpp"

#include <algorithm>
#include <utility>

namespace chat {

namespace {

bool is_control(Opcode op) {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

bool is_known(std::uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

}  // namespace

FrameParser::Step FrameParser::parse(std::string_view bytes) {
  Step step;
  for (;;) {
    if (state_ == State::finished) {
      step.consumed = bytes.size();
      return step;
    }
    if (state_ == State::header) {
      if (step.consumed == bytes.size()) return step;
      const std::size_t n = std::min(header_need_ - header_have_, bytes.size() - step.consumed);
      std::copy_n(bytes.data() + step.consumed, n, header_.data() + header_have_);
      header_have_ += n;
      step.consumed += n;
      if (header_have_ < header_need_) return step;
      // The first two bytes say how long the rest of the header is; check them at once so a
      // bad frame fails without waiting for more.
      if (header_need_ == 2) {
        if ((step.message = check_start())) return step;
        if (header_need_ > 2) continue;
      }
      if ((step.message = check_length())) return step;
      state_ = State::payload;
    }
    // State::payload, possibly empty.
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - step.consumed));
    if (n != 0) {
      if ((step.message = append_payload(bytes.substr(step.consumed, n)))) {
        step.consumed += n;
        return step;
      }
      step.consumed += n;
    }
    if (remaining_ != 0) return step;
    state_ = State::header;
    header_have_ = 0;
    header_need_ = 2;
    if ((step.message = finish_frame())) return step;
  }
}

std::optional<WebSocketMessage> FrameParser::check_start() {
  const std::uint8_t b0 = header_[0];
  const std::uint8_t b1 = header_[1];
  fin_ = (b0 & 0x80) != 0;
  if ((b0 & 0x70) != 0) return fail(close_code::protocol_error, "RSV bit set without an extension");
  if (!is_known(b0 & 0x0F)) return fail(close_code::protocol_error, "unknown opcode");
  opcode_ = static_cast<Opcode>(b0 & 0x0F);
  if ((b1 & 0x80) == 0) return fail(close_code::protocol_error, "client frame is not masked");
  const std::uint8_t length7 = b1 & 0x7F;
  if (is_control(opcode_)) {
    if (!fin_) return fail(close_code::protocol_error, "fragmented control frame");
    if (length7 > 125) return fail(close_code::protocol_error, "control frame longer than 125");
  } else if (opcode_ == Opcode::continuation) {
    if (!in_message_) return fail(close_code::protocol_error, "continuation without a message");
  } else if (in_message_) {
    return fail(close_code::protocol_error, "new message before the previous one ended");
  }
  header_need_ = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4;
  return std::nullopt;
}

std::optional<WebSocketMessage> FrameParser::check_length() {
  const std::uint8_t length7 = header_[1] & 0x7F;
  std::uint64_t length = length7;
  std::size_t at = 2;
  if (length7 == 126) {
    length = std::uint64_t{header_[2]} << 8 | header_[3];
    at = 4;
    if (length < 126) return fail(close_code::protocol_error, "length not minimally encoded");
  } else if (length7 == 127) {
    length = 0;
    for (std::size_t i = 2; i < 10; ++i)
      length = length << 8 | header_[i];
    at = 10;
    if (length >> 63) return fail(close_code::protocol_error, "64-bit length with the top bit set");
    if (length < 65536) return fail(close_code::protocol_error, "length not minimally encoded");
  }
  // Refuse an oversized message from its header, before any of its payload is stored.
  if (!is_control(opcode_) && length > max_message_ - message_.size()) {
    return fail(close_code::too_big, "message too big");
  }
  std::copy_n(header_.data() + at, 4, header_.data());  // the mask moves to the front
  remaining_ = length;
  mask_at_ = 0;
  if (opcode_ == Opcode::text || opcode_ == Opcode::binary) {
    in_message_ = true;
    message_opcode_ = opcode_;
    utf8_.reset();
  }
  control_.clear();
  return std::nullopt;
}

std::optional<WebSocketMessage> FrameParser::append_payload(std::string_view chunk) {
  std::string& target = is_control(opcode_) ? control_ : message_;
  const std::size_t start = target.size();
  target.append(chunk);
  for (std::size_t i = start; i < target.size(); ++i) {
    target[i] = static_cast<char>(target[i] ^ header_[mask_at_]);
    mask_at_ = (mask_at_ + 1) & 3;
  }
  remaining_ -= chunk.size();
  // Fail a text message at its first bad byte rather than after a megabyte more of it.
  if (!is_control(opcode_) && message_opcode_ == Opcode::text &&
      !utf8_.feed(std::string_view(target).substr(start))) {
    return fail(close_code::invalid_payload, "text message is not valid UTF-8");
  }
  return std::nullopt;
}

std::optional<WebSocketMessage> FrameParser::finish_frame() {
  switch (opcode_) {
    case Opcode::ping:
      return WebSocketMessage{WebSocketMessage::Kind::ping, std::exchange(control_, {}), 0, {}};
    case Opcode::pong:
      return WebSocketMessage{WebSocketMessage::Kind::pong, std::exchange(control_, {}), 0, {}};
    case Opcode::close:
      return close_message();
    default:
      break;
  }
  if (!fin_) return std::nullopt;
  if (message_opcode_ == Opcode::text && !utf8_.complete()) {
    return fail(close_code::invalid_payload, "text message ends inside a UTF-8 sequence");
  }
  in_message_ = false;
  const auto kind = message_opcode_ == Opcode::text ? WebSocketMessage::Kind::text
                                                    : WebSocketMessage::Kind::binary;
  return WebSocketMessage{kind, std::exchange(message_, {}), 0, {}};
}

WebSocketMessage FrameParser::close_message() {
  if (control_.empty()) {
    state_ = State::finished;
    return {WebSocketMessage::Kind::close, {}, close_code::no_status, {}};
  }
  if (control_.size() == 1) return fail(close_code::protocol_error, "close payload of one byte");
  const auto code = static_cast<std::uint16_t>(static_cast<std::uint8_t>(control_[0]) << 8 |
                                               static_cast<std::uint8_t>(control_[1]));
  if (!is_valid_close_code(code)) return fail(close_code::protocol_error, "invalid close code");
  std::string reason = control_.substr(2);
  if (!is_valid_utf8(reason)) return fail(close_code::invalid_payload, "close reason is not UTF-8");
  state_ = State::finished;
  return {WebSocketMessage::Kind::close, std::move(reason), code, {}};
}

WebSocketMessage FrameParser::fail(std::uint16_t code, std::string_view why) {
  state_ = State::finished;
  message_.clear();
  message_.shrink_to_fit();
  control_.clear();
  return {WebSocketMessage::Kind::failure, {}, code, why};
}

}  // namespace chat
