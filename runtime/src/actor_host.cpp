#include "actnet/runtime/actor_host.hpp"

#include <chrono>
#include <exception>
#include <string>

#include "actnet/runtime/error.hpp"
#include "actnet/runtime/log.hpp"

namespace actnet {

void ActorBase::stop() noexcept {
  if (host_ != nullptr) host_->request_stop(*this);
}

ActorHost::ActorHost(std::shared_ptr<spdlog::logger> logger)
    : logger_(logger ? std::move(logger) : log::default_logger()),
      inbox_(std::make_shared<ActorInbox>()) {}

ActorHost::~ActorHost() {
  stop();
}

ActorId ActorHost::place(std::unique_ptr<ActorBase> actor, Supervision supervision,
                         Factory factory) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.supervision = supervision;
  s.factory = std::move(factory);
  s.restarted.clear();
  const ActorId id{slot, s.generation};
  ++live_;
  install(slot, std::move(actor));
  return id;
}

// Puts `actor` in `slot` under the slot's current generation and starts it.
void ActorHost::install(std::uint32_t slot, std::unique_ptr<ActorBase> actor) {
  Slot& s = slots_[slot];
  const ActorId id{slot, s.generation};
  actor->host_ = this;
  actor->inbox_ = &inbox_;
  actor->id_ = id;
  ActorBase& placed = *actor;
  s.actor = std::move(actor);
  try {
    placed.on_start();
  } catch (const std::exception& e) {
    logger_->error("{}actor {}.{} failed in on_start: {}", prefix_, id.slot, id.generation,
                   e.what());
    placed.stopping_ = true;
    retire(slot);
  }
}

ActorBase* ActorHost::find(ActorId id) noexcept {
  if (id.slot >= slots_.size()) return nullptr;
  Slot& slot = slots_[id.slot];
  if (slot.generation != id.generation || !slot.actor || slot.actor->stopping_) return nullptr;
  return slot.actor.get();
}

std::size_t ActorHost::run_once(std::size_t budget) {
  ACTNET_ASSERT_OWNER(owner_);
  const std::size_t n = inbox_->drain(budget, [this](Envelope& e) noexcept { dispatch(e); });
  // Only the host's thread writes handled_: a load and a store, and none on an empty turn.
  if (n != 0)
    handled_.store(handled_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  return n;
}

void ActorHost::dispatch(Envelope& envelope) noexcept {
  ActorBase* target = find(envelope.to);
  std::error_code outcome = Errc::actor_stopped;
  if (target != nullptr) {
    try {
      envelope.deliver(*target);
      outcome = {};
    } catch (const std::exception& e) {
      outcome = Errc::actor_failed;
      failed(envelope.to.slot, e.what());
    } catch (...) {
      outcome = Errc::actor_failed;
      failed(envelope.to.slot, "a non-standard exception");
    }
  }
  complete(envelope.done, outcome);
  retire_stopped();
}

// An exception escaped receive(): apply the actor's supervision.
void ActorHost::failed(std::uint32_t slot, const std::string& what) noexcept {
  Slot& s = slots_[slot];
  const ActorId id{slot, s.generation};
  switch (s.supervision.on_failure) {
    case OnFailure::restart:
      if (restart(slot)) {
        logger_->warn("{}actor {}.{} failed in receive, restarted: {}", prefix_, id.slot,
                      id.generation, what);
        return;
      }
      logger_->error(
          "{}actor {}.{} failed in receive and will not be restarted (limit {} in {} ms{}): {}",
          prefix_, id.slot, id.generation, s.supervision.max_restarts, s.supervision.window.count(),
          s.factory ? "" : ", or not rebuildable", what);
      s.actor->stop();
      return;
    case OnFailure::stop:
      logger_->error("{}actor {}.{} failed in receive, stopping it: {}", prefix_, id.slot,
                     id.generation, what);
      s.actor->stop();
      return;
    case OnFailure::escalate:
      logger_->error("{}actor {}.{} failed in receive, escalating: {}", prefix_, id.slot,
                     id.generation, what);
      s.actor->stop();
      if (escalate_) {
        try {
          escalate_(id, what);
        } catch (...) {
          logger_->error("{}the escalation hook threw", prefix_);
        }
      }
      return;
  }
}

// Replaces the actor in `slot` with a fresh one, within the restart limit. The generation
// stays, so every ref to it keeps working.
bool ActorHost::restart(std::uint32_t slot) noexcept {
  Slot& s = slots_[slot];
  if (!s.factory) return false;
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(s.restarted, [&](auto t) { return now - t > s.supervision.window; });
  if (static_cast<int>(s.restarted.size()) >= s.supervision.max_restarts) return false;
  try {
    std::unique_ptr<ActorBase> fresh = s.factory();
    s.restarted.push_back(now);
    std::unique_ptr<ActorBase> old = std::move(s.actor);
    try {
      old->on_stop();
    } catch (...) {
      logger_->error("{}actor {}.{} failed in on_stop", prefix_, slot, s.generation);
    }
    old.reset();
    install(slot, std::move(fresh));
    restarts_.fetch_add(1, std::memory_order_relaxed);
    return true;
  } catch (const std::exception& e) {
    logger_->error("{}actor {}.{} could not be rebuilt: {}", prefix_, slot, s.generation, e.what());
    return false;
  }
}

void ActorHost::request_stop(ActorBase& actor) noexcept {
  ACTNET_ASSERT_OWNER(owner_);
  if (actor.stopping_) return;
  actor.stopping_ = true;
  try {
    stopping_.push_back(actor.id_.slot);
  } catch (const std::bad_alloc&) {
    retire(actor.id_.slot);  // no room to defer: it is not inside its own receive() here
  }
}

void ActorHost::retire_stopped() noexcept {
  while (!stopping_.empty()) {
    const std::uint32_t slot = stopping_.back();
    stopping_.pop_back();
    retire(slot);
  }
}

void ActorHost::retire(std::uint32_t index) noexcept {
  Slot& slot = slots_[index];
  if (!slot.actor) return;
  try {
    slot.actor->on_stop();
  } catch (const std::exception& e) {
    logger_->error("{}actor {}.{} failed in on_stop: {}", prefix_, index, slot.generation,
                   e.what());
  } catch (...) {
    logger_->error("{}actor {}.{} failed in on_stop (non-standard exception)", prefix_, index,
                   slot.generation);
  }
  slot.actor.reset();
  slot.factory.reset();
  ++slot.generation;  // from here on, every ref to the old actor is stale
  if (slot.generation == 0) slot.generation = 1;  // 0 names nothing
  --live_;
  try {
    free_slots_.push_back(index);
  } catch (const std::bad_alloc&) {
    // The slot is lost for reuse, which is harmless.
  }
}

void ActorHost::stop() {
  ACTNET_ASSERT_OWNER(owner_);
  inbox_->close([](Envelope& e) noexcept { complete(e.done, Errc::mailbox_closed); });
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].actor) {
      slots_[i].actor->stopping_ = true;
      retire(i);
    }
  }
  stopping_.clear();
}

}  // namespace actnet
