#include "cluster/rpc/shard_codec.h"

namespace proximadb::cluster::rpc_codec {

namespace {

using json = nlohmann::json;

Status Bad(const std::string& what) {
  return Status::InvalidArgument("internal call body: " + what);
}

Result<json> Parse(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return Bad("not a JSON object");
  return j;
}

// Reads j[key] as T; false when it is missing or has another type.
template <typename T>
bool Read(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  try {
    *out = it->get<T>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

json SparseToJson(const SparseVector& v) {
  return {{"indices", v.indices}, {"values", v.values}};
}

bool SparseFromJson(const json& j, SparseVector* v) {
  return j.is_object() && Read(j, "indices", &v->indices) &&
         Read(j, "values", &v->values);
}

// A point's (or hit's) sparse and named vectors into `j`, when it has any.
void AddVectors(const SparseVectors& sparse, const NamedVectors& named,
                json* j) {
  if (!sparse.empty()) {
    json sv = json::object();
    for (const auto& [name, v] : sparse) sv[name] = SparseToJson(v);
    (*j)["sparse_vectors"] = std::move(sv);
  }
  if (!named.empty()) {
    json nv = json::object();
    for (const auto& [name, v] : named) {
      nv[name] = {{"values", v.values}, {"rows", v.rows}, {"matrix", v.matrix}};
    }
    (*j)["vectors"] = std::move(nv);
  }
}

// AddVectors' inverse; false for a malformed one.
bool ReadVectors(const json& j, SparseVectors* sparse, NamedVectors* named) {
  if (auto sv = j.find("sparse_vectors"); sv != j.end()) {
    if (!sv->is_object()) return false;
    for (const auto& [name, v] : sv->items()) {
      if (!SparseFromJson(v, &(*sparse)[name])) return false;
    }
  }
  if (auto nv = j.find("vectors"); nv != j.end()) {
    if (!nv->is_object()) return false;
    for (const auto& [name, v] : nv->items()) {
      NamedVector& out = (*named)[name];
      if (!v.is_object() || !Read(v, "values", &out.values) ||
          !Read(v, "rows", &out.rows) || !Read(v, "matrix", &out.matrix)) {
        return false;
      }
    }
  }
  return true;
}

json HitToJson(const SearchHit& h) {
  json j = {{"id", h.id}, {"score", h.score}, {"metadata", h.metadata}};
  if (!h.vector.empty()) j["vector"] = h.vector;
  AddVectors(h.sparse_vectors, h.named_vectors, &j);
  return j;
}

json PointToJson(const StoredPoint& p) {
  json j = {{"id", p.id},
            {"vector", p.vector},
            {"metadata", p.metadata},
            {"version", p.version}};
  AddVectors(p.sparse_vectors, p.named_vectors, &j);
  if (p.expires_at_micros != 0) j["expires_at"] = p.expires_at_micros;
  return j;
}

Result<StoredPoint> PointFromJson(const json& j) {
  StoredPoint p;
  if (!j.is_object() || !Read(j, "id", &p.id) ||
      !Read(j, "vector", &p.vector) || !Read(j, "version", &p.version)) {
    return Bad("a point lacks id, vector or version");
  }
  auto m = j.find("metadata");
  p.metadata = m == j.end() ? json() : *m;
  if (!ReadVectors(j, &p.sparse_vectors, &p.named_vectors)) {
    return Bad("a point's sparse or named vectors");
  }
  if (j.contains("expires_at") &&
      !Read(j, "expires_at", &p.expires_at_micros)) {
    return Bad("a point's expiry");
  }
  return p;
}

}  // namespace

std::string EncodeMetadataPatch(const MetadataPatch& p) {
  return json{{"set", p.set}, {"unset", p.unset}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

Result<MetadataPatch> DecodeMetadataPatch(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  MetadataPatch p;
  auto set = j.find("set");
  if (set == j.end() || !set->is_object() || !Read(j, "unset", &p.unset)) {
    return Bad("metadata patch fields");
  }
  p.set = *set;
  return p;
}

std::string EncodeSearchRequest(const SearchRequest& r) {
  json j = {{"vector", r.vector},
            {"k", r.k},
            {"filter", r.filter},
            {"include_vector", r.include_vector},
            {"include_metadata", r.include_metadata},
            {"exact", r.exact},
            {"explain", r.explain}};
  if (r.ef_search) j["ef_search"] = *r.ef_search;
  if (!r.using_vector.empty()) {
    j["using"] = r.using_vector;
    j["vector_rows"] = r.vector_rows;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SearchRequest> DecodeSearchRequest(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  SearchRequest r;
  if (!Read(j, "vector", &r.vector) || !Read(j, "k", &r.k) ||
      !Read(j, "include_vector", &r.include_vector) ||
      !Read(j, "include_metadata", &r.include_metadata) ||
      !Read(j, "exact", &r.exact) || !Read(j, "explain", &r.explain)) {
    return Bad("search request fields");
  }
  r.filter = j.value("filter", json());
  uint32_t ef = 0;
  if (Read(j, "ef_search", &ef)) r.ef_search = ef;
  if (j.contains("using") && (!Read(j, "using", &r.using_vector) ||
                              !Read(j, "vector_rows", &r.vector_rows))) {
    return Bad("search request fields");
  }
  return r;
}

std::string EncodeSearchResult(const SearchResult& r) {
  json hits = json::array();
  for (const auto& h : r.hits) hits.push_back(HitToJson(h));
  json plans = json::array();
  for (const auto& p : r.explain) {
    plans.push_back({{"source", p.source},
                     {"segment_id", p.segment_id},
                     {"rows", p.rows},
                     {"strategy", p.strategy},
                     {"estimated_matches", p.estimated_matches},
                     {"candidates", p.candidates},
                     {"matches", p.matches},
                     {"ef", p.ef},
                     {"distances_computed", p.distances_computed}});
  }
  return json({{"hits", std::move(hits)},
               {"explain", std::move(plans)},
               {"stats",
                {{"distances_computed", r.stats.distances_computed},
                 {"points_scanned", r.stats.points_scanned},
                 {"nodes_visited", r.stats.nodes_visited},
                 {"partitions_pruned", r.stats.partitions_pruned},
                 {"sources_searched", r.stats.sources_searched}}}})
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SearchResult> DecodeSearchResult(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  SearchResult r;
  auto hits = j.find("hits");
  auto stats = j.find("stats");
  if (hits == j.end() || !hits->is_array() || stats == j.end() ||
      !stats->is_object()) {
    return Bad("search result fields");
  }
  for (const auto& h : *hits) {
    SearchHit hit;
    if (!h.is_object() || !Read(h, "id", &hit.id) ||
        !Read(h, "score", &hit.score)) {
      return Bad("a hit lacks id or score");
    }
    hit.metadata = h.value("metadata", json());
    if (h.contains("vector") && !Read(h, "vector", &hit.vector)) {
      return Bad("a hit's vector");
    }
    if (!ReadVectors(h, &hit.sparse_vectors, &hit.named_vectors)) {
      return Bad("a hit's sparse or named vectors");
    }
    r.hits.push_back(std::move(hit));
  }
  Read(*stats, "distances_computed", &r.stats.distances_computed);
  Read(*stats, "points_scanned", &r.stats.points_scanned);
  Read(*stats, "nodes_visited", &r.stats.nodes_visited);
  Read(*stats, "partitions_pruned", &r.stats.partitions_pruned);
  Read(*stats, "sources_searched", &r.stats.sources_searched);
  if (auto plans = j.find("explain"); plans != j.end() && plans->is_array()) {
    for (const auto& p : *plans) {
      SourcePlan s;
      Read(p, "source", &s.source);
      Read(p, "segment_id", &s.segment_id);
      Read(p, "rows", &s.rows);
      Read(p, "strategy", &s.strategy);
      Read(p, "estimated_matches", &s.estimated_matches);
      Read(p, "candidates", &s.candidates);
      Read(p, "matches", &s.matches);
      Read(p, "ef", &s.ef);
      Read(p, "distances_computed", &s.distances_computed);
      r.explain.push_back(std::move(s));
    }
  }
  return r;
}

std::string EncodeScrollRequest(const ScrollRequest& r) {
  json j = {{"after_id", r.after_id},
            {"limit", r.limit},
            {"filter", r.filter},
            {"include_vector", r.include_vector}};
  if (r.order_by) {
    j["order_by"] = {{"key", r.order_by->key},
                     {"descending", r.order_by->descending}};
  }
  // Doubles are written with enough digits to read back exactly.
  if (r.after_value) j["after_value"] = *r.after_value;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ScrollRequest> DecodeScrollRequest(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  ScrollRequest r;
  if (!Read(j, "after_id", &r.after_id) || !Read(j, "limit", &r.limit) ||
      !Read(j, "include_vector", &r.include_vector)) {
    return Bad("scroll request fields");
  }
  r.filter = j.value("filter", json());
  if (auto o = j.find("order_by"); o != j.end()) {
    ScrollOrder order;
    if (!o->is_object() || !Read(*o, "key", &order.key) ||
        !Read(*o, "descending", &order.descending)) {
      return Bad("scroll order_by");
    }
    r.order_by = std::move(order);
  }
  if (auto v = j.find("after_value"); v != j.end()) {
    if (!v->is_number()) return Bad("scroll after_value");
    r.after_value = v->get<double>();
  }
  return r;
}

std::string EncodeScrollPage(const ScrollPage& p) {
  json points = json::array();
  for (const auto& pt : p.points) points.push_back(PointToJson(pt));
  json j = {{"points", std::move(points)}, {"next_after_id", p.next_after_id}};
  if (p.next_after_value) j["next_after_value"] = *p.next_after_value;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ScrollPage> DecodeScrollPage(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  ScrollPage p;
  auto points = j.find("points");
  if (points == j.end() || !points->is_array() ||
      !Read(j, "next_after_id", &p.next_after_id)) {
    return Bad("scroll page fields");
  }
  for (const auto& pt : *points) {
    PDB_ASSIGN_OR_RETURN(StoredPoint sp, PointFromJson(pt));
    p.points.push_back(std::move(sp));
  }
  if (auto v = j.find("next_after_value"); v != j.end()) {
    if (!v->is_number()) return Bad("scroll page next_after_value");
    p.next_after_value = v->get<double>();
  }
  return p;
}

std::string EncodeFacetRequest(const FacetRequest& r) {
  return json({{"key", r.key}, {"filter", r.filter}, {"limit", r.limit}})
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<FacetRequest> DecodeFacetRequest(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  FacetRequest r;
  if (!Read(j, "key", &r.key) || !Read(j, "limit", &r.limit)) {
    return Bad("facet request fields");
  }
  r.filter = j.value("filter", json());
  return r;
}

std::string EncodeFacetResult(const FacetResult& r) {
  json values = json::array();
  for (const auto& v : r.values) {
    values.push_back({{"value", v.value}, {"count", v.count}});
  }
  return json({{"values", std::move(values)}})
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<FacetResult> DecodeFacetResult(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  auto values = j.find("values");
  if (values == j.end() || !values->is_array()) return Bad("facet values");
  FacetResult r;
  for (const auto& v : *values) {
    FacetValue fv;
    if (!v.is_object() || !v.contains("value") ||
        !Read(v, "count", &fv.count)) {
      return Bad("facet value");
    }
    fv.value = v["value"];
    r.values.push_back(std::move(fv));
  }
  return r;
}

namespace {

json TextStatsToJson(const TextCorpusStats& s) {
  return {{"docs", s.docs}, {"words", s.words}, {"doc_freq", s.doc_freq}};
}

bool TextStatsFromJson(const json& j, TextCorpusStats* s) {
  return j.is_object() && Read(j, "docs", &s->docs) &&
         Read(j, "words", &s->words) && Read(j, "doc_freq", &s->doc_freq);
}

}  // namespace

std::string EncodeTextSearchRequest(const TextSearchRequest& r) {
  json j = {{"field", r.field},
            {"query", r.query},
            {"k", r.k},
            {"filter", r.filter},
            {"include_vector", r.include_vector},
            {"include_metadata", r.include_metadata}};
  if (r.stats) j["stats"] = TextStatsToJson(*r.stats);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<TextSearchRequest> DecodeTextSearchRequest(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  TextSearchRequest r;
  if (!Read(j, "field", &r.field) || !Read(j, "query", &r.query) ||
      !Read(j, "k", &r.k) || !Read(j, "include_vector", &r.include_vector) ||
      !Read(j, "include_metadata", &r.include_metadata)) {
    return Bad("text search request fields");
  }
  r.filter = j.value("filter", json());
  if (j.contains("stats")) {
    TextCorpusStats s;
    if (!TextStatsFromJson(j["stats"], &s)) return Bad("text statistics");
    r.stats = std::move(s);
  }
  return r;
}

std::string EncodeSparseSearchRequest(const SparseSearchRequest& r) {
  json j = {{"name", r.name},
            {"vector", SparseToJson(r.vector)},
            {"k", r.k},
            {"filter", r.filter},
            {"include_vector", r.include_vector},
            {"include_metadata", r.include_metadata}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SparseSearchRequest> DecodeSparseSearchRequest(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  SparseSearchRequest r;
  if (!Read(j, "name", &r.name) || !j.contains("vector") ||
      !SparseFromJson(j["vector"], &r.vector) || !Read(j, "k", &r.k) ||
      !Read(j, "include_vector", &r.include_vector) ||
      !Read(j, "include_metadata", &r.include_metadata)) {
    return Bad("sparse search request fields");
  }
  r.filter = j.value("filter", json());
  return r;
}

std::string EncodeTextStats(const TextCorpusStats& s) {
  return TextStatsToJson(s).dump();
}

Result<TextCorpusStats> DecodeTextStats(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  TextCorpusStats s;
  if (!TextStatsFromJson(j, &s)) return Bad("text statistics");
  return s;
}

std::string EncodePoint(const StoredPoint& p) {
  return PointToJson(p).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<StoredPoint> DecodePoint(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  return PointFromJson(j);
}

namespace {
json BackgroundIoOf(const BackgroundIo& b) {
  json tasks = json::array();
  for (const BackgroundTask& t : b.tasks) {
    tasks.push_back({{"kind", t.kind},
                     {"segments", t.segments},
                     {"bytes_done", t.bytes_done},
                     {"bytes_total", t.bytes_total},
                     {"seconds", t.seconds},
                     {"eta_seconds", t.eta_seconds}});
  }
  return {{"budget_bytes_per_s", b.budget_bytes_per_s},
          {"bytes_written", b.bytes_written},
          {"throttled_seconds", b.throttled_seconds},
          {"tasks", std::move(tasks)}};
}

// Absent (a node of an older version) or malformed: left empty.
void ReadBackgroundIo(const json& j, BackgroundIo* b) {
  auto it = j.find("background_io");
  if (it == j.end() || !it->is_object()) return;
  BackgroundIo out;
  if (!Read(*it, "budget_bytes_per_s", &out.budget_bytes_per_s) ||
      !Read(*it, "bytes_written", &out.bytes_written) ||
      !Read(*it, "throttled_seconds", &out.throttled_seconds)) {
    return;
  }
  auto tasks = it->find("tasks");
  if (tasks != it->end() && tasks->is_array()) {
    for (const json& t : *tasks) {
      BackgroundTask task;
      if (!t.is_object() || !Read(t, "kind", &task.kind) ||
          !Read(t, "segments", &task.segments) ||
          !Read(t, "bytes_done", &task.bytes_done) ||
          !Read(t, "bytes_total", &task.bytes_total) ||
          !Read(t, "seconds", &task.seconds) ||
          !Read(t, "eta_seconds", &task.eta_seconds)) {
        return;
      }
      out.tasks.push_back(std::move(task));
    }
  }
  *b = std::move(out);
}
}  // namespace

std::string EncodeInfo(const CollectionInfo& i) {
  json tiers = json::array();
  for (const auto& t : i.tiers) {
    tiers.push_back({t.segments, t.points, t.bytes});
  }
  return json({{"point_count", i.point_count},
               {"segment_count", i.segment_count},
               {"memtable_points", i.memtable_points},
               {"wal_bytes", i.wal_bytes},
               {"oldest_unflushed_age_seconds", i.oldest_unflushed_age_seconds},
               {"last_sequence", i.last_sequence},
               {"flush_count", i.flush_count},
               {"flush_bytes", i.flush_bytes},
               {"flush_seconds", i.flush_seconds},
               {"compaction_count", i.compaction_count},
               {"compaction_bytes", i.compaction_bytes},
               {"compaction_seconds", i.compaction_seconds},
               {"adaptive_graphs_kept", i.adaptive_graphs_kept},
               {"adaptive_graphs_declined", i.adaptive_graphs_declined},
               {"tiers", std::move(tiers)},
               {"background_io", BackgroundIoOf(i.background_io)}})
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<CollectionInfo> DecodeInfo(const std::string& body) {
  PDB_ASSIGN_OR_RETURN(json j, Parse(body));
  CollectionInfo i;
  if (!Read(j, "point_count", &i.point_count) ||
      !Read(j, "segment_count", &i.segment_count) ||
      !Read(j, "memtable_points", &i.memtable_points) ||
      !Read(j, "wal_bytes", &i.wal_bytes) ||
      !Read(j, "oldest_unflushed_age_seconds",
            &i.oldest_unflushed_age_seconds) ||
      !Read(j, "last_sequence", &i.last_sequence) ||
      !Read(j, "flush_count", &i.flush_count) ||
      !Read(j, "flush_bytes", &i.flush_bytes) ||
      !Read(j, "flush_seconds", &i.flush_seconds) ||
      !Read(j, "compaction_count", &i.compaction_count) ||
      !Read(j, "compaction_bytes", &i.compaction_bytes) ||
      !Read(j, "compaction_seconds", &i.compaction_seconds) ||
      !Read(j, "adaptive_graphs_kept", &i.adaptive_graphs_kept) ||
      !Read(j, "adaptive_graphs_declined", &i.adaptive_graphs_declined)) {
    return Bad("collection info fields");
  }
  auto tiers = j.find("tiers");
  if (tiers != j.end() && tiers->is_array() && tiers->size() == 3) {
    for (size_t t = 0; t < 3; ++t) {
      const json& v = (*tiers)[t];
      if (!v.is_array() || v.size() != 3) return Bad("tiers");
      Read(json({{"v", v[0]}}), "v", &i.tiers[t].segments);
      Read(json({{"v", v[1]}}), "v", &i.tiers[t].points);
      Read(json({{"v", v[2]}}), "v", &i.tiers[t].bytes);
    }
  }
  ReadBackgroundIo(j, &i.background_io);
  return i;
}

std::string EncodeJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<nlohmann::json> DecodeJson(const std::string& body) {
  return Parse(body);
}

}  // namespace proximadb::cluster::rpc_codec
