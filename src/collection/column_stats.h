// Filterable columns (docs/API.md, "Filterable columns"): building a
// segment's per-partition statistics from its rows' metadata when its IVF
// index is built, and answering a filter's questions from them so that a
// search skips the partitions no accepted row can be in
// (filter::PartitionMask; index::IvfIndex, SearchParams::partition_mask).
//
// Thread-safety: the functions are pure; a ColumnPartitionStats reads an
// immutable PartitionColumns and is safe from any number of threads.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "filter/column_match.h"
#include "filter/index_plan.h"
#include "index/ivf/ivf_index.h"
#include "index/ivf/partition_columns.h"
#include "index/ivf/row_columns.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb {

// A segment's filterable columns: statistics per partition and typed
// values per row.
struct SegmentColumns {
  std::shared_ptr<const index::PartitionColumns> stats;
  std::shared_ptr<const index::RowColumns> rows;
};

// The columns of `columns` for the rows of `ivf`, from each row's metadata
// (compact JSON text, as segments store it: metadata(row)), read once.
Result<SegmentColumns> BuildSegmentColumns(
    const std::vector<FilterableColumn>& columns, const index::IvfIndex& ivf,
    const std::function<std::string_view(uint32_t row)>& metadata);

// Whether `ivf`'s columns are those of `want`: statistics and row values
// of the same names and types in the same order (`indexed` is not part of
// the file). An index of a version 2 file (statistics only) does not match
// a layout with columns: a migration rebuilds it.
bool ColumnsMatch(const index::IvfIndex& ivf,
                  const std::vector<FilterableColumn>& want);

// filter::RowCells over a segment's row columns.
class ColumnRowCells final : public filter::RowCells {
 public:
  explicit ColumnRowCells(const index::RowColumns& cols) : cols_(cols) {}
  int Slot(std::string_view path) const override { return cols_.Find(path); }
  filter::Cell Get(int slot, uint32_t row) const override;

 private:
  const index::RowColumns& cols_;
};

// filter::PartitionStats over a segment's statistics.
class ColumnPartitionStats final : public filter::PartitionStats {
 public:
  explicit ColumnPartitionStats(const index::PartitionColumns& cols,
                                uint32_t partitions)
      : cols_(cols), partitions_(partitions) {}
  uint32_t partitions() const override { return partitions_; }
  bool MayEq(std::string_view field, const filter::Value& v,
             std::vector<uint8_t>* out) const override;
  bool MayRange(std::string_view field, filter::NumBound lo,
                filter::NumBound hi, std::vector<uint8_t>* out) const override;
  bool MayTimeRange(std::string_view field, filter::TimeBound lo,
                    filter::TimeBound hi,
                    std::vector<uint8_t>* out) const override;

 private:
  const index::PartitionColumns& cols_;
  const uint32_t partitions_;
};

}  // namespace proximadb
