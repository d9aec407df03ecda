#include "scenarios.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "wire.hpp"

namespace soak {

void Tally::failure(std::string_view protocol, std::string_view what) {
  wrong.fetch_add(1, std::memory_order_relaxed);
  const std::lock_guard lock(mutex);
  if (first_failures.size() < 4000) {
    first_failures.append(protocol).append(": ").append(what.substr(0, 300)).append("\n");
  }
}

void Tally::io(std::string_view protocol, int outcome) {
  if (outcome == static_cast<int>(Outcome::timeout)) {
    timeouts.fetch_add(1, std::memory_order_relaxed);
  } else {
    io_errors.fetch_add(1, std::memory_order_relaxed);
  }
  const std::lock_guard lock(mutex);
  if (first_failures.size() < 4000) {
    first_failures.append(protocol).append(outcome == 2 ? ": timeout\n" : ": connection lost\n");
  }
}

std::string Client::payload(std::size_t n) {
  std::string s(n, '\0');
  for (char& ch : s)
    ch = static_cast<char>(rng() & 0xFF);
  return s;
}

std::string Client::word(std::size_t n) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s(n, 'a');
  for (char& ch : s)
    ch = kAlphabet[pick(kAlphabet.size())];
  return s;
}

namespace {

// Sends `request` and expects exactly `expected` back (slowly when asked); records a
// mismatch. Returns false when the round could not finish.
bool expect_exactly(Client& c, std::string_view protocol, int fd, const std::string& request,
                    const std::string& expected, bool slow) {
  std::string in;
  const Outcome o = exchange(
      fd, request, in, [&](const std::string& got) { return got.size() >= expected.size(); }, slow);
  if (o != Outcome::done) {
    c.tally->io(protocol, static_cast<int>(o));
    return false;
  }
  if (in != expected) {
    std::size_t at = 0;
    while (at < in.size() && at < expected.size() && in[at] == expected[at])
      ++at;
    c.tally->failure(protocol, std::string("first wrong byte at offset ")
                                   .append(std::to_string(at))
                                   .append(" of ")
                                   .append(std::to_string(expected.size())));
    return false;
  }
  c.tally->bytes_checked.fetch_add(expected.size(), std::memory_order_relaxed);
  return true;
}

// Connects, or counts the failure. A refused connect is an io error: the server must accept.
int open(Client& c, std::string_view protocol, int rcvbuf = 0) {
  const int fd = connect_loopback(c.port, rcvbuf);
  if (fd < 0) c.tally->io(protocol, static_cast<int>(Outcome::io_error));
  return fd;
}

// Half the resets land before anything is read back, half in the middle of the answer.
void reset_midway(Client& c, int fd, const std::string& request) {
  send_all(fd, request);
  if (c.pick(2) == 0) {
    char buf[512];
    (void)::recv(fd, buf, sizeof buf, 0);
  }
  close_with_reset(fd);
  c.tally->resets.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void echo_round(Client& c) {
  const std::size_t scenario = c.pick(10);
  const bool slow = scenario == 1;
  const int fd = open(c, "echo", slow ? 4096 : 0);
  if (fd < 0) return;
  if (scenario == 2 || scenario == 3) {  // reset, or a plain close with bytes unread
    const std::string big = c.payload(64 * 1024 + c.pick(256 * 1024));
    if (scenario == 2) {
      reset_midway(c, fd, big);
    } else {
      send_all(fd, big.substr(0, 32 * 1024));
      ::close(fd);
    }
    return;
  }
  const std::size_t turns = 1 + c.pick(slow ? 2 : 8);
  for (std::size_t i = 0; i < turns; ++i) {
    const std::string bytes = c.payload(1 + c.pick(slow ? 200'000 : 16 * 1024));
    if (!expect_exactly(c, "echo", fd, bytes, bytes, slow)) break;
  }
  ::close(fd);
}

void http_round(Client& c) {
  const std::size_t scenario = c.pick(10);
  const bool slow = scenario == 1;
  const int fd = open(c, "http", slow ? 4096 : 0);
  if (fd < 0) return;
  std::string request, expected_bodies;
  std::vector<std::string> bodies;
  const std::size_t n = 1 + c.pick(slow ? 32 : 16);
  for (std::size_t i = 0; i < n; ++i) {
    switch (c.pick(3)) {
      case 0:
        request += "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
        bodies.emplace_back("Hello, World!");
        break;
      case 1:
        request += "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n";
        bodies.emplace_back(R"({"message":"Hello, World!"})");
        break;
      default: {
        bodies.push_back(c.payload(c.pick(slow ? 64 * 1024 : 8 * 1024)));
        request.append("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: ")
            .append(std::to_string(bodies.back().size()))
            .append("\r\n\r\n")
            .append(bodies.back());
      }
    }
  }
  if (scenario == 2) {
    reset_midway(c, fd, request);
    return;
  }
  if (scenario == 3) {  // a request cut in the middle, then a FIN
    send_all(fd, std::string_view(request).substr(0, request.size() / 2));
    ::close(fd);
    return;
  }
  // Parses responses as they come: status 200, Content-Length, then the body.
  std::size_t parsed = 0, at = 0;
  bool bad = false;
  std::string in;
  const auto done = [&](const std::string& got) {
    while (parsed < n && !bad) {
      const std::size_t end = got.find("\r\n\r\n", at);
      if (end == std::string::npos) return false;
      const std::string_view head(got.data() + at, end - at);
      const std::size_t cl = head.find("Content-Length: ");
      if (head.substr(0, 13) != "HTTP/1.1 200 " || cl == std::string_view::npos) {
        bad = true;
        break;
      }
      const std::size_t length = std::stoul(std::string(head.substr(cl + 16, 12)));
      if (got.size() < end + 4 + length) return false;
      if (got.compare(end + 4, length, bodies[parsed]) != 0) {
        bad = true;
        break;
      }
      at = end + 4 + length;
      ++parsed;
    }
    return true;
  };
  const Outcome o = exchange(fd, request, in, done, slow);
  if (o != Outcome::done) {
    c.tally->io("http", static_cast<int>(o));
  } else if (bad || in.size() != at) {
    c.tally->failure("http",
                     std::string("response ").append(std::to_string(parsed)).append(" is wrong: ") +
                         in.substr(at, 120));
  } else {
    c.tally->bytes_checked.fetch_add(in.size(), std::memory_order_relaxed);
  }
  ::close(fd);
}

void redis_round(Client& c) {
  const std::size_t scenario = c.pick(10);
  const bool slow = scenario == 1;
  const int fd = open(c, "redis", slow ? 4096 : 0);
  if (fd < 0) return;
  std::string request, expected;
  const auto bulk = [](std::string& out, std::string_view s) {
    out.append("$").append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
  };
  const std::size_t n = 1 + c.pick(64);
  for (std::size_t i = 0; i < n; ++i) {
    // A bounded key set per client: the keyspace stops growing once warm.
    const std::string key = "soak:" + std::to_string(c.id) + ":" + std::to_string(c.pick(200));
    const std::string value = c.payload(c.pick(slow ? 16 * 1024 : 2048));
    request.append("*3\r\n$3\r\nSET\r\n");
    bulk(request, key);
    bulk(request, value);
    expected.append("+OK\r\n");
    request.append("*2\r\n$3\r\nGET\r\n");
    bulk(request, key);
    bulk(expected, value);
    if (c.pick(4) == 0) {
      request.append("*2\r\n$3\r\nDEL\r\n");
      bulk(request, key);
      expected.append(":1\r\n");
    }
  }
  request.append("*1\r\n$4\r\nPING\r\n");
  expected.append("+PONG\r\n");
  if (scenario == 2) {
    reset_midway(c, fd, request);
    return;
  }
  expect_exactly(c, "redis", fd, request, expected, slow);
  ::close(fd);
}

namespace {

std::string ws_frame(Client& c, std::string_view text) {
  std::string f;
  f += static_cast<char>(0x81);
  if (text.size() < 126) {
    f += static_cast<char>(0x80 | text.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(text.size() >> 8);
    f += static_cast<char>(text.size() & 0xFF);
  }
  const std::string mask = c.payload(4);
  f += mask;
  for (std::size_t i = 0; i < text.size(); ++i)
    f += static_cast<char>(text[i] ^ mask[i % 4]);
  return f;
}

// Server frames (unmasked, unfragmented text) from `in` at `at`: the next payload, or
// nothing when it is incomplete. A masked or non-text frame sets `bad`.
bool next_frame(const std::string& in, std::size_t& at, std::string& payload, bool& bad) {
  if (in.size() < at + 2) return false;
  const auto b0 = static_cast<unsigned char>(in[at]), b1 = static_cast<unsigned char>(in[at + 1]);
  if (b0 != 0x81 || (b1 & 0x80) != 0) {
    bad = true;
    return false;
  }
  std::size_t len = b1 & 0x7F, head = 2;
  if (len == 126) {
    if (in.size() < at + 4) return false;
    len = (static_cast<unsigned char>(in[at + 2]) << 8) | static_cast<unsigned char>(in[at + 3]);
    head = 4;
  } else if (len == 127) {
    if (in.size() < at + 10) return false;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<unsigned char>(in[at + 2 + i]);
    head = 10;
  }
  if (in.size() < at + head + len) return false;
  payload.assign(in, at + head, len);
  at += head + len;
  return true;
}

}  // namespace

void chat_round(Client& c) {
  const std::size_t scenario = c.pick(10);
  const bool slow = scenario == 1;
  const int fd = open(c, "chat", slow ? 4096 : 0);
  if (fd < 0) return;
  const std::string name = "s" + std::to_string(c.id) + "n" + std::to_string(++c.counter);
  const std::string upgrade = "GET /ws?name=" + name +
                              " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  std::string in;
  const Outcome o = exchange(fd, upgrade, in, [](const std::string& got) {
    return got.find("\r\n\r\n") != std::string::npos;
  });
  if (o != Outcome::done) {
    c.tally->io("chat", static_cast<int>(o));
    ::close(fd);
    return;
  }
  if (in.compare(0, 13, "HTTP/1.1 101 ") != 0) {
    c.tally->failure("chat", "handshake refused: " + in.substr(0, 80));
    ::close(fd);
    return;
  }
  std::size_t at = in.find("\r\n\r\n") + 4;
  if (scenario == 2) {
    close_with_reset(fd);
    c.tally->resets.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::vector<std::string> said;
  std::string out;
  const std::size_t n = 1 + c.pick(20);
  for (std::size_t i = 0; i < n; ++i) {
    said.push_back(c.word(1 + c.pick(slow ? 2000 : 200)));
    out += ws_frame(c, said.back());
  }
  // Our own messages come back in order within the room's broadcast; others' are skipped.
  const std::string mine = R"("type":"message","from":")" + name + R"(","text":")";
  std::size_t heard = 0;
  bool bad = false;
  std::string payload;
  const auto done = [&](const std::string& got) {
    while (heard < said.size() && !bad && next_frame(got, at, payload, bad)) {
      if (payload.find(mine) == std::string::npos) continue;
      const std::string text = payload.substr(payload.find(mine) + mine.size());
      if (text.compare(0, said[heard].size() + 2, said[heard] + "\",") != 0) bad = true;
      ++heard;
    }
    return heard == said.size() || bad;
  };
  const Outcome talk = exchange(fd, out, in, done, slow);
  if (talk != Outcome::done) {
    // A slow reader may be dropped by the room (its writes hit the hard limit): not an error.
    if (!slow) c.tally->io("chat", static_cast<int>(talk));
  } else if (bad) {
    c.tally->failure("chat", "message " + std::to_string(heard) + " of " + name +
                                 " is wrong: " + payload.substr(0, 120));
  } else {
    c.tally->bytes_checked.fetch_add(in.size(), std::memory_order_relaxed);
  }
  ::close(fd);
}

}  // namespace soak
