// SHA-1 against FIPS 180 vectors, base64 against RFC 4648 §10, and the handshake's accept
// value against RFC 6455's own example.

#include <string>

#include <catch2/catch.hpp>

#include "protocol/base64.hpp"
#include "protocol/sha1.hpp"
#include "protocol/websocket_handshake.hpp"

namespace {

std::string hex(const chat::Sha1Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto b : d) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

}  // namespace

TEST_CASE("SHA-1 matches the FIPS 180 test vectors", "[chat][sha1]") {
  CHECK(hex(chat::sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(hex(chat::sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex(chat::sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(hex(chat::sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("SHA-1 pads correctly around the 55/56/64-byte block edges", "[chat][sha1]") {
  // Reference digests from sha1sum for runs of 'a'.
  CHECK(hex(chat::sha1(std::string(55, 'a'))) == "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  CHECK(hex(chat::sha1(std::string(56, 'a'))) == "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  CHECK(hex(chat::sha1(std::string(64, 'a'))) == "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST_CASE("Base64 encodes the RFC 4648 vectors and decodes them back", "[chat][base64]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(chat::base64_encode(plain) == encoded);
    CHECK(chat::base64_decode(encoded) == plain);
  }
}

TEST_CASE("Base64 decoding refuses non-canonical or malformed text", "[chat][base64]") {
  CHECK_FALSE(chat::base64_decode("Zg="));       // length not a multiple of 4
  CHECK_FALSE(chat::base64_decode("Zh=="));      // spare bits not zero
  CHECK_FALSE(chat::base64_decode("Zm9=Yg=="));  // '=' in the middle
  CHECK_FALSE(chat::base64_decode("Zm9v!A=="));  // outside the alphabet
  CHECK_FALSE(chat::base64_decode("===="));
}

// RFC 6455 §1.3 gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo= for this key (Python's hashlib agrees).
TEST_CASE("The accept value for the RFC 6455 example key is the RFC's", "[chat][handshake]") {
  CHECK(chat::websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
