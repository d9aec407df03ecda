#pragma once
// ActorHost owns a set of actors and the one mailbox they all receive through. It is driven
// by its owner's thread — an event loop, or any thread that calls run_once() — and never
// blocks: the owner decides when to sleep (see Mailbox::prepare_to_sleep()). Actors live
// in a slab of slots; a slot's generation is bumped when its actor leaves, which is what
// makes stale refs fail instead of reaching a newcomer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "actnet/export.hpp"
#include "actnet/runtime/actor.hpp"
#include "actnet/runtime/actor_ref.hpp"
#include "actnet/runtime/envelope.hpp"
#include "actnet/runtime/supervision.hpp"
#include "actnet/runtime/thread_owner.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

/// Owns a set of actors and the one mailbox they all receive through; driven by its owner's
/// thread (an event loop, or any thread that calls run_once()), it never blocks.
class ACTNET_API ActorHost {
 public:
  /// Messages handled per run_once() unless the owner says otherwise.
  static constexpr std::size_t kDefaultBudget = 256;

  /// The host belongs to the constructing thread until owner().bind_to_current_thread().
  explicit ActorHost(std::shared_ptr<spdlog::logger> logger = nullptr);
  /// Owner thread (stops every actor that is still there).
  ~ActorHost();
  ActorHost(const ActorHost&) = delete;
  ActorHost& operator=(const ActorHost&) = delete;

  /// Owner thread: constructs an A and places it under the default Supervision (restart,
  /// at most 5 times in 10 s); on_start() runs before this returns. If on_start() throws,
  /// the actor is dropped and the ref returned is already stale.
  template <class A, class... Args>
  ActorRef<typename A::message_type> spawn(Args&&... args) {
    return spawn_supervised<A>(Supervision{}, std::forward<Args>(args)...);
  }

  /// Owner thread: the same under `supervision`. A restart constructs a new A from the same
  /// arguments: references stay references, values are copied each time. An A that cannot
  /// be built again from them (a move-only argument) is stopped instead of restarted.
  template <class A, class... Args>
  ActorRef<typename A::message_type> spawn_supervised(Supervision supervision, Args&&... args) {
    ACTNET_ASSERT_OWNER(owner_);
    Factory factory;
    if constexpr (std::is_constructible_v<A, std::remove_reference_t<Args>&...>) {
      factory = [stored = std::tuple<Args...>(std::forward<Args>(args)...)]() mutable {
        return std::apply(
            [](auto&... a) -> std::unique_ptr<ActorBase> { return std::make_unique<A>(a...); },
            stored);
      };
      std::unique_ptr<ActorBase> first = factory();
      ActorId id = place(std::move(first), supervision, std::move(factory));
      return ActorRef<typename A::message_type>(inbox_, id);
    } else {
      ActorId id =
          place(std::make_unique<A>(std::forward<Args>(args)...), supervision, std::move(factory));
      return ActorRef<typename A::message_type>(inbox_, id);
    }
  }

  /// Owner thread: a name for log lines about this host's actors ("loop 2"), so a failure
  /// says where it happened.
  void set_name(const std::string& name) { prefix_ = name.empty() ? "" : name + ": "; }

  /// Owner thread: what runs when an actor with OnFailure::escalate fails (after it left).
  void on_escalate(UniqueFunction<void(ActorId, const std::string& what)> hook) {
    escalate_ = std::move(hook);
  }

  /// Owner thread: handles up to `budget` queued messages; returns how many it handled.
  std::size_t run_once(std::size_t budget = kDefaultBudget);

  /// Owner thread: closes the mailbox (whatever is still queued completes with
  /// mailbox_closed) and stops every actor. Later sends fail with mailbox_closed.
  void stop();

  /// Owner thread.
  std::size_t actor_count() const noexcept { return live_; }

  /// Any thread: the mailbox, whose wakeup_fd() the owner watches.
  ActorInbox& inbox() const noexcept { return *inbox_; }
  /// Any thread: the owner thread's record (owner().bind_to_current_thread() moves it).
  ThreadOwner& owner() noexcept { return owner_; }
  /// Any thread: messages handled so far.
  std::uint64_t messages_handled() const noexcept {
    return handled_.load(std::memory_order_relaxed);
  }
  /// Any thread: actor restarts by supervision so far.
  std::uint64_t restarts() const noexcept { return restarts_.load(std::memory_order_relaxed); }

 private:
  friend class ActorBase;

  using Factory = UniqueFunction<std::unique_ptr<ActorBase>()>;
  struct Slot {
    std::unique_ptr<ActorBase> actor;
    std::uint32_t generation = 1;
    Supervision supervision;
    Factory factory;                                               // empty: cannot be restarted
    std::vector<std::chrono::steady_clock::time_point> restarted;  // within the window
  };

  ActorId place(std::unique_ptr<ActorBase> actor, Supervision supervision, Factory factory);
  void install(std::uint32_t slot, std::unique_ptr<ActorBase> actor);
  void failed(std::uint32_t slot, const std::string& what) noexcept;
  bool restart(std::uint32_t slot) noexcept;
  ActorBase* find(ActorId id) noexcept;
  void dispatch(Envelope& envelope) noexcept;
  void request_stop(ActorBase& actor) noexcept;
  void retire_stopped() noexcept;
  void retire(std::uint32_t slot) noexcept;

  ThreadOwner owner_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<ActorInbox> inbox_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> stopping_;  // slots whose actors asked to leave
  std::size_t live_ = 0;
  std::atomic<std::uint64_t> handled_{0};  // written by the owner, read by anyone
  std::atomic<std::uint64_t> restarts_{0};
  UniqueFunction<void(ActorId, const std::string&)> escalate_;
  std::string prefix_;  // set_name(): "loop 2: "
};

}  // namespace actnet
