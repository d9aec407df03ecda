#pragma once
// ProxyHandler is a TCP / unix reverse proxy as one EventHandler: every accepted downstream
// connection gets an upstream connection, dialled round robin over a list of upstream URLs
// with a Client attached to the same engine, and bytes pass both ways.
//
// The two connections may live on different loops, so each side only ever touches its own
// Conn and reaches the other one through its ConnRef: bytes go with async_write, which keeps
// their order (one producer loop, FIFO per producer). What a side has posted and the other
// has not yet handed to its kernel is counted per direction ("in flight": the mailbox plus
// the other side's outbound buffer); past kHighWater the producing side pause_reading()s,
// and the completion that brings it back to kLowWater wakes it to resume. The counters are
// the only state the two loops share, so they are atomics; everything else is per side.
//
// A downstream reads nothing until its upstream is connected (its bytes wait in the
// kernel). Half-close passes through: a side's EOF (on_eof) becomes shutdown_write on the
// other side, posted after the bytes it forwarded, so the other side's FIN follows the last
// of them; the side stays open to write what the other direction still brings. A side
// whose two directions are finished closes by itself (Conn), and its partner finishes on
// its own. A side that fails (reset, engine stop, a close) closes the other at once:
// Conn::close flushes what the socket takes then, and drops the rest. A dial that fails
// closes the downstream.

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <actnet/actnet.hpp>

namespace proxy {

class ProxyHandler final : public actnet::EventHandler {
 public:
  static constexpr std::size_t kHighWater = 1024 * 1024;  // bytes in flight: stop reading
  static constexpr std::size_t kLowWater = 256 * 1024;    // back to this: read again

  // One upstream's addresses, tried in order until one connects: a host name that main()
  // resolved at startup (a loop never waits for a lookup). Every URL must be numeric.
  using Alternatives = std::vector<std::string>;

  explicit ProxyHandler(std::vector<std::string> upstreams) {
    for (std::string& url : upstreams)
      upstreams_.push_back({std::move(url)});
  }
  explicit ProxyHandler(std::vector<Alternatives> upstreams) : upstreams_(std::move(upstreams)) {}

  // Supervisor thread: the Client that dials upstreams on the engine's own loops.
  actnet::Action on_boot(actnet::Engine& engine) override {
    auto client = actnet::Client::attach(*this, engine);
    if (!client) return actnet::Action::shutdown;
    client_ = std::make_unique<actnet::Client>(std::move(*client));
    ready_.store(client_.get(), std::memory_order_release);
    return actnet::Action::none;
  }

  // A downstream's loop (a Client's on_open also comes here, with its Side already set).
  actnet::Action on_open(actnet::Conn& conn) override {
    if (Side* side = conn.context<Side>(); side != nullptr) return open_upstream(conn, *side);
    actnet::Client* client = ready_.load(std::memory_order_acquire);
    if (client == nullptr || upstreams_.empty()) return actnet::Action::close;
    auto link = std::make_shared<Link>();
    const actnet::ConnRef down = conn.ref();
    conn.emplace_context<Side>(Side{link, kDown, {}});
    conn.pause_reading();  // until the upstream is connected
    const Alternatives& upstream =
        upstreams_[next_.fetch_add(1, std::memory_order_relaxed) % upstreams_.size()];
    dial(*client, upstream, 0, std::move(link), down);
    return actnet::Action::none;
  }

  actnet::Action on_traffic(actnet::Conn& conn) override {
    Side* side = conn.context<Side>();
    if (side == nullptr) return actnet::Action::close;
    Link& link = *side->link;
    if (!find_peer(*side)) {  // woken early, or bytes before the pause took effect
      conn.pause_reading();
      return actnet::Action::none;
    }
    if (side->flow_paused && !link.waiting[side->dir].load()) {
      side->flow_paused = false;
      conn.resume_reading();
    } else if (conn.reading_paused() && !side->flow_paused) {
      conn.resume_reading();  // the downstream's pause until connected
    }
    forward(conn, *side);
    pass_eof(*side);  // an EOF that came before the upstream was connected
    return actnet::Action::none;
  }

  // The peer of `conn` shut its write side: forward what is left, then the EOF itself, and
  // keep `conn` open for the other direction. Before the upstream is connected, the bytes
  // and the EOF wait for on_traffic (the wake from open_upstream).
  actnet::Action on_eof(actnet::Conn& conn) override {
    Side* side = conn.context<Side>();
    if (side == nullptr) return actnet::Action::close;
    side->eof = true;
    if (!find_peer(*side)) return actnet::Action::none;
    forward(conn, *side);
    pass_eof(*side);
    return actnet::Action::none;
  }

  actnet::Action on_close(actnet::Conn& conn, std::error_code error) override {
    Side* side = conn.context<Side>();
    if (side == nullptr) return actnet::Action::none;
    Link& link = *side->link;
    if (side->dir == kDown) {
      link.down_closed.store(true);
    } else {
      up_closed.fetch_add(1, std::memory_order_relaxed);
    }
    (void)find_peer(*side);
    // Both directions finished (this side passed its EOF on and was shut by the other's):
    // the other side has its EOF too and closes once it has flushed, so leave it alone.
    const bool finished = !error && conn.peer_shut_down() && conn.write_shut_down();
    if (side->peer && !finished) {
      forward(conn, *side);  // what was read but not yet passed on
      (void)side->peer.close();
    }
    return actnet::Action::none;
  }

