#pragma once
// ActorRef<Msg>: the handle through which any thread talks to a hosted actor. It is a small
// copyable value — the host's mailbox, the actor's slot and its generation — never a
// pointer to the actor, so it stays safe after the actor is gone: a send then completes
// with `actor_stopped` (or `mailbox_closed` once the host stopped) and never reaches a newer
// actor in the same slot.

#include <memory>
#include <system_error>
#include <utility>

#include "actnet/runtime/completion.hpp"
#include "actnet/runtime/envelope.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/mailbox.hpp"

namespace actnet {

template <class Msg>
class Actor;
class ActorHost;

/// The mailbox an ActorHost receives through, shared by all its actors.
using ActorInbox = Mailbox<Envelope>;

/// The handle through which any thread talks to a hosted actor: the host's mailbox, the
/// actor's slot and its generation, never a pointer. A send through a ref whose actor is
/// gone completes with actor_stopped (mailbox_closed once the host stopped).
template <class Msg>
class ActorRef {
 public:
  ActorRef() = default;  ///< names no actor; a send fails with actor_stopped

  /// Any thread. Queues `msg` for the actor's receive(). `done`, if given, runs once with
  /// the outcome: success after receive() returned, actor_stopped, actor_failed (receive
  /// threw), or mailbox_closed. The return value says whether the message was queued.
  std::error_code send(Msg msg, Completion done = {}) const {
    if (!inbox_) {
      complete(done, Errc::actor_stopped);
      return Errc::actor_stopped;
    }
    Envelope envelope{id_,
                      [m = std::move(msg)](ActorBase& actor) mutable {
                        static_cast<Actor<Msg>&>(actor).receive(m);
                      },
                      std::move(done)};
    if (inbox_->push(std::move(envelope)) == PushResult::ok) return {};
    complete(envelope.done, Errc::mailbox_closed);
    return Errc::mailbox_closed;
  }

  /// Any thread: the actor's id on its host.
  ActorId id() const noexcept { return id_; }
  /// Any thread: false for a default-constructed ref, which names no actor.
  explicit operator bool() const noexcept { return inbox_ != nullptr; }
  /// Any thread: the same host and actor id.
  friend bool operator==(const ActorRef& a, const ActorRef& b) noexcept {
    return a.inbox_ == b.inbox_ && a.id_ == b.id_;
  }

 private:
  friend class ActorHost;
  friend class Actor<Msg>;
  ActorRef(std::shared_ptr<ActorInbox> inbox, ActorId id) : inbox_(std::move(inbox)), id_(id) {}

  std::shared_ptr<ActorInbox> inbox_;  // shared: a ref may outlive its host safely
  ActorId id_;
};

}  // namespace actnet
