#pragma once
// What a handler callback asks of the engine when it returns (gnet's Action).

#include <cstdint>

namespace actnet {

/// What a handler callback asks of the engine when it returns (gnet's Action).
enum class Action : std::uint8_t {
  none,      ///< carry on
  close,     ///< close this connection (what is buffered for it is flushed first, best effort)
  shutdown,  ///< stop the whole engine gracefully
};

}  // namespace actnet
