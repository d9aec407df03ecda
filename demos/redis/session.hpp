#pragma once
// Session is one client connection's Redis state, kept as its Conn's context: the parser,
// the replies waiting for their turn, the output gathered during one callback and the
// batches bound for other loops' shards.
//
// Thread: the connection's loop only.

#include <cstddef>
#include <string>
#include <vector>

#include <actnet/actnet.hpp>

#include "reply_queue.hpp"
#include "resp_parser.hpp"
#include "shard_messages.hpp"

namespace redis {

struct Session {
  explicit Session(actnet::ConnRef self) : self(std::move(self)) {}

  RespParser parser;
  ReplyQueue replies;
  std::string out;                       // replies ready to write, flushed once per callback
  std::string scratch;                   // a local part's reply before it joins its slot
  std::vector<RequestBuffers> outgoing;  // per shard: this callback's remote parts
  std::vector<AnswerBuffers> spare;      // per shard: answer storage to lend the next batch
  actnet::ConnRef self;
  bool closing = false;    // QUIT, a protocol error or the peer's EOF: read nothing more
  bool shut_down = false;  // the write side was asked to shut
};

}  // namespace redis
