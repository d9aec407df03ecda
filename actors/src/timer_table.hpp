#pragma once
// TimerTable is the part of a loop's user timers that other threads may touch: one atomic
// state word (generation and status) per timer slot, so TimerHandle::cancel() from any
// thread answers exactly whether it stopped the timer, and a lock-free list of free slots,
// so schedule() from any thread has its handle at once. The timers' functions and due times
// stay on the loop (LoopTimers). Slots live in chunks that are allocated once and never move
// or shrink, so a slot index is valid on any thread for as long as the table lives; the
// table sits in the loop's LoopInbox, which every handle shares.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace actnet::detail {

class TimerTable {
 public:
  static constexpr std::size_t kChunkSlots = 1024;
  static constexpr std::size_t kMaxChunks = 1024;  // at most ~1M timers per loop at once
  static constexpr std::uint32_t kGenerationMask = 0x7FFF'FFFF;  // fits a heap key's bits

  struct Claim {
    std::uint32_t slot;
    std::uint32_t generation;
  };

  TimerTable();
  ~TimerTable();
  TimerTable(const TimerTable&) = delete;
  TimerTable& operator=(const TimerTable&) = delete;

  // Any thread: a free slot, pending under its current generation; nullopt when the table is
  // full. Throws std::bad_alloc when a new chunk cannot be allocated.
  std::optional<Claim> claim();
  // Any thread: pending → cancelled. False for any other state or an old generation.
  bool cancel(Claim id) noexcept;
  // Any thread: whether the timer may still run.
  bool pending(Claim id) const noexcept;
  // Loop thread: pending → done, as a one-shot starts or the loop stops. False when it was
  // no longer pending (cancelled).
  bool finish(Claim id) noexcept;
  // Loop thread only (the single producer of the free list): the slot is free again under
  // the next generation, so the old handles stop matching it.
  void release(std::uint32_t slot) noexcept;

 private:
  enum Status : std::uint64_t { kFree = 0, kPending = 1, kCancelled = 2, kDone = 3 };
  struct Slot {
    std::atomic<std::uint64_t> state{std::uint64_t{1} << 2};  // generation << 2 | status
    std::atomic<std::uint32_t> next{0};                       // free list link
  };
  struct Chunk {
    Slot slots[kChunkSlots];
  };
  static constexpr std::uint32_t kNone = 0xFFFF'FFFF;

  Slot* find(std::uint32_t slot) const noexcept;  // nullptr: never allocated
  Slot& make(std::uint32_t slot);

  // The free list's head: a tag that every push and pop changes (so a pop that read an old
  // head cannot succeed: no ABA) << 32 | the first free slot (kNone: empty).
  std::atomic<std::uint64_t> free_head_{kNone};
  std::atomic<std::uint32_t> fresh_{0};  // slots ever taken from the chunks
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_;
};

}  // namespace actnet::detail
