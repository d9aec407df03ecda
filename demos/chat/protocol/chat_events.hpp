#pragma once
// The JSON events the room sends to every member, built in one place so the page, the tests
// and the server agree on them:
//   {"type":"message","from":NAME,"text":TEXT,"seq":N}
//   {"type":"join"|"leave","name":NAME,"online":[NAME,...]}

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace chat {

// Any thread.
std::string message_event(std::string_view from, std::string_view text, std::uint64_t seq);
// Any thread: `type` is "join" or "leave"; `online` lists who is in the room after it.
std::string presence_event(std::string_view type, std::string_view name,
                           std::span<const std::string_view> online);

}  // namespace chat
