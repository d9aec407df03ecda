#include "actnet/version.hpp"

namespace actnet {

const char* version() noexcept {
  return "0.1.0";
}

}  // namespace actnet
