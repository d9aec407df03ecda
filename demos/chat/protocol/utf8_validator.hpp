#pragma once
// Utf8Validator checks UTF-8 (RFC 3629) a piece at a time, so a text message split across
// frames and reads can be failed at its first bad byte (RFC 6455 §8.1 asks to fail fast).
// It rejects overlong forms, surrogates (U+D800..DFFF) and anything above U+10FFFF. It owns
// only the state of a sequence cut short by the end of a piece.

#include <cstdint>
#include <string_view>

namespace chat {

class Utf8Validator {
 public:
  // Any thread (one at a time): false once any byte so far cannot be UTF-8.
  bool feed(std::string_view bytes) noexcept;
  // True when everything fed is valid and no sequence is left unfinished.
  bool complete() const noexcept { return !failed_ && need_ == 0; }
  bool failed() const noexcept { return failed_; }
  void reset() noexcept { *this = Utf8Validator{}; }

 private:
  bool fail() noexcept {
    failed_ = true;
    return false;
  }

  std::uint8_t need_ = 0;   // continuation bytes still expected
  std::uint8_t lo_ = 0x80;  // the next continuation byte's range: narrower right after
  std::uint8_t hi_ = 0xBF;  // E0, ED, F0 and F4 to exclude overlongs, surrogates, > U+10FFFF
  bool failed_ = false;
};

// Any thread: true when `bytes` is complete, valid UTF-8.
bool is_valid_utf8(std::string_view bytes) noexcept;

}  // namespace chat
