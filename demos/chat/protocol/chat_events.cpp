#include "protocol/chat_events.hpp"

#include "protocol/json.hpp"

namespace chat {

std::string message_event(std::string_view from, std::string_view text, std::uint64_t seq) {
  std::string out;
  out.reserve(48 + from.size() + text.size());
  out += R"({"type":"message","from":)";
  append_json_string(out, from);
  out += R"(,"text":)";
  append_json_string(out, text);
  out += R"(,"seq":)";
  out += std::to_string(seq);
  out += '}';
  return out;
}

std::string presence_event(std::string_view type, std::string_view name,
                           std::span<const std::string_view> online) {
  std::string out;
  out += R"({"type":)";
  append_json_string(out, type);
  out += R"(,"name":)";
  append_json_string(out, name);
  out += R"(,"online":[)";
  for (std::size_t i = 0; i < online.size(); ++i) {
    if (i != 0) out += ',';
    append_json_string(out, online[i]);
  }
  out += "]}";
  return out;
}

}  // namespace chat
