#pragma once
// JSON string literals (RFC 8259 §7) for the chat's events. The input is valid UTF-8 (the
// frame parser and name cleaning guarantee it), so only quotes, backslashes and control
// characters need escaping; everything else passes through as UTF-8.

#include <string>
#include <string_view>

namespace chat {

// Any thread: appends `text` to `out` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);

}  // namespace chat
