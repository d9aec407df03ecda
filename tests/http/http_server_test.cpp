// The http demo's handler (demos/http/http_server.hpp) in-process over raw loopback sockets:
// pipelined requests are answered in order however they are split, keep-alive follows the
// version and the Connection field, every limit gets its status and then a clean close, and
// unknown paths and wrong methods get 404 and 405.

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http/concat.hpp"
#include "http/http_wire.hpp"

using namespace std::chrono_literals;
using http_test::cat;
using http_test::normalize;
using http_test::read_until_close;
using http_test::response;
using http_test::Served;

namespace {

struct Exchange {
  std::string request, answer;
};

const std::string kHello = "Hello, World!";
const std::string kJson = R"({"message":"Hello, World!"})";

std::vector<Exchange> sixteen_exchanges() {
  const std::vector<Exchange> kinds = {
      {"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", response("200 OK", "text/plain", kHello)},
      {"GET /json HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
       response("200 OK", "application/json", kJson)},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\npayload",
       response("200 OK", "application/octet-stream", "payload")},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
       response("200 OK", "application/octet-stream", "abcde")},
      {"HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
       response("200 OK", "text/plain", kHello, {}, true)},
      {"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n",
       response("404 Not Found", "text/plain", "Not Found\n")},
      {"POST /plaintext HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
       response("405 Method Not Allowed", "text/plain", "Method Not Allowed\n",
                "Allow: GET, HEAD\r\n")},
      {"GET /echo HTTP/1.1\r\nHost: a\r\n\r\n",
       response("405 Method Not Allowed", "text/plain", "Method Not Allowed\n", "Allow: POST\r\n")},
  };
  std::vector<Exchange> all;
  for (int i = 0; i < 16; ++i)
    all.push_back(kinds[static_cast<std::size_t>(i) % kinds.size()]);
  return all;
}

// One request, its whole answer (normalized).
std::string ask(TestClient& client, const std::string& request, std::size_t answer_size) {
  client.send_all(request);
  return normalize(client.recv_exact(answer_size));
}

}  // namespace

TEST_CASE(
    "16 pipelined requests split at every byte boundary are answered in order, byte for byte") {
  Served served;
  TestClient client(served.address());
  const std::vector<Exchange> exchanges = sixteen_exchanges();
  std::string stream;
  std::vector<std::size_t> request_ends;  // where each request ends in the stream
  std::vector<std::size_t> answer_ends;   // where each answer ends in the answers
  std::string answers;
  for (const Exchange& e : exchanges) {
    stream += e.request;
    answers += e.answer;
    request_ends.push_back(stream.size());
    answer_ends.push_back(answers.size());
  }

  for (std::size_t at = 0; at <= stream.size(); ++at) {
    INFO("split at " << at);
    // The answers to the requests complete in the first piece come back before the second
    // piece is sent, so the server really did see the stream split there.
    std::size_t complete = 0;
    while (complete < request_ends.size() && request_ends[complete] <= at)
      ++complete;
    const std::size_t first_answers = complete == 0 ? 0 : answer_ends[complete - 1];
    client.send_all(std::string_view(stream).substr(0, at));
    const std::string first = normalize(client.recv_exact(first_answers));
    REQUIRE(first == answers.substr(0, first_answers));
    if (complete == 0) ::usleep(500);  // nothing to wait for: give the server a moment
    client.send_all(std::string_view(stream).substr(at));
    const std::string rest = normalize(client.recv_exact(answers.size() - first_answers));
    REQUIRE(rest == answers.substr(first_answers));
  }
  CHECK(served.handler().connections_opened() == 1);
}

TEST_CASE("a keep-alive connection serves request after request and stays open") {
  Served served;
  TestClient client(served.address());
  const std::string plain = response("200 OK", "text/plain", kHello);
  for (int i = 0; i < 3; ++i) {
    CHECK(ask(client, "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", plain.size()) == plain);
  }
  CHECK_FALSE(client.closed_within(200));
  CHECK(served.handler().connections_opened() == 1);
}

