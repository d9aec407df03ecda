#include "actnet/runtime/thread_owner.hpp"

#include <cstdio>
#include <cstdlib>

#include "actnet/runtime/log.hpp"

namespace actnet {

void ThreadOwner::fail(const char* where) noexcept {
  // Both: the logger may write to a file the developer is not watching.
  std::fprintf(stderr, "actnet: %s called off its owner's thread (loop-only function)\n", where);
  log::default_logger()->critical("{} called off its owner's thread (loop-only function)", where);
  std::abort();
}

}  // namespace actnet
