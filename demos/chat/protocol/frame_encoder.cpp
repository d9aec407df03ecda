#include "protocol/frame_encoder.hpp"

namespace chat {

namespace {

void append_header(std::string& out, std::uint8_t first, std::uint64_t length, bool masked) {
  out += static_cast<char>(first);
  const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
  if (length < 126) {
    out += static_cast<char>(mask_bit | length);
  } else if (length <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((length >> shift) & 0xFF);
  }
}

}  // namespace

std::string encode_frame(Opcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  append_header(out, 0x80 | static_cast<std::uint8_t>(opcode), payload.size(), false);
  out += payload;
  return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  if (code == close_code::no_status) return encode_frame(Opcode::close, {});
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xFF);
  payload += reason.substr(0, 123);  // a control frame carries at most 125 bytes
  return encode_frame(Opcode::close, payload);
}

std::string encode_masked_frame(Opcode opcode, std::string_view payload,
                                std::array<std::uint8_t, 4> mask, bool fin) {
  std::string out;
  out.reserve(payload.size() + 14);
  append_header(out, (fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode), payload.size(), true);
  for (const std::uint8_t m : mask)
    out += static_cast<char>(m);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out += static_cast<char>(payload[i] ^ mask[i & 3]);
  }
  return out;
}

}  // namespace chat
