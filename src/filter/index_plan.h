// Bounding a filter with payload indexes: how many rows of a segment can
// match (an upper bound), and which ones (a superset), answered from the
// indexes alone. The rows listed must still be checked with the filter
// itself; these functions only promise never to leave out a row that
// matches. (Choosing how to search a segment is the search planner's job:
// collection/search_planner.h.)
//
// The rules that keep the answer a superset: a leaf the indexes cannot
// answer ($ne, $nin, $exists, null operands, an unindexed path, an operand
// of another type than the index, a bytewise string range) stands for
// "every row"; $not stands for
// every row; $and intersects (its estimate is the smallest child); $or
// unites (the sum of its children). Numeric bounds are widened to inclusive
// bounds in double precision, which only ever adds rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/geo.h"
#include "filter/value.h"

namespace proximadb::filter {

// An inclusive numeric bound; unset means unbounded on that side.
struct NumBound {
  bool set = false;
  double value = 0;
};

// An inclusive bound on an instant (unix microseconds); unset means
// unbounded on that side. Instants are integers, so strict bounds are exact.
struct TimeBound {
  bool set = false;
  int64_t value = 0;
};

// What one segment's payload indexes answer. `field` is the dotted path as
// written in the filter ("a.b"). A method returns nullopt / false when no
// index covers the field for that kind of question.
class RowIndex {
 public:
  virtual ~RowIndex() = default;
  // Rows where some value at `field` equals `v` (strings, booleans, and
  // numbers on a numeric index).
  virtual std::optional<uint64_t> CountEq(std::string_view field,
                                          const Value& v) const = 0;
  virtual bool RowsEq(std::string_view field, const Value& v,
                      std::vector<uint32_t>* out) const = 0;
  // Rows where some number at `field` lies in [lo, hi].
  virtual std::optional<uint64_t> CountRange(std::string_view field,
                                             NumBound lo,
                                             NumBound hi) const = 0;
  virtual bool RowsRange(std::string_view field, NumBound lo, NumBound hi,
                         std::vector<uint32_t>* out) const = 0;
  // Rows where some RFC 3339 string at `field` is an instant in [lo, hi]
  // (a datetime index; only asked for ranges with an RFC 3339 operand).
  virtual std::optional<uint64_t> CountTimeRange(std::string_view field,
                                                 TimeBound lo,
                                                 TimeBound hi) const = 0;
  virtual bool RowsTimeRange(std::string_view field, TimeBound lo, TimeBound hi,
                             std::vector<uint32_t>* out) const = 0;
  // Rows where some geo point at `field` lies inside `shape` (a geo index).
  // The count may be an upper bound (an index may bound a wide shape by the
  // points in its latitude band instead of testing each).
  virtual std::optional<uint64_t> CountGeo(std::string_view field,
                                           const GeoShape& shape) const = 0;
  virtual bool RowsGeo(std::string_view field, const GeoShape& shape,
                       std::vector<uint32_t>* out) const = 0;
  // Rows where some string at `field` contains every one of `words` (a text
  // index; `words` distinct and sorted, as filter/text.h splits them). The
  // count may be an upper bound (the shortest word's posting list).
  virtual std::optional<uint64_t> CountText(
      std::string_view field, const std::vector<std::string>& words) const = 0;
  virtual bool RowsText(std::string_view field,
                        const std::vector<std::string>& words,
                        std::vector<uint32_t>* out) const = 0;
};

// What a segment's per-partition column statistics answer (an IVF index's
// filterable columns: collection/column_stats.h). Each method sets out[p]
// to 0 for every partition p where no value at `field` can pass the test
// and to 1 elsewhere (`out` has partitions() entries), or returns false,
// leaving `out` alone, when it knows nothing of `field` for that test.
class PartitionStats {
 public:
  virtual ~PartitionStats() = default;
  virtual uint32_t partitions() const = 0;
  // Some value at `field` equals `v` (never asked for null).
  virtual bool MayEq(std::string_view field, const Value& v,
                     std::vector<uint8_t>* out) const = 0;
  // Some number at `field` lies in [lo, hi].
  virtual bool MayRange(std::string_view field, NumBound lo, NumBound hi,
                        std::vector<uint8_t>* out) const = 0;
  // Some RFC 3339 string at `field` is an instant in [lo, hi].
  virtual bool MayTimeRange(std::string_view field, TimeBound lo, TimeBound hi,
                            std::vector<uint8_t>* out) const = 0;
};

// One byte per partition of `stats`: 1 where a row matching `f` may be, 0
// where none can (the same superset rules as BoundMatches: $and intersects,
// $or unites, $not and the negative operators rule nothing out). Empty when
// no partition is ruled out.
std::vector<uint8_t> PartitionMask(const Filter& f,
                                   const PartitionStats& stats);

// Upper bound on how many of `total` rows can match `f` (at most total), or
// nullopt when the indexes cannot bound it (an empty filter, or one no index
// helps with). CandidateRows lists rows exactly when this has a value.
std::optional<uint64_t> BoundMatches(const Filter& f, const RowIndex& idx,
                                     uint64_t total);

// BoundMatches, or total when the indexes cannot bound the matches.
uint64_t EstimateMatches(const Filter& f, const RowIndex& idx, uint64_t total);

// A sorted, duplicate-free superset of the rows matching `f`, or nullopt
// when the indexes cannot bound it (e.g. an unindexed leaf under $or).
std::optional<std::vector<uint32_t>> CandidateRows(const Filter& f,
                                                   const RowIndex& idx);

// Calls fn(v) for every scalar value the path reaches in `doc`, exactly the
// values the filter's field operators test (arrays stand for their
// elements, as in matching). Used to build payload indexes.
void ForEachScalarAtPath(const nlohmann::json& doc,
                         const std::vector<std::string>& path,
                         const std::function<void(const Value&)>& fn);

// Calls fn(p) for every geo point the path reaches in `doc` (objects with
// "lat" and "lon", arrays standing for their elements: exactly what the geo
// operators test). Used to build geo payload indexes.
void ForEachGeoPointAtPath(const nlohmann::json& doc,
                           const std::vector<std::string>& path,
                           const std::function<void(const GeoPoint&)>& fn);

// Splits a dotted path on '.'.
std::vector<std::string> SplitPath(std::string_view field);

}  // namespace proximadb::filter
