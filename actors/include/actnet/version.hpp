#pragma once
// actnet's version, for logs and for consumers that check what they linked.

namespace actnet {

inline constexpr int kVersionMajor = 0;  ///< the major version of these headers
inline constexpr int kVersionMinor = 1;  ///< the minor version of these headers
inline constexpr int kVersionPatch = 0;  ///< the patch version of these headers

/// Any thread: "major.minor.patch" of the library that was linked.
const char* version() noexcept;

}  // namespace actnet
