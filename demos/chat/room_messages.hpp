#pragma once
// What connections tell the Room. Each names its member by ConnRef, the connection's
// identity that stays unique for the server's life, so a message from a connection that has
// already left (or was dropped) is recognised and ignored.

#include <string>
#include <type_traits>
#include <variant>

#include <actnet/actnet.hpp>

namespace chat {

// A connection finished the WebSocket handshake. An empty name means "pick guest-<n>".
struct Join {
  actnet::ConnRef conn;
  std::string name;
};

// A member sent a text message (valid UTF-8, at most 1 MiB).
struct Say {
  actnet::ConnRef conn;
  std::string text;
};

// A member's connection closed, or writing to it failed (`failed`: the room also closes it).
struct Leave {
  actnet::ConnRef conn;
  bool failed = false;
};

using RoomMsg = std::variant<Join, Say, Leave>;
static_assert(std::is_nothrow_move_constructible_v<RoomMsg>, "mailbox messages must not throw");

}  // namespace chat
