// POST /collections/{name}/query (QueryRequest): hybrid retrieval. Each
// prefetch is one ranked list (a dense vector search, a sparse vector
// search: Collection::SparseSearch, or a BM25 text search of a metadata
// field: Collection::TextSearch); the lists are fused into
// one ranking by reciprocal rank fusion or distribution-based score fusion,
// optionally re-scored by one dense vector. Built on a collection's Search
// and TextSearch, so single-node and cluster collections answer alike.
// docs/API.md, "Hybrid queries".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::service {

struct QueryPrefetch {
  enum class Kind { kVector, kText, kSparse } kind = Kind::kVector;
  std::vector<float> vector;  // kVector
  uint32_t vector_rows = 0;   // kVector with using: a matrix of so many
  std::string text;           // kText: the words
  SparseVector sparse;        // kSparse
  // kText: the metadata text field (required); kSparse: the sparse
  // vector's name (required); kVector: the vector's name (a collection has
  // one unnamed vector today: "" only).
  std::string using_;
  uint32_t limit = 0;  // 0: the query's limit
  nlohmann::json filter;
  std::optional<uint32_t> ef_search;  // kVector
};

enum class Fusion { kRrf, kDbsf };

struct QueryRequest {
  std::vector<QueryPrefetch> prefetch;  // 1..kMaxQueryPrefetches
  Fusion fusion = Fusion::kRrf;
  uint32_t rrf_k = 60;  // RRF: 1 / (rrf_k + rank), ranks from 1
  uint32_t limit = 10;
  // When set, the fused candidates are ranked again by the collection's
  // metric against this vector, and the scores are the metric's.
  std::vector<float> rescore;
  bool include_vector = false;
  bool include_metadata = true;
  ReadConsistency consistency = ReadConsistency::kEventual;
};

Result<Fusion> ParseFusion(std::string_view name);

// Limits and the parts no collection is needed for; the vectors are checked
// by the searches that use them.
Status CheckQueryRequest(const QueryRequest& r);

// Runs the prefetches and fuses them. Hits best first (fused score higher
// is better; with `rescore`, the metric's order); a point is listed once,
// with the metadata (and vector) its prefetches returned.
//   rrf:  sum over the lists holding the point of 1 / (rrf_k + rank).
//   dbsf: each list's scores (made higher-is-better: euclidean distances
//         negated) mapped from [mean - 3 sd, mean + 3 sd] to [0, 1],
//         clipped (a list whose scores are all equal maps to 1), then
//         summed over the lists holding the point.
// Ties by id.
Result<SearchResult> Query(Collection& c, const QueryRequest& r);

}  // namespace proximadb::service
