#pragma once
// Test support for the HTTP server tests: the server's handler running in-process on one
// loop, a read that tells a clean close (EOF) from a reset, and the Date line replaced by a
// fixed one so whole responses can be compared byte for byte.

#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "actnet/actnet.hpp"
#include "actors/test_client.hpp"
#include "http_server.hpp"

namespace http_test {

// Every Date line has this length (IMF-fixdate is fixed width), so expected responses can be
// written with it and compared after normalize().
constexpr std::string_view kDate = "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

// `bytes` with the value of every "Date: " line replaced by kDate's.
inline std::string normalize(std::string bytes) {
  for (std::size_t at = bytes.find("\r\nDate: "); at != std::string::npos;
       at = bytes.find("\r\nDate: ", at + 2)) {
    if (bytes.size() >= at + 2 + kDate.size()) bytes.replace(at + 2, kDate.size(), kDate);
  }
  return bytes;
}

// A response as the server writes it, with kDate for its Date line.
inline std::string response(std::string_view status, std::string_view type, std::string_view body,
                            std::string_view extra = {}, bool head_only = false) {
  std::string r("HTTP/1.1 ");
  r.append(status)
      .append("\r\nServer: actnet\r\nContent-Type: ")
      .append(type)
      .append("\r\nContent-Length: ")
      .append(std::to_string(body.size()))
      .append("\r\n")
      .append(extra)
      .append(kDate)
      .append("\r\n");
  if (!head_only) r.append(body);
  return r;
}

// The http demo's handler on an engine of its own (one loop), stopped when this goes.
class Served {
 public:
  explicit Served(http::ServerConfig config = {})
      : handler_(config),
        running_(actnet::start(handler_, {"tcp://127.0.0.1:0"}, {.num_event_loops = 1})) {
    if (!running_.ok()) FAIL("the engine did not start: " << running_.error().message);
  }
  actnet::io::SocketAddress address() const { return running_->engine().listen_addresses().at(0); }
  http::HttpServer& handler() { return handler_; }
  actnet::Engine engine() const { return running_->engine(); }

 private:
  http::HttpServer handler_;
  actnet::Result<actnet::RunningEngine> running_;
};

struct UntilClose {
  std::string bytes;
  bool clean = false;  // ended with EOF (not a reset, not the client's timeout)
};

// Everything until the server closes; `clean` tells how it ended.
inline UntilClose read_until_close(TestClient& client) {
  UntilClose out;
  char buf[65536];
  for (;;) {
    const ssize_t r = ::recv(client.fd(), buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      out.clean = true;
      return out;
    }
    if (r < 0) return out;
    out.bytes.append(buf, static_cast<std::size_t>(r));
  }
}

}  // namespace http_test
