#pragma once
// The command line every peer echo server shares: --port P --threads N, listening on
// 127.0.0.1 only. And the listening socket peers open themselves: SO_REUSEPORT, so each
// thread has its own and the kernel spreads connections across them.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace peers {

struct PeerArgs {
  int port = 9000;
  int threads = 2;
};

inline PeerArgs parse_peer_args(int argc, char** argv, const char* name) {
  PeerArgs args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--port" && value > 0 && value < 65536) {
      args.port = value;
    } else if (flag == "--threads" && value > 0) {
      args.threads = value;
    } else {
      std::fprintf(stderr, "usage: %s --port P --threads N\n", name);
      std::exit(2);
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: %s --port P --threads N\n", name);
    std::exit(2);
  }
  return args;
}

/// A non-blocking SO_REUSEPORT listener on 127.0.0.1:port; exits on failure.
inline int reuse_port_listener(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    std::perror("listen");
    std::exit(1);
  }
  return fd;
}

}  // namespace peers
