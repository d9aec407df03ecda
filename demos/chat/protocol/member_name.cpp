#include "protocol/member_name.hpp"

#include "protocol/utf8_validator.hpp"

namespace chat {

std::optional<std::string> clean_member_name(std::string_view decoded) {
  if (!is_valid_utf8(decoded)) return std::nullopt;
  std::string name;
  for (const char c : decoded) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) name += c;
  }
  const auto is_space = [](char c) { return c == ' '; };
  while (!name.empty() && is_space(name.back()))
    name.pop_back();
  std::size_t lead = 0;
  while (lead < name.size() && is_space(name[lead]))
    ++lead;
  name.erase(0, lead);
  if (name.size() > kMaxNameBytes) {
    std::size_t cut = kMaxNameBytes;
    // Back up over continuation bytes (10xxxxxx) so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
      --cut;
    name.resize(cut);
    while (!name.empty() && is_space(name.back()))
      name.pop_back();
  }
  return name;
}

}  // namespace chat
