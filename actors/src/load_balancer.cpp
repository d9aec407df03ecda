#include "load_balancer.hpp"

#include <netinet/in.h>
#include <sys/un.h>

#include <cstdint>

namespace actnet::detail {

std::size_t LoadBalancer::next(const io::SocketAddress& peer) noexcept {
  const std::size_t n = loops_.size();
  switch (policy_) {
    case LoadBalancing::round_robin: {
      const std::size_t i = next_;
      next_ = (next_ + 1) % n;
      return i;
    }
    case LoadBalancing::least_connections: {
      std::size_t best = 0;
      std::int64_t fewest = loops_[0]->connections.load(std::memory_order_relaxed);
      for (std::size_t i = 1; i < n; ++i) {
        const std::int64_t c = loops_[i]->connections.load(std::memory_order_relaxed);
        if (c < fewest) {
          fewest = c;
          best = i;
        }
      }
      return best;
    }
    case LoadBalancing::source_address_hash:
      return hash_source(peer) % n;
  }
  return 0;
}

std::size_t LoadBalancer::hash_source(const io::SocketAddress& peer) noexcept {
  const unsigned char* bytes = nullptr;
  std::size_t len = 0;
  switch (peer.family()) {
    case AF_INET: {
      auto* in = reinterpret_cast<const sockaddr_in*>(peer.data());
      bytes = reinterpret_cast<const unsigned char*>(&in->sin_addr);
      len = sizeof in->sin_addr;
      break;
    }
    case AF_INET6: {
      auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer.data());
      bytes = reinterpret_cast<const unsigned char*>(&in6->sin6_addr);
      len = sizeof in6->sin6_addr;
      break;
    }
    default:
      return 0;  // unix peers are unnamed: one bucket
  }
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a
  for (std::size_t i = 0; i < len; ++i) {
    h ^= bytes[i];
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h ^ (h >> 32));
}

}  // namespace actnet::detail
