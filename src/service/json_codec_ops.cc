// JSON codecs of the operations beyond create/upsert/get/search: flush-policy
// patch, bulk delete, metadata update, count, scroll, batch search, stats.
#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <string>
#include <utility>

#include "service/json_codec.h"
#include "service/json_fields.h"
#include "service/service.h"
#include "util/time_format.h"

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

// An "ids" field: an array of strings (their lengths are checked where
// they are used).
Result<std::vector<std::string>> IdArray(const json& ids) {
  if (!ids.is_array()) return TypeError("ids", "an array of strings", ids);
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const json& id = ids[i];
    if (!id.is_string()) {
      return Status::InvalidArgument("ids[" + std::to_string(i) +
                                     "] must be a string, got " +
                                     std::string(id.type_name()));
    }
    out.push_back(id.get<std::string>());
  }
  return out;
}

// Exactly one of "ids" and "filter" in `body`.
Result<PointSelector> IdsOrFilter(const json& body) {
  const json* ids = FindField(body, "ids");
  const json* filter = FindField(body, "filter");
  if ((ids == nullptr) == (filter == nullptr)) {
    return Status::InvalidArgument(
        "give exactly one of 'ids' (an array of ids) or 'filter' (an object)");
  }
  PointSelector sel;
  if (filter != nullptr) {
    if (!filter->is_object()) return TypeError("filter", "an object", *filter);
    sel.by_filter = true;
    sel.filter = *filter;
    return sel;
  }
  PDB_ASSIGN_OR_RETURN(sel.ids, IdArray(*ids));
  return sel;
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

Result<TieringPolicy> ParseTieringPolicy(const json& value,
                                         std::string_view path) {
  const std::string p(path);
  PDB_RETURN_IF_ERROR(RequireObject(value, "field " + Quote(p)));
  PDB_RETURN_IF_ERROR(
      RefuseUnknownFields(value,
                          {"warm_after_hours", "cold_after_hours",
                           "warm_directory", "cache_mb", "wal_archive"},
                          p));
  TieringPolicy t;
  for (const char* key : {"warm_after_hours", "cold_after_hours"}) {
    const json* v = FindField(value, key);
    if (v == nullptr) continue;
    const std::string name = p + "." + key;
    if (!v->is_number()) return TypeError(name, "a number", *v);
    (key[0] == 'w' ? t.warm_after_hours : t.cold_after_hours) =
        v->get<double>();
  }
  if (const json* v = FindField(value, "warm_directory")) {
    PDB_ASSIGN_OR_RETURN(std::string d, GetString(*v, p + ".warm_directory"));
    t.warm_directory = std::move(d);
  }
  if (const json* v = FindField(value, "cache_mb")) {
    PDB_ASSIGN_OR_RETURN(
        t.cache_mb,
        GetUint(*v, p + ".cache_mb", 0, std::numeric_limits<uint64_t>::max()));
  }
  if (const json* v = FindField(value, "wal_archive")) {
    PDB_ASSIGN_OR_RETURN(t.wal_archive, GetBool(*v, p + ".wal_archive"));
  }
  // Ranges, path length and absoluteness: ValidateTieringPolicy, which the
  // typed operations run for both transports (same message on both).
  return t;
}

Result<CollectionPatch> ParseCollectionPatch(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  for (const auto& [key, value] : body.items()) {
    if (key != "flush_policy" && key != "tiering" && !IsFlushKey(key)) {
      return Status::InvalidArgument("unknown field " + Quote(key));
    }
  }
  if (const json* v = FindField(body, "flush_policy"); v && v->is_object()) {
    PDB_RETURN_IF_ERROR(RefuseUnknownFlushFields(*v, "flush_policy"));
  }
  CollectionPatch patch;
  if (const json* v = FindField(body, "flush_policy")) {
    PDB_RETURN_IF_ERROR(RequireObject(*v, "field 'flush_policy'"));
    PDB_RETURN_IF_ERROR(ReadFlushFields(*v, &patch.flush));
  }
  PDB_RETURN_IF_ERROR(ReadFlushFields(body, &patch.flush));
  if (const json* v = FindField(body, "tiering")) {
    PDB_ASSIGN_OR_RETURN(patch.tiering, ParseTieringPolicy(*v));
  }
  const FlushPolicy& p = patch.flush;
  if (!p.max_wal_age_hours && !p.max_wal_size_mb && !p.max_vector_count &&
      !p.flush_priority && !p.enable_background_flush &&
      patch.tiering == TieringPolicy{}) {
    return Status::InvalidArgument(
        "no flush policy or tiering field given (max_wal_age_hours, "
        "max_wal_size_mb, max_vector_count, flush_priority, "
        "enable_background_flush, tiering.warm_after_hours, "
        "tiering.cold_after_hours, tiering.warm_directory, tiering.cache_mb, "
        "tiering.wal_archive)");
  }
  return patch;
}

Result<uint64_t> ParseSegmentId(std::string_view text) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      id == 0) {
    // The id is echoed only when short: it comes from the URL.
    std::string shown(text.substr(0, 64));
    return Status::InvalidArgument(
        "segment id must be a positive integer, got '" + shown + "'");
  }
  return id;
}

