// Fuzzes what the chat demo does with a client's upgrade request before any frame: the head
// parser, the WebSocket handshake, the ?name= lookup and percent-decoding, the member-name
// cleaning and the JSON event that carries the name, plus the UTF-8 validator on its own.
// Byte 0 picks where the validator's input is cut; the rest is the request as sent.
//  - a name that reaches the room is valid UTF-8, has no control characters and fits
//    kMaxNameBytes; its JSON event is a quoted string with no raw control character;
//  - the validator agrees with a plain reference decoder and with itself fed in two pieces;
//  - the handshake answers 101 or 400, never anything else.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/chat_events.hpp"
#include "protocol/http_head_parser.hpp"
#include "protocol/member_name.hpp"
#include "protocol/url.hpp"
#include "protocol/utf8_validator.hpp"
#include "protocol/websocket_handshake.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "chat_upgrade_fuzz: %s\n", what);
  std::abort();
}

// RFC 3629 decoded the slow, obvious way: the oracle for Utf8Validator.
bool reference_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // cut short
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

void check_utf8(std::string_view bytes, std::size_t cut) {
  const bool whole = chat::is_valid_utf8(bytes);
  if (whole != reference_utf8(bytes)) fail("validator disagrees with the reference decoder");
  chat::Utf8Validator pieces;
  pieces.feed(bytes.substr(0, cut));
  pieces.feed(bytes.substr(cut));
  if (pieces.complete() != whole) fail("validator depends on where the bytes were cut");
}

void check_name(std::string_view query) {
  const auto raw = chat::query_value(query, "name");
  if (!raw) return;
  if (raw->size() > query.size()) fail("query value longer than the query");
  const auto decoded = chat::percent_decode(*raw, true);
  if (!decoded) return;
  if (decoded->size() > raw->size()) fail("percent-decoding grew the text");
  const auto name = chat::clean_member_name(*decoded);
  if (!name) return;
  if (name->size() > chat::kMaxNameBytes) fail("a name over kMaxNameBytes");
  if (!chat::is_valid_utf8(*name)) fail("a name that is not UTF-8");
  for (const char c : *name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) fail("a control character in a name");
  }
  if (!name->empty() && (name->front() == ' ' || name->back() == ' ')) fail("a padded name");
  const std::string event = chat::message_event(*name, *name, 1);
  for (const char c : event) {
    if (static_cast<unsigned char>(c) < 0x20) fail("a raw control character in a JSON event");
  }
  if (!chat::is_valid_utf8(event)) fail("a JSON event that is not UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_utf8(bytes, bytes.empty() ? 0 : data[0] % (bytes.size() + 1));

  // Raw bytes as a query string too, so decoding is reached without a valid head.
  check_name(bytes);

  chat::HttpHeadParser parser;
  const chat::HeadResult head = parser.parse(bytes);
  if (head.status != chat::HeadResult::Status::done) return 0;
  const chat::HttpRequest& request = parser.request();
  const chat::Handshake handshake = chat::websocket_handshake(request);
  const std::string_view status = handshake.accepted ? "HTTP/1.1 101 " : "HTTP/1.1 400 ";
  if (std::string_view(handshake.response).substr(0, status.size()) != status) {
    fail("a handshake answer that is neither 101 nor 400");
  }
  if (handshake.accepted) check_name(request.query);
  return 0;
}
