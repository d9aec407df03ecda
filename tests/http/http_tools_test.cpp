// The actnet-http binary under real clients: curl reuses one keep-alive connection for two
// URLs, speaks HTTP/1.0, uploads by Content-Length and chunked; wrk drives /plaintext with 16
// pipelined requests per write on 50 connections without a socket error or a non-2xx answer.
// The server is started on port 0 and found through the line it prints; it stops with exit 0
// on SIGTERM. curl and wrk come from scripts/setup.sh; a missing one fails the test.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "http/concat.hpp"

using namespace std::chrono_literals;
using child_process::Child;
using child_process::read_file;
using child_process::require_program;
using child_process::run;
using child_process::TempDir;

namespace {

constexpr std::chrono::milliseconds kLimit = 10s;

// actnet-http on an ephemeral loopback port; url() is what it announced.
class Server {
 public:
  explicit Server(const TempDir& dir, std::vector<std::string> extra = {})
      : out_(dir / "server.out") {
    std::vector<std::string> argv = {ACTNET_HTTP_BINARY, "--addr", "tcp://127.0.0.1:0", "--loops",
                                     "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = std::make_unique<Child>(argv, out_, dir / "server.err");
    const auto end = std::chrono::steady_clock::now() + kLimit;
    const std::string prefix = "actnet-http: serving ";
    while (url_.empty()) {
      const std::string out = read_file(out_);
      const std::size_t at = out.find(prefix);
      const std::size_t eol = at == std::string::npos ? at : out.find('\n', at);
      if (eol != std::string::npos) {
        url_ = out.substr(at + prefix.size(), eol - at - prefix.size());
      } else if (!child_->running() || std::chrono::steady_clock::now() > end) {
        FAIL("actnet-http did not announce itself; stderr:\n" << read_file(dir / "server.err"));
      } else {
        std::this_thread::sleep_for(10ms);
      }
    }
  }
  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT/"
  Child& child() { return *child_; }

 private:
  std::string out_, url_;
  std::unique_ptr<Child> child_;
};

// Connects to the server at `url`, sends nothing and says whether the server closed the
// connection within `limit`.
bool silent_connection_closed_within(const std::string& url, std::chrono::milliseconds limit) {
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  bool closed = false;
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0) {
    pollfd p{fd, POLLIN, 0};
    char byte;
    closed = ::poll(&p, 1, static_cast<int>(limit.count())) == 1 && ::recv(fd, &byte, 1, 0) <= 0;
  }
  if (fd >= 0) ::close(fd);
  return closed;
}

}  // namespace

TEST_CASE("actnet-http --idle-timeout-ms closes a silent connection, only after that time") {
  TempDir dir;
  Server server(dir, {"--idle-timeout-ms", "300"});
  const auto start = std::chrono::steady_clock::now();
  CHECK(silent_connection_closed_within(server.url(), kLimit));
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
}

TEST_CASE("actnet-http refuses a bad option with a usage message and exit status 2") {
  TempDir dir;
  const auto ran = run(dir, {ACTNET_HTTP_BINARY, "--max-body", "lots"}, kLimit);
  CHECK_FALSE(ran.exited_zero);
  CHECK(ran.err.find("--max-body takes a non-negative number") != std::string::npos);
  CHECK(ran.err.find("usage: actnet-http") != std::string::npos);
}

