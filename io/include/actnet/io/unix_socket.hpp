#pragma once
// UnixListener is a listening unix stream socket that owns the file it binds. Unix socket
// files outlive their server (a crash leaves one behind, and the next bind fails with
// EADDRINUSE), so listen() removes a stale file first, but only after checking that nothing
// answers on it: a live server's path is never stolen and a file that is not a socket is
// never deleted. The listener removes its file when it closes, and only if the path still
// names the very socket it created (not one a newer server put there since). Abstract names
// (a leading '\0') live in the kernel, not the filesystem: no file, no stale check, no mode.
// Connect to one with start_connect(unix_address(path)) (socket.hpp). The thread that owns
// the listener (the supervisor at boot, then one loop) calls its methods. Two servers started
// at the same instant on one path can still race (one may probe the other between its bind
// and its listen); the check is for leftovers, not a lock.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/unique_fd.hpp"

namespace actnet::io {

/// The sockaddr_un for `path`: a filesystem path, or an abstract name when it starts with '\0'.
/// Refused, with a message naming the path, when empty, longer than sun_path holds (107 bytes
/// for a path, which needs its NUL; 107 after the '\0' for an abstract name), or when a path
/// contains a NUL. Any thread.
ACTNET_API Result<SocketAddress> unix_address(std::string_view path);

/// How UnixListener::listen() sets up the socket.
struct ACTNET_API UnixListenOptions {
  /// Who may connect (connecting needs write permission on the file). Applied right after
  /// bind() and before listen(), through a handle opened without following symlinks, so no
  /// client gets in while the file still has the umask's mode. Unset keeps what bind() gives:
  /// 0777 & ~umask. Refused for abstract names, which have no file.
  std::optional<mode_t> mode;
  int backlog = 0;  ///< 0 means listen_backlog()
};

/// A listening unix socket that owns its socket file: it refuses to steal a live server's
/// path, and removes the file when it closes.
class ACTNET_API UnixListener {
 public:
  /// Errors: std::errc::address_in_use "address in use by a live server" (something accepts
  /// connections on the path), std::errc::file_exists (the path is a symlink or not a
  /// socket: never followed, left untouched), std::errc::filename_too_long, or the failing
  /// call with its errno. The path's last component is never followed if it is a symlink:
  /// bind() does not create through one, and the stale check and mode use lstat/O_NOFOLLOW.
  static Result<UnixListener> listen(std::string_view path, const UnixListenOptions& options = {});

  /// Takes `other`'s socket and file; `other` owns nothing afterwards.
  UnixListener(UnixListener&& other) noexcept;
  /// Closes this listener (removing its file), then takes `other`'s.
  UnixListener& operator=(UnixListener&& other) noexcept;
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  ~UnixListener() { close(); }

  /// The listening socket.
  int fd() const noexcept { return fd_.get(); }
  const std::string& path() const noexcept { return path_; }  ///< as given to listen()
  /// Whether it listens on an abstract name (no file).
  bool is_abstract() const noexcept { return !path_.empty() && path_[0] == '\0'; }
  /// The bound address.
  const SocketAddress& address() const noexcept { return address_; }

  /// Removes the file (if it is still ours), then closes the socket. Idempotent.
  void close() noexcept;

 private:
  UnixListener(UniqueFd fd, std::string path, SocketAddress address) noexcept;

  UniqueFd fd_;
  std::string path_;
  SocketAddress address_;
  // The identity of the file bind() created; close() unlinks only that one.
  bool owns_file_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace actnet::io
