#pragma once
// An actor is state plus receive(Msg&): the way users keep state that many connections and
// threads touch (a chat room, a cache shard) without locks. It lives on one host thread;
// every other thread reaches it only by sending through an ActorRef.

#include <memory>

#include "actnet/export.hpp"
#include "actnet/runtime/actor_ref.hpp"
#include "actnet/runtime/envelope.hpp"

namespace actnet {

class ActorHost;

/// The untyped part every hosted actor shares; users derive from Actor<Msg>.
class ACTNET_API ActorBase {
 public:
  virtual ~ActorBase() = default;

  /// Host thread: the actor leaves once the current message is handled; later messages
  /// complete with actor_stopped.
  void stop() noexcept;

  /// Host thread: this actor's id on its host.
  ActorId id() const noexcept { return id_; }
  /// Host thread: the host it lives on.
  ActorHost& host() const noexcept { return *host_; }

 protected:
  /// Host thread: after the actor is placed, before its first message.
  virtual void on_start() {}
  /// Host thread: after its last message, before it is destroyed.
  virtual void on_stop() {}

  /// The host's mailbox, for typed refs to this actor.
  const std::shared_ptr<ActorInbox>& host_inbox() const noexcept { return *inbox_; }

 private:
  friend class ActorHost;
  ActorHost* host_ = nullptr;
  const std::shared_ptr<ActorInbox>* inbox_ = nullptr;  // the host's; lives as long as it
  ActorId id_;
  bool stopping_ = false;
};

/// What a user derives from to write an actor: state plus receive(Msg&), hosted on one
/// thread (a loop, with Engine::spawn) and reached from any thread through ActorRef<Msg>.
template <class Msg>
class Actor : public ActorBase {
 public:
  /// The type of the messages it receives.
  using message_type = Msg;

  /// Host thread: handles one message. An exception is logged, the sender's completion gets
  /// actor_failed, and the actor's Supervision decides what follows (by default a restart
  /// with fresh state; see supervision.hpp).
  virtual void receive(Msg& msg) = 0;

  /// Host thread: a ref to this actor, to hand to others.
  ActorRef<Msg> self() const { return ActorRef<Msg>(host_inbox(), id()); }
};

}  // namespace actnet
