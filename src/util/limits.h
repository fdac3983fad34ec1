// THE table of limits on untrusted input, defined once with the reason for
// each number. The service edge (src/service: json_codec for REST bodies,
// VectorService's typed operations for both transports) checks them with one
// message per limit; the engine (embedded API, src/collection, src/util,
// src/filter) asserts the same constants as its invariants and never uses a
// literal of its own. docs/API.md ("Limits") documents them.
//
// Server resource limits (request body size, in-flight requests, gRPC
// streams) are configuration, not constants: see src/server/config.cc.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace proximadb {

// Results of one search (k / top_k): 1..10000. The merge keeps k candidates
// per segment and memtable, so memory per query is O(k * segments); 10000
// keeps a worst-case batch (kMaxBatchQueries queries) in tens of MB.
inline constexpr uint32_t kMaxK = 10000;

// k when a search names none (REST "k"/"top_k" absent, gRPC k unset).
inline constexpr uint32_t kDefaultK = 10;

// Points in one scroll page (limit): 1..10000, the same bound as k for the
// same reason (one page is materialised, vectors and metadata, in memory).
inline constexpr uint32_t kMaxScrollLimit = 10000;

// Values in one facet answer (limit): 1..1000, default 10. Facets are for
// a field's frequent values (a filter sidebar), not for listing every
// distinct value.
inline constexpr uint32_t kMaxFacetLimit = 1000;
// Distinct values one facet request may count (among the matching points):
// the counts are exact, so every distinct value is held until the end
// (~100 bytes each); a field with more is an id, not a facet, and is a 400.
inline constexpr size_t kMaxFacetDistinctValues = 250000;

// Ids in one multi-point read (POST .../vectors/get) or one partial
// metadata update by ids (POST .../vectors/metadata): 1..10000, one page's
// worth, for the same reason as kMaxScrollLimit. A partial update by
// filter is applied in pages of this many points.
inline constexpr size_t kMaxIdsPerCall = 10000;

// Queries in one batch search: 1..1024. Every query is validated and then
// run in the same call, so a batch holds up to kMaxBatchQueries * kMaxK
// candidates; 1024 keeps that under ~100 MB and one call's latency bounded.
inline constexpr size_t kMaxBatchQueries = 1024;
// A grouped search returns at most kMaxGroupSize hits per group, and k *
// group_size hits in all at most kMaxK. A recommendation has at most
// kMaxRecommendExamples positive and negative examples together.
inline constexpr uint32_t kMaxGroupSize = 100;
inline constexpr size_t kMaxRecommendExamples = 64;
// A hybrid query (POST .../query) fuses at most kMaxQueryPrefetches ranked
// lists, each of at most kMaxK hits; RRF's constant is 1..kMaxRrfK.
inline constexpr size_t kMaxQueryPrefetches = 8;
inline constexpr uint32_t kMaxRrfK = 1000000;

// Vector dimension of a collection: 1..65536. 65536 float32 values are
// 256 KiB per vector, already far past any embedding model; the segment
// format stores the dimension in 32 bits but readers refuse more than this.
inline constexpr uint32_t kMinDimension = 1;
inline constexpr uint32_t kMaxDimension = 65536;

// HNSW graph degree m: 2..128. Below 2 the graph is a list; above 128 the
// per-node link lists dominate memory without improving recall.
inline constexpr uint32_t kMinHnswM = 2;
inline constexpr uint32_t kMaxHnswM = 128;

// ef_construction and ef_search (collection default and per query):
// 1..4096. The candidate heaps are O(ef) per search and per insert; past
// 4096 an exact scan is cheaper for any collection that fits a node.
inline constexpr uint32_t kMinEf = 1;
inline constexpr uint32_t kMaxEf = 4096;
// IVF partitions per segment (index kind "ivf"), and the most a search may
// probe (index::IvfIndex::kMaxNlist).
inline constexpr uint32_t kMaxIvfNlist = 65536;

// A collection name: 1..128 characters of [A-Za-z0-9_-]. It becomes a
// directory name and a URL path segment, so the charset needs no escaping
// and the length keeps paths well below PATH_MAX.
inline constexpr size_t kMaxCollectionNameBytes = 128;
// Cluster mode: shards per collection and replicas per shard (JetStream
// replicates a stream at most 5 times).
inline constexpr uint32_t kMaxShardCount = 256;
inline constexpr uint32_t kMaxReplicationFactor = 5;

// An alias follows the collection-name rules (one namespace). One
// POST /api/v1/aliases request: 1..100 actions (one catalog transaction;
// a re-indexing switch needs two per alias).
inline constexpr size_t kMaxAliasActions = 100;

// flush_priority of a collection's flush policy: 1..100 (a relative weight
// among collections flushing at once; a wider range buys nothing).
inline constexpr uint32_t kMinFlushPriority = 1;
inline constexpr uint32_t kMaxFlushPriority = 100;

// A tiering policy's ages (hours; 0 = never) and cache budget (MiB).
inline constexpr double kMaxTierAgeHours = 876000;    // 100 years
inline constexpr uint64_t kMaxTierCacheMb = 1048576;  // 1 TiB
inline constexpr size_t kMaxDirectoryBytes = 4096;    // PATH_MAX

