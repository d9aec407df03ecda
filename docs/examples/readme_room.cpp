// The README's "Actors on the loops" sample as a whole program: a Room actor owns its
// members' ConnRefs and forwards what each member says to everyone.
// Usage: actnet-example-readme-room [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

// doc:begin room
#include <actnet/actnet.hpp>

// A room owns its members' ConnRefs; it runs on one loop, so its state needs no lock.
struct Join {
  actnet::ConnRef who;
};
struct Say {
  std::string text;
};
using RoomMsg = std::variant<Join, Say>;

struct Room final : actnet::Actor<RoomMsg> {
  std::vector<actnet::ConnRef> members;
  void receive(RoomMsg& m) override {
    if (auto* j = std::get_if<Join>(&m)) members.push_back(j->who);
    if (auto* s = std::get_if<Say>(&m))
      for (auto& member : members)
        member.async_write(s->text);  // same loop: no mailbox hop
  }
};

struct Chat final : actnet::EventHandler {
  actnet::ActorRef<RoomMsg> room;
  actnet::Action on_boot(actnet::Engine& engine) override {
    room = engine.spawn<Room>();  // hosted on a loop; restarted if receive throws
    return actnet::Action::none;
  }
  actnet::Action on_open(actnet::Conn& conn) override {
    room.send(Join{conn.ref()});
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    room.send(Say{std::string(conn.next())});
    return actnet::Action::none;
  }
};
// doc:end room

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Chat chat;
  const actnet::io::Status status =
      actnet::run(chat, "tcp://127.0.0.1:" + port, {.num_event_loops = 2, .handle_signals = true});
  if (!status) std::fprintf(stderr, "readme-room: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
