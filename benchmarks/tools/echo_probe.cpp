// echo_probe: a small measuring client for an echo server on loopback. It counts what one
// message costs the server rather than how fast the run was, so its figures hold on a busy
// machine: syscalls per message by kind (it runs `perf stat` on the server for exactly the
// measured window) and server CPU µs per message (/proc/PID/stat utime+stime over the window).
// It also measures the server's RSS per idle connection.
//
//   g++ -O2 -std=c++20 -o /tmp/echo-probe benchmarks/tools/echo_probe.cpp
//   echo-probe load --port P --pid PID [--conns 50] [--pipeline 1] [--size 64] [--seconds 5]
//                   [--warmup 1] [--no-perf]
//   echo-probe idle --port P --pid PID [--conns 10000]
//
// load: `conns` connections each keep `pipeline` messages of `size` bytes in flight; a message
// counts once all its bytes came back. idle: RSS of PID, then `conns` connections that each
// echo one 16-byte message and stay open, RSS again; prints (after - before) / conns.
// Loopback only (127.0.0.1).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool read_full(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string f;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoul(f);
    if (i == 15) stime = std::stoul(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

const char* kPerfEvents =
    "raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_readv,"
    "syscalls:sys_enter_recvfrom,syscalls:sys_enter_write,syscalls:sys_enter_writev,"
    "syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,"
    "syscalls:sys_enter_epoll_ctl";

// perf starts disabled and is switched on and off through its control fifos (each command
// acknowledged), so it counts exactly the measured window.
struct Perf {
  pid_t child = -1;
  std::string out, ctl, ack;
  int ctl_fd = -1, ack_fd = -1;
};

bool perf_command(Perf& p, const char* command) {
  if (::write(p.ctl_fd, command, std::strlen(command)) < 0) return false;
  char reply[8];
  return ::read(p.ack_fd, reply, sizeof reply) > 0;
}

Perf start_perf(int pid) {
  Perf p;
  const std::string base = "/tmp/echo-probe." + std::to_string(::getpid());
  p.out = base + ".perf";
  p.ctl = base + ".ctl";
  p.ack = base + ".ack";
  ::mkfifo(p.ctl.c_str(), 0600);
  ::mkfifo(p.ack.c_str(), 0600);
  p.child = ::fork();
  if (p.child == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);  // its "Events enabled" notes
    const std::string target = std::to_string(pid);
    const std::string control = "fifo:" + p.ctl + "," + p.ack;
    ::execlp("perf", "perf", "stat", "-x", ",", "-o", p.out.c_str(), "-D", "-1", "--control",
             control.c_str(), "-e", kPerfEvents, "-p", target.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  p.ctl_fd = ::open(p.ctl.c_str(), O_WRONLY);
  p.ack_fd = ::open(p.ack.c_str(), O_RDONLY);
  return p;
}

void stop_perf(Perf& p, double messages) {
  ::kill(p.child, SIGINT);
  int status = 0;
  ::waitpid(p.child, &status, 0);
  ::close(p.ctl_fd);
  ::close(p.ack_fd);
  ::unlink(p.ctl.c_str());
  ::unlink(p.ack.c_str());
  std::ifstream in(p.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream cells(line);
    std::string count, unit, event;
    std::getline(cells, count, ',');
    std::getline(cells, unit, ',');
    std::getline(cells, event, ',');
    const double n = std::atof(count.c_str());
    std::printf("  %-34s %12.0f  %7.3f /msg\n", event.c_str(), n, n / messages);
  }
  ::unlink(p.out.c_str());
}

struct Flags {
  int port = 0, pid = 0, conns = 50, pipeline = 1, size = 64;
  double seconds = 5, warmup = 1;
  bool perf = true;
};

int load(const Flags& f) {
  const int ep = ::epoll_create1(0);
  std::vector<int> fds;
  std::vector<std::size_t> owed(static_cast<std::size_t>(f.conns), 0);  // bytes still to come
  const std::string message(static_cast<std::size_t>(f.size * f.pipeline), 'x');
  for (int i = 0; i < f.conns; ++i) {
    const int fd = connect_to(f.port);
    if (fd < 0) {
      std::perror("connect");
      return 1;
    }
    epoll_event ev{EPOLLIN, {.u64 = static_cast<std::uint64_t>(i)}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
  }
  for (int i = 0; i < f.conns; ++i) {
    (void)!::write(fds[i], message.data(), message.size());
    owed[i] = message.size();
  }
  std::vector<char> buf(1 << 16);
  std::vector<epoll_event> events(256);
  unsigned long long messages = 0, at_start = 0;
  double cpu_start = 0;
  Perf perf;
  if (f.perf) perf = start_perf(f.pid);  // attached, counting nothing yet
  const auto t0 = Clock::now();
  const auto start = t0 + std::chrono::duration<double>(f.warmup);
  const auto end = start + std::chrono::duration<double>(f.seconds);
  bool measuring = false;
  for (;;) {
    const auto now = Clock::now();
    if (!measuring && now >= start) {
      measuring = true;
      if (f.perf) perf_command(perf, "enable\n");
      at_start = messages;
      cpu_start = cpu_seconds(f.pid);
    }
    if (now >= end) break;
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      const auto i = static_cast<std::size_t>(events[e].data.u64);
      const ssize_t r = ::read(fds[i], buf.data(), buf.size());
      if (r <= 0) {
        std::fprintf(stderr, "connection %zu ended\n", i);
        return 1;
      }
      // Whole messages completed: each one completed is sent again at once.
      const std::size_t before = owed[i];
      owed[i] -= static_cast<std::size_t>(r);
      const std::size_t s = static_cast<std::size_t>(f.size);
      const std::size_t done = (message.size() - owed[i]) / s - (message.size() - before) / s;
      if (done > 0) {
        messages += done;
        (void)!::write(fds[i], message.data(), done * s);
        owed[i] += done * s;
      }
    }
  }
  const double cpu = cpu_seconds(f.pid) - cpu_start;
  const double counted = static_cast<double>(messages - at_start);
  if (f.perf) perf_command(perf, "disable\n");
  std::printf(
      "conns %d pipeline %d size %d: %.0f msgs in %.1f s = %.0f msg/s; server CPU %.3f s "
      "= %.3f us/msg\n",
      f.conns, f.pipeline, f.size, counted, f.seconds, counted / f.seconds, cpu,
      cpu * 1e6 / counted);
  if (f.perf) stop_perf(perf, counted);
  for (int fd : fds)
    ::close(fd);
  return 0;
}

int idle(const Flags& f) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  const long before = rss_kib(f.pid);
  std::vector<int> fds;
  char msg[16] = "hello, idle one";
  char back[16];
  for (int i = 0; i < f.conns; ++i) {
    const int fd = connect_to(f.port);
    if (fd < 0) {
      std::perror("connect");
      return 1;
    }
    if (::write(fd, msg, sizeof msg) != sizeof msg || !read_full(fd, back, sizeof back)) {
      std::fprintf(stderr, "echo %d failed\n", i);
      return 1;
    }
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long after = rss_kib(f.pid);
  std::printf("idle: %d conns, RSS %ld KiB -> %ld KiB: %.0f bytes per idle connection\n", f.conns,
              before, after, static_cast<double>(after - before) * 1024.0 / f.conns);
  for (int fd : fds)
    ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: echo-probe load|idle --port P --pid PID [...]\n");
    return 2;
  }
  const std::string mode = argv[1];
  Flags f;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto num = [&] { return i + 1 < argc ? std::atof(argv[++i]) : 0.0; };
    if (a == "--port")
      f.port = static_cast<int>(num());
    else if (a == "--pid")
      f.pid = static_cast<int>(num());
    else if (a == "--conns")
      f.conns = static_cast<int>(num());
    else if (a == "--pipeline")
      f.pipeline = static_cast<int>(num());
    else if (a == "--size")
      f.size = static_cast<int>(num());
    else if (a == "--seconds")
      f.seconds = num();
    else if (a == "--warmup")
      f.warmup = num();
    else if (a == "--no-perf")
      f.perf = false;
    else {
      std::fprintf(stderr, "echo-probe: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  return mode == "idle" ? idle(f) : load(f);
}