TEST_CASE("Connection: close gets its answer, then a clean close, and later requests are ignored") {
  Served served;
  TestClient client(served.address());
  client.send_all(
      "GET /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
      "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto got = read_until_close(client);
  CHECK(got.clean);
  CHECK(normalize(got.bytes) ==
        response("200 OK", "application/json", kJson, "Connection: close\r\n"));
}

TEST_CASE("an HTTP/1.0 request is answered then closed, unless it asks for keep-alive") {
  Served served;
  {
    TestClient client(served.address());
    client.send_all("GET /plaintext HTTP/1.0\r\n\r\n");
    const auto got = read_until_close(client);
    CHECK(got.clean);
    CHECK(normalize(got.bytes) ==
          response("200 OK", "text/plain", kHello, "Connection: close\r\n"));
  }
  {
    TestClient client(served.address());
    const std::string keep = response("200 OK", "text/plain", kHello, "Connection: keep-alive\r\n");
    for (int i = 0; i < 2; ++i) {
      CHECK(ask(client, "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", keep.size()) ==
            keep);
    }
    CHECK_FALSE(client.closed_within(200));
  }
}

TEST_CASE("a request followed by the client's EOF is answered before the connection closes") {
  Served served;
  TestClient client(served.address());
  client.send_all("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n");
  ::shutdown(client.fd(), SHUT_WR);
  const auto got = read_until_close(client);
  CHECK(got.clean);
  CHECK(normalize(got.bytes) == response("200 OK", "text/plain", kHello));
}

TEST_CASE("each limit and each malformed request is answered with its status, then a clean close") {
  http::ServerConfig config;
  config.limits.max_body = 1000;
  Served served(config);
  struct Case {
    std::string request, status;
  };
  const std::vector<Case> cases = {
      {cat("GET /", std::string(9000, 'a'), " HTTP/1.1\r\nHost: a\r\n\r\n"), "414 URI Too Long"},
      {cat("GET /", std::string(9000, 'a')), "414 URI Too Long"},
      {cat("GET / HTTP/1.1\r\nHost: a\r\nCookie: ", std::string(20000, 'c'), "\r\n\r\n"),
       "431 Request Header Fields Too Large"},
      {"GET / HTTP/1.1\r\nHost a\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"},
      {"BAD\r\n\r\n", "400 Bad Request"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", "413 Content Too Large"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n",
       "413 Content Too Large"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "501 Not Implemented"},
      {"GET / HTTP/3.0\r\nHost: a\r\n\r\n", "505 HTTP Version Not Supported"},
  };
  for (const Case& c : cases) {
    INFO("request: " << c.request.substr(0, 80));
    TestClient client(served.address());
    client.send_all(c.request);
    const auto got = read_until_close(client);
    CHECK(got.clean);
    const std::string reason = c.status.substr(4);
    CHECK(normalize(got.bytes) ==
          response(c.status, "text/plain", reason + "\n", "Connection: close\r\n"));
  }
}

TEST_CASE(
    "a refused upload's remaining body is drained, so the 413 is read and the close is clean") {
  http::ServerConfig config;
  config.limits.max_body = 1000;
  Served served(config);
  TestClient client(served.address());
  client.send_all("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n");
  client.send_all(std::string(300000, 'x'));  // the client goes on sending, as curl does
  ::shutdown(client.fd(), SHUT_WR);
  const auto got = read_until_close(client);
  CHECK(got.clean);
  CHECK(normalize(got.bytes) == response("413 Content Too Large", "text/plain",
                                         "Content Too Large\n", "Connection: close\r\n"));
}

TEST_CASE("404 for an unknown path and 405 with Allow for a wrong method keep the connection") {
  Served served;
  TestClient client(served.address());
  const std::string not_found = response("404 Not Found", "text/plain", "Not Found\n");
  CHECK(ask(client, "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", not_found.size()) == not_found);
  const std::string get_only = response("405 Method Not Allowed", "text/plain",
                                        "Method Not Allowed\n", "Allow: GET, HEAD\r\n");
  CHECK(ask(client, "DELETE /json HTTP/1.1\r\nHost: a\r\n\r\n", get_only.size()) == get_only);
  const std::string post_only =
      response("405 Method Not Allowed", "text/plain", "Method Not Allowed\n", "Allow: POST\r\n");
  CHECK(ask(client, "PUT /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz",
            post_only.size()) == post_only);
  const std::string json = response("200 OK", "application/json", kJson);
  CHECK(ask(client, "GET /json HTTP/1.1\r\nHost: a\r\n\r\n", json.size()) == json);
}

TEST_CASE("POST /echo returns its body, also after 100-continue and when larger than a buffer") {
  Served served;
  TestClient client(served.address());
  client.send_all(
      "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
      "Content-Length: 5\r\n\r\n");
  const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  CHECK(client.recv_exact(cont.size()) == cont);
  const std::string five = response("200 OK", "application/octet-stream", "12345");
  CHECK(ask(client, "12345", five.size()) == five);

  std::string big(512 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  const std::string expected = response("200 OK", "application/octet-stream", big);
  client.send_all(cat("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: ",
                      std::to_string(big.size()), "\r\n\r\n"));
  CHECK(ask(client, big, expected.size()) == expected);
}

TEST_CASE("the Date line is a valid IMF-fixdate of the current time") {
  Served served;
  TestClient client(served.address());
  const std::string plain = response("200 OK", "text/plain", kHello);
  client.send_all("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string got = client.recv_exact(plain.size());
  const std::size_t at = got.find("\r\nDate: ");
  REQUIRE(at != std::string::npos);
  const std::string date = got.substr(at + 8, 29);
  std::tm parsed{};
  REQUIRE(::strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed) != nullptr);
  const std::time_t then = ::timegm(&parsed);
  CHECK(std::abs(std::time(nullptr) - then) <= 2);
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout, a busy one is not") {
  http::ServerConfig config;
  config.idle_timeout = 300ms;
  Served served(config);
  const std::string plain = response("200 OK", "text/plain", kHello);

  TestClient busy(served.address());
  TestClient idle(served.address());
  CHECK(ask(idle, "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", plain.size()) == plain);
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(idle.closed_within(150));  // not before its time
  for (int i = 0; i < 6; ++i) {          // 600 ms of traffic, a request every 100 ms
    CHECK(ask(busy, "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", plain.size()) == plain);
    ::usleep(100'000);
  }
  CHECK(idle.closed_within(3000));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(ask(busy, "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", plain.size()) == plain);
}

TEST_CASE(
    "a request head trickling in a byte at a time is cut off at the head timeout while a "
    "normal client is served at once") {
  http::ServerConfig config;
  config.head_timeout = 400ms;
  Served served(config);
  const std::string plain = response("200 OK", "text/plain", kHello);

  TestClient slow(served.address());
  const auto start = std::chrono::steady_clock::now();
  const std::string head = "GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Slow: ";
  bool closed = false;
  for (std::size_t i = 0; !closed && std::chrono::steady_clock::now() - start < 5s; ++i) {
    try {
      slow.send_all(std::string(1, head[i % head.size()]));  // every byte re-arms idleness
    } catch (const std::exception&) {
      break;  // reset by the close
    }
    closed = slow.closed_within(50);
  }
  if (!closed) closed = slow.closed_within(2000);
  CHECK(closed);
  CHECK(std::chrono::steady_clock::now() - start >= 400ms);

  // A client whose heads arrive whole is served at once, request after request, for longer
  // than the head timeout.
  TestClient quick(served.address());
  for (int i = 0; i < 6; ++i) {
    CHECK(ask(quick, "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", plain.size()) == plain);
    ::usleep(100'000);
  }
}
