// Limits on untrusted input that more than one layer enforces, defined once.
// The engine (embedded API), the service and both transports read them from
// here, so a limit and its error message cannot drift apart. docs/API.md
// ("Limits") documents them.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <string>

namespace proximadb {

// Results of one search (k / top_k): 1..10000. The merge keeps k candidates
// per segment and memtable, so memory per query is O(k * segments); 10000
// keeps a worst-case batch (kMaxBatchQueries queries) in tens of MB.
inline constexpr uint32_t kMaxK = 10000;

// Points in one scroll page (limit): 1..10000, the same bound as k for the
// same reason (one page is materialised, vectors and metadata, in memory).
inline constexpr uint32_t kMaxScrollLimit = 10000;

// A point id: 1..256 bytes, any content.
inline constexpr size_t kMaxIdBytes = 256;

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

// The largest accepted squared L2 norm of a vector (points and queries,
// every metric), summed in double. With |a|^2, |b|^2 <= B:
// |a - b|^2 <= 4B, |<a, b>| <= B (Cauchy-Schwarz; partial sums of a kernel
// are bounded the same way) and |a| |b| <= B, so every distance between
// two accepted vectors is at most FLT_MAX / 2 and stays finite in float
// with a factor of two to spare for rounding. Larger but finite vectors
// (e.g. [3.4e38, 3.4e38]) would overflow to inf or NaN scores.
inline constexpr double kMaxSquaredNorm = double(FLT_MAX) / 8;

}  // namespace proximadb