Result<std::string> ParseMoveSegment(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"tier"}));
  const json* v = FindField(body, "tier");
  if (v == nullptr) {
    return Status::InvalidArgument(
        "missing required field 'tier' (hot, warm or cold)");
  }
  return GetString(*v, "tier");
}

json TiersToJson(const CollectionInfo& info) {
  json out = json::object();
  for (Tier t : {Tier::kHot, Tier::kWarm, Tier::kCold}) {
    const TierTotals& x = info.tiers[static_cast<size_t>(t)];
    out[std::string(TierName(t))] = {
        {"segments", x.segments}, {"bytes", x.bytes}, {"points", x.points}};
  }
  return out;
}

json TieringCountersToJson(const TieringCounters& c) {
  return json{{"moves", c.moves},
              {"move_failures", c.move_failures},
              {"uploads", c.uploads},
              {"upload_bytes", c.upload_bytes},
              {"downloads", c.downloads},
              {"download_bytes", c.download_bytes},
              {"retries", c.retries},
              {"failures", c.failures},
              {"cache_hits", c.cache_hits},
              {"cache_misses", c.cache_misses},
              {"cache_evictions", c.cache_evictions},
              {"cache_bytes", c.cache_bytes}};
}

json SegmentToJson(const SegmentInfo& s) {
  return json{{"id", s.id},
              {"tier", std::string(TierName(s.tier))},
              {"points", s.points},
              {"live_points", s.live_points},
              {"bytes", s.bytes},
              {"directory", s.directory},
              {"min_seq", s.min_seq},
              {"max_seq", s.max_seq},
              {"graph_loaded", s.graph_loaded},
              {"cached", s.cached},
              {"newest_write_unix_ms", s.newest_write_unix_ms},
              {"compressed", s.compressed},
              {"unpacked_bytes", s.unpacked_bytes}};
}

Result<PointSelector> ParseDeleteVectors(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"ids", "filter"}));
  return IdsOrFilter(body);
}

Result<GetPointsRequest> ParseGetPoints(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(
      RefuseUnknownFields(body, {"ids", "include_vector", "include_metadata"}));
  const json* ids = FindField(body, "ids");
  if (ids == nullptr) {
    return Status::InvalidArgument("missing required field 'ids'");
  }
  GetPointsRequest r;
  PDB_ASSIGN_OR_RETURN(r.ids, IdArray(*ids));
  if (const json* v = FindField(body, "include_vector")) {
    PDB_ASSIGN_OR_RETURN(r.include_vector, GetBool(*v, "include_vector"));
  }
  if (const json* v = FindField(body, "include_metadata")) {
    PDB_ASSIGN_OR_RETURN(r.include_metadata, GetBool(*v, "include_metadata"));
  }
  return r;
}