TEST_CASE("actnet-http announces its real port and stops with exit 0 on SIGTERM") {
  TempDir dir;
  Server server(dir);
  CHECK(std::regex_match(server.url(), std::regex(R"(http://127\.0\.0\.1:[1-9][0-9]*/)")));
  server.child().signal(SIGTERM);
  const auto status = server.child().wait_for(kLimit);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("curl fetches two URLs over one keep-alive connection") {
  const std::string curl = require_program("curl");
  TempDir dir;
  Server server(dir);
  const auto ran =
      run(dir,
          {curl, "-sS", "-v", "--max-time", "5", "-w", "[%{http_code} %{num_connects}]",
           server.url() + "plaintext", server.url() + "json"},
          kLimit);
  INFO("curl stderr:\n" << ran.err);
  CHECK(ran.exited_zero);
  CHECK(ran.out == R"(Hello, World![200 1]{"message":"Hello, World!"}[200 0])");
  CHECK(ran.err.find("Re-using existing connection") != std::string::npos);
}

TEST_CASE("curl --http1.0 gets its answer and the connection closed") {
  const std::string curl = require_program("curl");
  TempDir dir;
  Server server(dir);
  const auto ran =
      run(dir, {curl, "-sS", "-i", "--http1.0", "--max-time", "5", server.url() + "json"}, kLimit);
  INFO("curl stderr:\n" << ran.err);
  CHECK(ran.exited_zero);
  CHECK(ran.out.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(ran.out.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(ran.out.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
  CHECK(ran.out.substr(ran.out.size() - 27) == R"({"message":"Hello, World!"})");
}

TEST_CASE("curl uploads to /echo by Content-Length and chunked, and gets 404, 405 and 413") {
  const std::string curl = require_program("curl");
  TempDir dir;
  Server server(dir, {"--max-body", "300000"});
  std::string body(200'000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>('A' + i % 23);
  child_process::write_file(dir / "body", body);
  for (const bool chunked : {false, true}) {
    std::vector<std::string> argv = {curl,
                                     "-sS",
                                     "--max-time",
                                     "5",
                                     "--data-binary",
                                     http_test::cat("@", dir / "body"),
                                     server.url() + "echo"};
    if (chunked) argv.insert(argv.begin() + 1, {"-H", "Transfer-Encoding: chunked"});
    const auto ran = run(dir, argv, kLimit);
    INFO("chunked " << chunked << ", curl stderr:\n" << ran.err);
    CHECK(ran.exited_zero);
    CHECK(ran.out == body);
  }
  const auto code = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {curl,         "-sS", "-o", "/dev/null",
                                     "--max-time", "5",   "-w", "%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto ran = run(dir, argv, kLimit);
    INFO("curl stderr:\n" << ran.err);
    return ran.out;
  };
  CHECK(code({server.url() + "nowhere"}) == "404");
  CHECK(code({"-X", "DELETE", server.url() + "json"}) == "405");
  child_process::write_file(dir / "big", std::string(400'000, 'b'));
  CHECK(code({"--data-binary", http_test::cat("@", dir / "big"), server.url() + "echo"}) == "413");
}

TEST_CASE("wrk with 16 pipelined requests per write on 50 connections gets only 2xx answers") {
  const std::string wrk = require_program("wrk");
  TempDir dir;
  Server server(dir);
  child_process::write_file(dir / "pipeline.lua", R"(
init = function(args)
  local r = {}
  for i = 1, 16 do
    r[i] = wrk.format(nil, "/plaintext")
  end
  req = table.concat(r)
end

request = function()
  return req
end
)");
  const auto ran = run(dir,
                       {wrk, "-t2", "-c50", "-d3s", "--timeout", "5s", "-s", dir / "pipeline.lua",
                        server.url() + "plaintext"},
                       20s);
  INFO("wrk output:\n" << ran.out << ran.err);
  REQUIRE(ran.exited_zero);
  std::smatch m;
  REQUIRE(std::regex_search(ran.out, m, std::regex(R"(([0-9]+) requests in ([0-9.]+)s)")));
  CHECK(std::stoull(m[1]) > 0);
  CHECK(ran.out.find("Socket errors") == std::string::npos);
  CHECK(ran.out.find("Non-2xx or 3xx responses") == std::string::npos);
  if (std::regex_search(ran.out, m, std::regex(R"(Requests/sec:\s*([0-9.]+))"))) {
    std::printf(
        "wrk, 16 pipelined /plaintext per write, 2 threads, 50 connections, 3 s: %s requests/s\n",
        m[1].str().c_str());
  }
  // The server took the load without a fault: it still stops cleanly (an ASan build would
  // exit non-zero after a report).
  server.child().signal(SIGTERM);
  const auto status = server.child().wait_for(kLimit);
  REQUIRE(status.has_value());
  CHECK((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
}
