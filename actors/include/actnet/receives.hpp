#pragma once
// Receives<T> is how a handler takes typed messages that other threads and actors send to
// one of its connections with ConnRef::send<T>(): per-connection state driven from outside
// (kick this player, push this notification) without locks, because on_message runs on the
// connection's loop like every other callback. A handler derives from EventHandler and
// from one Receives<T> per message type it understands:
//
//   class Game : public actnet::EventHandler, public actnet::Receives<Kick> {
//     actnet::Action on_message(actnet::Conn& conn, Kick& kick) override;
//   };
//
// A message whose type the connection's handler does not receive completes with
// Errc::unsupported.

#include "actnet/action.hpp"

namespace actnet {

class Conn;

/// A handler that derives from Receives<T> takes messages of type T sent to its
/// connections with ConnRef::send<T>(); on_message runs on the connection's loop.
template <class T>
class Receives {
 public:
  virtual ~Receives() = default;

  /// The connection's loop: `message` was sent with ConnRef::send<T>(). May read, write or
  /// close `conn`; an exception closes it with Errc::handler_failed, like any callback.
  virtual Action on_message(Conn& conn, T& message) = 0;
};

}  // namespace actnet