// A filter (docs/API.md, "Filters"), each a 400 when exceeded:
// nesting of $and/$or/$not (the matcher recurses once per level); every
// field and logical operator counted (the text matcher keeps a bitset of
// this size); the filter's compact JSON text (filters are stored with
// payload-index plans and logged); segments of a field path "a.b.c" (also
// the most a payload index field may have; the text matcher's frame stack
// is sized from it).
inline constexpr int kMaxFilterDepth = 32;
inline constexpr int kMaxFilterConditions = 1024;
inline constexpr size_t kMaxFilterBytes = 64 * 1024;
inline constexpr int kMaxFieldPathSegments = 32;
// The distinct words of one $text operand (the matcher tracks which it has
// found in one 64-bit mask).
inline constexpr size_t kMaxTextWords = 64;

// Sparse vectors (docs/API.md, "Sparse vectors"): a collection declares at
// most kMaxSparseVectorNames of them, each name [A-Za-z0-9_-] of
// 1..kMaxSparseVectorNameBytes bytes; one sparse vector holds at most
// kMaxSparseNonZeros dimensions (a long document's BM25 or SPLADE terms
// fit; the segment writer holds a segment's postings in memory).
inline constexpr size_t kMaxSparseVectorNames = 16;
inline constexpr size_t kMaxSparseVectorNameBytes = 64;
inline constexpr size_t kMaxSparseNonZeros = 65536;
// Named dense vectors of a collection (named as sparse vectors are, in the
// same namespace): at most kMaxNamedVectors; a multi-vector holds at most
// kMaxMultiVectorRows vectors (a long passage's ColBERT tokens), and so
// does a multi-vector query.
inline constexpr size_t kMaxNamedVectors = 16;
inline constexpr size_t kMaxMultiVectorRows = 1024;

// Expiry (docs/API.md, "Expiry"): a collection's default_ttl_seconds is
// 1..kMaxTtlSeconds (100 years) or 0 (never); a point's expires_at is an
// RFC 3339 time from 1970 up to year 9999 (ParseRfc3339's range).
inline constexpr uint64_t kMaxTtlSeconds = 100ull * 366 * 24 * 3600;

// A point id: 1..256 bytes, any content.
inline constexpr size_t kMaxIdBytes = 256;

// A payload index's field path ("a.b.c"): 1..256 bytes, the same bound as
// an id (it is stored in every segment's .pidx file and in the catalog).
inline constexpr size_t kMaxPayloadFieldBytes = 256;
// Filterable columns of a collection (docs/API.md, "Filterable columns"):
// each costs per-partition statistics in every segment's index file and a
// look at every row's metadata when an index is built.
inline constexpr size_t kMaxFilterableColumns = 64;

// An API key ([api] api_keys / read_only_api_keys): 8..256 printable ASCII
// characters. Shorter keys are guessable; longer ones only cost header
// bytes on every request.
inline constexpr size_t kMinApiKeyBytes = 8;
inline constexpr size_t kMaxApiKeyBytes = 256;

// A client-chosen request id (X-Request-Id / x-request-id): 1..128
// characters. It is echoed and written to every access-log line, so it is
// kept short; an invalid one is replaced by a new id rather than refused.
inline constexpr size_t kMaxRequestIdBytes = 128;

// JSON nesting depth of a point's metadata ({} and [] are one level, a
// scalar none). 32 is below what every client can read back over gRPC:
// each JSON object level costs protobuf three message levels (Struct, map
// entry, Value), and protobuf's default recursion limit is 100 (C++ and
// Python), so 32 levels nested in a BatchSearchResponse (3 * 32 + 2 = 98)
// still decode. REST and gRPC both refuse deeper metadata with the same
// message.
inline constexpr size_t kMaxJsonDepth = 32;

// Nesting depth of a whole request: a REST body, or a gRPC message counted
// the same way (every message, Struct and ListValue a level; Value and map
// entries none). It is checked on the raw bytes before anything is parsed,
// so no recursive code ever meets deeper input. It is the value limit plus
// the deepest envelope (body -> "vectors" array -> point = 3) plus one, so
// that a value one level too deep is still parsed and refused by the check
// that names its field.
inline constexpr size_t kMaxRequestDepth = kMaxJsonDepth + 4;

// The error for a request over kMaxRequestDepth, the same on both
// transports (400 / INVALID_ARGUMENT).
inline std::string RequestTooDeepMessage() {
  return "request is nested deeper than " + std::to_string(kMaxRequestDepth) +
         " levels (metadata may nest at most " + std::to_string(kMaxJsonDepth) +
         " levels)";
}

// The one wording of "a number outside its limits" (both transports, the
// service and the engine's own checks): field 'k' must be in 1..10000, got 0.
inline std::string OutOfRangeMessage(std::string_view field, uint64_t lo,
                                     uint64_t hi, std::string_view got) {
  return "field '" + std::string(field) + "' must be in " + std::to_string(lo) +
         ".." + std::to_string(hi) + ", got " + std::string(got);
}
inline std::string OutOfRangeMessage(std::string_view field, uint64_t lo,
                                     uint64_t hi, uint64_t got) {
  return OutOfRangeMessage(field, lo, hi, std::to_string(got));
}

// The largest accepted squared L2 norm of a vector (points and queries,
// every metric), summed in double. With |a|^2, |b|^2 <= B:
// |a - b|^2 <= 4B, |<a, b>| <= B (Cauchy-Schwarz; partial sums of a kernel
// are bounded the same way) and |a| |b| <= B, so every distance between
// two accepted vectors is at most FLT_MAX / 2 and stays finite in float
// with a factor of two to spare for rounding. Larger but finite vectors
// (e.g. [3.4e38, 3.4e38]) would overflow to inf or NaN scores.
inline constexpr double kMaxSquaredNorm = double(FLT_MAX) / 8;

}  // namespace proximadb