json PointsToJson(const std::vector<StoredPoint>& points,
                  const GetPointsRequest& request) {
  json list = json::array();
  for (const StoredPoint& p : points) {
    json one = {{"id", p.id}};
    if (request.include_vector) {
      AddVectorsJson(p.vector, p.sparse_vectors, p.named_vectors, &one);
    }
    if (request.include_metadata) {
      one["metadata"] = p.metadata.is_null() ? json::object() : p.metadata;
    }
    if (p.expires_at_micros != 0) {
      one["expires_at"] = Rfc3339Micros(p.expires_at_micros);
    }
    list.push_back(std::move(one));
  }
  return json{{"points", std::move(list)}};
}

Result<MetadataPatchRequest> ParseMetadataPatch(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(
      RefuseUnknownFields(body, {"ids", "filter", "set", "unset"}));
  MetadataPatchRequest r;
  PDB_ASSIGN_OR_RETURN(r.points, IdsOrFilter(body));
  if (const json* v = FindField(body, "set")) {
    if (!v->is_object()) return TypeError("set", "an object", *v);
    r.patch.set = *v;
  }
  if (const json* v = FindField(body, "unset")) {
    if (!v->is_array()) return TypeError("unset", "an array of keys", *v);
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        return Status::InvalidArgument("unset[" + std::to_string(i) +
                                       "] must be a string, got " +
                                       std::string((*v)[i].type_name()));
      }
      r.patch.unset.push_back((*v)[i].get<std::string>());
    }
  }
  return r;
}

json PatchResultToJson(const PatchResult& r) {
  return json{{"updated_count", r.updated}, {"not_found", r.not_found}};
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
      body, {"after_id", "limit", "filter", "include_vector", "consistency",
             "order_by", "after_value"}));
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
  if (const json* v = FindField(body, "consistency")) {
    PDB_ASSIGN_OR_RETURN(r.consistency, GetConsistency(*v));
  }
  if (const json* v = FindField(body, "order_by")) {
    PDB_ASSIGN_OR_RETURN(r.order_by, ParseScrollOrder(*v));
  }
  if (const json* v = FindField(body, "after_value")) {
    int64_t micros = 0;
    if (v->is_number()) {
      r.after_value = v->get<double>();
    } else if (v->is_string() &&
               ParseRfc3339Instant(v->get_ref<const std::string&>(), &micros)) {
      r.after_value = static_cast<double>(micros);  // as sort values are
    } else {
      return TypeError("after_value", "a number or an RFC 3339 time", *v);
    }
  }
  // The rest (key path, cursor pairing): CheckScrollOrder, in the engine.
  return r;
}

Result<ScrollOrder> ParseScrollOrder(const json& v) {
  ScrollOrder order;
  if (v.is_string()) {  // "price": ascending
    order.key = v.get<std::string>();
    return order;
  }
  if (!v.is_object()) {
    return TypeError("order_by", "an object or a key string", v);
  }
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(v, {"key", "direction"}, "order_by"));
  const json* key = FindField(v, "key");
  if (key == nullptr) {
    return Status::InvalidArgument("missing required field 'order_by.key'");
  }
  PDB_ASSIGN_OR_RETURN(order.key, GetString(*key, "order_by.key"));
  if (const json* d = FindField(v, "direction")) {
    PDB_ASSIGN_OR_RETURN(std::string dir, GetString(*d, "order_by.direction"));
    PDB_ASSIGN_OR_RETURN(order.descending, ParseScrollDescending(dir));
  }
  return order;
}

Result<bool> ParseScrollDescending(std::string_view direction) {
  if (direction != "asc" && direction != "desc") {
    return Status::InvalidArgument(
        "field 'order_by.direction' must be \"asc\" or \"desc\", got \"" +
        std::string(direction) + "\"");
  }
  return direction == "desc";
}

