#pragma once
// Completion is the optional callback every cross-thread request carries (a send to an
// actor, later an async write to a connection). It runs exactly once with the outcome: on
// the owner's thread when the request was handled, or on the sender's thread when the
// owner had already stopped.

#include <system_error>

#include "actnet/export.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

/// The optional callback of every cross-thread request: runs exactly once with the outcome.
using Completion = UniqueFunction<void(std::error_code)>;

/// Runs `done` (if set) with `ec` and empties it. An exception thrown by the callback is
/// logged and swallowed: it must not unwind through the loop that ran it.
ACTNET_API void complete(Completion& done, std::error_code ec) noexcept;

}  // namespace actnet
