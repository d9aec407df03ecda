#include "timer_table.hpp"

namespace actnet::detail {
namespace {

constexpr std::uint64_t kStatusMask = 3;

std::uint64_t word(std::uint32_t generation, std::uint64_t status) noexcept {
  return (std::uint64_t{generation} << 2) | status;
}

}  // namespace

TimerTable::TimerTable() : chunks_(new std::atomic<Chunk*>[kMaxChunks]) {
  for (std::size_t i = 0; i < kMaxChunks; ++i)
    chunks_[i].store(nullptr, std::memory_order_relaxed);
}

TimerTable::~TimerTable() {
  for (std::size_t i = 0; i < kMaxChunks; ++i)
    delete chunks_[i].load(std::memory_order_relaxed);
}

TimerTable::Slot* TimerTable::find(std::uint32_t slot) const noexcept {
  const std::size_t chunk = slot / kChunkSlots;
  if (chunk >= kMaxChunks) return nullptr;
  // Acquire: pairs with make()'s publication, so the chunk's slots are seen constructed.
  Chunk* c = chunks_[chunk].load(std::memory_order_acquire);
  return c == nullptr ? nullptr : &c->slots[slot % kChunkSlots];
}

TimerTable::Slot& TimerTable::make(std::uint32_t slot) {
  std::atomic<Chunk*>& at = chunks_[slot / kChunkSlots];
  Chunk* c = at.load(std::memory_order_acquire);
  if (c == nullptr) {
    auto fresh = std::make_unique<Chunk>();
    // Two threads may race to allocate the same chunk: one wins, the other's is dropped.
    if (at.compare_exchange_strong(c, fresh.get(), std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      c = fresh.release();
    }
  }
  return c->slots[slot % kChunkSlots];
}

std::optional<TimerTable::Claim> TimerTable::claim() {
  std::uint32_t slot = kNone;
  // Acquire: a popped slot's state (its new generation) was written before release() pushed.
  std::uint64_t head = free_head_.load(std::memory_order_acquire);
  while (static_cast<std::uint32_t>(head) != kNone) {
    const std::uint32_t first = static_cast<std::uint32_t>(head);
    const std::uint32_t next = find(first)->next.load(std::memory_order_relaxed);
    const std::uint64_t tag = (head >> 32) + 1;
    if (free_head_.compare_exchange_weak(head, (tag << 32) | next, std::memory_order_acquire,
                                         std::memory_order_acquire)) {
      slot = first;
      break;
    }
  }
  if (slot == kNone) {
    slot = fresh_.fetch_add(1, std::memory_order_relaxed);
    if (slot >= kChunkSlots * kMaxChunks) return std::nullopt;
    make(slot);
  }
  Slot& s = *find(slot);
  const auto generation = static_cast<std::uint32_t>(s.state.load(std::memory_order_relaxed) >> 2);
  // Release: a canceller that sees pending also sees the slot settled.
  s.state.store(word(generation, kPending), std::memory_order_release);
  return Claim{slot, generation};
}

bool TimerTable::cancel(Claim id) noexcept {
  Slot* s = find(id.slot);
  if (s == nullptr) return false;
  std::uint64_t expected = word(id.generation, kPending);
  return s->state.compare_exchange_strong(expected, word(id.generation, kCancelled),
                                          std::memory_order_acq_rel, std::memory_order_relaxed);
}

bool TimerTable::pending(Claim id) const noexcept {
  const Slot* s = find(id.slot);
  return s != nullptr && s->state.load(std::memory_order_acquire) == word(id.generation, kPending);
}

bool TimerTable::finish(Claim id) noexcept {
  Slot* s = find(id.slot);
  if (s == nullptr) return false;
  std::uint64_t expected = word(id.generation, kPending);
  if (s->state.compare_exchange_strong(expected, word(id.generation, kDone),
                                       std::memory_order_acq_rel, std::memory_order_relaxed)) {
    return true;
  }
  if ((expected >> 2) == id.generation && (expected & kStatusMask) == kCancelled) {
    s->state.store(word(id.generation, kDone), std::memory_order_release);
  }
  return false;
}

void TimerTable::release(std::uint32_t slot) noexcept {
  Slot* s = find(slot);
  if (s == nullptr) return;
  const auto old = static_cast<std::uint32_t>(s->state.load(std::memory_order_relaxed) >> 2);
  std::uint32_t generation = (old + 1) & kGenerationMask;
  if (generation == 0) generation = 1;
  s->state.store(word(generation, kFree), std::memory_order_relaxed);
  std::uint64_t head = free_head_.load(std::memory_order_relaxed);
  for (;;) {
    s->next.store(static_cast<std::uint32_t>(head), std::memory_order_relaxed);
    const std::uint64_t tag = (head >> 32) + 1;
    // Release: the state and link above are visible to the claimer that pops this slot.
    if (free_head_.compare_exchange_weak(head, (tag << 32) | slot, std::memory_order_release,
                                         std::memory_order_relaxed)) {
      return;
    }
  }
}

}  // namespace actnet::detail