Result<FacetRequest> ParseFacet(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(
      RefuseUnknownFields(body, {"key", "filter", "limit", "consistency"}));
  FacetRequest r;
  const json* key = FindField(body, "key");
  if (key == nullptr) {
    return Status::InvalidArgument("missing required field 'key'");
  }
  PDB_ASSIGN_OR_RETURN(r.key, GetString(*key, "key"));
  PDB_ASSIGN_OR_RETURN(r.filter, OptionalFilter(body));
  if (const json* v = FindField(body, "limit")) {
    PDB_ASSIGN_OR_RETURN(uint64_t limit,
                         GetUint(*v, "limit", 1, kMaxFacetLimit));
    r.limit = static_cast<uint32_t>(limit);
  }
  if (const json* v = FindField(body, "consistency")) {
    PDB_ASSIGN_OR_RETURN(r.consistency, GetConsistency(*v));
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

json ScrollPageToJson(const ScrollPage& page, bool include_vector,
                      bool ordered) {
  json points = json::array();
  for (const StoredPoint& p : page.points) {
    json j = {{"id", p.id},
              {"metadata", p.metadata.is_null() ? json::object() : p.metadata}};
    if (include_vector) {
      j["vector"] = FloatsToJson(p.vector);
      if (!p.sparse_vectors.empty()) {
        j["sparse_vectors"] = SparseVectorsToJson(p.sparse_vectors);
      }
      if (!p.named_vectors.empty()) {
        j["vectors"] = NamedVectorsToJson(p.named_vectors);
      }
    }
    if (p.expires_at_micros != 0) {
      j["expires_at"] = Rfc3339Micros(p.expires_at_micros);
    }
    points.push_back(std::move(j));
  }
  json next = page.next_after_id.empty() ? json() : json(page.next_after_id);
  json out = {{"points", std::move(points)}, {"next_after_id", next}};
  if (ordered) {
    out["next_after_value"] =
        page.next_after_value ? json(*page.next_after_value) : json();
  }
  return out;
}

json FacetResultToJson(const FacetResult& r) {
  json values = json::array();
  for (const auto& v : r.values) {
    values.push_back({{"value", v.value}, {"count", v.count}});
  }
  return json{{"values", std::move(values)}};
}

json CollectionStatsToJson(const CollectionInfo& info) {
  json out{
      {"name", info.config.name},
      {"point_count", info.point_count},
      {"segment_count", info.segment_count},
      {"memtable_points", info.memtable_points},
      {"wal_bytes", info.wal_bytes},
      {"oldest_unflushed_age_seconds", info.oldest_unflushed_age_seconds},
      {"last_sequence", info.last_sequence},
      {"tiers", TiersToJson(info)},
      {"tiering", TieringCountersToJson(info.tiering)},
  };
  if (info.migration) out["migration"] = MigrationToJson(*info.migration);
  if (info.recall) out["recall_estimate"] = RecallEstimateToJson(*info.recall);
  out["background_io"] = BackgroundIoToJson(info.background_io);
  if (info.recovery) {
    out["recovery"] = {{"seconds", info.recovery->seconds},
                       {"wal_records", info.recovery->wal_records},
                       {"wal_bytes", info.recovery->wal_bytes}};
  }
  json memory = json::object();
  for (size_t i = 0; i < std::size(kMemoryComponents); ++i) {
    memory[std::string(kMemoryComponentNames[i])] =
        info.memory.*kMemoryComponents[i];
  }
  memory["total"] = info.memory.total();
  out["memory"] = std::move(memory);
  return out;
}

json BackgroundIoToJson(const BackgroundIo& b) {
  json tasks = json::array();
  for (const BackgroundTask& t : b.tasks) {
    tasks.push_back({
        {"kind", t.kind},
        {"segments", t.segments},
        {"bytes_done", t.bytes_done},
        {"bytes_total", t.bytes_total > 0 ? json(t.bytes_total) : json()},
        {"seconds", t.seconds},
        {"eta_seconds", t.eta_seconds >= 0 ? json(t.eta_seconds) : json()},
    });
  }
  return json{
      {"budget_mb_per_s",
       static_cast<double>(b.budget_bytes_per_s) / (1024.0 * 1024.0)},
      {"bytes_written", b.bytes_written},
      {"throttled_seconds", b.throttled_seconds},
      {"tasks", std::move(tasks)},
  };
}

json RecallEstimateToJson(const RecallEstimate& r) {
  return json{
      {"recall", r.samples > 0 ? json(r.recall) : json(nullptr)},
      {"samples", r.samples},
      {"ci95", json::array({r.ci_lower, r.ci_upper})},
      {"samples_total", r.samples_total},
      {"dropped_total", r.dropped_total},
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
