// The HTTP/1.1 request parser (demos/http/protocol) on its own: every request parses the
// same however its bytes are split, pipelined requests come out in order, chunked bodies
// with extensions and trailers decode, and every malformed or oversized request is refused
// with its status.

#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http/concat.hpp"
#include "http/parse_driver.hpp"

using namespace std::string_literals;
using http_test::cat;
using http_test::Outcome;
using http_test::parse_bytewise;
using http_test::parse_split;
using http_test::parse_whole;

namespace {

const std::vector<std::string> kRequests = {
    "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "GET /json?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nUser-Agent: test \t\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
    "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n1\r\n \r\nA ; ext\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "GET /bare-lf HTTP/1.1\nHost: a\n\n",
    "\r\nGET /after-empty-line HTTP/1.1\r\nHost: a\r\n\r\n",
};

std::string pipeline16() {
  std::string all;
  for (int i = 0; i < 16; ++i) {
    const std::string& r = kRequests[static_cast<std::size_t>(i) % 4];
    all += r;
  }
  return all;
}

}  // namespace

TEST_CASE("each request parses into its method, target, version, fields and body") {
  Outcome o = parse_whole(kRequests[1]);
  REQUIRE(o.error == 0);
  REQUIRE(o.requests.size() == 1);
  CHECK(o.requests[0].method == "GET");
  CHECK(o.requests[0].target == "/json?x=1");
  CHECK(o.requests[0].minor == 1);
  REQUIRE(o.requests[0].headers.size() == 3);
  CHECK(o.requests[0].headers[2].first == "User-Agent");
  CHECK(o.requests[0].headers[2].second == "test");  // surrounding whitespace trimmed
  CHECK(o.requests[0].keep_alive);

  o = parse_whole(kRequests[2]);
  REQUIRE(o.requests.size() == 1);
  CHECK(o.requests[0].body == "hello world");
}

TEST_CASE("every request parses the same when split at any byte boundary or fed byte by byte") {
  for (const std::string& request : kRequests) {
    const Outcome whole = parse_whole(request);
    INFO(request);
    REQUIRE(whole.error == 0);
    REQUIRE(whole.requests.size() == 1);
    for (std::size_t at = 0; at <= request.size(); ++at) {
      INFO("split at " << at);
      CHECK(parse_split(request, at) == whole);
    }
    CHECK(parse_bytewise(request) == whole);
  }
}

TEST_CASE("16 pipelined requests come out in order, however the stream is split") {
  const std::string all = pipeline16();
  const Outcome whole = parse_whole(all);
  REQUIRE(whole.error == 0);
  REQUIRE(whole.requests.size() == 16);
  for (std::size_t i = 0; i < 16; ++i) {
    CHECK(whole.requests[i] == parse_whole(kRequests[i % 4]).requests.at(0));
  }
  for (std::size_t at = 0; at <= all.size(); ++at) {
    INFO("split at " << at);
    REQUIRE(parse_split(all, at) == whole);
  }
  CHECK(parse_bytewise(all) == whole);
}

