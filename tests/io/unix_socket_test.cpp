#include "actnet/io/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <system_error>

#include <catch2/catch.hpp>

#include "actnet/io/socket.hpp"
#include "io/loopback.hpp"

using namespace actnet::io;
using actnet_test::is_cloexec;
using actnet_test::is_nonblocking;
using actnet_test::TempDir;
using actnet_test::wait_for;

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_socket_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Connects to `listener` and accepts: proves it is alive and serving.
void check_serves(const UnixListener& listener) {
  auto connecting = start_connect(listener.address());
  REQUIRE(connecting.ok());
  if (connecting->in_progress) REQUIRE((wait_for(connecting->fd.get(), POLLOUT) & POLLOUT));
  REQUIRE(finish_connect(connecting->fd.get()).ok());
  REQUIRE((wait_for(listener.fd(), POLLIN) & POLLIN));
  auto accepted = accept_one(listener.fd());
  REQUIRE(accepted.ok());
  REQUIRE(accepted->has_value());
  CHECK(is_nonblocking((*accepted)->fd.get()));
  CHECK(is_cloexec((*accepted)->fd.get()));
  REQUIRE(::write(connecting->fd.get(), "u", 1) == 1);
  REQUIRE((wait_for((*accepted)->fd.get(), POLLIN) & POLLIN));
  char byte = 0;
  CHECK(::read((*accepted)->fd.get(), &byte, 1) == 1);
  CHECK(byte == 'u');
}

// Leaves a socket file behind the way a crashed server does: bound, then closed without
// unlinking.
void leave_stale_socket(const std::string& path) {
  auto address = unix_address(path);
  REQUIRE(address.ok());
  auto fd = open_socket(AF_UNIX, SOCK_STREAM);
  REQUIRE(fd.ok());
  REQUIRE(::bind(fd->get(), address->data(), address->size()) == 0);
  REQUIRE(::listen(fd->get(), 4) == 0);
}

}  // namespace

TEST_CASE("A unix listener serves on its path and removes the file when it closes",
          "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir / "server.sock";
  {
    auto listener = UnixListener::listen(path);
    REQUIRE(listener.ok());
    CHECK(is_nonblocking(listener->fd()));
    CHECK(is_cloexec(listener->fd()));
    CHECK(is_socket_file(path));
    CHECK(listener->address().to_string() == path);
    check_serves(*listener);

    // close() is explicit and idempotent; the destructor after it does nothing more.
    listener->close();
    CHECK_FALSE(exists(path));
    listener->close();
  }
  {
    auto listener = UnixListener::listen(path);
    REQUIRE(listener.ok());
    UnixListener moved = std::move(*listener);  // ownership of the file moves too
    CHECK(exists(path));
  }
  CHECK_FALSE(exists(path));
}

TEST_CASE("A live server's path is never stolen and the first server keeps accepting",
          "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir / "live.sock";
  auto first = UnixListener::listen(path);
  REQUIRE(first.ok());

  auto second = UnixListener::listen(path);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == std::errc::address_in_use);
  CHECK_THAT(second.error().message,
             Catch::Contains(path) && Catch::Contains("address in use by a live server"));

  CHECK(is_socket_file(path));
  // The probe's connection shows up at the first server; drain it, then serve a real one.
  while (true) {
    auto probe = accept_one(first->fd());
    REQUIRE(probe.ok());
    if (!probe->has_value()) break;
  }
  check_serves(*first);
}

TEST_CASE("A stale socket file left by a dead server is removed and the path is bound again",
          "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir / "stale.sock";
  leave_stale_socket(path);
  REQUIRE(is_socket_file(path));

  auto listener = UnixListener::listen(path);
  REQUIRE(listener.ok());
  check_serves(*listener);
}

TEST_CASE("A regular file at the path is refused and left intact", "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir / "not-a-socket";
  { std::ofstream(path) << "precious"; }

  auto listener = UnixListener::listen(path);
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == std::errc::file_exists);
  CHECK_THAT(listener.error().message,
             Catch::Contains(path) && Catch::Contains("not a socket; refusing to remove it"));
  std::string content;
  std::ifstream(path) >> content;
  CHECK(content == "precious");
}

TEST_CASE("The requested mode is applied to the socket file", "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const mode_t mode = GENERATE(mode_t{0600}, mode_t{0660}, mode_t{0777});
  const std::string path = dir / ("mode-" + std::to_string(mode) + ".sock");
  UnixListenOptions options;
  options.mode = mode;
  auto listener = UnixListener::listen(path, options);
  REQUIRE(listener.ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == mode);
}

