// The inbound path of a connection: read from the socket into the buffer, then take whole
// frames out (peek a frame, look at it, discard it) until less than a frame is left, and
// read again. Three buffers:
//   - actnet RingBuffer (64 KiB cap): reserve, one readv into its free space, commit;
//   - actnet ElasticRingBuffer on a BufferPool (64 KiB read cap), which gives its block
//     back whenever a read is consumed to the last byte;
//   - muduo's Buffer design: a std::vector<char> with readerIndex/writerIndex, 8 bytes of
//     prepend space, readFd = readv into the writable space plus a 64 KiB stack buffer,
//     makeSpace moves the readable bytes to the front (or grows the vector).
// Two sources: "memcpy" (readv simulated by copying up to 64 KiB from a source buffer, so
// the buffers' own work shows) and "socket" (a writer thread feeds an AF_UNIX socketpair;
// the kernel copy dominates). Frames of 64 B, 512 B and 4 KiB. Prints GB/s, frames/s and
// each design's throughput relative to muduo's (higher is better). Every design must see
// the same bytes: a checksum over the frames is compared.
//
//   actnet-bench-ring-buffer [MiB per run (default 512; the socket runs use a quarter)]
//                            [memcpy|socket] [frame size]   (to run one part only)
//
// Each figure is the best of 5 runs, the designs taking turns.

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "actnet/io/buffer_pool.hpp"
#include "actnet/io/elastic_ring_buffer.hpp"
#include "actnet/io/ring_buffer.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadBurst = 64 * 1024;  // most a simulated read returns

// ---- sources: what readv reads from ------------------------------------------------------

// Copies from a cyclic source buffer, as if the socket always had kReadBurst bytes waiting,
// until `total` bytes have gone (then 0, like EOF).
class MemcpySource {
 public:
  MemcpySource(const std::vector<char>& data, std::uint64_t total) : data_(data), left_(total) {}
  ssize_t readv(const iovec* iov, int count) {
    const std::size_t burst = static_cast<std::size_t>(std::min<std::uint64_t>(kReadBurst, left_));
    std::size_t done = 0;
    for (int i = 0; i < count && done < burst; ++i) {
      std::size_t want = std::min(iov[i].iov_len, burst - done);
      char* dst = static_cast<char*>(iov[i].iov_base);
      while (want > 0) {
        const std::size_t take = std::min(want, data_.size() - pos_);
        std::memcpy(dst, data_.data() + pos_, take);
        pos_ = (pos_ + take) % data_.size();
        dst += take;
        want -= take;
        done += take;
      }
    }
    left_ -= done;
    return static_cast<ssize_t>(done);
  }

 private:
  const std::vector<char>& data_;
  std::uint64_t left_;
  std::size_t pos_ = 0;
};

class SocketSource {
 public:
  explicit SocketSource(int fd) : fd_(fd) {}
  ssize_t readv(const iovec* iov, int count) { return ::readv(fd_, iov, count); }

 private:
  int fd_;
};

// ---- designs -------------------------------------------------------------------------------

struct RingDesign {
  static constexpr const char* kName = "actnet RingBuffer";
  actnet::io::RingBuffer ring{64 * 1024};
  template <class Source>
  ssize_t fill(Source& source) {
    ring.reserve(kReadBurst);
    iovec iov[2];
    const std::size_t n = ring.writable_iovecs(iov);
    const ssize_t got = source.readv(iov, static_cast<int>(n));
    ring.commit_write(got > 0 ? static_cast<std::size_t>(got) : 0);
    return got;
  }
  std::size_t buffered() const { return ring.buffered(); }
  std::string_view peek(std::size_t n) { return ring.peek(n); }
  void discard(std::size_t n) { ring.discard(n); }
};

