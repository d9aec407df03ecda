// The HTTP request head parser: complete heads at any split, limits, and malformed heads
// answered with the right status instead of a hang.

#include <string>

#include <catch2/catch.hpp>

#include "protocol/http_head_parser.hpp"

using chat::HeadResult;
using chat::HttpHeadParser;

namespace {

HeadResult parse_all(HttpHeadParser& parser, const std::string& bytes) {
  return parser.parse(bytes);
}

}  // namespace

TEST_CASE("A complete request head parses into method, path, query and headers", "[chat][http]") {
  HttpHeadParser parser;
  const std::string head =
      "GET /ws?name=al%20ice&x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade:  websocket \r\n"
      "X-Empty:\r\n\r\n";
  const HeadResult r = parse_all(parser, head + "trailing bytes");
  REQUIRE(r.status == HeadResult::Status::done);
  CHECK(r.consumed == head.size());
  const chat::HttpRequest& req = parser.request();
  CHECK(req.method == "GET");
  CHECK(req.target == "/ws?name=al%20ice&x=1");
  CHECK(req.path == "/ws");
  CHECK(req.query == "name=al%20ice&x=1");
  CHECK(req.version_minor == 1);
  CHECK(req.header("upgrade") == "websocket");
  CHECK(req.header("HOST") == "127.0.0.1");
  CHECK(req.header("x-empty") == "");
  CHECK_FALSE(req.header("Missing"));
}

TEST_CASE("A head fed one byte at a time needs more until its empty line arrives", "[chat][http]") {
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\r\n";
  HttpHeadParser parser;
  for (std::size_t i = 1; i < head.size(); ++i) {
    REQUIRE(parser.parse(std::string_view(head).substr(0, i)).status ==
            HeadResult::Status::need_more);
  }
  const HeadResult r = parser.parse(head);
  REQUIRE(r.status == HeadResult::Status::done);
  CHECK(r.consumed == head.size());
  CHECK(parser.request().has_token("connection", "upgrade"));
  CHECK(parser.request().keep_alive());
}

TEST_CASE("Lines ending in a bare LF and leading empty lines are accepted", "[chat][http]") {
  HttpHeadParser parser;
  const std::string head = "\r\n\r\nGET /a HTTP/1.0\nX: y\n\n";
  const HeadResult r = parser.parse(head);
  REQUIRE(r.status == HeadResult::Status::done);
  CHECK(r.consumed == head.size());
  CHECK(parser.request().path == "/a");
  CHECK(parser.request().version_minor == 0);
  CHECK_FALSE(parser.request().keep_alive());
}

TEST_CASE("Keep-alive follows the version and the Connection header", "[chat][http]") {
  const auto keep_alive = [](const std::string& head) {
    HttpHeadParser parser;
    REQUIRE(parser.parse(head).status == HeadResult::Status::done);
    return parser.request().keep_alive();
  };
  CHECK(keep_alive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"));
  CHECK_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST_CASE("A head larger than 8 KiB is refused with 431, ended or not", "[chat][http]") {
  const std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(9000, 'a');
  {
    HttpHeadParser parser;
    const HeadResult r = parser.parse(big);
    CHECK(r.status == HeadResult::Status::bad);
    CHECK(r.http_status == 431);
  }
  {
    HttpHeadParser parser;
    const HeadResult r = parser.parse(big + "\r\n\r\n");
    CHECK(r.status == HeadResult::Status::bad);
    CHECK(r.http_status == 431);
  }
}

TEST_CASE("Too many headers are refused with 431", "[chat][http]") {
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 80; ++i)
    head += "X-" + std::to_string(i) + ": v\r\n";
  HttpHeadParser parser;
  const HeadResult r = parser.parse(head + "\r\n");
  CHECK(r.status == HeadResult::Status::bad);
  CHECK(r.http_status == 431);
}

TEST_CASE("A head of exactly 8 KiB and 64 headers parses, one byte or one header more is 431",
          "[chat][http]") {
  const auto head_of = [](std::size_t length) {
    const std::string fixed = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n";
    return "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(length - fixed.size(), 'a') +
           "\r\n\r\n";
  };
  const std::size_t limit = HttpHeadParser::kMaxHeadBytes;
  {
    HttpHeadParser parser;
    const HeadResult r = parser.parse(head_of(limit));
    CHECK(r.status == HeadResult::Status::done);
    CHECK(r.consumed == limit);
  }
  {
    HttpHeadParser parser;
    const HeadResult r = parser.parse(head_of(limit + 1));
    CHECK(r.status == HeadResult::Status::bad);
    CHECK(r.http_status == 431);
  }
  const auto fields = [](std::size_t n) {
    std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (std::size_t i = 1; i < n; ++i)
      head += "X-" + std::to_string(i) + ": v\r\n";
    return head + "\r\n";
  };
  {
    HttpHeadParser parser;
    CHECK(parser.parse(fields(HttpHeadParser::kMaxHeaders)).status == HeadResult::Status::done);
    CHECK(parser.request().headers.size() == HttpHeadParser::kMaxHeaders);
  }
  {
    HttpHeadParser parser;
    const HeadResult r = parser.parse(fields(HttpHeadParser::kMaxHeaders + 1));
    CHECK(r.status == HeadResult::Status::bad);
    CHECK(r.http_status == 431);
  }
}

TEST_CASE("Malformed heads are refused with 400 or 505 and stay refused", "[chat][http]") {
  const std::pair<std::string, int> cases[] = {
      {"GET /\r\n\r\n", 400},                                 // no version
      {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},            // double space
      {"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},     // absolute form
      {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},             // method not a token
      {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},            // space before colon
      {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},  // obsolete line folding
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", 400},    // bare CR
      {"GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n", 400},  // control character
      {"GET / HTTP/1.1\r\n\r\n", 400},                  // HTTP/1.1 without Host
      {"GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
  };
  for (const auto& [head, status] : cases) {
    INFO(head);
    HttpHeadParser parser;
    const HeadResult r = parser.parse(head);
    CHECK(r.status == HeadResult::Status::bad);
    CHECK(r.http_status == status);
    CHECK_FALSE(r.error.empty());
    CHECK(parser.parse(head + "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status ==
          HeadResult::Status::bad);
  }
}

TEST_CASE("A reset parser reads the next pipelined request", "[chat][http]") {
  const std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string second = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  HttpHeadParser parser;
  const HeadResult r1 = parser.parse(first + second);
  REQUIRE(r1.status == HeadResult::Status::done);
  CHECK(parser.request().path == "/a");
  parser.reset();
  const HeadResult r2 = parser.parse(std::string_view(first + second).substr(r1.consumed));
  REQUIRE(r2.status == HeadResult::Status::done);
  CHECK(parser.request().path == "/b");
  CHECK(r2.consumed == second.size());
}

TEST_CASE("A request announces a body by Content-Length or Transfer-Encoding", "[chat][http]") {
  const auto has_body = [](const std::string& extra) {
    HttpHeadParser parser;
    REQUIRE(parser.parse("POST / HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n").status ==
            HeadResult::Status::done);
    return parser.request().has_body();
  };
  CHECK_FALSE(has_body(""));
  CHECK_FALSE(has_body("Content-Length: 0\r\n"));
  CHECK(has_body("Content-Length: 5\r\n"));
  CHECK(has_body("Transfer-Encoding: chunked\r\n"));
}
