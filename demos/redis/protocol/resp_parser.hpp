#pragma once
// RespParser turns a client's byte stream into commands: RESP2 multibulk frames
// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline commands typed by hand (`GET k\r\n`). It
// exists so the server never has to hold a whole frame in the connection's inbound buffer:
// it is incremental (bytes may stop anywhere, even inside a length or a CRLF) and owns the
// argument bytes it has seen so far, reusing their storage from one command to the next so
// that steady-state parsing allocates nothing. Limits are checked before anything is
// allocated: a bulk longer than 512 MiB, more than 1,048,576 arguments or an inline line over
// 64 KiB are protocol errors, reported with Redis's own wording.
//
// Single-threaded: one parser per connection, used on its loop only.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redis {

class RespParser {
 public:
  static constexpr std::int64_t kMaxBulk = 512LL * 1024 * 1024;
  static constexpr std::int64_t kMaxArgs = 1024 * 1024;
  static constexpr std::size_t kMaxInline = 64 * 1024;
  static constexpr std::size_t kMaxHeaderLine = 64;  // "*<count>" or "$<length>" lines

  enum class Status : std::uint8_t {
    need_more,  // every byte given was consumed; feed more
    command,    // a command is ready in args(); the bytes after it were not consumed
    error,      // malformed input; error() says what (the parser must not be fed again)
  };

  // Parses from `in`; `consumed` is set to how many bytes of `in` were used. On `command`
  // the arguments stay valid until the next call.
  Status parse(std::string_view in, std::size_t& consumed);

  std::span<const std::string_view> args() const noexcept { return views_; }
  // "Protocol error: ..." without the "ERR " prefix.
  const std::string& error() const noexcept { return error_; }

 private:
  enum class State : std::uint8_t {
    start,
    multibulk_line,
    bulk_line,
    bulk_data,
    bulk_crlf,
    inline_line,
    failed
  };

  Status fail(std::string what);
  bool take_line(std::string_view in, std::size_t& pos, std::size_t limit, bool& too_long);
  Status finish_multibulk_line();
  Status finish_bulk_line();
  Status finish_inline_line();
  Status command_ready();
  std::string& next_arg();

  State state_ = State::start;
  std::string line_;               // the header or inline line gathered so far
  std::vector<std::string> args_;  // storage, reused: only the first argc_ are live
  std::vector<std::string_view> views_;
  std::size_t argc_ = 0;
  std::int64_t expected_args_ = 0;  // multibulk: arguments announced
  std::int64_t bulk_left_ = 0;      // bytes of the current bulk still to come
  std::uint8_t crlf_seen_ = 0;      // bytes of the CRLF after a bulk already checked
  std::string error_;
};

}  // namespace redis
