// JSON codecs of the operations beyond create/upsert/get/search: flush-policy
// patch, bulk delete, metadata update, count, scroll, batch search, stats.
#include <ctime>
#include <string>
#include <utility>

#include "service/json_codec.h"
#include "service/json_fields.h"
#include "service/service.h"

namespace proximadb::service {

using nlohmann::json;
using namespace detail;  // NOLINT: the module's own helpers

namespace {

// A filter field: an object, or absent/null (no filter).
Result<json> OptionalFilter(const json& body) {
  const json* v = FindField(body, "filter");
  if (v == nullptr) return json();
  if (!v->is_object()) return TypeError("filter", "an object", *v);
  return *v;
}

}  // namespace

Result<FlushPolicy> ParseFlushPolicyPatch(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  for (const auto& [key, value] : body.items()) {
    if (key != "flush_policy" && !IsFlushKey(key)) {
      return Status::InvalidArgument("unknown field " + Quote(key));
    }
  }
  if (const json* v = FindField(body, "flush_policy"); v && v->is_object()) {
    PDB_RETURN_IF_ERROR(RefuseUnknownFlushFields(*v, "flush_policy"));
  }
  FlushPolicy p;
  if (const json* v = FindField(body, "flush_policy")) {
    PDB_RETURN_IF_ERROR(RequireObject(*v, "field 'flush_policy'"));
    PDB_RETURN_IF_ERROR(ReadFlushFields(*v, &p));
  }
  PDB_RETURN_IF_ERROR(ReadFlushFields(body, &p));
  if (!p.max_wal_age_hours && !p.max_wal_size_mb && !p.max_vector_count &&
      !p.flush_priority && !p.enable_background_flush) {
    return Status::InvalidArgument(
        "no flush policy field given (max_wal_age_hours, max_wal_size_mb, "
        "max_vector_count, flush_priority, enable_background_flush)");
  }
  return p;
}

Result<DeleteSelector> ParseDeleteVectors(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"ids", "filter"}));
  const json* ids = FindField(body, "ids");
  const json* filter = FindField(body, "filter");
  if ((ids == nullptr) == (filter == nullptr)) {
    return Status::InvalidArgument(
        "give exactly one of 'ids' (an array of ids) or 'filter' (an object)");
  }
  DeleteSelector sel;
  if (filter != nullptr) {
    if (!filter->is_object()) return TypeError("filter", "an object", *filter);
    sel.by_filter = true;
    sel.filter = *filter;
    return sel;
  }
  if (!ids->is_array()) return TypeError("ids", "an array of strings", *ids);
  sel.ids.reserve(ids->size());
  for (size_t i = 0; i < ids->size(); ++i) {
    const json& id = (*ids)[i];
    if (!id.is_string()) {
      return Status::InvalidArgument("ids[" + std::to_string(i) +
                                     "] must be a string, got " +
                                     std::string(id.type_name()));
    }
    sel.ids.push_back(id.get<std::string>());
  }
  return sel;
}

Result<json> ParseMetadataUpdate(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"metadata"}));
  const json* v = FindField(body, "metadata");
  if (v == nullptr) {
    return Status::InvalidArgument("missing required field 'metadata'");
  }
  if (!v->is_object()) return TypeError("metadata", "an object", *v);
  return *v;
}

Result<json> ParseCountFilter(const json& body) {
  if (body.is_null()) return json();
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"filter"}));
  return OptionalFilter(body);
}

Result<ScrollRequest> ParseScroll(const json& body) {
  ScrollRequest r;
  if (body.is_null()) return r;
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(
      body, {"after_id", "limit", "filter", "include_vector"}));
  if (const json* v = FindField(body, "after_id")) {
    PDB_ASSIGN_OR_RETURN(r.after_id, GetString(*v, "after_id"));
  }
  if (const json* v = FindField(body, "limit")) {
    PDB_ASSIGN_OR_RETURN(uint64_t limit,
                         GetUint(*v, "limit", 1, kMaxScrollLimit));
    r.limit = static_cast<uint32_t>(limit);
  }
  PDB_ASSIGN_OR_RETURN(r.filter, OptionalFilter(body));
  if (const json* v = FindField(body, "include_vector")) {
    PDB_ASSIGN_OR_RETURN(r.include_vector, GetBool(*v, "include_vector"));
  }
  return r;
}

Result<std::vector<SearchRequest>> ParseBatchSearch(
    const json& body, uint32_t dimension, std::string_view collection) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"queries"}));
  const json* queries = FindField(body, "queries");
  if (queries == nullptr) {
    return Status::InvalidArgument("missing required field 'queries'");
  }
  if (!queries->is_array()) return TypeError("queries", "an array", *queries);
  if (queries->empty() || queries->size() > kMaxBatchQueries) {
    return Status::InvalidArgument(
        "field 'queries' must hold 1.." + std::to_string(kMaxBatchQueries) +
        " queries, got " + std::to_string(queries->size()));
  }
  std::vector<SearchRequest> out;
  out.reserve(queries->size());
  for (size_t i = 0; i < queries->size(); ++i) {
    Result<SearchRequest> q = ParseSearch((*queries)[i], dimension, collection);
    if (!q.ok()) {
      return Prefix(q.status(), "queries[" + std::to_string(i) + "]: ");
    }
    out.push_back(std::move(q).value());
  }
  return out;
}

json ScrollPageToJson(const ScrollPage& page, bool include_vector) {
  json points = json::array();
  for (const StoredPoint& p : page.points) {
    json j = {{"id", p.id},
              {"metadata", p.metadata.is_null() ? json::object() : p.metadata}};
    if (include_vector) j["vector"] = FloatsToJson(p.vector);
    points.push_back(std::move(j));
  }
  json next = page.next_after_id.empty() ? json() : json(page.next_after_id);
  return json{{"points", std::move(points)}, {"next_after_id", next}};
}

json CollectionStatsToJson(const CollectionInfo& info) {
  return json{
      {"name", info.config.name},
      {"point_count", info.point_count},
      {"segment_count", info.segment_count},
      {"memtable_points", info.memtable_points},
      {"wal_bytes", info.wal_bytes},
      {"oldest_unflushed_age_seconds", info.oldest_unflushed_age_seconds},
      {"last_sequence", info.last_sequence},
  };
}

}  // namespace proximadb::service

namespace proximadb::service {

nlohmann::json QuarantineEntryToJson(const QuarantineEntry& e) {
  std::time_t t = static_cast<std::time_t>(e.time_unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char time[32];
  std::strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return nlohmann::json{
      {"id", e.id},         {"original_path", e.original_path},
      {"reason", e.reason}, {"time_unix_ms", e.time_unix_ms},
      {"time", time},       {"bytes", e.bytes}};
}

}  // namespace proximadb::service
