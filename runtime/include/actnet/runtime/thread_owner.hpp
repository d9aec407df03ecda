#pragma once
// ThreadOwner remembers which thread owns an object (an event loop, an actor host), so that
// loop-only methods can assert they run there (DESIGN rule 1). The check is an atomic load
// and a compare; ACTNET_ASSERT_OWNER compiles to nothing unless ACTNET_DEBUG_ASSERTS is set.

#include <atomic>
#include <thread>

#include "actnet/export.hpp"

namespace actnet {

/// Remembers which thread owns an object, so loop-only methods can assert they run there.
class ACTNET_API ThreadOwner {
 public:
  /// Binds to the constructing thread; the owner's thread calls bind_to_current_thread()
  /// when it starts if it is not the constructing one.
  ThreadOwner() noexcept : id_(std::this_thread::get_id()) {}

  /// Owner's thread, before it serves anything. Release: later readers on other threads that
  /// see the new id also see what the owner set up before binding.
  void bind_to_current_thread() noexcept {
    id_.store(std::this_thread::get_id(), std::memory_order_release);
  }

  /// Any thread.
  bool is_current() const noexcept {
    return id_.load(std::memory_order_acquire) == std::this_thread::get_id();
  }

  /// Any thread: aborts with a message naming `where` when called off the owner's thread.
  void assert_current(const char* where) const noexcept {
    if (!is_current()) fail(where);
  }

 private:
  [[noreturn]] static void fail(const char* where) noexcept;

  std::atomic<std::thread::id> id_;
};

}  // namespace actnet

#if defined(ACTNET_DEBUG_ASSERTS)
#define ACTNET_ASSERT_OWNER(owner) (owner).assert_current(__func__)
#else
#define ACTNET_ASSERT_OWNER(owner) ((void)0)
#endif
