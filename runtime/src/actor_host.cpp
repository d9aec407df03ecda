#include "actnet/runtime/actor_host.hpp"

#include <exception>

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

ActorId ActorHost::place(std::unique_ptr<ActorBase> actor) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  const ActorId id{slot, slots_[slot].generation};
  actor->host_ = this;
  actor->inbox_ = &inbox_;
  actor->id_ = id;
  ActorBase& placed = *actor;
  slots_[slot].actor = std::move(actor);
  ++live_;
  try {
    placed.on_start();
  } catch (const std::exception& e) {
    logger_->error("actor {}.{} failed in on_start: {}", id.slot, id.generation, e.what());
    placed.stopping_ = true;
    retire(slot);
  }
  return id;
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
  handled_.fetch_add(n, std::memory_order_relaxed);
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
      logger_->error("actor {}.{} failed in receive, stopping it: {}", envelope.to.slot,
                     envelope.to.generation, e.what());
      outcome = Errc::actor_failed;
      target->stop();
    } catch (...) {
      logger_->error("actor {}.{} failed in receive (non-standard exception), stopping it",
                     envelope.to.slot, envelope.to.generation);
      outcome = Errc::actor_failed;
      target->stop();
    }
  }
  complete(envelope.done, outcome);
  retire_stopped();
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
    logger_->error("actor {}.{} failed in on_stop: {}", index, slot.generation, e.what());
  } catch (...) {
    logger_->error("actor {}.{} failed in on_stop (non-standard exception)", index,
                   slot.generation);
  }
  slot.actor.reset();
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
