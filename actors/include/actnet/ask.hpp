#pragma once
// ask() is request/reply between actors and connection handlers without blocking anyone: a
// handler asks a shared-state actor (a cache shard, a room) and the answer comes back as a
// callback on the asker's own loop, where it may touch its connections freely.
//
//   struct Get { std::string key; actnet::Reply<std::string> reply; };
//   // in the actor:   void receive(Msg& m) { m.reply(table_[m.key]); }
//   // in a handler:   actnet::ask<std::string>(cache, [&](auto reply) {
//                        return Msg{Get{key, std::move(reply)}}; },
//                        [ref = conn.ref()](actnet::Result<std::string> v) { ... });
//
// The callback runs exactly once: with the answer, or with the reason there is none —
// actor_stopped, actor_failed (receive threw), mailbox_closed, or no_reply (the actor let
// the Reply go unanswered).

#include <atomic>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "actnet/io/result.hpp"
#include "actnet/loop_handle.hpp"
#include "actnet/runtime/actor_ref.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

namespace detail {

/// What one ask shares between its Reply, the send's completion and the asker: the first
/// answer wins and is carried home.
template <class T>
struct AskState {
  std::atomic<bool> answered{false};
  LoopHandle home;  ///< empty: asked from off every loop, the callback runs where answered
  UniqueFunction<void(Result<T>)> then;

  void answer(Result<T> result) {
    if (answered.exchange(true, std::memory_order_acq_rel)) return;
    auto deliver = [then = std::move(then), r = std::move(result)]() mutable {
      then(std::move(r));
    };
    if (!home) {
      deliver();
      return;
    }
    // If the asker's loop has stopped the answer has nowhere to go and is dropped with it.
    (void)home.post(std::move(deliver));
  }
};

}  // namespace detail

/// The answering half of an ask, carried inside the message. Move-only and one-shot: the
/// actor calls it (now or later, from its own loop) exactly once; dropping it unanswered
/// answers Errc::no_reply.
template <class T>
class Reply {
 public:
  /// Movable: the moved-from Reply answers nothing.
  Reply(Reply&&) noexcept = default;
  /// Moves; a Reply assigned over that was not answered yet answers Errc::no_reply.
  Reply& operator=(Reply&& other) noexcept {
    if (this != &other) {
      drop();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~Reply() { drop(); }

  /// Any thread (normally the actor's loop): sends the answer to the asker's loop.
  void operator()(T value) {
    if (auto state = std::move(state_)) state->answer(Result<T>(std::move(value)));
  }
  /// Any thread: answers with an error instead.
  void fail(std::error_code code, std::string message = {}) {
    if (auto state = std::move(state_)) state->answer(Result<T>(Error{code, std::move(message)}));
  }
  explicit operator bool() const noexcept { return state_ != nullptr; }  ///< not answered yet

 private:
  template <class U, class Msg, class Make, class Then>
  friend void ask(const ActorRef<Msg>&, Make&&, Then&&);
  explicit Reply(std::shared_ptr<detail::AskState<T>> state) : state_(std::move(state)) {}
  void drop() noexcept {
    if (auto state = std::move(state_)) {
      try {
        state->answer(Result<T>(
            Error{make_error_code(Errc::no_reply), "the actor dropped the request unanswered"}));
      } catch (...) {
        // Only allocation can throw here; the asker then hears nothing, as with a lost loop.
      }
    }
  }

  std::shared_ptr<detail::AskState<T>> state_;
};

/// Any thread; meant for loops. Builds the message with make(Reply<T>) and sends it to `to`;
/// then(Result<T>) runs once on the calling loop (off every loop: on the answering thread).
template <class T, class Msg, class Make, class Then>
void ask(const ActorRef<Msg>& to, Make&& make, Then&& then) {
  auto state = std::make_shared<detail::AskState<T>>();
  state->home = LoopHandle::current();
  state->then = std::forward<Then>(then);
  Msg message = std::forward<Make>(make)(Reply<T>(state));
  (void)to.send(std::move(message), [state](std::error_code ec) {
    if (ec) state->answer(Result<T>(Error{ec, "ask: the actor did not handle the request"}));
  });
}

}  // namespace actnet
