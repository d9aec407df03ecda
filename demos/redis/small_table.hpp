#pragma once
// SmallTable holds a Redis set's members or a hash's fields. Small ones are a vector scanned
// in insertion order, which is what Redis's listpack encoding answers with (HGETALL on a
// small hash lists fields as they were added); past kIndexAt entries an index by name keeps
// lookups O(1), and like Redis's hash table encoding the order is then unspecified.
//
// Thread: its owner's only.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace redis {

class SmallTable {
 public:
  using Item = std::pair<std::string, std::string>;  // member (value unused) or field, value

  // The value slot of `name`, or nullptr.
  std::string* find(std::string_view name) {
    const std::size_t i = position(name);
    return i == npos ? nullptr : &items_[i].second;
  }
  // True when `name` was new.
  bool put(std::string_view name, std::string_view value) {
    if (std::string* v = find(name)) {
      v->assign(value);
      return false;
    }
    items_.emplace_back(std::string(name), std::string(value));
    if (!index_.empty()) {
      index_.emplace(items_.back().first, items_.size() - 1);
    } else if (items_.size() > kIndexAt) {
      for (std::size_t i = 0; i < items_.size(); ++i)
        index_.emplace(items_[i].first, i);
    }
    return true;
  }
  bool remove(std::string_view name) {
    const std::size_t i = position(name);
    if (i == npos) return false;
    if (index_.empty()) {
      items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
    index_.erase(items_[i].first);
    if (i + 1 != items_.size()) {
      items_[i] = std::move(items_.back());
      index_[items_[i].first] = i;
    }
    items_.pop_back();
    return true;
  }
  std::size_t size() const noexcept { return items_.size(); }
  const std::vector<Item>& items() const noexcept { return items_; }

 private:
  static constexpr std::size_t kIndexAt = 32;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::size_t position(std::string_view name) const {
    if (!index_.empty()) {
      const auto it = index_.find(name);
      return it == index_.end() ? npos : it->second;
    }
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i].first == name) return i;
    return npos;
  }

  std::vector<Item> items_;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
};

}  // namespace redis
