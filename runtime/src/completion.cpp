#include "actnet/runtime/completion.hpp"

#include <exception>

#include "actnet/runtime/log.hpp"

namespace actnet {

void complete(Completion& done, std::error_code ec) noexcept {
  if (!done) return;
  Completion callback = std::move(done);
  try {
    callback(ec);
  } catch (const std::exception& e) {
    log::default_logger()->error("a completion callback threw: {}", e.what());
  } catch (...) {
    log::default_logger()->error("a completion callback threw a non-standard exception");
  }
}

}  // namespace actnet
