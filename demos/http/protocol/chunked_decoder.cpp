#include "chunked_decoder.hpp"

#include <algorithm>

namespace http {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Field bytes: HTAB, visible ASCII, space, obs-text. No other control character.
bool field_byte(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

}  // namespace

void ChunkedDecoder::reset() noexcept {
  state_ = State::size_first;
  size_ = remaining_ = total_ = 0;
  line_ = trailer_bytes_ = 0;
  error_ = {};
}

BodyStep ChunkedDecoder::fail(int status, std::string_view detail, std::size_t consumed) noexcept {
  state_ = State::failed;
  error_ = {status, detail};
  return {BodyStep::Kind::error, consumed, {}};
}

BodyStep ChunkedDecoder::decode(std::string_view in) noexcept {
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    switch (state_) {
      case State::size_first:
      case State::size: {
        // The line's end is not part of it: exactly max_chunk_line bytes before CRLF pass.
        if (c != '\r' && c != '\n' && ++line_ > limits_->max_chunk_line) {
          return fail(400, "chunk size line too long", i);
        }
        const int digit = hex_value(c);
        if (digit >= 0) {
          // The size may not take the body past max_body: checked before it can overflow.
          size_ = size_ * 16 + static_cast<unsigned>(digit);
          if (size_ > limits_->max_body - total_) return fail(413, "chunked body too large", i);
          state_ = State::size;
        } else if (state_ == State::size_first) {
          return fail(400, "chunk size is not hexadecimal", i);
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::extension;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == '\n') {
          state_ = size_ == 0 ? State::trailer : State::data;
          remaining_ = size_;
          line_ = 0;
        } else {
          return fail(400, "bad byte after the chunk size", i);
        }
        ++i;
        break;
      }
      case State::extension:
        // The line's end is not part of it: exactly max_chunk_line bytes before CRLF pass.
        if (c != '\r' && c != '\n' && ++line_ > limits_->max_chunk_line) {
          return fail(400, "chunk size line too long", i);
        }
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == '\n') {
          state_ = size_ == 0 ? State::trailer : State::data;
          remaining_ = size_;
          line_ = 0;
        } else if (!field_byte(c)) {
          return fail(400, "control byte in a chunk extension", i);
        }
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') return fail(400, "CR without LF after the chunk size", i);
        state_ = size_ == 0 ? State::trailer : State::data;
        remaining_ = size_;
        line_ = 0;
        ++i;
        break;
      case State::data: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
        remaining_ -= n;
        total_ += n;
        if (remaining_ == 0) {
          state_ = State::data_cr;
          size_ = 0;
        }
        return {BodyStep::Kind::body, i + n, in.substr(i, n)};
      }
      case State::data_cr:
        if (c == '\r') {
          state_ = State::data_lf;
        } else if (c == '\n') {
          state_ = State::size_first;
        } else {
          return fail(400, "chunk data not followed by CRLF", i);
        }
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') return fail(400, "chunk data not followed by CRLF", i);
        state_ = State::size_first;
        ++i;
        break;
      case State::trailer:
        if (++trailer_bytes_ > limits_->max_head) return fail(431, "trailer fields too large", i);
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (c == '\n') {
          if (line_ == 0) {
            state_ = State::done;
            return {BodyStep::Kind::complete, i + 1, {}};
          }
          line_ = 0;
        } else if (!field_byte(c)) {
          return fail(400, "control byte in a trailer field", i);
        } else {
          ++line_;
        }
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') return fail(400, "CR without LF in the trailer", i);
        ++i;
        if (line_ == 0) {
          state_ = State::done;
          return {BodyStep::Kind::complete, i, {}};
        }
        line_ = 0;
        state_ = State::trailer;
        break;
      case State::done:
        return {BodyStep::Kind::complete, i, {}};
      case State::failed:
        return {BodyStep::Kind::error, i, {}};
    }
  }
  if (state_ == State::done) return {BodyStep::Kind::complete, i, {}};
  if (state_ == State::failed) return {BodyStep::Kind::error, i, {}};
  // A zero-sized chunk of data is never reported: remaining_ > 0 in State::data.
  return {BodyStep::Kind::need_more, i, {}};
}

}  // namespace http
