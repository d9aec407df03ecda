#pragma once
// EventLoop is an actor: one thread that owns an epoll, a mailbox, its connections, the
// buffer pool they draw from and the user actors hosted on it (an ActorHost with a mailbox
// of its own). Nothing else touches those; other threads send messages (loop_message.hpp,
// ActorRef). Its turn — wait, I/O, mailbox, release — is written once, in
// EventLoop::turn() (event_loop.cpp).

#include <any>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "acceptor.hpp"
#include "actnet/conn.hpp"
#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/poller.hpp"
#include "actnet/runtime/actor_host.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/thread_owner.hpp"
#include "deadline_heap.hpp"
#include "dialer.hpp"
#include "engine_core.hpp"
#include "loop_message.hpp"
#include "loop_timers.hpp"
#include "udp_listener.hpp"

namespace actnet::detail {

class EventLoop {
 public:
  static constexpr std::size_t kMailboxBudget = 256;  // messages per turn

  // Supervisor thread. Creates the poller; throws std::system_error when it cannot.
  EventLoop(EngineCore& core, std::size_t index);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Supervisor thread, before start(): with reuse_port, the loop's own listeners.
  void adopt_listener(io::UniqueFd listener);
  // Supervisor thread, before start(): a bound UDP socket of a udp:// address, read by this
  // loop alone (udp_listener.hpp).
  void adopt_udp(io::UniqueFd socket);
  // Supervisor thread.
  void start();
  void join();

  // Any thread: the loop whose thread this is, or nullptr off every loop. What lets a
  // ConnRef used on its own connection's loop take the direct path, with no mailbox hop.
  static EventLoop* current() noexcept;

  // Any thread.
  PushResult post(LoopMessage&& message) { return inbox_->mailbox.push(std::move(message)); }
  const std::shared_ptr<LoopInbox>& inbox() const noexcept { return inbox_; }
  LoopCounters& counters() noexcept { return counters_; }
  std::size_t index() const noexcept { return index_; }

  // Loop thread (Conn's side of the loop).
  const ResolvedOptions& options() const noexcept { return core_.options; }
  EventHandler& handler() noexcept { return core_.handler; }
  EngineCore& core() noexcept { return core_; }
  ActorHost& actors() noexcept { return actors_; }
  Conn* find(ConnId id) noexcept;  // nullptr: closed, or the slot holds a newer connection
  // Runs a message as if it had come through the mailbox (ConnRef's direct path).
  void handle_now(LoopMessage& message) noexcept { handle(message); }
  io::Poller& poller() noexcept { return *poller_; }
  const ThreadOwner& owner() const noexcept { return owner_; }
  spdlog::logger& logger() noexcept { return *core_.logger; }
  // Runs a user callback: publishes its name for the watchdog, and turns an exception into
  // a log line and Errc::handler_failed for the connection.
  template <class F>
  Action call(const char* name, Conn* conn, F&& f) noexcept;
  void apply(Conn& conn, Action action);  // what a callback's Action asks for
  // An exception escaped a user callback: logged with the loop and the peer; the
  // connection closes with Errc::handler_failed and the loop serves everyone else.
  void callback_failed(const char* name, Conn* conn, const char* what) noexcept;
  void release_later(Conn& conn);  // frees the slot at the end of the turn
  // Loop thread: while the mailboxes drain, writes are corked: they gather in the
  // connection's buffer and flush_after_drain() lists the connection for one send at the end.
  bool corked() const noexcept { return corked_; }
  void flush_after_drain(Conn& conn);
  // Loop thread: the turn's clock (read once after epoll_wait), for deadlines.
  DeadlineHeap::Clock::time_point now() const noexcept { return now_; }
  // Loop thread: makes sure the heap holds an entry no later than conn's next deadline
  // (idle, read, write). Moving a deadline later costs nothing: the entry already there
  // re-arms itself when it comes due.
  void arm_deadline(Conn& conn);
  // Loop thread: the loop's user timers (LoopHandle::schedule/every).
  LoopTimers& timers() noexcept { return timers_; }
  void read_again(Conn& conn);  // edge-triggered: serve it next turn without an edge
  // Loop thread: outbound connections (client.hpp). open_outbound adopts a connected socket
  // with `handler` (nullptr: the engine's) and `context`, runs on_open; nullptr when the
  // loop is stopping or cannot watch it (the socket is then closed). `datagram`: a connected
  // UDP socket, served in connected datagram mode (conn_datagram.cpp).
  Dialer& dialer() noexcept { return dialer_; }
  Conn* open_outbound(io::UniqueFd fd, const io::SocketAddress& peer, EventHandler* handler,
                      std::any context, bool datagram = false);
  // Loop thread: closes the connections and fails the dials that run `handler`.
  void close_handler(EventHandler* handler);

