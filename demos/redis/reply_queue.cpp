#include "reply_queue.hpp"

#include <utility>

#include "resp_reply.hpp"

namespace redis {

ReplyQueue::Combine ReplyQueue::combine_for(Cmd cmd) noexcept {
  switch (cmd) {
    case Cmd::mget:
      return Combine::array_by_part;
    case Cmd::keys:
      return Combine::array_counted;
    case Cmd::del:
    case Cmd::exists:
    case Cmd::dbsize:
      return Combine::sum;
    case Cmd::mset:
    case Cmd::flushdb:
    case Cmd::flushall:
      return Combine::ok;
    default:
      return Combine::raw;
  }
}

void ReplyQueue::grow() {
  std::vector<Slot> bigger(ring_.size() * 2);
  for (std::size_t i = 0; i < size_; ++i)
    bigger[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
  ring_ = std::move(bigger);
  head_ = 0;
}

std::uint64_t ReplyQueue::open(Combine combine, std::uint32_t parts) {
  if (size_ == ring_.size()) grow();
  const std::uint64_t seq = first_seq_ + size_;
  ++size_;
  Slot& slot = at(seq);
  slot.combine = combine;
  slot.parts = parts;
  slot.remaining = parts;
  slot.count = 0;
  slot.bytes.clear();
  if (combine == Combine::array_by_part) {
    slot.pieces.resize(parts);
    for (std::string& piece : slot.pieces)
      piece.clear();
  }
  return seq;
}

void ReplyQueue::complete(PartRef id, std::string_view bytes, std::int64_t count) {
  Slot& slot = at(id.seq);
  switch (slot.combine) {
    case Combine::raw:
      slot.bytes.assign(bytes);
      break;
    case Combine::array_by_part:
      slot.pieces[id.part].assign(bytes);
      break;
    case Combine::array_counted:
      slot.bytes.append(bytes);
      slot.count += count;
      break;
    case Combine::sum:
      slot.count += count;
      break;
    case Combine::ok:
      break;
  }
  --slot.remaining;
}

void ReplyQueue::flush_ready(std::string& out) {
  while (size_ > 0) {
    Slot& slot = ring_[head_];
    if (slot.remaining > 0) return;
    switch (slot.combine) {
      case Combine::raw:
        out.append(slot.bytes);
        break;
      case Combine::array_by_part:
        reply::array(out, slot.parts);
        for (const std::string& piece : slot.pieces)
          out.append(piece);
        break;
      case Combine::array_counted:
        reply::array(out, slot.count);
        out.append(slot.bytes);
        break;
      case Combine::sum:
        reply::integer(out, slot.count);
        break;
      case Combine::ok:
        reply::ok(out);
        break;
    }
    if (slot.bytes.capacity() > 64 * 1024) std::string().swap(slot.bytes);  // no hoarding
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
    ++first_seq_;
  }
}

}  // namespace redis
