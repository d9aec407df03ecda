// libFuzzer target for the RESP2 parser: arbitrary bytes, fed whole and then in pieces cut
// where the input's first byte says, must give the same commands and the same error (the
// parser is incremental: a split point must never change the outcome), never a crash, a
// hang or an allocation the input did not pay for.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp_parser.hpp"

namespace {

struct Outcome {
  std::vector<std::string> words;  // every argument of every command, with separators
  std::string error;
};

Outcome feed(std::string_view input, std::size_t piece) {
  redis::RespParser parser;
  Outcome outcome;
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, piece);
    input.remove_prefix(chunk.size());
    for (;;) {
      std::size_t used = 0;
      const auto status = parser.parse(chunk, used);
      if (used > chunk.size()) std::abort();
      chunk.remove_prefix(used);
      if (status == redis::RespParser::Status::error) {
        outcome.error = parser.error();
        return outcome;
      }
      if (status == redis::RespParser::Status::need_more) {
        if (!chunk.empty()) std::abort();  // need_more must consume everything
        break;
      }
      for (std::string_view w : parser.args())
        outcome.words.emplace_back(w);
      outcome.words.emplace_back("\x01end");
    }
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 17;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = feed(input, input.size() + 1);
  const Outcome split = feed(input, piece);
  if (whole.words != split.words || whole.error != split.error) std::abort();
  return 0;
}