  // Loop thread: offload() counts its jobs in flight, so a graceful stop waits for them.
  void offload_started() noexcept { ++offloads_; }
  void offload_finished() noexcept { --offloads_; }

  // Loop thread, from TaskMsg: the two phases of a stop.
  void begin_drain();
  void finish();
  // Any thread (the supervisor, when the stop deadline passed): finish() at the loop's next
  // message, ahead of any backlog in its mailbox. The mailbox is FIFO per producer only, so
  // a TaskMsg alone could wait seconds behind another thread's flood of writes.
  void request_finish();

 private:
  void run();
  void turn();
  void dispatch_io(std::uint64_t token, io::Ready ready);
  void handle(LoopMessage& message) noexcept;
  void handle_queued(LoopMessage& message) noexcept;  // handle() for one taken from the mailbox
  void reject(LoopMessage& message) noexcept;
  void accept_from(std::size_t listener);
  void close_udp();
  Conn* open_conn(io::UniqueFd fd, const io::SocketAddress& peer, EventHandler* handler = nullptr,
                  std::any context = {}, bool datagram = false);
  bool prepare_to_sleep() noexcept;
  void awake() noexcept;
  void publish_counters() noexcept;
  void serve_read_again();
  void release_closed();
  void expire_deadlines();
  void uncork();
  bool drained() const noexcept;

  EngineCore& core_;
  const std::size_t index_;
  ThreadOwner owner_;
  std::shared_ptr<LoopInbox> inbox_;
  ActorHost actors_;  // user actors (Engine::spawn); drained in step 3 of the turn
  std::unique_ptr<io::Poller> poller_;
  io::BufferPool pool_;
  LoopCounters& counters_;
  std::vector<std::unique_ptr<Conn>> conns_;  // the slab: slot -> connection (reused)
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> closed_;      // released at the end of the turn
  std::vector<std::uint32_t> read_again_;  // edge-triggered, chunk limit reached
  std::vector<std::uint32_t> read_again_next_;
  std::vector<io::UniqueFd> listeners_;  // reuse_port only
  std::unique_ptr<Acceptor> acceptor_;   // reuse_port only
  Dialer dialer_{*this};                 // connects in progress (client.hpp)
  // Connection deadlines (keyed by token) and user timers (keys with LoopTimers::kKeyBit).
  DeadlineHeap deadlines_;
  LoopTimers timers_{*this, inbox_->timers, deadlines_};
  DeadlineHeap::Clock::time_point now_ = DeadlineHeap::Clock::now();
  // udp:// listeners: this loop's own socket of each.
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::thread thread_;
  bool corked_ = false;
  std::vector<std::uint32_t> to_flush_;  // slots written to while corked
  bool mailbox_more_ = false;            // the last drain of either mailbox hit its budget
  bool draining_ = false;
  bool finished_ = false;
  // Set by request_finish() from the supervisor, read by handle_queued(); it publishes no data, so
  // relaxed ordering is enough (the TaskMsg posted with it wakes a sleeping loop).
  std::atomic<bool> finish_requested_{false};
  bool threw_ = false;        // the last call() ended in an exception
  std::size_t offloads_ = 0;  // offload() jobs on the worker pool whose `then` is to come
};

template <class F>
Action EventLoop::call(const char* name, Conn* conn, F&& f) noexcept {
  counters_.callback.store(name, std::memory_order_relaxed);
  Action action = Action::none;
  bool threw = false;
  try {
    action = f();
  } catch (const std::exception& e) {
    threw = true;
    callback_failed(name, conn, e.what());
  } catch (...) {
    threw = true;
    callback_failed(name, conn, "a non-standard exception");
  }
  // Set last: callback_failed runs on_close through a nested call().
  threw_ = threw;
  counters_.callback.store(nullptr, std::memory_order_relaxed);
  return action;
}

}  // namespace actnet::detail