TEST_CASE("Without a mode the socket file gets 0777 minus the process umask", "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const mode_t mask = GENERATE(mode_t{022}, mode_t{077}, mode_t{007});
  const std::string path = dir / ("umask-" + std::to_string(mask) + ".sock");
  // umask is process-wide; this test binary runs nothing else while it is changed.
  const mode_t previous = ::umask(mask);
  auto listener = UnixListener::listen(path);
  ::umask(previous);
  REQUIRE(listener.ok());
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == (0777 & ~mask));
}

TEST_CASE("A symlink planted at the path is refused and neither it nor its target is touched",
          "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string target = dir / "elsewhere.txt";
  { std::ofstream(target) << "precious"; }
  REQUIRE(::chmod(target.c_str(), 0640) == 0);
  const std::string path = dir / "planted.sock";
  REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);

  UnixListenOptions options;
  options.mode = 0777;  // a chmod that followed the link would open the target to everyone
  auto listener = UnixListener::listen(path, options);
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == std::errc::file_exists);
  CHECK_THAT(listener.error().message,
             Catch::Contains(path) && Catch::Contains("symbolic link; refusing to follow"));

  struct stat link {
  }, st{};
  REQUIRE(::lstat(path.c_str(), &link) == 0);
  CHECK(S_ISLNK(link.st_mode));  // not removed
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0640);
  std::string content;
  std::ifstream(target) >> content;
  CHECK(content == "precious");
}

TEST_CASE("A symlink to a stale socket or to nowhere is refused and nothing is created",
          "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string stale = dir / "stale-target.sock";
  leave_stale_socket(stale);
  const std::string missing = dir / "missing-target.sock";
  const bool dangling = GENERATE(false, true);
  const std::string target = dangling ? missing : stale;
  const std::string path = dir / "link.sock";
  REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);

  auto listener = UnixListener::listen(path);
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == std::errc::file_exists);
  CHECK_FALSE(exists(missing));  // bind never created through the link
  CHECK(is_socket_file(stale));  // a stale socket behind a link is not removed
  struct stat link {};
  REQUIRE(::lstat(path.c_str(), &link) == 0);
  CHECK(S_ISLNK(link.st_mode));
}

TEST_CASE("Closing a listener leaves alone a newer socket file that replaced its own",
          "[unix_socket]") {
  TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir / "replaced.sock";
  auto old_listener = UnixListener::listen(path);
  REQUIRE(old_listener.ok());
  REQUIRE(::unlink(path.c_str()) == 0);  // someone removed it and a new server took the path
  auto new_listener = UnixListener::listen(path);
  REQUIRE(new_listener.ok());

  old_listener->close();
  CHECK(is_socket_file(path));
  check_serves(*new_listener);
}

TEST_CASE("A path longer than sun_path and an empty path are refused cleanly", "[unix_socket]") {
  const std::size_t room = sizeof(sockaddr_un{}.sun_path);
  const std::string longest(room - 1, 'a');
  CHECK(unix_address(longest).ok());  // fits with its NUL, though it may not exist

  const std::string too_long = "/tmp/" + std::string(room, 'x');
  auto address = unix_address(too_long);
  REQUIRE_FALSE(address.ok());
  CHECK(address.error().code == std::errc::filename_too_long);
  auto listener = UnixListener::listen(too_long);
  REQUIRE_FALSE(listener.ok());
  CHECK(listener.error().code == std::errc::filename_too_long);
  CHECK_THAT(listener.error().message, Catch::Contains("longer than the 107"));
  CHECK_FALSE(exists(too_long));

  CHECK(unix_address("").error().code == std::errc::invalid_argument);
  CHECK(unix_address(std::string("a\0b", 3)).error().code == std::errc::invalid_argument);
}

TEST_CASE("An abstract-namespace listener serves without any file and refuses a mode",
          "[unix_socket]") {
  const std::string name = std::string(1, '\0') + "actnet-test-" + std::to_string(::getpid());
  auto listener = UnixListener::listen(name);
  REQUIRE(listener.ok());
  CHECK(listener->is_abstract());
  CHECK(listener->address().to_string() == "@actnet-test-" + std::to_string(::getpid()));
  check_serves(*listener);

  auto twice = UnixListener::listen(name);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().code == std::errc::address_in_use);

  UnixListenOptions options;
  options.mode = 0600;
  auto with_mode = UnixListener::listen(name + "-mode", options);
  REQUIRE_FALSE(with_mode.ok());
  CHECK(with_mode.error().code == std::errc::invalid_argument);
}
