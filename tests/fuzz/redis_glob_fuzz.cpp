// Fuzzes the redis demo's glob matcher (KEYS and CONFIG GET patterns come from the peer).
// Byte 0 says where the pattern ends and the key begins, and whether to fold case. The
// matcher must never crash or read past either input (ASan), must stay fast on patterns
// built to make a backtracking matcher explode (libFuzzer's -timeout), and must agree with a
// plain dynamic-programming matcher wherever the pattern uses only '*', '?' and literals.
// A key escaped byte by byte must always match itself.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "glob.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "redis_glob_fuzz: %s\n", what);
  std::abort();
}

char fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// The oracle: O(|pattern| * |text|) table, for patterns of '*', '?' and literals only.
bool reference(std::string_view p, std::string_view t, bool nocase) {
  std::vector<char> row(t.size() + 1, 0), next(t.size() + 1, 0);
  row[0] = 1;
  for (const char pc : p) {
    next.assign(t.size() + 1, 0);
    if (pc == '*') {
      char any = 0;
      for (std::size_t j = 0; j <= t.size(); ++j)
        next[j] = any = any || row[j];
    } else {
      for (std::size_t j = 1; j <= t.size(); ++j) {
        next[j] = row[j - 1] && (pc == '?' || fold(pc, nocase) == fold(t[j - 1], nocase));
      }
    }
    row.swap(next);
  }
  return row[t.size()] != 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = bytes.empty() ? 0 : (data[0] >> 1) % (bytes.size() + 1);
  const bool nocase = (data[0] & 1) != 0;
  const std::string_view pattern = bytes.substr(0, cut);
  const std::string_view key = bytes.substr(cut);

  const bool matched = redis::glob_match(pattern, key, nocase);
  if (pattern.find_first_of("[\\") == std::string_view::npos &&
      matched != reference(pattern, key, nocase)) {
    fail("disagrees with the reference matcher");
  }

  std::string escaped;
  for (const char c : key) {
    escaped += '\\';
    escaped += c;
  }
  if (!redis::glob_match(escaped, key, false)) fail("an escaped key does not match itself");
  if (!redis::glob_match("*", key, nocase)) fail("'*' does not match everything");
  return 0;
}
