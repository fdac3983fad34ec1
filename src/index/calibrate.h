// Which of two indexes over the same rows serves their searches better,
// measured on the rows themselves: the calibration of viper's adaptive rule
// (docs/ARCHITECTURE.md, "Adaptive graphs"), which builds a segment's HNSW
// graph beside its IVF index and keeps the graph only if it wins here.
//
// Queries are rows of the view at an even stride, each searched with itself
// left out (k + 1 asked, the row dropped from the answer and from the
// truth), so that they come from the data's own distribution without
// finding themselves. The truth is one exact pass over the rows for all of
// them (FlatIndex::SearchMany). Each index answers every query twice and
// keeps its faster pass: the time is a background thread's on a server
// that also serves requests, and the minimum is the least disturbed.
//
// Thread-safety: reads the indexes and the view only (both must outlive the
// call); any number of calls may run at once.
#pragma once

#include <cstdint>

#include "index/vector_index.h"
#include "proximadb/types.h"

namespace proximadb::index {

struct IndexTrial {
  double recall = 0;  // mean recall@k against the exact answers
  double micros = 0;  // per query, the faster of two passes
};

struct Calibration {
  IndexTrial a, b;
  uint32_t queries = 0;
};

// Up to `queries` rows of `view` (at an even stride) as queries through `a`
// searched with `pa` and `b` with `pb` (their query, query_norm and k are
// set here; the rest, such as nprobe or ef_search, is the caller's), k
// results each. An empty view measures nothing (queries 0).
Calibration CompareOnRows(const VectorIndex& a, const SearchParams& pa,
                          const VectorIndex& b, const SearchParams& pb,
                          VectorView view, Metric metric, uint32_t queries,
                          uint32_t k);

}  // namespace proximadb::index