  // Any thread: statistics for tests and logs.
  std::atomic<int> dial_failures{0};
  std::atomic<int> up_closed{0};

 private:
  static constexpr int kDown = 0;  // direction downstream → upstream (and the downstream side)
  static constexpr int kUp = 1;    // direction upstream → downstream (and the upstream side)

  // What the two sides of one proxied connection share.
  struct Link {
    actnet::ConnRef upstream;  // written once, before `connected` is set
    std::atomic<bool> connected{false};
    std::atomic<bool> down_closed{false};
    std::atomic<std::size_t> in_flight[2]{0, 0};  // per direction, posted and not yet sent
    std::atomic<bool> waiting[2]{false, false};   // the producer paused, wants a wake
  };

  // A connection's context: its link, its direction, and the other side's ref.
  struct Side {
    std::shared_ptr<Link> link;
    int dir = kDown;
    actnet::ConnRef peer;      // the downstream's from the start; the upstream's once connected
    bool flow_paused = false;  // this side stopped reading for the other side's sake
    bool eof = false;          // this side's peer shut its write side
    bool eof_passed = false;   // ... and the other side was told to shut its own
  };

  // The side's loop: whether its peer ref is known; the downstream learns it from the link
  // once the upstream is connected.
  static bool find_peer(Side& side) {
    if (!side.peer && side.dir == kDown && side.link->connected.load()) {
      side.peer = side.link->upstream;  // published before `connected`
    }
    return static_cast<bool>(side.peer);
  }

  // The side's loop, after forward(): the shutdown message follows the side's last
  // async_write in the other loop's mailbox (FIFO per producer), so it runs after them and
  // Conn::shutdown_write waits until they reached the kernel.
  static void pass_eof(Side& side) {
    if (!side.eof || side.eof_passed || !side.peer) return;
    side.eof_passed = true;
    (void)side.peer.shutdown_write();
  }

  // A loop: dials upstream[index], the next address when that fails, and closes the
  // downstream when none connects. From a loop, so the URLs must be numeric (dial resolves
  // on the calling thread). The callback runs on the loop the dial went to.
  void dial(actnet::Client& client, const Alternatives& upstream, std::size_t index,
            std::shared_ptr<Link> link, actnet::ConnRef down) {
    if (upstream.empty()) {
      dial_failures.fetch_add(1, std::memory_order_relaxed);
      (void)down.close();
      return;
    }
    (void)client.dial(
        upstream[index], {.context = Side{link, kUp, down}},
        [this, &client, &upstream, index, link, down](std::error_code error, actnet::ConnRef) {
          if (!error) return;
          if (index + 1 < upstream.size() && !link->down_closed.load()) {
            dial(client, upstream, index + 1, link, down);
            return;
          }
          dial_failures.fetch_add(1, std::memory_order_relaxed);
          (void)down.close();
        });
  }

  // The upstream's loop, in its on_open: publish its ref, wake the downstream to read.
  actnet::Action open_upstream(actnet::Conn& conn, Side& side) {
    Link& link = *side.link;
    link.upstream = conn.ref();
    link.connected.store(true);  // seq_cst: pairs with down_closed in the downstream's on_close
    if (link.down_closed.load()) return actnet::Action::close;
    (void)side.peer.wake();
    return actnet::Action::none;
  }

  // Posts what `conn` holds to its peer, then pauses reading while too much is in flight.
  void forward(actnet::Conn& conn, Side& side) {
    const std::string_view bytes = conn.next();
    if (bytes.empty()) return;
    const int dir = side.dir;
    std::shared_ptr<Link> link = side.link;
    const std::size_t n = bytes.size();
    link->in_flight[dir].fetch_add(n);
    (void)side.peer.async_write(std::string(bytes),
                                [link, dir, n, self = conn.ref()](std::error_code) {
                                  const std::size_t left = link->in_flight[dir].fetch_sub(n) - n;
                                  if (left <= kLowWater && link->waiting[dir].exchange(false)) {
                                    (void)self.wake();
                                  }
                                });
    if (!conn.is_open() || side.flow_paused || link->in_flight[dir].load() <= kHighWater) return;
    // Announce the wait first, then look again: either this side sees the drain, or the
    // completion that drains sees `waiting` (all seq_cst) and wakes it.
    link->waiting[dir].store(true);
    if (link->in_flight[dir].load() <= kLowWater && link->waiting[dir].exchange(false)) return;
    side.flow_paused = true;
    conn.pause_reading();
  }

  std::vector<Alternatives> upstreams_;
  std::unique_ptr<actnet::Client> client_;  // set in on_boot, before ready_
  std::atomic<actnet::Client*> ready_{nullptr};
  std::atomic<std::size_t> next_{0};
};

}  // namespace proxy
