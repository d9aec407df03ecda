#pragma once
// The name a chat member asked for (the decoded ?name= of /ws), made safe to show: valid
// UTF-8, no control characters, no surrounding spaces, at most kMaxNameBytes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

inline constexpr std::size_t kMaxNameBytes = 32;

// Any thread: the cleaned name ("" when nothing is left: the room then picks guest-<n>), or
// nothing when `decoded` is not valid UTF-8. A longer name is cut at a character boundary.
std::optional<std::string> clean_member_name(std::string_view decoded);

}  // namespace chat
