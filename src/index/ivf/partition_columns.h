// Typed statistics of a segment's filterable columns, per partition of its
// IVF index (docs/API.md, "Filterable columns"; docs/FORMATS.md, "IVF
// file", "Column statistics"): for each declared column and partition, the
// smallest and largest value, or for strings the distinct values when they
// are few, so that a filter that cannot match any value of a partition skips
// it without reading its rows.
//
// The statistics cover every value the column's path reaches in a row's
// metadata (arrays stand for their elements, as filters read them). A value
// of another type than the column's marks the partition "irregular" for
// that column: nothing is then pruned on it there. Nulls never satisfy a
// positive test, so they are not counted.
//
// Built by the collection (collection/column_stats.h), saved inside the IVF
// file (zstd-compressed) and read back with it. Immutable once built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::index {

class PartitionColumns {
 public:
  enum class Type : uint32_t {
    kString = 0,
    kInt = 1,
    kFloat = 2,
    kBool = 3,      // lo/hi in {0, 1}
    kDatetime = 4,  // unix microseconds of RFC 3339 strings
  };
  // A partition keeps its distinct strings up to this many; beyond, only
  // the bytewise smallest and largest.
  static constexpr uint32_t kMaxDictionary = 32;
  // A string kept in a dictionary or as a bound is cut to this many bytes
  // (a bound is then widened: see Stats::AddString).
  static constexpr uint32_t kMaxStringBytes = 256;

  struct Stats {
    uint32_t values = 0;     // values of the column's type
    bool irregular = false;  // some value of another type
    // kInt, kBool, kDatetime.
    int64_t ilo = 0, ihi = 0;
    // kFloat.
    double flo = 0, fhi = 0;
    // kString: sorted distinct values while !overflow; then slo/shi bound
    // every value bytewise (shi "\xff..." when a value was cut).
    std::vector<std::string> dict;
    bool overflow = false;
    std::string slo, shi;

    void AddInt(int64_t v);
    void AddFloat(double v);
    void AddString(std::string_view v);
    bool operator==(const Stats&) const = default;
  };

  struct Column {
    std::string name;  // the field path ("a.b")
    Type type = Type::kString;
    std::vector<Stats> parts;  // one per partition
    bool operator==(const Column&) const = default;
  };

  PartitionColumns() = default;
  explicit PartitionColumns(std::vector<Column> columns)
      : columns_(std::move(columns)) {}

  // "string" | "int" | "float" | "bool" | "datetime" and back.
  static Result<Type> ParseType(std::string_view name);
  static std::string_view TypeName(Type t);

  const std::vector<Column>& columns() const { return columns_; }
  // Null when `name` is not a column.
  const Column* Find(std::string_view name) const;

  // The zstd-compressed encoding (docs/FORMATS.md), and back: Decode checks
  // every length and that each column has `partitions` entries; anything
  // else is Status::Corruption.
  // Encode sets *raw_size to the size before compression.
  Result<std::string> Encode(uint64_t* raw_size) const;
  static Result<PartitionColumns> Decode(std::string_view packed,
                                         uint64_t raw_size,
                                         uint32_t partitions);
  // Bytes of RAM held.
  size_t MemoryUsage() const;

  bool operator==(const PartitionColumns&) const = default;

 private:
  std::vector<Column> columns_;
};

}  // namespace proximadb::index
