// The chat's JSON events, JSON string escaping, query decoding and member names.

#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/chat_events.hpp"
#include "protocol/json.hpp"
#include "protocol/member_name.hpp"
#include "protocol/url.hpp"

namespace {

std::string json(std::string_view text) {
  std::string out;
  chat::append_json_string(out, text);
  return out;
}

}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control characters only", "[chat][json]") {
  CHECK(json("") == R"("")");
  CHECK(json("say \"hi\" \\o/") == R"("say \"hi\" \\o/")");
  CHECK(json("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
  CHECK(json(std::string("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(json("\x7f κόσμε </script>") == "\"\x7f κόσμε </script>\"");
}

TEST_CASE("A chat message event carries sender, text and sequence number", "[chat][json]") {
  CHECK(chat::message_event("alice", "hi \"bob\"", 1) ==
        R"({"type":"message","from":"alice","text":"hi \"bob\"","seq":1})");
}

TEST_CASE("A presence event lists who is online", "[chat][json]") {
  const std::vector<std::string_view> online{"alice", "bob"};
  CHECK(chat::presence_event("join", "bob", online) ==
        R"({"type":"join","name":"bob","online":["alice","bob"]})");
  CHECK(chat::presence_event("leave", "carol", {}) ==
        R"({"type":"leave","name":"carol","online":[]})");
}

TEST_CASE("Query values are found by exact key and percent-decoded", "[chat][url]") {
  CHECK(chat::query_value("name=al%20ice&x=1", "name") == "al%20ice");
  CHECK(chat::query_value("x=1&name=bob", "name") == "bob");
  CHECK(chat::query_value("names=x&name", "name") == "");
  CHECK_FALSE(chat::query_value("nam=x&namee=y", "name"));
  CHECK_FALSE(chat::query_value("", "name"));
  CHECK(chat::percent_decode("al%20ice+b%C3%A9", true) == "al ice b\xc3\xa9");
  CHECK(chat::percent_decode("a+b", false) == "a+b");
  CHECK_FALSE(chat::percent_decode("%2", true));
  CHECK_FALSE(chat::percent_decode("%zz", true));
  CHECK_FALSE(chat::percent_decode("abc%", true));
}

TEST_CASE("Member names are trimmed, stripped of controls and cut at 32 bytes", "[chat][names]") {
  CHECK(chat::clean_member_name("  alice  ") == "alice");
  CHECK(chat::clean_member_name("bo\x01"
                                "b\n") == "bob");
  CHECK(chat::clean_member_name("   ") == "");
  CHECK(chat::clean_member_name(std::string(40, 'x')) == std::string(32, 'x'));
  // 31 ASCII bytes then a 2-byte character: cut before it, not inside it.
  CHECK(chat::clean_member_name(std::string(31, 'x') + "\xc3\xa9") == std::string(31, 'x'));
  CHECK_FALSE(chat::clean_member_name("bad \xc0\xaf"));
}
