#pragma once
// Test support for driving real programs from a test (redis-server, redis-cli,
// redis-benchmark, curl, nginx, wrk and the demos' own binaries): a temporary directory that
// is removed with everything in it, and a child process whose standard streams are files and
// that is killed (SIGKILL) and reaped however a test ends; it also dies with the test process
// (PR_SET_PDEATHSIG). Every wait is bounded. A missing program fails the test with "run
// scripts/setup.sh": it is never skipped.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace child_process {

using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds kLimit =
    std::chrono::seconds(10);  // the longest any one step may take

// Where `name` is installed: PATH, then the sbin directories (nginx is in /usr/sbin).
inline std::string find_program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string dirs = env != nullptr ? env : "";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";
  std::stringstream split(dirs);
  for (std::string dir; std::getline(split, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

inline std::string require_program(const std::string& name) {
  const std::string path = find_program(name);
  if (path.empty()) {
    FAIL(name << " is not installed: run scripts/setup.sh, which installs every program the "
                 "tests drive");
  }
  return path;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) FAIL("cannot write " << path);
}

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/actnet-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp: " << std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Fails the test when `err` (a child's stderr) holds a sanitizer report. Under the ASan run
// the demos are built with ASan+UBSan too, and LeakSanitizer reports their leaks when they
// exit: this is where a leak in a child process becomes a test failure.
inline void check_sanitizer_report(const std::string& program, const std::string& err) {
  for (const char* marker :
       {"ERROR: LeakSanitizer", "ERROR: AddressSanitizer", "runtime error: "}) {
    const std::size_t at = err.find(marker);
    if (at == std::string::npos) continue;
    const std::size_t from = err.rfind('\n', at);
    FAIL_CHECK(program << " reported '" << marker << "':\n"
                       << err.substr(from == std::string::npos ? 0 : from + 1, 4000));
  }
}

// A child process with its standard streams on files. The destructor reaps it if it still
// runs, so no test leaves one behind; the child also dies with this process
// (PR_SET_PDEATHSIG) should the test binary itself crash. One of actnet's own programs
// (actnet-*) is stopped the way a user stops it, with SIGTERM, and must exit within
// kLimit; its stderr is then checked for sanitizer reports (check_sanitizer_report), leaks
// included. Anything else is killed with SIGKILL.
class Child {
 public:
  // Starts argv[0] (a path) with stdin from /dev/null and stdout, stderr into files.
  Child(std::vector<std::string> argv, const std::string& out, const std::string& err)
      : Child(std::move(argv), "/dev/null", out, err) {}
  // The same with stdin read from the file `in`.
  Child(std::vector<std::string> argv, const std::string& in, const std::string& out,
        const std::string& err)
      : program_(argv.at(0)), err_(err) {
    own_program_ = std::filesystem::path(program_).filename().string().rfind("actnet-", 0) == 0;
    // Everything the child touches is prepared before fork: after it, in a process with
    // running threads, only async-signal-safe calls are allowed until exec.
    std::vector<char*> args;
    for (std::string& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) FAIL("fork: " << std::strerror(errno));
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      const int fd_in = ::open(in.c_str(), O_RDONLY);
      const int fd_out = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int fd_err = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd_in < 0 || fd_out < 0 || fd_err < 0) ::_exit(126);
      ::dup2(fd_in, 0);
      ::dup2(fd_out, 1);
      ::dup2(fd_err, 2);
      ::close_range(3, ~0u, 0);  // none of the test's sockets or epolls
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && own_program_) {
      ::kill(pid_, SIGTERM);
      CHECK(wait_for(kLimit).has_value());  // a demo that ignores SIGTERM is a bug
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (own_program_) check_sanitizer_report(program_, read_file(err_));
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Its wait status once it exits within `limit`, else nothing (it still runs).
  std::optional<int> wait_for(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (pid_ <= 0) return status_;
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = 0;
        status_ = status;
        return status_;
      }
      if (std::chrono::steady_clock::now() > end) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }
  bool running() { return !wait_for(0ms).has_value(); }
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }

 private:
  std::string program_, err_;
  bool own_program_ = false;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct Ran {
  bool exited_zero = false;
  std::string out, err;
};

// Runs argv to completion with `input` on its stdin, within kLimit.
inline Ran run(const TempDir& dir, const std::vector<std::string>& argv,
               const std::string& input = {}, std::chrono::milliseconds limit = kLimit) {
  static int runs = 0;  // test binaries run their cases one at a time
  const std::string n = std::to_string(++runs);
  write_file(dir / ("in-" + n), input);
  Child child(argv, dir / ("in-" + n), dir / ("out-" + n), dir / ("err-" + n));
  const std::optional<int> status = child.wait_for(limit);
  if (!status) FAIL(argv[0] << " did not finish within " << limit.count() << " ms");
  Ran ran;
  ran.exited_zero = WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  ran.out = read_file(dir / ("out-" + n));
  ran.err = read_file(dir / ("err-" + n));
  return ran;
}

inline Ran run(const TempDir& dir, const std::vector<std::string>& argv,
               std::chrono::milliseconds limit) {
  return run(dir, argv, {}, limit);
}

// A loopback port that was free a moment ago (the server that takes it may lose a race:
// the callers retry with another).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
    FAIL("cannot find a free loopback port: " << std::strerror(errno));
  }
  ::close(fd);
  return ntohs(sin.sin_port);
}

inline bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  ::close(fd);
  return ok;
}

// Waits until `child` accepts on `port`: false when it exited or kLimit passed first.
inline bool wait_accepting(Child& child, int port) {
  const auto end = std::chrono::steady_clock::now() + kLimit;
  while (std::chrono::steady_clock::now() < end) {
    if (!child.running()) return false;
    if (accepts(port)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// Starts a server whose command line takes a port (retrying on a lost port race) and waits
// until it accepts.
template <class Argv>
inline std::unique_ptr<Child> start_server(const TempDir& dir, const std::string& name,
                                           Argv argv_for, int& port) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    port = free_port();
    const std::string log = dir / (name + "-" + std::to_string(attempt) + ".log");
    write_file(dir / "empty", "");
    auto child = std::make_unique<Child>(argv_for(port), dir / "empty", log, log);
    if (wait_accepting(*child, port)) return child;
    UNSCOPED_INFO(name << " attempt " << attempt << " on port " << port
                       << " did not accept; its output:\n"
                       << read_file(log));
  }
  FAIL(name << " did not start");
  return nullptr;
}

}  // namespace child_process
