// Field helpers shared by the JSON codec files of this module (not used
// outside src/service/). Each returns InvalidArgument naming the field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::service::detail {

std::string Quote(std::string_view s);
// Looks up an optional field; JSON null counts as absent.
const nlohmann::json* FindField(const nlohmann::json& obj,
                                std::string_view key);
// First present field of `keys` (aliases), with the name that matched.
const nlohmann::json* FindAny(const nlohmann::json& obj,
                              std::initializer_list<std::string_view> keys,
                              std::string_view* matched);
Status TypeError(std::string_view field, std::string_view want,
                 const nlohmann::json& got);
// An integer in [lo, hi] (floats refused).
Result<uint64_t> GetUint(const nlohmann::json& v, std::string_view field,
                         uint64_t lo, uint64_t hi);
Result<bool> GetBool(const nlohmann::json& v, std::string_view field);
// A "consistency" field's value: a string ParseReadConsistency accepts.
Result<ReadConsistency> GetConsistency(const nlohmann::json& v);
Result<std::string> GetString(const nlohmann::json& v, std::string_view field);
Status RequireObject(const nlohmann::json& body, std::string_view what);
// Refuses the first key of object `obj` that is not in `known` (a null value
// counts: the key is still a typo): "unknown field 'x'", or with `path` for
// a nested object "unknown field 'index.x'". A user's misspelt key must not
// silently change nothing.
Status RefuseUnknownFields(const nlohmann::json& obj,
                           std::initializer_list<std::string_view> known,
                           std::string_view path = "");
// The create-collection body's keys (its own, the index keys and the flush
// keys; "index" and "flush_policy" hold only theirs).
Status RefuseUnknownCreateFields(const nlohmann::json& body);
// Only flush-policy keys in `obj` (`path` as for RefuseUnknownFields).
Status RefuseUnknownFlushFields(const nlohmann::json& obj,
                                std::string_view path);
// The flush-policy keys (ReadFlushFields reads exactly these).
inline constexpr std::string_view kFlushKeys[] = {
    "max_wal_age_hours", "max_wal_size_mb",         "max_vector_count",
    "flush_priority",    "enable_background_flush", "background_flush"};
bool IsFlushKey(std::string_view key);
// The flush-policy keys of a create/patch body.
Status ReadFlushFields(const nlohmann::json& src, FlushPolicy* flush);
// float32 -> the double with the same shortest decimal form.
double ShortestDouble(float f);
nlohmann::json FloatsToJson(const std::vector<float>& v);
// {"<name>": {"indices": [...], "values": [...]}, ...}.
nlohmann::json SparseVectorsToJson(const SparseVectors& v);
// {"<name>": [...] or, for a multi-vector, [[...], ...], ...}.
nlohmann::json NamedVectorsToJson(const NamedVectors& v);
// A point's (or hit's) vectors into `out`: "vector", and "sparse_vectors"
// and "vectors" when it has any.
void AddVectorsJson(const std::vector<float>& vector,
                    const SparseVectors& sparse, const NamedVectors& named,
                    nlohmann::json* out);
// A named vector as a client sends it: an array of numbers, or an array of
// equally long arrays of numbers (a matrix); finite float32 values.
Result<NamedVector> ParseNamedVector(const nlohmann::json& v,
                                     const std::string& field);
// The same status with `prefix` before its message.
Status Prefix(const Status& s, const std::string& prefix);

}  // namespace proximadb::service::detail
