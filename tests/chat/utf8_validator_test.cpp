// UTF-8 validation (RFC 3629), whole and split at every byte.

#include <string>

#include <catch2/catch.hpp>

#include "protocol/utf8_validator.hpp"

namespace {

// The same verdict whole and fed one byte at a time.
bool valid(const std::string& bytes) {
  chat::Utf8Validator split;
  for (const char c : bytes)
    split.feed(std::string_view(&c, 1));
  const bool whole = chat::is_valid_utf8(bytes);
  CHECK(whole == split.complete());
  return whole;
}

}  // namespace

TEST_CASE("Valid UTF-8 of every sequence length passes, whole or split", "[chat][utf8]") {
  CHECK(valid(""));
  CHECK(valid("plain ASCII \x7f"));
  CHECK(valid("\xc2\x80 \xdf\xbf"));  // U+0080, U+07FF
  CHECK(valid(
      "\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf"));  // U+0800, U+D7FF, U+E000, U+FFFF
  CHECK(valid("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));            // U+10000, U+10FFFF
  CHECK(valid("κόσμε 😀"));
}

TEST_CASE("Overlong forms are invalid", "[chat][utf8]") {
  CHECK_FALSE(valid("\xc0\x80"));
  CHECK_FALSE(valid("\xc1\xbf"));
  CHECK_FALSE(valid("\xe0\x80\x80"));
  CHECK_FALSE(valid("\xe0\x9f\xbf"));
  CHECK_FALSE(valid("\xf0\x80\x80\x80"));
  CHECK_FALSE(valid("\xf0\x8f\xbf\xbf"));
}

TEST_CASE("Surrogates and code points above U+10FFFF are invalid", "[chat][utf8]") {
  CHECK_FALSE(valid("\xed\xa0\x80"));      // U+D800
  CHECK_FALSE(valid("\xed\xbf\xbf"));      // U+DFFF
  CHECK_FALSE(valid("\xf4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(valid("\xf5\x80\x80\x80"));
  CHECK_FALSE(valid("\xff"));
}

TEST_CASE("Truncated sequences and stray continuation bytes are invalid", "[chat][utf8]") {
  CHECK_FALSE(valid("\xc2"));
  CHECK_FALSE(valid("\xe2\x82"));
  CHECK_FALSE(valid("\xf0\x9f\x98"));
  CHECK_FALSE(valid("a\x80"));
  CHECK_FALSE(valid("\xe2\x82x"));
}

TEST_CASE("A validator fails at the first bad byte and stays failed", "[chat][utf8]") {
  chat::Utf8Validator v;
  CHECK(v.feed("ok \xe2"));
  CHECK_FALSE(v.complete());  // a sequence is open, not failed
  CHECK_FALSE(v.failed());
  CHECK_FALSE(v.feed("A"));
  CHECK(v.failed());
  CHECK_FALSE(v.feed("fine"));
  v.reset();
  CHECK(v.feed("fine"));
  CHECK(v.complete());
}
