#pragma once
// What other threads send an event loop. One variant, so a message costs no allocation of
// its own; payload bytes are moved in by the sender.

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "actnet/action.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/runtime/completion.hpp"
#include "actnet/runtime/mailbox.hpp"
#include "actnet/runtime/unique_function.hpp"
#include "timer_table.hpp"

namespace actnet {
class Conn;
class EventHandler;
}  // namespace actnet

namespace actnet::detail {

class EventLoop;

struct ConnId {
  std::uint32_t slot;
  std::uint32_t generation;
};

// A connection the acceptor took, for this loop to own.
struct AcceptMsg {
  io::UniqueFd fd;
  io::SocketAddress peer;
};
struct WriteMsg {
  ConnId to;
  std::string bytes;
  Completion done;
};
struct WritevMsg {
  ConnId to;
  std::vector<std::string> parts;
  Completion done;
};
struct WakeMsg {
  ConnId to;
  Completion done;
};
struct CloseMsg {
  ConnId to;
  Completion done;
};
// A user message for the connection's handler (ConnRef::send<T>, Receives<T>).
struct UserMsg {
  ConnId to;
  UniqueFunction<Action(EventHandler&, Conn&, bool&)> deliver;
  Completion done;
};
struct ShutdownWriteMsg {
  ConnId to;
  Completion done;
};
// ConnRef::set_read_deadline / set_write_deadline / set_deadline.
struct DeadlineMsg {
  enum Which : std::uint8_t { read = 1, write = 2, both = 3 };
  ConnId to;
  std::chrono::steady_clock::time_point when;
  Which which;
  Completion done;
};
// A datagram from one of the loop's UDP sockets (DatagramRef).
struct DatagramMsg {
  std::uint32_t socket;
  io::SocketAddress peer;
  std::string bytes;
  Completion done;
};
// Engine-internal work run on the loop (drain, force stop, ...).
struct TaskMsg {
  UniqueFunction<void(EventLoop&)> run;
};

using LoopMessage = std::variant<AcceptMsg, WriteMsg, WritevMsg, WakeMsg, CloseMsg, UserMsg,
                                 ShutdownWriteMsg, TaskMsg, DatagramMsg, DeadlineMsg>;

// What a loop shares with the handles that name it (ConnRef, LoopHandle, TimerHandle), so
// a late handle finds it closed, not freed: the mailbox, and its timers' cancellation state.
class LoopInbox {
 public:
  Mailbox<LoopMessage> mailbox{4096};
  TimerTable timers;
};

}  // namespace actnet::detail
