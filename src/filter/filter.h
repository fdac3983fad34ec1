// Metadata filters. Today: the seed's equality map, {"user": "alice"} — every
// key must be present in the point's metadata and equal to the value (numbers
// compare as numbers, 1 == 1.0; when the metadata value is an array, any
// element may match). The filter-language issue extends this class with
// operators and payload indexes; its interface stays the same.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"

namespace proximadb::filter {

class Filter {
 public:
  Filter() = default;  // matches everything

  // Accepts null, {} (no filter) or an object of key -> scalar value.
  static Result<Filter> Parse(const nlohmann::json& spec);

  bool empty() const { return terms_.empty(); }
  bool Matches(const nlohmann::json& metadata) const;
  // Parses compact JSON text as stored in segments; unparsable text matches
  // nothing (stored metadata is always valid JSON).
  bool MatchesText(std::string_view metadata_json) const;

 private:
  std::vector<std::pair<std::string, nlohmann::json>> terms_;
};

}  // namespace proximadb::filter
