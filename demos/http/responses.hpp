#pragma once
// Responses appends this server's answers to a connection's output buffer. Everything but
// the Date line and the connection header is fixed text built once, so answering /plaintext
// is a few appends into a buffer that is already large enough: no formatting and no
// allocation per request. Immutable after construction: any thread.

#include <cstdint>
#include <string>
#include <string_view>

namespace http {

// What the response says about the connection: nothing (the request's version implies it),
// "Connection: close" (it ends after this answer) or "Connection: keep-alive" (an HTTP/1.0
// client asked for it).
enum class Persistence : std::uint8_t { implied, close, keep_alive };

enum class Allow : std::uint8_t { get_head, post };

class Responses {
 public:
  Responses();

  // `date` is DateLine::get(). `head_only`: a HEAD request, the same answer without body.
  void plaintext(std::string& out, Persistence p, std::string_view date, bool head_only) const;
  void json(std::string& out, Persistence p, std::string_view date, bool head_only) const;
  void echo(std::string& out, Persistence p, std::string_view date, std::string_view body) const;
  void not_found(std::string& out, Persistence p, std::string_view date) const;
  void method_not_allowed(std::string& out, Allow allow, Persistence p,
                          std::string_view date) const;
  // An error the parser found (400, 413, 414, 431, 501, 505): always "Connection: close".
  void error(std::string& out, int status, std::string_view date) const;
  // The interim answer to "Expect: 100-continue".
  static void continue_100(std::string& out);

 private:
  static void finish(std::string& out, Persistence p, std::string_view date);

  std::string plaintext_head_, json_head_, not_found_head_, allow_get_head_, allow_post_head_;
};

}  // namespace http
