// The REST batch upsert body parsed with simdjson: the vectors go straight
// from the text into std::vector<float>, never through a DOM of doubles
// (nlohmann keeps every number as a 16-byte node, several times slower
// than the disk write for 128-d batches).
//
// Only the well-formed case takes the fast path. Anything else — malformed
// JSON, a wrong type, a bad id, a wrong dimension, a value that is not a
// finite float32, a duplicated key — falls back to the nlohmann path
// (ParseJsonBody + VectorService::BatchUpsertJson), so every error answer is
// exactly the one that path gives, and so is the order in which errors are
// found (malformed JSON before an unknown collection, ...).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "service/service.h"

namespace proximadb::service {

// {"vectors": [{"id"?, "vector", "metadata"?}, ...]} -> the points, with
// the checks of ParseBatch that need no collection (id length, numbers,
// finiteness, metadata is an object). nullopt: not that simple valid case;
// the caller must use the DOM path, which reports the error.
std::optional<std::vector<Point>> ParseBatchPointsFast(std::string_view body);

// PUT /collections/{name}/vectors and POST .../vectors/batch: the same
// answer and errors as BatchUpsertJson(collection, ParseJsonBody(body)).
Result<nlohmann::json> BatchUpsertFromBody(VectorService& svc,
                                           const std::string& collection,
                                           std::string_view body);

}  // namespace proximadb::service
