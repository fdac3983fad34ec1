// Nesting depth of a JSON value, computed without recursion: nlohmann's
// copy and dump recurse, so a hostile document nested millions deep must be
// refused before anything copies or serialises it.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace proximadb {

// True when `j` nests objects/arrays deeper than `max_depth` (a scalar has
// depth 0, {} and [] depth 1).
inline bool JsonDeeperThan(const nlohmann::json& j, size_t max_depth) {
  std::vector<std::pair<const nlohmann::json*, size_t>> stack{{&j, 0}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    if (depth + 1 > max_depth) return true;
    for (const auto& child : *v) stack.push_back({&child, depth + 1});
  }
  return false;
}

}  // namespace proximadb
