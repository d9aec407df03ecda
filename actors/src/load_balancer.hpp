#pragma once
// LoadBalancer picks the loop a new connection goes to (gnet's three policies). It runs on
// the acceptor's thread only. Least-connections reads the loops' live counts, which the
// acceptor bumps when it assigns a connection, so a burst of accepts spreads evenly before
// the loops have even seen them.

#include <cstddef>
#include <memory>
#include <vector>

#include "actnet/io/socket_address.hpp"
#include "actnet/options.hpp"
#include "engine_core.hpp"

namespace actnet::detail {

class LoadBalancer {
 public:
  LoadBalancer(LoadBalancing policy, const std::vector<std::unique_ptr<LoopCounters>>& loops)
      : policy_(policy), loops_(loops) {}

  // Acceptor thread: the index of the loop for a connection from `peer`.
  std::size_t next(const io::SocketAddress& peer) noexcept;

  // Any thread: the hash the source-address policy uses (the IP only, never the port).
  static std::size_t hash_source(const io::SocketAddress& peer) noexcept;

 private:
  LoadBalancing policy_;
  const std::vector<std::unique_ptr<LoopCounters>>& loops_;
  std::size_t next_ = 0;
};

}  // namespace actnet::detail
