// The incremental RESP2 parser: every frame parses the same whichever byte it is split at,
// inline commands split like Redis's, and each malformed input is refused with Redis's
// wording before anything large is allocated.

#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "resp_parser.hpp"

using redis::RespParser;
using Words = std::vector<std::string>;

namespace {

struct Outcome {
  std::vector<Words> commands;
  std::string error;  // empty: no error
};

// Feeds `input` in the given pieces, collecting every command until an error.
Outcome feed(const std::vector<std::string_view>& pieces) {
  RespParser parser;
  Outcome outcome;
  for (std::string_view piece : pieces) {
    while (true) {
      std::size_t used = 0;
      const auto status = parser.parse(piece, used);
      REQUIRE(used <= piece.size());
      piece.remove_prefix(used);
      if (status == RespParser::Status::error) {
        outcome.error = parser.error();
        return outcome;
      }
      if (status == RespParser::Status::need_more) {
        REQUIRE(piece.empty());
        break;
      }
      Words words;
      for (std::string_view w : parser.args())
        words.emplace_back(w);
      outcome.commands.push_back(std::move(words));
    }
  }
  return outcome;
}

Outcome feed(std::string_view input) {
  return feed(std::vector<std::string_view>{input});
}

std::string frame(const Words& words) {
  std::string out;
  out.append(1, '*').append(std::to_string(words.size())).append("\r\n");
  for (const std::string& w : words)
    out.append(1, '$').append(std::to_string(w.size())).append("\r\n").append(w).append("\r\n");
  return out;
}

}  // namespace

TEST_CASE("a pipeline of frames parses the same when split at every byte, or at every pair") {
  const std::vector<Words> expected = {{"SET", "key", "value with spaces"},
                                       {"GET", "key"},
                                       {"PING"},
                                       {"ECHO", ""},
                                       {"SET", "bin", std::string("a\r\nb\0c", 7)}};
  std::string input;
  for (const Words& w : expected)
    input += frame(w);
  input += "PING\r\n";
  std::vector<Words> with_inline = expected;
  with_inline.push_back({"PING"});

  CHECK(feed(input).commands == with_inline);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    const std::string_view all(input);
    const Outcome split = feed({all.substr(0, cut), all.substr(cut)});
    INFO("split at " << cut);
    REQUIRE(split.error.empty());
    REQUIRE(split.commands == with_inline);
  }
  for (std::size_t a = 0; a <= input.size(); a += 3) {
    for (std::size_t b = a; b <= input.size(); b += 5) {
      const std::string_view all(input);
      const Outcome split = feed({all.substr(0, a), all.substr(a, b - a), all.substr(b)});
      INFO("split at " << a << " and " << b);
      REQUIRE(split.commands == with_inline);
    }
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i)
    bytes.push_back(std::string_view(input).substr(i, 1));
  CHECK(feed(bytes).commands == with_inline);
}

TEST_CASE("inline commands split on blanks and honour Redis's quoting and escapes") {
  CHECK(feed("PING\r\n").commands == std::vector<Words>{{"PING"}});
  CHECK(feed("PING\n").commands == std::vector<Words>{{"PING"}});
  CHECK(feed("  SET   k \t v  \r\n").commands == std::vector<Words>{{"SET", "k", "v"}});
  CHECK(feed("SET k \"a b\\n\\x41\\\"\"\r\n").commands ==
        std::vector<Words>{{"SET", "k", "a b\nA\""}});
  CHECK(feed("SET k 'it\\'s'\r\n").commands == std::vector<Words>{{"SET", "k", "it's"}});
  CHECK(feed("ECHO \"\"\r\n").commands == std::vector<Words>{{"ECHO", ""}});
  CHECK(feed("\r\n\n   \r\nPING\r\n").commands == std::vector<Words>{{"PING"}});
}

TEST_CASE("empty multibulk frames (*0, *-1) are skipped, not run") {
  CHECK(feed("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n").commands == std::vector<Words>{{"PING"}});
}

TEST_CASE("the commands before a malformed frame are delivered, then the error") {
  const Outcome o = feed("*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n");
  CHECK(o.commands == std::vector<Words>{{"PING"}});
  CHECK(o.error == "Protocol error: invalid bulk length");
}

