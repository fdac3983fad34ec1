// What a point must be to be written to a collection, checked the same way
// by the engine's write path (collection_write.cc) and by cluster mode's
// primaries (src/cluster/), which must refuse a bad point before it enters
// a shard's log: every replica applies the log, and an entry the engine
// refused would stop them all.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/wal/wal_batch.h"

namespace proximadb {

// A vector for a collection named `collection` of `dimension` and `metric`:
// non-empty, the right length, finite, bounded (util/limits.h
// kMaxSquaredNorm), not all zeros under cosine. `what` names it in errors.
Status CheckPointVector(const std::string& collection, uint32_t dimension,
                        Metric metric, std::span<const float> v,
                        const char* what);
// Metadata: null or a JSON object, nested at most kMaxJsonDepth levels.
// `what` + `suffix` names the field (joined only for an error).
Status CheckPointMetadata(const nlohmann::json& m, std::string_view what,
                          std::string_view suffix = {});
// A payload index field: a filter path (1..kMaxPayloadFieldBytes bytes, no
// leading '$', at most filter::kMaxPathSegments non-empty segments).
Status CheckPayloadIndexField(const std::string& field);
// A scroll's order_by and cursor: the key a field path (as for payload
// indexes; errors name "order_by.key"), after_value only with order_by,
// finite, and after_id with order_by only beside an after_value.
Status CheckScrollOrder(const ScrollRequest& r);
// A facet request: the key a field path (errors name "key"), limit
// 1..kMaxFacetLimit, or 0 (every value: the cluster's calls to shards).
Status CheckFacetRequest(const FacetRequest& r);
// A text search's field (a payload-index path), query (1..kMaxTextWords
// distinct words), k (1..kMaxK) and statistics (one document frequency per
// query word when given). The filter is checked by compiling it.
Status CheckTextSearchRequest(const TextSearchRequest& r);
// What a collection asks of the points written to it.
struct PointRules {
  const std::string& collection;
  uint32_t dimension;
  Metric metric;
  const std::vector<std::string>& sparse_names;   // declared, sorted
  uint64_t default_ttl_seconds;                   // 0: points never expire
  WalFormat wal_format;                           // Avro has no expiry
  const std::vector<NamedVectorConfig>& vectors;  // declared, sorted
};
// The rules of a CollectionConfig (or of the engine's fixed part of one).
template <typename Config>
PointRules RulesOf(const Config& c) {
  return PointRules{c.name,           c.dimension,           c.metric,
                    c.sparse_vectors, c.default_ttl_seconds, c.wal_format,
                    c.vectors};
}
// Checks point `i` of an upsert batch (vector, id length, metadata, sparse
// vectors; errors name "vectors[i]") and moves it into its WAL op; an
// empty id gets a UUID v4, and a point without expires_at the collection's
// default TTL counted from `now_micros`.
Result<wal::WalOp> PointToUpsertOp(const PointRules& rules, uint64_t now_micros,
                                   size_t i, Point* p);
// Sparse vectors for a collection declaring `names`: each under a declared
// name, canonical (index/sparse.h CanonicalizeSparse; sorted in place).
// `what` names the point in errors ("vectors[3]").
Status CheckSparseVectors(const std::vector<std::string>& names,
                          SparseVectors* v, const std::string& what);
// Named vectors for a collection declaring `vectors`: each under a declared
// name, of its dimension (a matrix of 1..kMaxMultiVectorRows rows for a
// multivector name, one vector otherwise), finite, not zero for cosine.
// `what` names the point in errors ("vectors[3]").
Status CheckNamedVectors(const std::vector<NamedVectorConfig>& vectors,
                         const NamedVectors& v, const std::string& what);
// A search of a named vector (SearchRequest::using_vector): a declared
// name, the query of its dimension (a matrix for a multivector name).
Status CheckNamedQuery(const std::vector<NamedVectorConfig>& vectors,
                       const SearchRequest& r);
// A sparse search: a declared name, a canonical non-empty vector, k in
// 1..kMaxK. The filter is checked by compiling it.
Status CheckSparseSearchRequest(const std::vector<std::string>& names,
                                SparseSearchRequest* r);
// A partial metadata update of `ids` (1..kMaxIdsPerCall ids of 1..kMaxIdBytes
// bytes): `set` an object, `unset` keys of 1..kMaxPayloadFieldBytes bytes,
// no key in both, at least one change; checked before anything is logged.
Status CheckMetadataPatch(const std::vector<std::string>& ids,
                          const MetadataPatch& patch);
// `current` (a point's metadata: null or an object) with `patch` applied;
// an error when the result is nested deeper than kMaxJsonDepth.
Result<nlohmann::json> ApplyMetadataPatch(const nlohmann::json& current,
                                          const MetadataPatch& patch);
// Point `id` (read as `p`) with `patch` applied to its metadata, as the op
// that logs it whole (kUpdateMetadata); errors name the point.
Result<wal::WalOp> PatchedPointOp(std::string id, StoredPoint p,
                                  const MetadataPatch& patch);
// The metadata as the WAL stores it (compact JSON; invalid UTF-8 replaced).
std::string DumpPointMetadata(const nlohmann::json& m);

}  // namespace proximadb
