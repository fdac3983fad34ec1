// Evaluating a filter on typed column values instead of a row's JSON
// (docs/API.md, "Filterable columns"). A column store (for viper segments,
// index::RowColumns through the collection's adapter) hands out, per row and
// column, the one scalar the column's path reaches, or that it reaches
// nothing; a ColumnMatcher binds a filter's field conditions to those
// columns once per query and then answers per row with three values: yes,
// no, or unknown when some condition it needs reads a field that is not a
// column or a row whose value is not a plain scalar (an array or object).
// The caller then reads the row's JSON (Filter::MatchesText). Where it
// answers, the answer is exactly the JSON's: both use PositiveTest and
// LeafResult (program.h).
//
// Thread-safety: a ColumnMatcher is immutable after construction and safe
// to use from any number of threads while its filter and cells live.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/value.h"

namespace proximadb::filter {

// What a row holds at one column's path.
struct Cell {
  enum class Kind : uint8_t {
    kAbsent,   // the path reaches nothing
    kScalar,   // exactly one scalar, `value` (null included)
    kUnknown,  // anything else: read the row's JSON
  };
  Kind kind = Kind::kUnknown;
  Value value;
};

// The cell of `doc` at `path` (split on '.'), by the filter's path rules
// (match_json.cc): a missing key, or a scalar where an object was needed,
// reaches nothing; an array on the way or at the end, or an object at the
// end, is kUnknown. String values borrow from `doc`.
Cell CellAt(const nlohmann::json& doc, const std::vector<std::string>& path);

// A column store: its columns by dotted path, and their cells per row.
class RowCells {
 public:
  virtual ~RowCells() = default;
  // The column whose path is `path` ("a.b"), or -1.
  virtual int Slot(std::string_view path) const = 0;
  virtual Cell Get(int slot, uint32_t row) const = 0;
};

enum class Tri : uint8_t { kNo, kYes, kUnknown };

class ColumnMatcher {
 public:
  // Binds every field condition of `f` whose path is one of `cells`'
  // columns (and whose operator tests scalars: not geo). Both must outlive
  // the matcher.
  ColumnMatcher(const Filter& f, const RowCells& cells);

  // Some condition reads a column: Match can answer without the JSON.
  bool useful() const { return bound_ > 0; }
  // Every condition reads a column: Match says kUnknown only for a row
  // whose cell is kUnknown.
  bool complete() const { return bound_ == slots_.size() && bound_ > 0; }

  Tri Match(uint32_t row) const;

 private:
  const Filter& filter_;
  const RowCells& cells_;
  std::vector<int> slots_;  // per leaf of the program: the column or -1
  size_t bound_ = 0;
};

}  // namespace proximadb::filter
