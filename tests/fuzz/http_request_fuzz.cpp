// Fuzzes the HTTP/1.1 request parser (demos/http/protocol). The first bytes pick small
// limits, so the fuzzer reaches every 413/414/431 path with short inputs, and two split
// points; the rest is the byte stream. It is parsed whole, in three pieces and byte by byte,
// the way a connection's buffer feeds it (tests/http/parse_driver.hpp). The parser must never
// crash, hang or read past its input (ASan), never consume more than it was given, and reach
// the same requests and the same error status however the stream was split.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "http/parse_driver.hpp"

namespace {

[[noreturn]] void mismatch(const char* what, const http_test::Outcome& a,
                           const http_test::Outcome& b) {
  std::fprintf(stderr, "http_request_fuzz: %s: %zu requests / error %d (%s) vs %zu / %d (%s)\n",
               what, a.requests.size(), a.error, a.detail.c_str(), b.requests.size(), b.error,
               b.detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  http::Limits limits;
  limits.max_request_line = 8 + data[0] % 64;
  limits.max_head = limits.max_request_line + data[1] % 256;
  limits.max_headers = 1 + data[2] % 8;
  limits.max_body = data[3] % 2 == 0 ? data[3] : std::uint64_t{1} << 20;
  limits.max_chunk_line = 4 + data[3] % 32;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 4, size - 4);
  const std::size_t a = bytes.empty() ? 0 : (data[0] * 7u + data[1]) % (bytes.size() + 1);
  const std::size_t b = a + (bytes.size() - a) / 2;

  const http_test::Outcome whole = http_test::parse_whole(bytes, limits);
  if (whole.error < 0) mismatch("consumed more than it was given", whole, whole);

  http_test::ParseDriver pieces(limits);
  pieces.feed(bytes.substr(0, a));
  pieces.feed(bytes.substr(a, b - a));
  pieces.feed(bytes.substr(b));
  if (!(pieces.outcome() == whole)) mismatch("whole vs three pieces", whole, pieces.outcome());

  if (bytes.size() <= 4096) {
    const http_test::Outcome bytewise = http_test::parse_bytewise(bytes, limits);
    if (!(bytewise == whole)) mismatch("whole vs byte by byte", whole, bytewise);
  }
  return 0;
}
