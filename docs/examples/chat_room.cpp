// A line-based chat room: every line a client sends goes to every member. The room is an
// actor hosted on one loop; connections on every loop reach it only by message, so its
// member list needs no lock and every member sees the lines in the same order.
// Usage: actnet-example-chat-room [PORT]   (serves 127.0.0.1:PORT, 9000 by default)
#include <algorithm>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include <actnet/actnet.hpp>

// doc:begin room
struct Join {
  actnet::ConnRef who;
};
struct Leave {
  actnet::ConnRef who;
};
struct Say {
  std::string line;
};
using RoomMsg = std::variant<Join, Leave, Say>;

// Runs on one loop, one message at a time: its state needs no lock.
class Room final : public actnet::Actor<RoomMsg> {
 public:
  void receive(RoomMsg& msg) override {
    if (auto* join = std::get_if<Join>(&msg)) {
      members_.push_back(join->who);
      join->who.async_write("welcome\n");  // the client knows it is in before it speaks
    } else if (auto* leave = std::get_if<Leave>(&msg)) {
      std::erase(members_, leave->who);
    } else if (auto* say = std::get_if<Say>(&msg)) {
      // A member that closed meanwhile fails its write with connection_closed: harmless.
      for (const actnet::ConnRef& member : members_)
        member.async_write(say->line);
    }
  }

 private:
  std::vector<actnet::ConnRef> members_;
};
// doc:end room

// doc:begin handler
class Chat final : public actnet::EventHandler {
 public:
  actnet::Action on_boot(actnet::Engine& engine) override {  // the supervisor thread
    room_ = engine.spawn<Room>();  // placed on a loop; the ref works from any thread
    return actnet::Action::none;
  }
  actnet::Action on_open(actnet::Conn& conn) override {  // the connection's loop
    room_.send(Join{conn.ref()});
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    // Whole lines only: what follows the last '\n' stays buffered for the next call.
    const std::string_view buffered = conn.peek();
    const std::size_t end = buffered.rfind('\n');
    if (end != std::string_view::npos) room_.send(Say{std::string(conn.next(end + 1))});
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn& conn, std::error_code) override {
    room_.send(Leave{conn.ref()});
    return actnet::Action::none;
  }

 private:
  // Written in on_boot. Without reuse_port the supervisor accepts only after on_boot, so no
  // connection sees it unset (with reuse_port, see how demos/chat waits for it).
  actnet::ActorRef<RoomMsg> room_;
};
// doc:end handler

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "9000";
  Chat chat;
  const actnet::io::Status status =
      actnet::run(chat, "tcp://127.0.0.1:" + port, {.num_event_loops = 2, .handle_signals = true});
  if (!status) std::fprintf(stderr, "chat-room: %s\n", status.error().message.c_str());
  return status ? 0 : 1;
}