struct ElasticDesign {
  static constexpr const char* kName = "actnet ElasticRingBuffer";
  actnet::io::BufferPool pool;
  actnet::io::ElasticRingBuffer ring{pool, 64 * 1024};
  template <class Source>
  ssize_t fill(Source& source) {
    ring.reserve(kReadBurst);
    iovec iov[2];
    const std::size_t n = ring.writable_iovecs(iov);
    const ssize_t got = source.readv(iov, static_cast<int>(n));
    ring.commit_write(got > 0 ? static_cast<std::size_t>(got) : 0);
    return got;
  }
  std::size_t buffered() const { return ring.buffered(); }
  std::string_view peek(std::size_t n) { return ring.peek(n); }
  void discard(std::size_t n) { ring.discard(n); }
};

// muduo/net/Buffer.{h,cc}, reduced to the inbound path.
class MuduoBuffer {
 public:
  static constexpr std::size_t kCheapPrepend = 8;
  static constexpr std::size_t kInitialSize = 1024;

  MuduoBuffer() : buffer_(kCheapPrepend + kInitialSize) {}
  std::size_t readable() const { return writer_ - reader_; }
  std::size_t writable() const { return buffer_.size() - writer_; }
  std::size_t prependable() const { return reader_; }
  const char* peek() const { return buffer_.data() + reader_; }
  void retrieve(std::size_t len) {
    if (len < readable()) {
      reader_ += len;
    } else {
      reader_ = writer_ = kCheapPrepend;
    }
  }
  void append(const char* data, std::size_t len) {
    if (writable() < len) make_space(len);
    std::copy(data, data + len, buffer_.data() + writer_);
    writer_ += len;
  }
  template <class Source>
  ssize_t read_fd(Source& source) {
    char extrabuf[65536];
    iovec vec[2];
    const std::size_t w = writable();
    vec[0] = iovec{buffer_.data() + writer_, w};
    vec[1] = iovec{extrabuf, sizeof extrabuf};
    const int iovcnt = (w < sizeof extrabuf) ? 2 : 1;
    const ssize_t n = source.readv(vec, iovcnt);
    if (n <= 0) return n;
    if (static_cast<std::size_t>(n) <= w) {
      writer_ += static_cast<std::size_t>(n);
    } else {
      writer_ = buffer_.size();
      append(extrabuf, static_cast<std::size_t>(n) - w);
    }
    return n;
  }

 private:
  void make_space(std::size_t len) {
    if (writable() + prependable() < len + kCheapPrepend) {
      buffer_.resize(writer_ + len);
    } else {
      const std::size_t n = readable();
      std::copy(buffer_.data() + reader_, buffer_.data() + writer_, buffer_.data() + kCheapPrepend);
      reader_ = kCheapPrepend;
      writer_ = reader_ + n;
    }
  }

  std::vector<char> buffer_;
  std::size_t reader_ = kCheapPrepend;
  std::size_t writer_ = kCheapPrepend;
};

struct MuduoDesign {
  static constexpr const char* kName = "muduo-style vector Buffer";
  MuduoBuffer buf;
  template <class Source>
  ssize_t fill(Source& source) {
    return buf.read_fd(source);
  }
  std::size_t buffered() const { return buf.readable(); }
  std::string_view peek(std::size_t n) { return {buf.peek(), std::min(n, buf.readable())}; }
  void discard(std::size_t n) { buf.retrieve(n); }
};

// ---- the loop ------------------------------------------------------------------------------

struct Figures {
  double seconds = 0;
  std::uint64_t frames = 0;
  std::uint64_t checksum = 0;
};

// Reads until the source ends; the same stream gives every design the same frames.
template <class Design, class Source>
Figures inbound(Source& source, std::size_t frame) {
  Design design;
  Figures f;
  const auto start = Clock::now();
  for (;;) {
    const ssize_t got = design.fill(source);
    if (got <= 0) break;
    while (design.buffered() >= frame) {
      const std::string_view v = design.peek(frame);
      std::uint64_t head, tail;  // a parser looks at the header and the end of the frame
      std::memcpy(&head, v.data(), 8);
      std::memcpy(&tail, v.data() + frame - 8, 8);
      f.checksum = (f.checksum * 31) ^ head ^ (tail << 1);
      design.discard(frame);
      ++f.frames;
    }
  }
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return f;
}

