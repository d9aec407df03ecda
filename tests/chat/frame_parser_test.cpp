// The WebSocket frame parser: messages come out whole however the bytes are split, and every
// protocol violation ends the stream with the close code RFC 6455 asks for.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/frame_encoder.hpp"
#include "protocol/frame_parser.hpp"

using chat::FrameParser;
using chat::Opcode;
using chat::WebSocketMessage;
using Kind = chat::WebSocketMessage::Kind;

namespace {

constexpr std::array<std::uint8_t, 4> kMask{0x37, 0xfa, 0x21, 0x3d};

std::string frame(Opcode op, std::string_view payload, bool fin = true) {
  return chat::encode_masked_frame(op, payload, kMask, fin);
}

// Feeds `bytes` `chunk` at a time as a connection would: unconsumed bytes stay buffered.
std::vector<WebSocketMessage> feed(FrameParser& parser, std::string_view bytes, std::size_t chunk) {
  std::vector<WebSocketMessage> out;
  std::string pending;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    pending.append(bytes.substr(at, chunk));
    for (;;) {
      FrameParser::Step step = parser.parse(pending);
      REQUIRE(step.consumed <= pending.size());
      pending.erase(0, step.consumed);
      if (!step.message) break;
      out.push_back(std::move(*step.message));
    }
    REQUIRE(pending.empty());  // without a message the parser takes everything
  }
  return out;
}

// The one message a bad stream ends with, fed all at once and in small pieces (byte by byte
// unless long): the same answer either way.
WebSocketMessage failure_of(const std::string& bytes) {
  FrameParser whole;
  const auto at_once = feed(whole, bytes, bytes.size());
  FrameParser split;
  const auto by_byte = feed(split, bytes, bytes.size() > 4096 ? 997 : 1);
  REQUIRE(at_once.size() == by_byte.size());
  REQUIRE_FALSE(at_once.empty());
  CHECK(at_once.back().kind == by_byte.back().kind);
  CHECK(at_once.back().code == by_byte.back().code);
  CHECK(whole.finished());
  return at_once.back();
}

}  // namespace

TEST_CASE("The RFC 6455 masked 'Hello' frame parses byte by byte", "[chat][frames]") {
  const std::string bytes("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  FrameParser parser;
  const auto messages = feed(parser, bytes, 1);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].kind == Kind::text);
  CHECK(messages[0].payload == "Hello");
}

TEST_CASE("Payload lengths on every length-encoding edge parse at any split", "[chat][frames]") {
  for (const std::size_t length : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
    std::string payload(length, 'x');
    for (std::size_t i = 0; i < length; ++i)
      payload[i] = static_cast<char>('a' + i % 26);
    const std::string bytes = frame(Opcode::binary, payload) + frame(Opcode::text, "next");
    for (const std::size_t chunk :
         {std::size_t{1}, std::size_t{3}, std::size_t{4096}, bytes.size()}) {
      if (chunk == 1 && length > 1000) continue;  // byte by byte is covered by the smaller ones
      INFO("length " << length << " chunk " << chunk);
      FrameParser parser;
      const auto messages = feed(parser, bytes, chunk);
      REQUIRE(messages.size() == 2);
      CHECK(messages[0].kind == Kind::binary);
      CHECK(messages[0].payload == payload);
      CHECK(messages[1].payload == "next");
    }
  }
}

TEST_CASE("A message of exactly 1 MiB is accepted, one byte more is 1009", "[chat][frames]") {
  const std::string limit(FrameParser::kMaxMessage, 'a');
  FrameParser parser;
  const auto messages = feed(parser, frame(Opcode::text, limit), 65536);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].payload.size() == FrameParser::kMaxMessage);

  const WebSocketMessage m = failure_of(frame(Opcode::text, limit + "a"));
  CHECK(m.kind == Kind::failure);
  CHECK(m.code == chat::close_code::too_big);
}

TEST_CASE("A fragmented message with pings and pongs between fragments reassembles",
          "[chat][frames]") {
  const std::string bytes = frame(Opcode::text, "Hel", false) + frame(Opcode::ping, "p1") +
                            frame(Opcode::continuation, "lo, ", false) + frame(Opcode::pong, "") +
                            frame(Opcode::continuation, "w\xe2\x82", false) +  // euro sign split
                            frame(Opcode::continuation, "\xac!", true) + frame(Opcode::binary, "b");
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{5}, bytes.size()}) {
    FrameParser parser;
    const auto messages = feed(parser, bytes, chunk);
    REQUIRE(messages.size() == 4);
    CHECK(messages[0].kind == Kind::ping);
    CHECK(messages[0].payload == "p1");
    CHECK(messages[1].kind == Kind::pong);
    CHECK(messages[2].kind == Kind::text);
    CHECK(messages[2].payload == "Hello, w\xe2\x82\xac!");
    CHECK(messages[3].kind == Kind::binary);
    CHECK(messages[3].payload == "b");
  }
}

TEST_CASE("Fragments adding up to more than 1 MiB fail with 1009", "[chat][frames]") {
  const std::string half(FrameParser::kMaxMessage / 2, 'a');
  const std::string bytes = frame(Opcode::binary, half, false) +
                            frame(Opcode::continuation, half, false) +
                            frame(Opcode::continuation, "x", true);
  FrameParser parser;
  const auto messages = feed(parser, bytes, 65536);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].kind == Kind::failure);
  CHECK(messages[0].code == chat::close_code::too_big);
}

