#pragma once
// Test support: cat("a", s, "b") joins strings by appending. GCC 12 falsely reports
// -Wrestrict on `"literal" + std::string`, so the tests build strings this way instead.

#include <string>
#include <string_view>

namespace http_test {

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(std::string_view(parts)), ...);
  return s;
}

}  // namespace http_test
