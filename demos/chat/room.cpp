#include "room.hpp"

#include <algorithm>

#include "protocol/chat_events.hpp"
#include "protocol/frame_encoder.hpp"

namespace chat {

void Room::receive(RoomMsg& msg) {
  std::visit(
      [this](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Join>) {
          join(m);
        } else if constexpr (std::is_same_v<T, Say>) {
          say(m);
        } else {
          leave(m);
        }
      },
      msg);
}

void Room::on_stop() {
  for (const Member& member : members_)
    member.conn.close();
  members_.clear();
}

void Room::join(Join& join) {
  if (find(join.conn) != members_.end()) return;
  std::string name = std::move(join.name);
  if (name.empty()) name = "guest-" + std::to_string(++guests_);
  members_.push_back({std::move(join.conn), std::move(name)});
  announce("join", members_.back().name);  // the joiner too: that is how it learns who is here
}

void Room::say(Say& say) {
  const auto member = find(say.conn);
  if (member == members_.end()) return;  // left or dropped while this was on its way
  broadcast(message_event(member->name, say.text, ++seq_));
}

void Room::leave(const Leave& leave) {
  const auto member = find(leave.conn);
  if (member == members_.end()) return;  // both its close and a failed write report it
  if (leave.failed) member->conn.close();
  const std::string name = std::move(member->name);
  members_.erase(member);
  announce("leave", name);
}

void Room::announce(std::string_view type, std::string_view name) {
  std::vector<std::string_view> online;
  online.reserve(members_.size());
  for (const Member& member : members_)
    online.push_back(member.name);
  broadcast(presence_event(type, name, online));
}

void Room::broadcast(std::string_view json) {
  const std::string frame = encode_frame(Opcode::text, json);
  const actnet::ActorRef<RoomMsg> room = self();
  for (const Member& member : members_) {
    // The frame is encoded once; each member's write still gets its own copy, because
    // ConnRef::async_write takes the bytes by value. A shared buffer would save the copies.
    member.conn.async_write(std::string(frame), [room, conn = member.conn](std::error_code ec) {
      // On the member's loop: a failed write means the member is gone or cannot keep up.
      if (ec) room.send(Leave{conn, true});
    });
  }
}

std::vector<Room::Member>::iterator Room::find(const actnet::ConnRef& conn) {
  return std::find_if(members_.begin(), members_.end(),
                      [&](const Member& m) { return m.conn == conn; });
}

}  // namespace chat
