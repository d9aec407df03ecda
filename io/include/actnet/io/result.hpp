#pragma once
// Result<T>: a value or an Error, the way actnet reports failures that a caller must handle
// (a bad address, a socket option the kernel refused, an invalid engine option) without
// exceptions. Error keeps the error_code for comparisons (errno values in the system
// category, actnet::Errc in the actnet one) and a message for people that names the input
// and what is wrong. It lives in io/, the lowest layer that returns such errors, and uses
// the standard library only.

#include <cassert>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "actnet/export.hpp"

namespace actnet {

struct ACTNET_API Error {
  std::error_code code;
  std::string message;  // for people: what was asked, and what went wrong

  Error() = default;
  Error(std::error_code c, std::string m) : code(c), message(std::move(m)) {}
  explicit operator bool() const noexcept { return static_cast<bool>(code); }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace actnet
