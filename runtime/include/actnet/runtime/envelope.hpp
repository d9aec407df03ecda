#pragma once
// Envelope: one message on its way to a hosted actor, with the type erased so that one
// mailbox can serve every actor on a host. `deliver` holds the typed message and calls the
// actor's receive(); it stores messages up to 48 bytes inline (no allocation per send).

#include <cstdint>

#include "actnet/export.hpp"
#include "actnet/runtime/completion.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

class ActorBase;

/// Names one actor on one host. A slot is reused after its actor stops; the generation is
/// bumped then, so an id of the old actor never matches the new one.
struct ACTNET_API ActorId {
  std::uint32_t slot = 0;        ///< the actor's slot on its host
  std::uint32_t generation = 0;  ///< 0: names nothing

  /// The same slot and generation: the same actor.
  friend bool operator==(const ActorId&, const ActorId&) = default;
};

/// One message on its way to a hosted actor, its type erased so one mailbox serves them all.
struct ACTNET_API Envelope {
  ActorId to;                                ///< the actor it is for
  UniqueFunction<void(ActorBase&)> deliver;  ///< calls receive() with the typed message
  Completion done;                           ///< runs once with the outcome (may be empty)
};

}  // namespace actnet
