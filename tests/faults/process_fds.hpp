#pragma once
// Test support for the fault suite: how many descriptors this process holds (the "no fd
// leak" check compares it before an engine starts and after it stopped) and raising the
// soft RLIMIT_NOFILE to the hard limit for tests that open thousands of sockets.

#include <dirent.h>
#include <sys/resource.h>

#include <cstddef>

namespace faults {

// Entries of /proc/self/fd, less the one the listing itself opens.
inline int open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int entries = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++entries;
  }
  ::closedir(dir);
  return entries - 1;
}

// Raises the soft descriptor limit to the hard one; the soft limit now in force (it is
// inherited by children forked or started afterwards).
inline rlim_t raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace faults