std::vector<char> make_stream() {
  std::vector<char> data((std::size_t{1} << 20) + 4099);  // not a multiple of any frame
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (char& c : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return data;
}

template <class Design>
Figures run_memcpy(const std::vector<char>& data, std::size_t frame, std::uint64_t total) {
  MemcpySource source(data, total);
  return inbound<Design>(source, frame);
}

template <class Design>
Figures run_socket(const std::vector<char>& data, std::size_t frame, std::uint64_t total) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  std::thread writer([&, fd = fds[1]] {
    std::uint64_t sent = 0;
    std::size_t pos = 0;
    while (sent < total) {
      const std::size_t n = std::min<std::uint64_t>({data.size() - pos, 256 * 1024, total - sent});
      const ssize_t w = ::write(fd, data.data() + pos, n);
      if (w <= 0) break;
      sent += static_cast<std::uint64_t>(w);
      pos = (pos + static_cast<std::size_t>(w)) % data.size();
    }
    ::shutdown(fd, SHUT_WR);
  });
  SocketSource source(fds[0]);
  const Figures f = inbound<Design>(source, frame);
  writer.join();
  ::close(fds[0]);
  ::close(fds[1]);
  return f;
}

template <class Design>
void report(const char* source, std::size_t frame, const Figures& f, const Figures& muduo,
            std::uint64_t total) {
  const double gbps = static_cast<double>(total) / f.seconds / 1e9;
  std::printf("%-7s %6zu  %-27s %8.2f GB/s %12.0f frames/s  %6.2fx%s\n", source, frame,
              Design::kName, gbps, static_cast<double>(f.frames) / f.seconds,
              muduo.seconds / f.seconds, f.checksum == muduo.checksum ? "" : "  CHECKSUM MISMATCH");
}

// Best of kReps runs per design, the designs taking turns, so that a burst of load from
// elsewhere on a shared machine hits them alike.
constexpr int kReps = 5;

template <class Run>
void row(const char* source, std::size_t frame, std::uint64_t total, Run&& run) {
  Figures muduo, ring, elastic;
  auto keep_best = [](Figures& best, const Figures& f, int rep) {
    if (rep == 0 || f.seconds < best.seconds) best = f;
  };
  for (int rep = 0; rep < kReps; ++rep) {
    keep_best(muduo, run(std::type_identity<MuduoDesign>{}, frame), rep);
    keep_best(ring, run(std::type_identity<RingDesign>{}, frame), rep);
    keep_best(elastic, run(std::type_identity<ElasticDesign>{}, frame), rep);
  }
  report<RingDesign>(source, frame, ring, muduo, total);
  report<ElasticDesign>(source, frame, elastic, muduo, total);
  report<MuduoDesign>(source, frame, muduo, muduo, total);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 512;
  const std::uint64_t total = mib << 20;
  const std::string_view only = argc > 2 ? argv[2] : "";  // "memcpy" or "socket"
  const std::size_t only_frame = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::vector<char> data = make_stream();
  std::printf("inbound path: read into the buffer, peek+discard whole frames; %llu MiB per run\n",
              static_cast<unsigned long long>(mib));
  std::printf("%-7s %6s  %-27s %13s %19s  %7s\n", "source", "frame", "design", "throughput", "",
              "vs muduo");
  for (const std::size_t frame : {64, 512, 4096}) {
    if (only_frame != 0 && frame != only_frame) continue;
    if (only.empty() || only == "memcpy") {
      row("memcpy", frame, total, [&](auto design, std::size_t fr) {
        return run_memcpy<typename decltype(design)::type>(data, fr, total);
      });
    }
  }
  for (const std::size_t frame : {64, 512, 4096}) {
    if (only_frame != 0 && frame != only_frame) continue;
    if (only.empty() || only == "socket") {
      row("socket", frame, total / 4, [&](auto design, std::size_t fr) {
        return run_socket<typename decltype(design)::type>(data, fr, total / 4);
      });
    }
  }
  return 0;
}
