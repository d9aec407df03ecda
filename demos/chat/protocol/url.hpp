#pragma once
// Percent-decoding and query lookup for request targets (RFC 3986 §2.1, and the
// application/x-www-form-urlencoded '+' for space that browsers put in query strings).

#include <optional>
#include <string>
#include <string_view>

namespace chat {

// Any thread: `text` with %XX decoded (and '+' as space when `plus_is_space`), or nothing
// when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Any thread: the still-encoded value of the first `key=value` pair in `query` whose key is
// exactly `key` (a bare "key" gives ""), or nothing when there is none.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key);

}  // namespace chat
