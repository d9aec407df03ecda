#pragma once
// Redis's glob patterns (KEYS, CONFIG GET): `*`, `?`, `[abc]`, `[^a-z]` and `\` escapes,
// matched byte for byte. A pure function so every shard and the tests share one meaning.

#include <string_view>

namespace redis {

// Any thread.
bool glob_match(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace redis
