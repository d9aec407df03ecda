// The reverse proxy as a real tool: Debian's redis-cli against redis-server and curl against
// nginx, each talking through actnet's proxy over loopback — the in-process ProxyHandler for
// Redis, the actnet-proxy binary (with a `localhost` upstream it resolves at startup) for
// nginx. The programs come from scripts/setup.sh; a missing one fails the test, it is not
// skipped. Every child is killed and reaped and the temporary directory removed however a
// test ends (RAII), and every wait is bounded.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "../../demos/proxy/proxy_handler.hpp"
#include "actnet/actnet.hpp"
#include "actors/client_echo.hpp"
#include "actors/test_client.hpp"
#include "child_process.hpp"

using namespace std::chrono_literals;

namespace {

using namespace child_process;

// Printable bytes (so redis-cli prints them back raw), deterministic.
std::string printable_bytes(std::size_t n, std::uint64_t seed) {
  std::string bytes = client_echo::random_bytes(n, seed);
  for (char& c : bytes)
    c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
  return bytes;
}

// One command in Redis's wire format (appends, where GCC 12 misreads "lit" + string).
std::string resp_command(const std::vector<std::string>& words) {
  std::string out;
  out.append(1, '*').append(std::to_string(words.size())).append("\r\n");
  for (const std::string& w : words)
    out.append(1, '$').append(std::to_string(w.size())).append("\r\n").append(w).append("\r\n");
  return out;
}

}  // namespace

