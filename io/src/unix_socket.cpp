#include "actnet/io/unix_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <system_error>
#include <utility>

#include "actnet/io/socket.hpp"
#include "actnet/io/status.hpp"

namespace actnet::io {

namespace {

// Abstract names start with a NUL; print them the way ss(8) does.
std::string printable(std::string_view path) {
  // Built with append(): GCC 12 warns falsely (-Wrestrict) on "@" + std::string(...).
  std::string out;
  if (!path.empty() && path[0] == '\0') {
    out += '@';
    path.remove_prefix(1);
  }
  out.append(path);
  return out;
}

Error path_error(std::errc code, std::string_view path, const char* why) {
  return Error(std::make_error_code(code), "unix socket '" + printable(path) + "': " + why);
}

Error path_errno(int err, const char* call, std::string_view path) {
  return errno_error(err, std::string(call) + "(" + printable(path) + ")");
}

// Makes `path` free to bind, or says why it is not. A path that names nothing is free. A
// socket nobody accepts on (connect gets ECONNREFUSED) is a dead server's leftover: removed.
// Anything else stays. The probe's connect, if a live server answers, shows up there as a
// connection closed at once.
Result<std::monostate> clear_stale(std::string_view path, const SocketAddress& address) {
  const std::string file(path);
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::monostate{};
    return path_errno(errno, "lstat", path);
  }
  if (S_ISLNK(st.st_mode)) {
    return path_error(std::errc::file_exists, path,
                      "the path is a symbolic link; refusing to follow or remove it");
  }
  if (!S_ISSOCK(st.st_mode)) {
    return path_error(std::errc::file_exists, path,
                      "the path exists and is not a socket; refusing to remove it");
  }
  auto probe = open_socket(AF_UNIX, SOCK_STREAM);
  if (!probe) return probe.error();
  if (::connect(probe->get(), address.data(), address.size()) == 0 || errno == EAGAIN ||
      errno == EINPROGRESS) {
    // EAGAIN: the server's backlog is full, which only a live server has.
    return path_error(std::errc::address_in_use, path, "address in use by a live server");
  }
  switch (errno) {
    case ECONNREFUSED: {
      // connect() follows a symlink: remove only the very socket lstat saw, never what a
      // symlink swapped in since would name (unlink itself never follows one).
      struct stat again {};
      if (::lstat(file.c_str(), &again) != 0 || again.st_dev != st.st_dev ||
          again.st_ino != st.st_ino || !S_ISSOCK(again.st_mode)) {
        return path_error(std::errc::file_exists, path,
                          "the path changed while it was probed; refusing to remove it");
      }
      if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
        return path_errno(errno, "unlink stale socket", path);
      }
      return std::monostate{};
    }
    case EPROTOTYPE:
      return path_error(std::errc::address_in_use, path,
                        "address in use by a live server (a datagram socket)");
    default:
      return path_errno(errno, "connect to probe", path);
  }
}

// Gives the socket file `bound` (what lstat saw right after bind) its mode without ever
// following a symlink: the file is opened O_PATH|O_NOFOLLOW, checked to be that very
// socket, and changed through its /proc/self/fd link, which names the inode itself (glibc's
// fchmodat(AT_SYMLINK_NOFOLLOW) works the same way). chmod(path) would follow a symlink
// swapped in after bind. This runs before listen(): until then a connect is refused
// (ECONNREFUSED) whatever the file's mode, so the umask's mode is never usable by anyone.
// Binding under a tighter umask instead would need umask(), which is process-wide and would
// change the mode of files other threads create meanwhile.
Result<std::monostate> set_mode(const std::string& file, const struct stat& bound, mode_t mode) {
  UniqueFd handle(::open(file.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!handle) return path_errno(errno, "open", file);
  struct stat st {};
  if (::fstat(handle.get(), &st) != 0) return path_errno(errno, "fstat", file);
  if (!S_ISSOCK(st.st_mode) || st.st_dev != bound.st_dev || st.st_ino != bound.st_ino) {
    return path_error(std::errc::file_exists, file,
                      "the socket file was replaced before its mode was set");
  }
  const std::string self = "/proc/self/fd/" + std::to_string(handle.get());
  if (::chmod(self.c_str(), mode & 07777) != 0) return path_errno(errno, "chmod", file);
  return std::monostate{};
}

}  // namespace

