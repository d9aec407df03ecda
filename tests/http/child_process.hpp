#pragma once
// Test support for driving real programs (actnet-http, curl, wrk): a temporary directory that
// is removed with everything in it, and a child process whose output goes to files and that
// is killed (SIGKILL) and reaped however a test ends. The child also dies with the test
// process (PR_SET_PDEATHSIG). Every wait is bounded.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace http_test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) FAIL("cannot write " << path);
}

// The path of an installed program, failing the test (not skipping it) when it is missing.
inline std::string require_program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string dirs = env != nullptr ? env : "";
  dirs += ":/usr/local/bin:/usr/bin:/bin";
  std::stringstream split(dirs);
  for (std::string dir; std::getline(split, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  FAIL(name << " is not installed: run scripts/setup.sh");
  return {};
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/actnet-http-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) FAIL("mkdtemp: " << std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class Child {
 public:
  // Starts argv[0] (a path) with stdin from /dev/null and stdout, stderr into files.
  Child(std::vector<std::string> argv, const std::string& out, const std::string& err) {
    std::vector<char*> args;  // prepared before fork: after it, only async-signal-safe calls
    for (std::string& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) FAIL("fork: " << std::strerror(errno));
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      const int fd_in = ::open("/dev/null", O_RDONLY);
      const int fd_out = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int fd_err = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd_in < 0 || fd_out < 0 || fd_err < 0) ::_exit(126);
      ::dup2(fd_in, 0);
      ::dup2(fd_out, 1);
      ::dup2(fd_err, 2);
      ::close_range(3, ~0u, 0);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Its wait status once it exits within `limit`, else nothing (it still runs).
  std::optional<int> wait_for(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (pid_ <= 0) return status_;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        status_ = status;
        return status_;
      }
      if (std::chrono::steady_clock::now() > end) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  bool running() { return !wait_for(std::chrono::milliseconds(0)).has_value(); }
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct Ran {
  bool exited_zero = false;
  std::string out, err;
};

// Runs argv to completion within `limit` (the test fails when it takes longer).
inline Ran run(const TempDir& dir, const std::vector<std::string>& argv,
               std::chrono::milliseconds limit) {
  static int runs = 0;
  const std::string n = std::to_string(++runs);
  Child child(argv, dir / ("out-" + n), dir / ("err-" + n));
  const std::optional<int> status = child.wait_for(limit);
  if (!status) FAIL(argv[0] << " did not finish within " << limit.count() << " ms");
  Ran ran;
  ran.exited_zero = WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  ran.out = read_file(dir / ("out-" + n));
  ran.err = read_file(dir / ("err-" + n));
  return ran;
}

}  // namespace http_test
