// Writes one immutable segment file (layout: storage/segment/segment_format.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::segment {

// One row handed to the writer. The views only need to stay valid until the
// next call of `row_at`.
struct SegmentRow {
  std::string_view id;
  const float* vector;             // dimension floats
  std::string_view metadata_json;  // compact JSON object; empty means "{}"
  uint64_t version;                // sequence number of the row's write
  std::string_view sparse = {};    // index/sparse.h's blob; empty = none
  uint64_t expires_at = 0;         // unix microseconds; 0 = never
};

struct SegmentWriteOptions {
  uint64_t segment_id;
  uint32_t dimension;
  Metric metric;
  // zstd-compress the id and metadata bytes (format version 2).
  // Readers decompress them once at open and hold them in memory.
  bool compress = false;
};

// Writes `count` rows to `path`: streams them into `path + ".tmp"`, fsyncs
// it, renames it over `path` and fsyncs the directory, so `path` is either
// absent or complete.
//
// Rows must be sorted by id (bytewise) and unique; InvalidArgument otherwise.
// `row_at(i)` returns row i and `is_deleted(i)` its initial DELETED bit. Both
// are called several times per row (once to plan the header, once per
// section written) and must return the same data every time; a row that
// changes between calls is detected by the section CRC and refused with
// kInternal.
Status WriteSegment(Env* env, const std::string& path,
                    const SegmentWriteOptions& opts, size_t count,
                    const std::function<SegmentRow(size_t)>& row_at,
                    const std::function<bool(size_t)>& is_deleted);

}  // namespace proximadb::segment