TEST_CASE("every malformed input gets Redis's protocol error text") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"*abc\r\n", "invalid multibulk length"},
      {"*+1\r\n", "invalid multibulk length"},
      {"*01\r\n", "invalid multibulk length"},
      {"*1\n$4\r\nPING\r\n", "invalid multibulk length"},
      {"*1048577\r\n", "invalid multibulk length"},
      {"*99999999999999999999999\r\n", "invalid multibulk length"},
      {"*1\r\nx\r\n", "expected '$', got 'x'"},
      {"*1\r\n:4\r\n", "expected '$', got ':'"},
      {"*1\r\n$-1\r\n", "invalid bulk length"},
      {"*1\r\n$ 4\r\n", "invalid bulk length"},
      {"*1\r\n$04\r\n", "invalid bulk length"},
      {"*1\r\n$4\n", "invalid bulk length"},
      {"*1\r\n$536870913\r\n", "invalid bulk length"},
      {"*1\r\n$4\r\nPINGxx", "expected CRLF after bulk data"},
      {"*1\r\n$4\r\nPING\n\r", "expected CRLF after bulk data"},
      {"SET \"a b\r\n", "unbalanced quotes in request"},
      {"SET 'a\r\n", "unbalanced quotes in request"},
      {"\"a\"b\r\n", "unbalanced quotes in request"},
      {"*" + std::string(100, '1'), "too big mbulk count string"},
      {"*1\r\n$" + std::string(100, '1'), "too big bulk count string"},
      {std::string(70 * 1024, 'a'), "too big inline request"},
  };
  for (const auto& [input, message] : cases) {
    INFO("input: " << input.substr(0, 40));
    CHECK(feed(input).error == "Protocol error: " + message);
    // Fed byte by byte, the same error.
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i)
      bytes.push_back(std::string_view(input).substr(i, 1));
    CHECK(feed(bytes).error == "Protocol error: " + message);
  }
}

TEST_CASE("a bulk of exactly 512 MiB is within the limit: its bytes are awaited, not refused") {
  RespParser parser;
  std::size_t used = 0;
  const std::string header = "*1\r\n$536870912\r\n";
  CHECK(parser.parse(header, used) == RespParser::Status::need_more);
  CHECK(used == header.size());
  CHECK(parser.parse(std::string(1000, 'x'), used) == RespParser::Status::need_more);
}

TEST_CASE("the argument count and the inline line pass at their limits and fail one past them") {
  // 1,048,576 arguments are awaited; one more is refused before anything is allocated.
  {
    RespParser parser;
    std::size_t used = 0;
    const std::string header =
        std::string("*").append(std::to_string(RespParser::kMaxArgs)).append("\r\n");
    CHECK(parser.parse(header, used) == RespParser::Status::need_more);
    CHECK(used == header.size());
  }
  CHECK(feed(std::string("*").append(std::to_string(RespParser::kMaxArgs + 1)).append("\r\n"))
            .error == "Protocol error: invalid multibulk length");
  // An inline line of 64 KiB before its '\n' (its '\r' included) runs; one byte more fails.
  const auto inline_line = [](std::size_t length) {
    return std::string("ECHO ").append(length - 6, 'i').append("\r\n");
  };
  const Outcome at = feed(inline_line(RespParser::kMaxInline));
  CHECK(at.error.empty());
  REQUIRE(at.commands.size() == 1);
  CHECK(at.commands[0].at(1).size() == RespParser::kMaxInline - 6);
  CHECK(feed(inline_line(RespParser::kMaxInline + 1)).error ==
        "Protocol error: too big inline request");
  // The same bytes with no '\n' yet: waiting at the limit, refused one past it.
  CHECK(feed(std::string(RespParser::kMaxInline, 'a')).error.empty());
  CHECK(feed(std::string(RespParser::kMaxInline + 1, 'a')).error ==
        "Protocol error: too big inline request");
}

TEST_CASE("a parser that reported an error keeps reporting it") {
  RespParser parser;
  std::size_t used = 0;
  REQUIRE(parser.parse("*x\r\n", used) == RespParser::Status::error);
  CHECK(parser.parse("PING\r\n", used) == RespParser::Status::error);
}
