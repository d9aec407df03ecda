#include "actnet/version.hpp"

namespace actnet {

const char* version() noexcept {
  return ACTNET_VERSION_STRING;
}

}  // namespace actnet