TEST_CASE("redis-cli runs commands, a 1 MiB value and a 10,000-command pipe through the proxy",
          "[proxy][tools]") {
  const std::string redis_server = require_program("redis-server");
  const std::string redis_cli = require_program("redis-cli");
  TempDir dir;
  int redis_port = 0;
  auto redis = start_server(
      dir, "redis",
      [&](int port) {
        return std::vector<std::string>{redis_server, "--port",       std::to_string(port),
                                        "--bind",     "127.0.0.1",    "--save",
                                        "",           "--appendonly", "no",
                                        "--dir",      dir.path(),     "--daemonize",
                                        "no"};
      },
      redis_port);

  proxy::ProxyHandler proxy({"tcp://127.0.0.1:" + std::to_string(redis_port)});
  auto server = actnet::start(proxy, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(server.ok());
  const std::string proxy_port = std::to_string(server->engine().listen_addresses().at(0).port());
  const std::vector<std::string> cli = {redis_cli, "-h", "127.0.0.1", "-p", proxy_port};

  SECTION("single commands, one connection each") {
    auto with = [&](std::vector<std::string> words) {
      std::vector<std::string> argv = cli;
      argv.insert(argv.end(), words.begin(), words.end());
      return argv;
    };
    Ran set = run(dir, with({"SET", "greeting", "hello through actnet"}));
    CHECK(set.exited_zero);
    CHECK(set.out == "OK\n");
    CHECK(run(dir, with({"GET", "greeting"})).out == "hello through actnet\n");
    CHECK(run(dir, with({"INCR", "counter"})).out == "1\n");
    CHECK(run(dir, with({"INCR", "counter"})).out == "2\n");
    CHECK(run(dir, with({"INCRBY", "counter", "40"})).out == "42\n");
  }

  SECTION("several commands on one connection, and a 1 MiB value both ways") {
    Ran batch = run(dir, cli, "SET k v\nGET k\nINCR c\nINCR c\nDEL k\nEXISTS k\n");
    CHECK(batch.exited_zero);
    CHECK(batch.out == "OK\nv\n1\n2\n1\n0\n");
    const std::string big = printable_bytes(1024 * 1024, 17);
    std::vector<std::string> set_big = cli;
    set_big.insert(set_big.end(), {"-x", "SET", "big"});
    CHECK(run(dir, set_big, big).out == "OK\n");
    std::vector<std::string> get_big = cli;
    get_big.insert(get_big.end(), {"GET", "big"});
    const Ran got = run(dir, get_big);
    CHECK(got.exited_zero);
    CHECK(got.out.size() == big.size() + 1);
    CHECK(got.out == big + "\n");
  }

  SECTION("a pipe of 10,000 commands") {
    constexpr int kCommands = 10'000;
    std::string commands;
    for (int i = 0; i < kCommands; ++i)
      commands += resp_command({"SET", "key:" + std::to_string(i), "value:" + std::to_string(i)});
    std::vector<std::string> pipe = cli;
    pipe.push_back("--pipe");
    const Ran piped = run(dir, pipe, commands);
    CHECK(piped.exited_zero);
    INFO("redis-cli --pipe said: " << piped.out << piped.err);
    CHECK(piped.out.find("errors: 0, replies: 10000") != std::string::npos);
    std::vector<std::string> check = cli;
    check.insert(check.end(), {"-n", "0"});
    const Ran counted = run(dir, check, "DBSIZE\nGET key:0\nGET key:9999\n");
    CHECK(counted.out == "10000\nvalue:0\nvalue:9999\n");
  }

  CHECK(proxy.dial_failures == 0);
  CHECK(eventually([&] { return server->engine().count_connections() == 0; }));
  CHECK(redis->running());
}

TEST_CASE(
    "curl fetches a 1 MiB file and two URLs on one kept-alive connection from nginx "
    "through actnet-proxy",
    "[proxy][tools]") {
#ifndef ACTNET_PROXY_BINARY
  FAIL("built without the actnet-proxy target (ACTNET_BUILD_DEMOS=OFF?)");
#else
  const std::string nginx = require_program("nginx");
  const std::string curl = require_program("curl");
  const std::string proxy_binary = ACTNET_PROXY_BINARY;
  REQUIRE(::access(proxy_binary.c_str(), X_OK) == 0);
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  const std::string big = client_echo::random_bytes(1024 * 1024, 23);
  write_file(dir / "www/big.bin", big);
  write_file(dir / "www/index.html", "<html><body>actnet proxy</body></html>\n");

  int nginx_port = 0;
  auto server = start_server(
      dir, "nginx",
      [&](int port) {
        // One process in the foreground; every path it writes is inside `dir`. The log
        // names each connection, so the test can see that two requests shared one.
        const std::string& d = dir.path();
        write_file(dir / "nginx.conf",
                   "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                   "pid " +
                       d + "/nginx.pid;\nerror_log " + d +
                       "/error.log warn;\n"
                       "events { worker_connections 64; }\n"
                       "http {\n"
                       "  log_format conn '$connection $connection_requests $request_uri';\n"
                       "  access_log " +
                       d +
                       "/access.log conn;\n"
                       "  client_body_temp_path " +
                       d +
                       "/client_body;\n"
                       "  proxy_temp_path " +
                       d +
                       "/proxy;\n"
                       "  fastcgi_temp_path " +
                       d +
                       "/fastcgi;\n"
                       "  uwsgi_temp_path " +
                       d +
                       "/uwsgi;\n"
                       "  scgi_temp_path " +
                       d +
                       "/scgi;\n"
                       "  default_type application/octet-stream;\n"
                       "  keepalive_timeout 10s;\n"
                       "  server {\n"
                       "    listen 127.0.0.1:" +
                       std::to_string(port) +
                       ";\n"
                       "    root " +
                       d +
                       "/www;\n"
                       "  }\n"
                       "}\n");
        return std::vector<std::string>{nginx,           "-p", d, "-c", d + "/nginx.conf", "-e",
                                        d + "/error.log"};
      },
      nginx_port);

  int proxy_port = 0;
  auto proxy = start_server(
      dir, "actnet-proxy",
      [&](int port) {
        return std::vector<std::string>{proxy_binary,
                                        "--listen",
                                        "tcp://127.0.0.1:" + std::to_string(port),
                                        "--upstream",
                                        "tcp://localhost:" + std::to_string(nginx_port),
                                        "--loops",
                                        "2",
                                        "--log-level",
                                        "warn"};
      },
      proxy_port);
  const std::string base = "http://127.0.0.1:" + std::to_string(proxy_port);

  const Ran fetched =
      run(dir, {curl, "-s", "-S", "--max-time", "10", "-o", dir / "big.out", base + "/big.bin"});
  INFO("curl said: " << fetched.err);
  CHECK(fetched.exited_zero);
  const std::string got = read_file(dir / "big.out");
  CHECK(got.size() == big.size());
  CHECK(got == big);

  const Ran both = run(dir, {curl, "-s", "-S", "--max-time", "10", "-o", dir / "index.out",
                             base + "/index.html", "-o", dir / "big2.out", base + "/big.bin"});
  INFO("curl said: " << both.err);
  CHECK(both.exited_zero);
  CHECK(read_file(dir / "index.out") == "<html><body>actnet proxy</body></html>\n");
  CHECK(read_file(dir / "big2.out") == big);
  // nginx logged the two requests as the 1st and 2nd on one connection: curl kept it alive,
  // and so did the proxy's upstream connection behind it.
  std::string log;
  CHECK(eventually(
      [&] {
        log = read_file(dir / "access.log");
        return std::count(log.begin(), log.end(), '\n') >= 3;
      },
      kLimit));
  INFO("nginx access log:\n" << log);
  std::istringstream lines(log);
  std::string first, second, third;
  std::getline(lines, first);
  std::getline(lines, second);
  std::getline(lines, third);
  std::istringstream a(second), b(third);
  std::string conn_a, conn_b, uri_a, uri_b;
  int requests_a = 0, requests_b = 0;
  a >> conn_a >> requests_a >> uri_a;
  b >> conn_b >> requests_b >> uri_b;
  CHECK(first.find("/big.bin") != std::string::npos);
  CHECK(conn_a == conn_b);
  CHECK(requests_a == 1);
  CHECK(requests_b == 2);
  CHECK(uri_a == "/index.html");
  CHECK(uri_b == "/big.bin");

  // The proxy stops gracefully on SIGTERM.
  proxy->signal(SIGTERM);
  const std::optional<int> status = proxy->wait_for(kLimit);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(server->running());
#endif
}
