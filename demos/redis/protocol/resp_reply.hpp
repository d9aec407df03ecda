#pragma once
// Appending RESP2 replies to an output string: the one place the wire format of answers is
// spelled, so the keyspace and the handler only say what they answer. Appending (never
// building temporaries) lets a whole batch of replies share one buffer whose capacity is
// reused from batch to batch.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace redis::reply {

inline void simple(std::string& out, std::string_view s) {
  out.append(1, '+').append(s).append("\r\n");
}
inline void ok(std::string& out) {
  out.append("+OK\r\n");
}
// `message` starts with its code word ("ERR ...", "WRONGTYPE ...").
inline void error(std::string& out, std::string_view message) {
  out.append(1, '-').append(message).append("\r\n");
}
inline void number_line(std::string& out, char kind, std::int64_t n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(1, kind).append(digits, r.ptr).append("\r\n");
}
inline void integer(std::string& out, std::int64_t n) {
  number_line(out, ':', n);
}
inline void array(std::string& out, std::int64_t n) {
  number_line(out, '*', n);
}
inline void bulk(std::string& out, std::string_view s) {
  number_line(out, '$', static_cast<std::int64_t>(s.size()));
  out.append(s).append("\r\n");
}
inline void nil(std::string& out) {
  out.append("$-1\r\n");
}
inline void nil_array(std::string& out) {
  out.append("*-1\r\n");
}

inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kSyntax = "ERR syntax error";

}  // namespace redis::reply
