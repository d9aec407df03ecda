#include "protocol/utf8_validator.hpp"

namespace chat {

bool Utf8Validator::feed(std::string_view bytes) noexcept {
  if (failed_) return false;
  for (const char ch : bytes) {
    const auto b = static_cast<std::uint8_t>(ch);
    if (need_ != 0) {
      if (b < lo_ || b > hi_) return fail();
      --need_;
      lo_ = 0x80;
      hi_ = 0xBF;
      continue;
    }
    if (b < 0x80) continue;
    if (b >= 0xC2 && b <= 0xDF) {
      need_ = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need_ = 2;
      if (b == 0xE0) lo_ = 0xA0;  // below: overlong
      if (b == 0xED) hi_ = 0x9F;  // above: UTF-16 surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      need_ = 3;
      if (b == 0xF0) lo_ = 0x90;  // below: overlong
      if (b == 0xF4) hi_ = 0x8F;  // above: beyond U+10FFFF
    } else {
      return fail();  // a stray continuation byte, C0/C1 (overlong) or F5..FF
    }
  }
  return true;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  Utf8Validator v;
  v.feed(bytes);
  return v.complete();
}

}  // namespace chat
