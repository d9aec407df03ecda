#pragma once
// Room is the chat room: an actor hosted on one of the engine's loops that owns the list of
// members (their ConnRefs and names), the message sequence number and the guest counter.
// Connections on every loop reach it only through its mailbox, so the member list needs no
// lock, and since it handles one message at a time every member sees the room's events in
// the same order.
//
// A member that cannot keep up does not slow the room: writes to it are queued on its own
// loop, whose hard outbound limit (Options::write_hard_limit) closes it; the failed write's
// completion tells the room, which then removes it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <actnet/actnet.hpp>

#include "room_messages.hpp"

namespace chat {

class Room final : public actnet::Actor<RoomMsg> {
 public:
  // The room's loop.
  void receive(RoomMsg& msg) override;

 protected:
  // The room's loop: a room that stops (the engine stops, or receive threw) closes its
  // members' connections rather than leave them in a room that no longer answers.
  void on_stop() override;

 private:
  struct Member {
    actnet::ConnRef conn;
    std::string name;
  };

  void join(Join& join);
  void say(Say& say);
  void leave(const Leave& leave);
  void announce(std::string_view type, std::string_view name);
  void broadcast(std::string_view json);
  // A linear search: the room broadcasts to every member anyway, so this adds no order of
  // cost (ConnRef offers equality, not a hash).
  std::vector<Member>::iterator find(const actnet::ConnRef& conn);

  std::vector<Member> members_;  // in join order: the "online" list
  std::uint64_t seq_ = 0;        // messages said so far
  std::uint64_t guests_ = 0;     // guest names handed out so far
};

}  // namespace chat
