#pragma once
// Supervision says what a host does with an actor whose receive() throws — Erlang/OTP's
// one_for_one, chosen per actor at spawn. Restarting gives the actor fresh state in the same
// slot under the same generation, so every ref to it keeps working; a restart limit keeps a
// crash loop from spinning forever.

#include <chrono>
#include <cstdint>

#include "actnet/export.hpp"

namespace actnet {

/// What a host does with an actor whose receive() threw.
enum class OnFailure : std::uint8_t {
  restart,   ///< fresh state, same refs; stop once the restart limit is reached
  stop,      ///< the actor leaves; its refs then fail with actor_stopped
  escalate,  ///< the actor leaves and the host's escalation hook runs (an engine stops)
};

/// An actor's failure policy, chosen at spawn.
struct ACTNET_API Supervision {
  OnFailure on_failure = OnFailure::restart;  ///< what to do on a failure
  int max_restarts = 5;                       ///< restarts allowed within `window`...
  std::chrono::milliseconds window{10'000};   ///< ...after which the actor is stopped
};

}  // namespace actnet
