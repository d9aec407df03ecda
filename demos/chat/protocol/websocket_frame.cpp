#include "protocol/websocket_frame.hpp"

namespace chat {

bool is_valid_close_code(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;  // 1012-1014: registered with IANA since
  return code >= 3000 && code <= 4999;            // libraries (3xxx) and applications (4xxx)
}

}  // namespace chat