Result<SocketAddress> unix_address(std::string_view path) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  const bool abstract = !path.empty() && path[0] == '\0';
  if (path.empty() || (abstract && path.size() == 1)) {
    return path_error(std::errc::invalid_argument, path, "the path is empty");
  }
  // A path needs room for its terminating NUL; an abstract name is counted, not terminated.
  const std::size_t room = sizeof un.sun_path - (abstract ? 0 : 1);
  if (path.size() > room) {
    return Error(std::make_error_code(std::errc::filename_too_long),
                 "unix socket '" + printable(path) + "': " + std::to_string(path.size()) +
                     " bytes is longer than the " + std::to_string(room) +
                     " a unix socket address holds");
  }
  if (!abstract && path.find('\0') != std::string_view::npos) {
    return path_error(std::errc::invalid_argument, path, "the path contains a NUL byte");
  }
  std::memcpy(un.sun_path, path.data(), path.size());
  const auto len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return SocketAddress(reinterpret_cast<const sockaddr*>(&un), len);
}

UnixListener::UnixListener(UniqueFd fd, std::string path, SocketAddress address) noexcept
    : fd_(std::move(fd)), path_(std::move(path)), address_(address) {}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      address_(other.address_),
      owns_file_(std::exchange(other.owns_file_, false)),
      dev_(other.dev_),
      ino_(other.ino_) {}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    address_ = other.address_;
    owns_file_ = std::exchange(other.owns_file_, false);
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

Result<UnixListener> UnixListener::listen(std::string_view path, const UnixListenOptions& options) {
  auto address = unix_address(path);
  if (!address) return address.error();
  const bool abstract = path[0] == '\0';
  if (abstract && options.mode) {
    return path_error(std::errc::invalid_argument, path,
                      "an abstract socket has no file, so no mode to set");
  }
  if (!abstract) {
    if (auto cleared = clear_stale(path, *address); !cleared) return cleared.error();
  }

  auto fd = open_socket(AF_UNIX, SOCK_STREAM);
  if (!fd) return fd.error();
  if (::bind(fd->get(), address->data(), address->size()) != 0) {
    // EADDRINUSE here: another server bound the path (or the abstract name) first.
    if (errno == EADDRINUSE) {
      return path_error(std::errc::address_in_use, path, "address in use by another socket");
    }
    return path_errno(errno, "bind", path);
  }
  // From here the listener owns the file, so every early return below removes it.
  UnixListener listener(std::move(*fd), std::string(path), *address);
  if (!abstract) {
    struct stat st {};
    if (::lstat(listener.path_.c_str(), &st) != 0) {
      const int err = errno;
      ::unlink(listener.path_.c_str());  // just bound: ours, though its identity is unknown
      return path_errno(err, "lstat", path);
    }
    listener.owns_file_ = true;
    listener.dev_ = st.st_dev;
    listener.ino_ = st.st_ino;
    if (options.mode) {
      if (auto set = set_mode(listener.path_, st, *options.mode); !set) return set.error();
    }
  }
  const int backlog = options.backlog > 0 ? options.backlog : listen_backlog();
  if (::listen(listener.fd(), backlog) != 0) return path_errno(errno, "listen", path);
  return listener;
}

void UnixListener::close() noexcept {
  // Unlink before closing: until the close, a newcomer's probe still finds us alive and
  // leaves the file alone, so the inode compared here is still the one we bound.
  if (std::exchange(owns_file_, false)) {
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
      ::unlink(path_.c_str());
    }
  }
  fd_.reset();
}

}  // namespace actnet::io
