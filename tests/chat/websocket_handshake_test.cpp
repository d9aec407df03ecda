// The opening handshake (RFC 6455 §4.2): a valid upgrade gets 101 with the right accept
// value; each missing or wrong piece gets a 400 that says what was wrong.

#include <string>

#include <catch2/catch.hpp>

#include "protocol/http_head_parser.hpp"
#include "protocol/websocket_handshake.hpp"

namespace {

chat::HttpRequest request_of(const std::string& head) {
  chat::HttpHeadParser parser;
  REQUIRE(parser.parse(head).status == chat::HeadResult::Status::done);
  return parser.request();
}

const std::string kGood =
    "GET /ws HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Upgrade: WebSocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("A valid upgrade request gets 101 with the RFC's accept value", "[chat][handshake]") {
  const chat::Handshake h = chat::websocket_handshake(request_of(kGood));
  REQUIRE(h.accepted);
  CHECK(h.response ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST_CASE("Each broken handshake field is refused with 400", "[chat][handshake]") {
  const std::pair<std::string, std::string> breakages[] = {
      {"GET /ws", "POST /ws"},
      {"HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost"},
      {"Upgrade: WebSocket\r\n", "Upgrade: h2c\r\n"},
      {"Upgrade: WebSocket\r\n", ""},
      {"Connection: keep-alive, Upgrade\r\n", "Connection: keep-alive\r\n"},
      {"Sec-WebSocket-Version: 13\r\n", "Sec-WebSocket-Version: 8\r\n"},
      {"Sec-WebSocket-Version: 13\r\n", ""},
      {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""},
      {"dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="},        // 11 bytes
      {"dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ"},  // not padded
      {"dGhlIHNhbXBsZSBub25jZQ==", "!!!!IHNhbXBsZSBub25jZQ=="},
      {"Host: 127.0.0.1:8080\r\n", "Host: 127.0.0.1:8080\r\nContent-Length: 3\r\n"},
  };
  for (const auto& [from, to] : breakages) {
    INFO(from << " -> " << to);
    const chat::Handshake h = chat::websocket_handshake(request_of(replace(kGood, from, to)));
    CHECK_FALSE(h.accepted);
    CHECK(h.response.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(h.response.find("Connection: close\r\n") != std::string::npos);
    CHECK_FALSE(h.error.empty());
  }
}

TEST_CASE("A wrong WebSocket version is told which version the server speaks",
          "[chat][handshake]") {
  const chat::Handshake h = chat::websocket_handshake(
      request_of(replace(kGood, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 7")));
  CHECK_FALSE(h.accepted);
  CHECK(h.response.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
}