TEST_CASE("Every framing violation fails with 1002", "[chat][frames]") {
  const std::string ping_long = frame(Opcode::ping, std::string(126, 'p'));
  std::string rsv1 = frame(Opcode::text, "x");
  rsv1[0] = static_cast<char>(rsv1[0] | 0x40);
  std::string rsv3 = frame(Opcode::text, "x");
  rsv3[0] = static_cast<char>(rsv3[0] | 0x10);
  const std::pair<std::string, std::string> cases[] = {
      {"unmasked", std::string("\x81\x05Hello", 7)},
      {"RSV1", rsv1},
      {"RSV3", rsv3},
      {"opcode 0x3", frame(static_cast<Opcode>(0x3), "x")},
      {"opcode 0xB", frame(static_cast<Opcode>(0xB), "x")},
      {"ping longer than 125", ping_long},
      {"fragmented ping", frame(Opcode::ping, "x", false)},
      {"continuation first", frame(Opcode::continuation, "x")},
      {"text inside a message", frame(Opcode::text, "a", false) + frame(Opcode::text, "b")},
      {"64-bit length with the top bit", std::string("\x82\xff\x80\0\0\0\0\0\0\0\1\2\3\4", 14)},
      {"16-bit length below 126", std::string("\x82\xfe\0\x05\1\2\3\4", 8) + "12345"},
      {"64-bit length below 65536", std::string("\x82\xff\0\0\0\0\0\0\0\x05\1\2\3\4", 14)},
      {"close payload of one byte", frame(Opcode::close, "\x03")},
  };
  for (const auto& [name, bytes] : cases) {
    INFO(name);
    const WebSocketMessage m = failure_of(bytes);
    CHECK(m.kind == Kind::failure);
    CHECK(m.code == chat::close_code::protocol_error);
    CHECK_FALSE(m.error.empty());
  }
}

TEST_CASE("A 64-bit length over 1 MiB fails with 1009 from the header alone", "[chat][frames]") {
  const std::string header("\x81\xff\0\0\0\0\0\x20\0\0\1\2\3\4", 14);  // 2 MiB
  const WebSocketMessage m = failure_of(header);
  CHECK(m.kind == Kind::failure);
  CHECK(m.code == chat::close_code::too_big);
}

TEST_CASE("Invalid UTF-8 in a text message fails with 1007 at the first bad frame",
          "[chat][frames]") {
  // The first fragment is already bad: no need to wait for the rest.
  const WebSocketMessage early = failure_of(frame(Opcode::text, "ok\xc0\xaf", false));
  CHECK(early.code == chat::close_code::invalid_payload);
  // A message that ends inside a sequence.
  const WebSocketMessage truncated = failure_of(frame(Opcode::text, "ok\xe2\x82"));
  CHECK(truncated.code == chat::close_code::invalid_payload);
  // Binary messages are not text: any bytes go.
  FrameParser parser;
  const auto messages = feed(parser, frame(Opcode::binary, "\xc0\xaf\xff"), 1);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].kind == Kind::binary);
}

TEST_CASE("A close frame reports its code and reason, then the parser ignores the rest",
          "[chat][frames]") {
  {
    FrameParser parser;
    const auto messages = feed(parser,
                               frame(Opcode::close, std::string("\x03\xe8"
                                                                "bye",
                                                                5)) +
                                   "garbage",
                               1);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == Kind::close);
    CHECK(messages[0].code == chat::close_code::normal);
    CHECK(messages[0].payload == "bye");
    CHECK(parser.finished());
  }
  {
    FrameParser parser;
    const auto messages = feed(parser, frame(Opcode::close, ""), 1);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == Kind::close);
    CHECK(messages[0].code == chat::close_code::no_status);
  }
}

TEST_CASE("Close codes the peer may not send fail with 1002, a bad reason with 1007",
          "[chat][frames]") {
  for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    INFO("code " << code);
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    const WebSocketMessage m = failure_of(frame(Opcode::close, payload));
    CHECK(m.kind == Kind::failure);
    CHECK(m.code == chat::close_code::protocol_error);
  }
  for (const std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999}) {
    INFO("code " << code);
    FrameParser parser;
    const std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    const auto messages = feed(parser, frame(Opcode::close, payload), 1);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].kind == Kind::close);
    CHECK(messages[0].code == code);
  }
  const WebSocketMessage m = failure_of(frame(Opcode::close, std::string("\x03\xe8\xff", 3)));
  CHECK(m.code == chat::close_code::invalid_payload);
}

TEST_CASE("Server frames are unmasked with the shortest length encoding", "[chat][frames]") {
  CHECK(chat::encode_frame(Opcode::text, "Hi") == std::string("\x81\x02Hi", 4));
  CHECK(chat::encode_frame(Opcode::pong, "") == std::string("\x8a\x00", 2));
  const std::string medium = chat::encode_frame(Opcode::binary, std::string(300, 'a'));
  CHECK(medium.substr(0, 4) == std::string("\x82\x7e\x01\x2c", 4));
  const std::string large = chat::encode_frame(Opcode::binary, std::string(70000, 'a'));
  CHECK(large.substr(0, 10) == std::string("\x82\x7f\0\0\0\0\0\x01\x11\x70", 10));
  CHECK(large.size() == 70010);
  CHECK(chat::encode_close(1002) == std::string("\x88\x02\x03\xea", 4));
  CHECK(chat::encode_close(chat::close_code::no_status) == std::string("\x88\x00", 2));
}
