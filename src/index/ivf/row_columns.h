// The typed values of a segment's filterable columns, one cell per row
// (docs/API.md, "Filterable columns"; docs/FORMATS.md, "Row columns"): what
// each column's path reaches in the row's metadata, kept so that a filter on
// the columns is evaluated without parsing the row's JSON.
//
// A cell is what the path reaches when that is simple: nothing (the path
// ends at a missing key), or one scalar (null, a boolean, an integer, a
// double or a string). Anything else, an array or an object at the path or
// an array on the way, is "irregular": the filter then reads that row's JSON
// as before. The cells keep the JSON's own types, whatever the column's
// declared type, so evaluating a filter on them gives exactly the answer
// the JSON gives.
//
// Built by the collection with the partition statistics
// (collection/column_stats.h), saved zstd-compressed inside the IVF file and
// read back with it. Immutable once built; safe to read from any number of
// threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::index {

class RowColumns {
 public:
  enum class Tag : uint8_t {
    kAbsent = 0,  // the path reaches nothing
    kNull = 1,
    kFalse = 2,
    kTrue = 3,
    kInt = 4,        // value: the int64's bits
    kUint = 5,       // value: the uint64 (JSON's non-negative integers)
    kDouble = 6,     // value: the double's bits
    kString = 7,     // value: the index into Column::strings
    kIrregular = 8,  // an array or object: read the row's JSON
  };
  static constexpr uint8_t kMaxTag = 8;

  struct Column {
    std::string name;           // the field path ("a.b")
    std::vector<uint8_t> tags;  // one Tag per row
    std::vector<uint64_t> values;
    std::vector<std::string> strings;  // distinct, in first-seen order
    bool operator==(const Column&) const = default;
  };

  RowColumns() = default;
  RowColumns(std::vector<Column> columns, uint32_t rows)
      : columns_(std::move(columns)), rows_(rows) {}

  uint32_t rows() const { return rows_; }
  const std::vector<Column>& columns() const { return columns_; }
  // The index of the column named `name`, or -1.
  int Find(std::string_view name) const;

  // The zstd-compressed encoding (docs/FORMATS.md, "Row columns") and back:
  // Decode checks every tag, every string index, and that each column has
  // `rows` cells; anything else is Status::Corruption.
  Result<std::string> Encode(uint64_t* raw_size) const;
  static Result<RowColumns> Decode(std::string_view packed, uint64_t raw_size,
                                   uint32_t rows);
  // Bytes of RAM held.
  size_t MemoryUsage() const;

  bool operator==(const RowColumns&) const = default;

 private:
  std::vector<Column> columns_;
  uint32_t rows_ = 0;
};

}  // namespace proximadb::index
