#include "actnet/io/status.hpp"

#include <cstring>
#include <system_error>

namespace actnet::io {

namespace {

// strerror() is not thread-safe and io runs on many loop threads at once, so use
// strerror_r, whose two flavours differ: GNU returns the text (maybe not in `buf`), XSI
// fills `buf` and returns 0. Overloading on the return type accepts either.
[[maybe_unused]] const char* strerror_text(const char* text, const char*) {
  return text;
}
[[maybe_unused]] const char* strerror_text(int rc, const char* buf) {
  return rc == 0 ? buf : "unknown error";
}

}  // namespace

Error errno_error(int err, std::string what) {
  char buf[128] = {};
  what += ": ";
  what += strerror_text(::strerror_r(err, buf, sizeof buf), buf);
  return Error(std::error_code(err, std::system_category()), std::move(what));
}

}  // namespace actnet::io
