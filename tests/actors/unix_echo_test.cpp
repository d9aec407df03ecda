// Unix domain stream sockets end to end: the echo matrix over unix:// (1 and 4 loops,
// level and edge), a second engine refused on a live path while the first keeps serving,
// the socket file removed at stop, and actnet's Client dialling a unix listener. Every
// socket lives in a mkdtemp directory that the test removes.

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actnet/io/unix_socket.hpp"
#include "actors/client_echo.hpp"
#include "actors/test_client.hpp"

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

class Echo : public actnet::EventHandler {
 public:
  actnet::Action on_traffic(actnet::Conn& conn) override {
    conn.write(conn.next());
    return actnet::Action::none;
  }
};

// A private directory for socket files, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "actnet-unix-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Ten clients, each `total` random bytes in 64 KiB write-then-read rounds; returns how
// many came back equal.
int echo_clients(const actnet::io::SocketAddress& address, std::size_t total, std::uint64_t seed) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      try {
        TestClient client(address);
        const std::string data = client_echo::random_bytes(total, seed * 100 + i);
        for (std::size_t off = 0; off < total; off += 64 * 1024) {
          const std::string_view part = std::string_view(data).substr(off, 64 * 1024);
          client.send_all(part);
          if (client.recv_exact(part.size()) != part) return;
        }
        ok.fetch_add(1);
      } catch (const std::exception&) {
      }
    });
  }
  for (auto& t : threads)
    t.join();
  return ok.load();
}

}  // namespace

TEST_CASE("Ten unix clients each echo 1 MiB byte for byte and the socket file goes at stop",
          "[unix][matrix]") {
  const std::size_t loops = GENERATE(as<std::size_t>{}, 1, 4);
  const bool edge = GENERATE(false, true);
  CAPTURE(loops, edge);
  TempDir dir;
  const std::string path = dir.file("echo.sock");
  Echo echo;
  {
    auto running =
        actnet::start(echo, {"unix://" + path}, {.num_event_loops = loops, .edge_triggered = edge});
    REQUIRE(running.ok());
    const auto addresses = running->engine().listen_addresses();
    REQUIRE(addresses.size() == 1);
    CHECK(addresses[0].family() == AF_UNIX);
    CHECK(addresses[0].to_string() == path);
    CHECK(exists(path));
    CHECK(echo_clients(addresses[0], kMiB, loops * 2 + edge) == 10);
    CHECK_FALSE(running->engine().stop());
    CHECK(running->wait().ok());
  }
  CHECK_FALSE(exists(path));
}

TEST_CASE("A second engine on a live unix path fails clearly and the first keeps serving",
          "[unix]") {
  TempDir dir;
  const std::string path = dir.file("live.sock");
  Echo echo;
  auto first = actnet::start(echo, {"unix://" + path});
  REQUIRE(first.ok());
  const actnet::io::SocketAddress address = first->engine().listen_addresses().at(0);

  Echo other;
  auto second = actnet::start(other, {"unix://" + path});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == std::errc::address_in_use);
  CHECK(second.error().message.find(path) != std::string::npos);
  CHECK(second.error().message.find("live") != std::string::npos);

  CHECK(exists(path));  // the failed engine left the live socket file alone
  {
    TestClient client(address);
    client.send_all("still served");
    CHECK(client.recv_exact(12) == "still served");
  }
  CHECK_FALSE(first->engine().stop());
  CHECK(first->wait().ok());
  CHECK_FALSE(exists(path));
}

TEST_CASE("An actnet client dials and enrolls unix connections and echoes 1 MiB on each",
          "[unix][client]") {
  const bool edge = GENERATE(false, true);
  CAPTURE(edge);
  TempDir dir;
  const std::string path = dir.file("client.sock");
  Echo echo;
  auto server =
      actnet::start(echo, {"unix://" + path}, {.num_event_loops = 2, .edge_triggered = edge});
  REQUIRE(server.ok());
  const actnet::io::SocketAddress address = server->engine().listen_addresses().at(0);

  client_echo::EchoDriver driver;
  auto client = actnet::Client::start(driver, {.num_event_loops = 2, .edge_triggered = edge});
  REQUIRE(client.ok());
  std::atomic<int> failures{0};
  constexpr int kConns = 4;
  for (int i = 0; i < kConns; ++i) {
    actnet::DialOptions options{
        .context = client_echo::EchoState{client_echo::random_bytes(kMiB, 900 + edge * 10 + i)}};
    auto done = [&](std::error_code ec, actnet::ConnRef) {
      if (ec) failures.fetch_add(1);
    };
    if (i % 2 == 0) {
      CHECK_FALSE(client->dial("unix://" + path, std::move(options), done));
    } else {
      const int fd = client_echo::connect_blocking(address);
      REQUIRE(fd >= 0);
      CHECK_FALSE(client->enroll(actnet::io::UniqueFd(fd), std::move(options), done));
    }
  }
  CHECK(eventually([&] { return driver.ok + driver.bad + failures >= kConns; }, 30s));
  CHECK(failures == 0);
  CHECK(driver.ok == kConns);

  // A dial to a path nobody serves fails at once with a clear error.
  std::promise<std::error_code> missing;
  CHECK_FALSE(client->dial("unix://" + dir.file("nobody.sock"), {},
                           [&](std::error_code ec, actnet::ConnRef) { missing.set_value(ec); }));
  auto outcome = missing.get_future();
  REQUIRE(outcome.wait_for(5s) == std::future_status::ready);
  CHECK(outcome.get() == std::errc::no_such_file_or_directory);
  CHECK_FALSE(client->stop());
  CHECK(client->wait().ok());
}

TEST_CASE("An engine replaces a stale unix socket file but never a file that is not a socket",
          "[unix]") {
  TempDir dir;
  const std::string stale = dir.file("stale.sock");
  {
    // A server that died without removing its file: bound, never listening, closed.
    auto address = actnet::io::unix_address(stale);
    REQUIRE(address.ok());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(::bind(fd, address->data(), address->size()) == 0);
    ::close(fd);
  }
  REQUIRE(exists(stale));
  Echo echo;
  {
    auto running = actnet::start(echo, {"unix://" + stale});
    REQUIRE(running.ok());
    TestClient client(running->engine().listen_addresses().at(0));
    client.send_all("fresh");
    CHECK(client.recv_exact(5) == "fresh");
  }
  CHECK_FALSE(exists(stale));

  const std::string regular = dir.file("data.txt");
  {
    std::FILE* f = std::fopen(regular.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("keep me", f);
    std::fclose(f);
  }
  auto refused = actnet::start(echo, {"unix://" + regular});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find(regular) != std::string::npos);
  CHECK(exists(regular));  // left untouched
}

TEST_CASE(
    "Options::unix_socket_mode sets the socket file's mode and an out-of-range one is refused",
    "[unix]") {
  TempDir dir;
  const std::string path = dir.file("mode.sock");
  Echo echo;
  auto running = actnet::start(echo, {"unix://" + path}, {.unix_socket_mode = 0600});
  REQUIRE(running.ok());
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  {
    TestClient client(running->engine().listen_addresses().at(0));
    client.send_all("owner only");
    CHECK(client.recv_exact(10) == "owner only");
  }
  CHECK_FALSE(running->engine().stop());
  CHECK(running->wait().ok());

  auto refused = actnet::start(echo, {"unix://" + path}, {.unix_socket_mode = 010000});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("unix_socket_mode") != std::string::npos);
  CHECK_FALSE(exists(path));
}
