// Fuzzes the chat demo's parsers (demos/chat/protocol) with what a hostile client could send.
// Byte 0 seeds the split points and byte 1 picks the message size limit; the rest is the
// stream. The WebSocket frame parser must give the same messages whether the stream arrives
// whole or in random pieces, never hand back a message over its limit, never consume more
// than it was given, and stay finished after a close or a failure. The HTTP head parser,
// fed a growing prefix as a connection would, must agree with one call on the whole input
// and respect its 8 KiB limit. Any disagreement aborts.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame_parser.hpp"
#include "protocol/http_head_parser.hpp"
#include "protocol/utf8_validator.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "websocket_frame_fuzz: %s\n", what);
  std::abort();
}

// A small deterministic generator for split sizes, so a crash reproduces from its input.
struct Splits {
  std::uint32_t state;
  std::size_t next(std::size_t left) {
    state = state * 1103515245u + 12345u;
    const std::size_t n = 1 + (state >> 16) % 37;
    return n < left ? n : left;
  }
};

using Messages = std::vector<chat::WebSocketMessage>;

Messages run_frames(std::string_view stream, std::size_t max_message, Splits* splits) {
  chat::FrameParser parser(max_message);
  Messages out;
  std::string pending;  // what a connection would keep buffered
  std::size_t at = 0;
  bool ended = false;
  while (at < stream.size()) {
    const std::size_t n = splits ? splits->next(stream.size() - at) : stream.size() - at;
    pending.append(stream.substr(at, n));
    at += n;
    for (;;) {
      const chat::FrameParser::Step step = parser.parse(pending);
      if (step.consumed > pending.size()) fail("consumed more than it was given");
      pending.erase(0, step.consumed);
      if (!step.message) break;
      if (ended) fail("a message after close or failure");
      const auto& m = *step.message;
      using Kind = chat::WebSocketMessage::Kind;
      const bool data = m.kind == Kind::text || m.kind == Kind::binary;
      if (data && m.payload.size() > max_message) fail("a message over the limit");
      if ((m.kind == Kind::ping || m.kind == Kind::pong) && m.payload.size() > 125) {
        fail("a control payload over 125 bytes");
      }
      if (m.kind == Kind::text && !chat::is_valid_utf8(m.payload)) fail("invalid UTF-8 text");
      if (m.kind == Kind::close || m.kind == Kind::failure) {
        ended = true;
        if (!parser.finished()) fail("not finished after close or failure");
      }
      out.push_back(*step.message);
    }
    if (!pending.empty()) fail("bytes left unconsumed without a message");
    if (parser.buffered() > max_message) fail("buffered beyond the limit");
  }
  return out;
}

bool same(const Messages& a, const Messages& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload || a[i].code != b[i].code) {
      return false;
    }
  }
  return true;
}

void run_http(std::string_view stream, Splits& splits) {
  chat::HttpHeadParser whole;
  const chat::HeadResult once = whole.parse(stream);

  chat::HttpHeadParser growing;
  chat::HeadResult last;
  std::size_t have = 0;
  while (have < stream.size()) {
    have += splits.next(stream.size() - have);
    last = growing.parse(stream.substr(0, have));
    if (last.status != chat::HeadResult::Status::need_more) break;
  }
  if (stream.empty()) return;
  using Status = chat::HeadResult::Status;
  if (last.status == Status::done) {
    if (last.consumed > have) fail("head consumed beyond its input");
    // Leading empty lines are skipped and may add to the head's length.
    const std::string_view head = stream.substr(0, last.consumed);
    const std::size_t start = head.find_first_not_of("\r\n");
    if (start == std::string_view::npos ||
        last.consumed - start > chat::HttpHeadParser::kMaxHeadBytes) {
      fail("a head over the size limit was accepted");
    }
    // The whole input holds the same first head.
    if (once.status != Status::done || once.consumed != last.consumed)
      fail("split and whole disagree");
    if (growing.request().target != whole.request().target) fail("targets disagree");
  } else if (last.status == Status::bad) {
    if (last.http_status != 400 && last.http_status != 431 && last.http_status != 505) {
      fail("an unexpected error status");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint32_t seed = data[0];
  const std::size_t max_message = std::size_t{data[1]} * 16;
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  const Messages whole = run_frames(stream, max_message, nullptr);
  Splits splits{seed};
  const Messages split = run_frames(stream, max_message, &splits);
  if (!same(whole, split)) fail("frame messages depend on how the bytes were split");

  Splits http_splits{seed};
  run_http(stream, http_splits);
  return 0;
}