TEST_CASE("chunked bodies decode with extensions, upper-case sizes and trailers") {
  Outcome o = parse_whole(kRequests[3]);
  REQUIRE(o.error == 0);
  REQUIRE(o.requests.size() == 1);
  CHECK(o.requests[0].chunked);
  CHECK(o.requests[0].body == "hello 0123456789");

  o = parse_whole(
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "0\r\nA: 1\r\nB: 2\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(o.error == 0);
  REQUIRE(o.requests.size() == 2);
  CHECK(o.requests[0].body.empty());
  CHECK(o.requests[1].target == "/next");
}

TEST_CASE("keep-alive follows the version and the Connection field") {
  CHECK(parse_whole(kRequests[0]).requests.at(0).keep_alive);        // 1.1: yes
  CHECK_FALSE(parse_whole(kRequests[4]).requests.at(0).keep_alive);  // 1.0: no
  CHECK(parse_whole(kRequests[5]).requests.at(0).keep_alive);        // 1.0 + keep-alive
  CHECK_FALSE(parse_whole(kRequests[6]).requests.at(0).keep_alive);  // 1.1 + close
  CHECK_FALSE(parse_whole("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n")
                  .requests.at(0)
                  .keep_alive);
}

TEST_CASE("every malformed or oversized request is refused with its status, however split") {
  http::Limits limits;
  limits.max_body = 1000;
  struct Bad {
    std::string bytes;
    int status;
  };
  const std::string head = "POST /echo HTTP/1.1\r\nHost: a\r\n";
  std::string many_fields = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 64; ++i)
    many_fields += cat("X-", std::to_string(i), ": v\r\n");
  const std::vector<Bad> bad = {
      {cat("GET /", std::string(9000, 'a')), 414},  // before the line even ends
      {cat("GET /", std::string(9000, 'a'), " HTTP/1.1\r\n"), 414},
      {cat("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ", std::string(17000, 'b')), 431},
      {cat("GET / HTTP/1.1\r\nHost: a\r\n", std::string(200, 'c'), ": ", std::string(100, 'v'),
           "\r\n", std::string(20000, 'd')),
       431},
      {many_fields + "\r\n", 431},
      {"GET / HTTP/1.1\r\n\r\n", 400},                        // no Host
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},  // two Hosts
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},            // two spaces
      {"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},         // control byte in target
      {"GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400},         // bare CR
      {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},             // not a token
      {"GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},  // obs-fold
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},            // space before colon
      {"GET / HTTP/1.1\r\nHost: a\r\nNo-Colon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"s, 400},
      {head + "Content-Length: 1x\r\n\r\n", 400},
      {head + "Content-Length: \r\n\r\n", 400},
      {head + "Content-Length: 99999999999999999999999\r\n\r\n", 400},
      {head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      {head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {head + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {head + "Transfer-Encoding: gzip\r\n\r\n", 501},
      {head + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {head + "Transfer-Encoding: chunked, identity\r\n\r\n", 501},
      {head + "Content-Length: 1001\r\n\r\n", 413},
      {head + "Transfer-Encoding: chunked\r\n\r\n3e9\r\n", 413},  // 1001
      {head + "Transfer-Encoding: chunked\r\n\r\n200\r\n" + std::string(512, 'x') + "\r\n200\r\n",
       413},  // 1024 in two chunks
      {head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {head + "Transfer-Encoding: chunked\r\n\r\n\r\n", 400},
      {head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400},
      {head + "Transfer-Encoding: chunked\r\n\r\n3\rX", 400},
      {head + "Transfer-Encoding: chunked\r\n\r\n3;\x01\r\n", 400},
      {head + "Transfer-Encoding: chunked\r\n\r\n0\r\nT: \x02\r\n\r\n", 400},
      {head + "Transfer-Encoding: chunked\r\n\r\n0\r\nT: " + std::string(17000, 't'), 431},
      {head + "Transfer-Encoding: chunked\r\n\r\n1;" + std::string(5000, 'e'), 400},
  };
  for (const Bad& b : bad) {
    INFO("request: " << b.bytes.substr(0, 120));
    const Outcome whole = parse_whole(b.bytes, limits);
    INFO("detail: " << whole.detail);
    CHECK(whole.error == b.status);
    CHECK(whole.requests.empty());
    CHECK(parse_bytewise(b.bytes, limits).error == b.status);
    if (b.bytes.size() < 400) {
      for (std::size_t at = 0; at <= b.bytes.size(); ++at) {
        INFO("split at " << at);
        CHECK(parse_split(b.bytes, at, limits).error == b.status);
      }
    }
  }
}

TEST_CASE("an incomplete request only waits for more bytes") {
  for (const std::string& partial :
       {std::string("GET / HTTP/1.1\r\nHost: a\r\n"),
        std::string("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab"),
        std::string("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
        std::string("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")}) {
    const Outcome o = parse_whole(partial);
    CHECK(o.error == 0);
    CHECK(o.requests.empty());
  }
}

TEST_CASE("a body streams through: its consumed bytes are not kept") {
  http::Limits limits;
  limits.max_body = 10'000'000;
  http_test::ParseDriver d(limits);
  d.feed("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3000000\r\n\r\n");
  const std::string chunk(100'000, 'z');
  for (int i = 0; i < 30; ++i) {
    d.feed(chunk);
    CHECK(d.buffered() == 0);
  }
  REQUIRE(d.outcome().requests.size() == 1);
  CHECK(d.outcome().requests[0].body.size() == 3'000'000);
}

TEST_CASE("limits that contradict each other are reported") {
  http::Limits l;
  CHECK(l.invalid() == nullptr);
  l.max_request_line = l.max_head + 1;
  CHECK(l.invalid() != nullptr);
  l = {};
  l.max_headers = http::Limits::kMaxHeadersCap + 1;
  CHECK(l.invalid() != nullptr);
}

TEST_CASE("each limit passes at exactly its size and is refused one byte or field past it") {
  const http::Limits limits;  // the defaults actnet-http runs with
  const auto accepts = [&](const std::string& bytes) {
    const Outcome o = parse_whole(bytes, limits);
    INFO("detail: " << o.detail);
    return o.error == 0 && o.requests.size() == 1 && parse_bytewise(bytes, limits) == o;
  };
  const auto refuses = [&](const std::string& bytes) {
    const Outcome o = parse_whole(bytes, limits);
    CHECK(parse_bytewise(bytes, limits).error == o.error);
    return o.requests.empty() ? o.error : -1;
  };

  // Request line (without its CRLF): max_request_line bytes, then one more is 414.
  const auto request_line = [](std::size_t length) {
    const std::string fixed = "GET / HTTP/1.1";
    return cat("GET /", std::string(length - fixed.size(), 'a'), " HTTP/1.1\r\nHost: a\r\n\r\n");
  };
  CHECK(accepts(request_line(limits.max_request_line)));
  CHECK(refuses(request_line(limits.max_request_line + 1)) == 414);

  // The whole head, blank line included: max_head bytes, then one more is 431.
  const auto head_of = [](std::size_t length) {
    const std::string fixed = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n";
    return cat("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ", std::string(length - fixed.size(), 'p'),
               "\r\n\r\n");
  };
  CHECK(head_of(limits.max_head).size() == limits.max_head);
  CHECK(accepts(head_of(limits.max_head)));
  CHECK(refuses(head_of(limits.max_head + 1)) == 431);

  // Header fields: max_headers of them, then one more is 431.
  const auto fields = [](std::size_t n) {
    std::string r = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (std::size_t i = 1; i < n; ++i)
      r += cat("X-", std::to_string(i), ": v\r\n");
    return r + "\r\n";
  };
  CHECK(accepts(fields(limits.max_headers)));
  CHECK(refuses(fields(limits.max_headers + 1)) == 431);

  // Body by Content-Length and chunked: max_body bytes, then one more is 413.
  const auto sized = [](std::size_t n) {
    return cat("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ", std::to_string(n), "\r\n\r\n",
               std::string(n, 'b'));
  };
  const auto chunked = [](std::size_t n) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx", n);
    return cat("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", size, "\r\n",
               std::string(n, 'c'), "\r\n0\r\n\r\n");
  };
  CHECK(accepts(sized(limits.max_body)));
  CHECK(refuses(sized(limits.max_body + 1)) == 413);
  CHECK(accepts(chunked(limits.max_body)));
  CHECK(refuses(chunked(limits.max_body + 1)) == 413);

  // A chunk-size line with its extension: max_chunk_line bytes, then one more is 400.
  const auto chunk_line = [](std::size_t length) {
    return cat("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;e=",
               std::string(length - 4, 'x'), "\r\nz\r\n0\r\n\r\n");
  };
  CHECK(accepts(chunk_line(limits.max_chunk_line)));
  CHECK(refuses(chunk_line(limits.max_chunk_line + 1)) == 400);
}
