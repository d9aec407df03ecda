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

/// Why something failed: a code to compare (errno values in the system category, Errc in
/// actnet's) and a message for people.
struct ACTNET_API Error {
  std::error_code code;  ///< what failed, for comparisons
  std::string message;   ///< for people: what was asked, and what went wrong

  Error() = default;
  /// An error with code `c` and message `m`.
  Error(std::error_code c, std::string m) : code(c), message(std::move(m)) {}
  /// Whether there is an error (a non-zero code).
  explicit operator bool() const noexcept { return static_cast<bool>(code); }
};

template <class T>
/// A value or an Error: how actnet reports failures a caller must handle, without
/// exceptions. Check it (operator bool) before reading value().
class [[nodiscard]] Result {
 public:
  /// Holds `value` (implicit, so a function returning Result<T> can `return value;`).
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  /// Holds `error` (implicit, so a function can `return Error{...};`).
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  /// Whether it holds a value.
  bool ok() const noexcept { return v_.index() == 0; }
  /// ok().
  explicit operator bool() const noexcept { return ok(); }

  /// The value; it must hold one (asserted).
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  /// The value, moved out; it must hold one (asserted).
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  /// The value; it must hold one (asserted).
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  /// &value().
  T* operator->() { return &value(); }
  /// &value().
  const T* operator->() const { return &value(); }
  /// value().
  T& operator*() & { return value(); }
  /// value().
  const T& operator*() const& { return value(); }

  /// The error; it must hold one (asserted).
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace actnet
