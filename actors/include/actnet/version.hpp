#pragma once
// actnet's version, for logs and for consumers that check what they linked.

namespace actnet {

inline constexpr int kVersionMajor = 0;
inline constexpr int kVersionMinor = 1;
inline constexpr int kVersionPatch = 0;

// Any thread: "major.minor.patch" of the library that was linked.
const char* version() noexcept;

}  // namespace actnet
