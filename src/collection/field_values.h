// What scroll's order_by and facet counts read from one metadata field, in
// one place for a collection over its rows and for cluster mode merging
// its shards' answers, so both order and rank the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb {

// A point's sort value for order_by: the smallest number at `path` when
// ascending, the largest when descending; none when it holds no number
// there. An RFC 3339 datetime string counts as its instant in microseconds
// since the Unix epoch. From stored metadata text, or from a point's metadata
// object.
std::optional<double> SortValue(std::string_view metadata_json,
                                const std::vector<std::string>& path,
                                bool descending);
std::optional<double> SortValue(const nlohmann::json& metadata,
                                const std::vector<std::string>& path,
                                bool descending);

// The order of an ordered scroll page: by sort value (descending or not),
// then by id.
inline bool SortsBefore(bool descending, double a_value, std::string_view a_id,
                        double b_value, std::string_view b_id) {
  if (a_value != b_value) {
    return descending ? a_value > b_value : a_value < b_value;
  }
  return a_id < b_id;
}

// Exact facet counts (POST .../facet): how many points hold each value of
// one metadata field.
class FacetCounts {
 public:
  // Counts one point by its metadata text: each distinct countable value
  // at `path` once (strings, booleans, integers, and numbers with an
  // integral value as integers). InvalidArgument once more than
  // kMaxFacetDistinctValues distinct values have been seen.
  Status AddPoint(std::string_view metadata_json,
                  const std::vector<std::string>& path);
  // Adds `n` points for `value` (one shard's answer); the value must be one
  // FacetResult can hold.
  Status Add(const nlohmann::json& value, uint64_t n);
  // The `limit` most frequent values (0 = all): count descending, then
  // booleans (false first), integers ascending, strings bytewise.
  FacetResult Top(uint32_t limit) const;

 private:
  Status Bump(const std::string& key, uint64_t n);

  // Values as a type tag and a canonical text: "b0", "b1", "i-12", "sred".
  std::unordered_map<std::string, uint64_t> counts_;
};

}  // namespace proximadb
