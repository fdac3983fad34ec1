// Metadata filters: the JSON filter language of docs/FILTERS.md.
//
//   {"user": "alice"}                               shorthand: all keys equal
//   {"price": {"$gte": 10, "$lt": 20}}              field operators, ANDed
//   {"$or": [{"a.b": 1}, {"tags": {"$in": ["x"]}}]} logical operators, paths
//
// Parse() compiles the JSON once into a small immutable tree; Matches() and
// MatchesText() evaluate it without building a DOM of the metadata, so a
// Filter is cheap to call per candidate row. A Filter is immutable after
// Parse() and safe to evaluate from many threads at once; copies share the
// compiled tree.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "util/limits.h"

namespace proximadb::filter {

// Limits on a filter (each is a 400 when exceeded), defined with their
// reasons in util/limits.h; the short names are this module's aliases.
// Depth counts nested $and/$or/$not; conditions count every field operator
// and logical operator; bytes are the compact JSON text; "a.b.c" has 3 path
// segments.
inline constexpr int kMaxDepth = kMaxFilterDepth;
inline constexpr int kMaxConditions = kMaxFilterConditions;
using ::proximadb::kMaxFilterBytes;
inline constexpr int kMaxPathSegments = kMaxFieldPathSegments;

struct Program;  // the compiled tree, filter/program.h

class Filter {
 public:
  Filter() = default;  // matches everything

  // Accepts null, {} (no filter) or a filter object. A malformed filter is
  // InvalidArgument naming the problem and where ("filter.$and[1].price: $gt
  // needs a number or string operand"). Never throws.
  static Result<Filter> Parse(const nlohmann::json& spec);

  // True when the filter has no conditions (null or {}): matches everything.
  bool empty() const { return program_ == nullptr; }
  // Metadata that is not an object is treated as an object with no fields.
  bool Matches(const nlohmann::json& metadata) const;
  // Parses compact JSON text as stored in segments; unparsable text matches
  // nothing (stored metadata is always valid JSON).
  bool MatchesText(std::string_view metadata_json) const;

  // The compiled tree (null when empty), for the payload-index bounds in
  // filter/index_plan.h; not part of the stable interface.
  const Program* program() const { return program_.get(); }

 private:
  explicit Filter(std::shared_ptr<const Program> p) : program_(std::move(p)) {}

  std::shared_ptr<const Program> program_;  // null: no conditions
};

}  // namespace proximadb::filter
