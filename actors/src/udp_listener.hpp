#pragma once
// UdpListener is one loop's own UDP socket for a udp:// address (every loop binds one, with
// SO_REUSEPORT, as gnet does; see udp_binding.hpp). It exists so that a datagram server
// costs one syscall per batch, not per datagram: it reads up to kBatch datagrams with one
// recvmmsg, shows each to on_traffic through one reusable Conn in datagram mode, and sends
// what the handler wrote with one sendmmsg after each read batch. It belongs to its loop's
// thread; nothing else touches it.
//
// The datagram Conn: its inbound buffer holds exactly the one datagram (what on_traffic
// leaves unread is dropped, datagrams do not run together), remote_address() is the
// sender, write()/writev() reply to the sender (writev's parts form one datagram),
// send_to() sends anywhere, flush() sends the queued batch now, close() and Action::close
// do nothing (there is no connection to close), ref() is an empty ConnRef (every call fails
// with connection_closed): a listener has no connection a handle could name; to answer
// later from any thread, keep datagram_ref() (datagram_ref.hpp). It is valid only inside
// that on_traffic. No on_open or on_close is ever called for it.
//
// Sizes: each datagram is read into a slot of Options::read_buffer_cap bytes, at most 64 KiB
// (the default, so the largest IPv4 datagram, 65,507 bytes, fits whole). A longer one is cut by
// the kernel (MSG_TRUNC): it is dropped, counted in LoopStats::datagrams_truncated and
// logged, and never shown in part. The slots are allocated once and never touched beyond
// what the datagrams fill, so memory stays resident only as far as it is used.
//
// Sending: each write is copied into a reused arena and its completion runs once the batch
// was offered to the kernel: success, or the error for that datagram (EMSGSIZE past 65,507
// bytes, EAGAIN when the socket's send buffer is full, ...). A failed datagram is dropped,
// as UDP would. Writes made inside a completion go out with the next flush.
//
// Not here: a connected UDP client (Client::dial("udp://..."), which does get on_open and
// on_close). It is an ordinary Conn in connected datagram mode on its own connected socket,
// not a user of this class: the same rules (one datagram per on_traffic, one per write,
// MSG_TRUNC dropped and counted) in actors/src/conn_datagram.cpp.

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "actnet/conn.hpp"
#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/unique_fd.hpp"
#include "actnet/runtime/completion.hpp"

namespace actnet::detail {

class EventLoop;

class UdpListener {
 public:
  static constexpr std::size_t kBatch = 16;              // datagrams per recvmmsg / sendmmsg
  static constexpr std::size_t kReadBatches = 4;         // recvmmsg calls per readable event
  static constexpr std::size_t kSendArena = 256 * 1024;  // reply bytes queued before a flush
  static constexpr std::size_t kMaxSlot = 64 * 1024;     // no UDP payload is longer

  // Loop thread (or the supervisor before the loop starts). `socket` is bound already.
  UdpListener(EventLoop& loop, io::BufferPool& pool, io::UniqueFd socket, std::uint32_t index);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  int fd() const noexcept { return conn_->fd(); }
  std::uint32_t index() const noexcept { return index_; }  // among its loop's UDP sockets

  // Loop thread: the socket is readable. Reads up to kReadBatches batches, calls
  // on_traffic per datagram, sends the replies after each batch.
  void read_ready();
  // Loop thread: one datagram to `peer`, queued for the next sendmmsg.
  std::error_code send(const io::SocketAddress& peer, std::span<const std::string_view> parts,
                       Completion done);
  // Loop thread: offers the queued datagrams to the kernel and runs their completions.
  void flush();

 private:
  struct Outgoing {
    io::SocketAddress peer;
    std::size_t offset = 0;
    std::size_t size = 0;
    Completion done;
    std::error_code error;
  };

  void deliver(std::string_view datagram, const io::SocketAddress& peer);
  void note_truncated(const io::SocketAddress& peer);

  EventLoop& loop_;
  const std::uint32_t index_;
  std::unique_ptr<Conn> conn_;  // datagram mode; owns the socket
  std::size_t slot_size_;
  std::unique_ptr<char[]> slots_;  // kBatch slots of slot_size_ bytes
  std::array<io::SocketAddress, kBatch> peers_;
  std::vector<Outgoing> out_;
  std::vector<Outgoing> completing_;  // out_ after a flush, while completions run
  std::vector<char> out_bytes_;
  std::uint64_t truncated_ = 0;  // since the last log line
};

}  // namespace actnet::detail
