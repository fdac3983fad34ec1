#include "api/grpc/proto_codec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "service/json_codec.h"
#include "util/limits.h"
#include "util/time_format.h"

namespace proximadb::grpc_api {

using nlohmann::json;
namespace gpb = google::protobuf;

namespace {

constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

// True when `s` nests deeper than `max_depth` (a Struct or a ListValue is a
// level, as {} and [] are in JSON), found without recursion. Requests that
// came over the wire were already checked on their bytes
// (request_decode.h); this guards every other caller of StructToJson.
bool StructDeeperThan(const gpb::Struct& s, size_t max_depth) {
  if (max_depth < 1) return true;
  std::vector<std::pair<const gpb::Value*, size_t>> stack;
  for (const auto& [key, v] : s.fields()) stack.push_back({&v, 1});
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (v->has_struct_value()) {
      if (depth + 1 > max_depth) return true;
      for (const auto& [key, child] : v->struct_value().fields()) {
        stack.push_back({&child, depth + 1});
      }
    } else if (v->has_list_value()) {
      if (depth + 1 > max_depth) return true;
      for (const gpb::Value& child : v->list_value().values()) {
        stack.push_back({&child, depth + 1});
      }
    }
  }
  return false;
}

Result<json> StructToJsonUnchecked(const gpb::Struct& s);

Result<json> ValueToJson(const gpb::Value& v) {
  switch (v.kind_case()) {
    case gpb::Value::kNullValue:
    case gpb::Value::KIND_NOT_SET:
      return json();
    case gpb::Value::kBoolValue:
      return json(v.bool_value());
    case gpb::Value::kStringValue:
      return json(v.string_value());
    case gpb::Value::kNumberValue: {
      double x = v.number_value();
      if (!std::isfinite(x)) {
        return Status::InvalidArgument("a Struct number must be finite");
      }
      if (std::trunc(x) == x && std::fabs(x) <= kMaxExactInt) {
        return json(static_cast<int64_t>(x));
      }
      return json(x);
    }
    case gpb::Value::kStructValue:
      return StructToJsonUnchecked(v.struct_value());
    case gpb::Value::kListValue: {
      json arr = json::array();
      for (const gpb::Value& item : v.list_value().values()) {
        PDB_ASSIGN_OR_RETURN(json j, ValueToJson(item));
        arr.push_back(std::move(j));
      }
      return arr;
    }
  }
  return json();
}

void JsonToValue(const json& j, gpb::Value* out) {
  switch (j.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary:
      out->set_null_value(gpb::NULL_VALUE);
      break;
    case json::value_t::boolean:
      out->set_bool_value(j.get<bool>());
      break;
    case json::value_t::string:
      out->set_string_value(j.get<std::string>());
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out->set_number_value(j.get<double>());
      break;
    case json::value_t::object:
      JsonToStruct(j, out->mutable_struct_value());
      break;
    case json::value_t::array: {
      gpb::ListValue* list = out->mutable_list_value();
      for (const json& item : j) JsonToValue(item, list->add_values());
      break;
    }
  }
}

std::vector<float> Floats(const gpb::RepeatedField<float>& f) {
  return std::vector<float>(f.begin(), f.end());
}

// Recursion bounded by StructDeeperThan in StructToJson.
Result<json> StructToJsonUnchecked(const gpb::Struct& s) {
  json out = json::object();
  for (const auto& [key, value] : s.fields()) {
    PDB_ASSIGN_OR_RETURN(json v, ValueToJson(value));
    out[key] = std::move(v);
  }
  return out;
}

std::vector<FilterableColumn> DecodeColumns(
    const google::protobuf::RepeatedPtrField<pb::FilterableColumn>& cols) {
  std::vector<FilterableColumn> out;
  for (const pb::FilterableColumn& c : cols) {
    out.push_back({c.name(), c.type(), c.indexed()});
  }
  return out;
}

void EncodeColumns(
    const std::vector<FilterableColumn>& cols,
    google::protobuf::RepeatedPtrField<pb::FilterableColumn>* out) {
  for (const FilterableColumn& c : cols) {
    pb::FilterableColumn* o = out->Add();
    o->set_name(c.name);
    o->set_type(c.type);
    o->set_indexed(c.indexed);
  }
}

}  // namespace

Result<json> StructToJson(const gpb::Struct& s) {
  if (StructDeeperThan(s, kMaxRequestDepth)) {
    return Status::InvalidArgument(RequestTooDeepMessage());
  }
  return StructToJsonUnchecked(s);
}

void JsonToStruct(const json& j, gpb::Struct* out) {
  out->Clear();
  if (!j.is_object()) return;
  auto* fields = out->mutable_fields();
  for (const auto& [key, value] : j.items()) {
    JsonToValue(value, &(*fields)[key]);
  }
}

FlushPolicy DecodeFlushPolicy(const pb::FlushPolicy& p) {
  FlushPolicy f;
  if (p.has_max_wal_age_hours()) f.max_wal_age_hours = p.max_wal_age_hours();
  if (p.has_max_wal_size_mb()) f.max_wal_size_mb = p.max_wal_size_mb();
  if (p.has_max_vector_count()) f.max_vector_count = p.max_vector_count();
  if (p.has_flush_priority()) f.flush_priority = p.flush_priority();
  if (p.has_enable_background_flush()) {
    f.enable_background_flush = p.enable_background_flush();
  }
  return f;
}

TieringPolicy DecodeTieringPolicy(const pb::TieringPolicy& p) {
  TieringPolicy t;
  if (p.has_warm_after_hours()) t.warm_after_hours = p.warm_after_hours();
  if (p.has_cold_after_hours()) t.cold_after_hours = p.cold_after_hours();
  if (p.has_warm_directory()) t.warm_directory = p.warm_directory();
  if (p.has_cache_mb()) t.cache_mb = p.cache_mb();
  if (p.has_wal_archive()) t.wal_archive = p.wal_archive();
  return t;
}

Result<CollectionConfig> DecodeCreateCollection(
    const pb::CreateCollectionRequest& r) {
  CollectionConfig c;
  c.name = r.name();
  c.dimension = r.dimension();
  if (!r.distance_metric().empty()) {
    PDB_ASSIGN_OR_RETURN(c.metric, ParseMetric(r.distance_metric()));
  }
  if (!r.indexing_algorithm().empty()) {
    c.index.algorithm = r.indexing_algorithm();
  }
  if (r.has_m()) c.index.m = r.m();
  if (r.has_ef_construction()) c.index.ef_construction = r.ef_construction();
  if (r.has_ef_search()) c.index.ef_search = r.ef_search();
  if (!r.quantization().empty()) c.index.quantization = r.quantization();
  if (r.has_nlist()) c.index.nlist = r.nlist();
  if (r.has_nprobe()) c.index.nprobe = r.nprobe();
  if (!r.storage_strategy().empty()) c.storage_strategy = r.storage_strategy();
  if (!r.memtable().empty()) c.memtable = r.memtable();
  if (!r.compression().empty()) c.compression = r.compression();
  c.filterable_columns = DecodeColumns(r.filterable_columns());
  ApplyStrategyDefaults({.memtable = !r.memtable().empty(),
                         .algorithm = !r.indexing_algorithm().empty(),
                         .quantization = !r.quantization().empty(),
                         .compression = !r.compression().empty()},
                        c.storage_strategy, &c.index, &c.memtable,
                        &c.compression);
  if (r.has_flush_policy()) c.flush = DecodeFlushPolicy(r.flush_policy());
  if (r.has_tiering()) c.tiering = DecodeTieringPolicy(r.tiering());
  if (!r.wal_format().empty()) {
    PDB_ASSIGN_OR_RETURN(c.wal_format, ParseWalFormat(r.wal_format()));
  }
  // 0 (unset) is the node's default, as in CollectionConfig.
  c.shard_count = r.shard_count();
  c.replication_factor = r.replication_factor();
  for (const auto& [name, cfg] : r.sparse_vectors()) {
    c.sparse_vectors.push_back(name);
  }
  std::sort(c.sparse_vectors.begin(), c.sparse_vectors.end());
  c.default_ttl_seconds = r.default_ttl_seconds();
  for (const auto& [name, cfg] : r.vectors()) {
    NamedVectorConfig nv;
    nv.name = name;
    nv.dimension = cfg.dimension();
    if (!cfg.distance_metric().empty()) {
      Result<Metric> m = ParseMetric(cfg.distance_metric());
      if (!m.ok()) {
        return Status(
            m.status().code(),
            "vectors." + name + ".distance_metric: " + m.status().message());
      }
      nv.metric = m.value();
    }
    nv.multivector = cfg.multivector();
    if (!cfg.indexing_algorithm().empty()) {
      nv.index.algorithm = cfg.indexing_algorithm();
    }
    if (cfg.has_m()) nv.index.m = cfg.m();
    if (cfg.has_ef_construction()) {
      nv.index.ef_construction = cfg.ef_construction();
    }
    if (cfg.has_ef_search()) nv.index.ef_search = cfg.ef_search();
    if (!cfg.quantization().empty()) nv.index.quantization = cfg.quantization();
    c.vectors.push_back(std::move(nv));
  }
  std::sort(c.vectors.begin(), c.vectors.end(),
            [](const NamedVectorConfig& a, const NamedVectorConfig& b) {
              return a.name < b.name;
            });
  return c;
}

NamedVector DecodeNamed(const pb::NamedVector& v) {
  NamedVector out;
  out.values.assign(v.values().begin(), v.values().end());
  out.matrix = v.rows() != 0;
  out.rows = out.matrix ? v.rows() : 1;
  return out;
}

void EncodeNamedVectors(
    const NamedVectors& v,
    google::protobuf::Map<std::string, pb::NamedVector>* out) {
  for (const auto& [name, nv] : v) {
    pb::NamedVector& o = (*out)[name];
    o.mutable_values()->Assign(nv.values.begin(), nv.values.end());
    if (nv.matrix) o.set_rows(nv.rows);
  }
}

SparseVector DecodeSparse(const pb::SparseVector& v) {
  SparseVector out;
  out.indices.assign(v.indices().begin(), v.indices().end());
  out.values.assign(v.values().begin(), v.values().end());
  return out;
}

void EncodeSparse(const SparseVector& v, pb::SparseVector* out) {
  out->mutable_indices()->Assign(v.indices.begin(), v.indices.end());
  out->mutable_values()->Assign(v.values.begin(), v.values.end());
}

void EncodeSparseVectors(
    const SparseVectors& v,
    google::protobuf::Map<std::string, pb::SparseVector>* out) {
  for (const auto& [name, sv] : v) EncodeSparse(sv, &(*out)[name]);
}

Result<Point> DecodePoint(const pb::Point& p) {
  Point out;
  out.id = p.id();
  out.vector = Floats(p.vector());
  if (p.has_metadata()) {
    PDB_ASSIGN_OR_RETURN(out.metadata, StructToJson(p.metadata()));
  }
  for (const auto& [name, sv] : p.sparse_vectors()) {
    out.sparse_vectors[name] = DecodeSparse(sv);
  }
  for (const auto& [name, nv] : p.vectors()) {
    out.named_vectors[name] = DecodeNamed(nv);
  }
  if (!p.expires_at().empty()) {
    PDB_ASSIGN_OR_RETURN(out.expires_at_micros,
                         ParseExpiryTime(p.expires_at(), "expires_at"));
  }
  return out;
}

std::string EncodeExpiresAt(uint64_t expires_at_micros) {
  return expires_at_micros == 0 ? std::string()
                                : Rfc3339Micros(expires_at_micros);
}

Result<json> DecodeFilter(bool has_filter, const gpb::Struct& s) {
  if (!has_filter) return json();
  return StructToJson(s);
}

Result<SearchRequest> DecodeSearch(const pb::SearchRequest& r) {
  SearchRequest s;
  s.vector = Floats(r.vector());
  s.k = r.has_k() ? r.k() : service::kDefaultK;
  PDB_ASSIGN_OR_RETURN(s.filter, DecodeFilter(r.has_filter(), r.filter()));
  s.include_vector = r.include_vector();
  s.include_metadata = r.has_include_metadata() ? r.include_metadata() : true;
  if (r.has_ef_search()) s.ef_search = r.ef_search();
  if (r.has_nprobe()) s.nprobe = r.nprobe();
  s.exact = r.exact();
  s.explain = r.explain();
  if (r.has_consistency()) {
    PDB_ASSIGN_OR_RETURN(s.consistency,
                         service::ParseReadConsistency(r.consistency()));
  }
  if (r.has_id()) {
    if (r.id().empty()) {
      return Status::InvalidArgument("field 'id' must be 1.." +
                                     std::to_string(kMaxIdBytes) + " bytes");
    }
    s.point_id = r.id();
  }
  s.offset = r.offset();
  if (r.has_score_threshold()) s.score_threshold = r.score_threshold();
  if (r.has_group_by()) {
    if (r.group_by().empty()) {
      return Status::InvalidArgument("field 'group_by' must not be empty");
    }
    s.group_by = r.group_by();
  }
  if (r.has_group_size()) s.group_size = r.group_size();
  if (r.has_using_()) {
    if (r.using_().empty()) {
      return Status::InvalidArgument(
          "field 'using' must name one of the collection's vectors (leave "
          "it out for the main vector)");
    }
    s.using_vector = r.using_();
    s.vector_rows = r.vector_rows();
  } else if (r.vector_rows() != 0) {
    return Status::InvalidArgument(
        "field 'vector_rows' needs 'using' (a multivector name)");
  }
  return s;
}

Result<RecommendRequest> DecodeRecommend(const pb::RecommendRequest& r) {
  RecommendRequest out;
  for (bool positive : {true, false}) {
    const auto& in = positive ? r.positive() : r.negative();
    auto& list = positive ? out.positive : out.negative;
    for (const pb::RecommendExample& e : in) {
      list.push_back(RecommendExample{e.id(), Floats(e.vector())});
    }
  }
  if (r.has_strategy()) {
    PDB_ASSIGN_OR_RETURN(out.strategy, ParseRecommendStrategy(r.strategy()));
  }
  PDB_ASSIGN_OR_RETURN(out.query, DecodeSearch(r.query()));
  return out;
}

Result<service::QueryRequest> DecodeQuery(const pb::QueryRequest& r) {
  using service::QueryPrefetch;
  service::QueryRequest out;
  for (int i = 0; i < r.prefetch_size(); ++i) {
    const pb::QueryPrefetch& in = r.prefetch(i);
    const std::string where = "prefetch[" + std::to_string(i) + "]";
    const int kinds =
        (in.vector_size() > 0) + in.has_text() + in.has_sparse_vector();
    if (kinds != 1) {
      return Status::InvalidArgument(
          where + " must hold exactly one of vector, text and sparse_vector");
    }
    QueryPrefetch p;
    if (in.has_text()) {
      p.kind = QueryPrefetch::Kind::kText;
      p.text = in.text();
    } else if (in.has_sparse_vector()) {
      p.kind = QueryPrefetch::Kind::kSparse;
      p.sparse = DecodeSparse(in.sparse_vector());
    } else {
      p.vector = Floats(in.vector());
      p.vector_rows = in.vector_rows();
    }
    p.using_ = in.using_();
    if (in.has_limit()) {
      if (in.limit() < 1) {
        return Status::InvalidArgument(where + ".limit must be in 1.." +
                                       std::to_string(kMaxK) + ", got 0");
      }
      p.limit = in.limit();
    }
    PDB_ASSIGN_OR_RETURN(p.filter, DecodeFilter(in.has_filter(), in.filter()));
    if (in.has_ef_search()) p.ef_search = in.ef_search();
    out.prefetch.push_back(std::move(p));
  }
  if (r.has_fusion()) {
    PDB_ASSIGN_OR_RETURN(out.fusion, service::ParseFusion(r.fusion()));
  }
  if (r.has_rrf_k()) out.rrf_k = r.rrf_k();
  if (r.has_limit()) out.limit = r.limit();
  out.rescore = Floats(r.rescore_vector());
  out.include_vector = r.include_vector();
  if (r.has_include_metadata()) out.include_metadata = r.include_metadata();
  if (r.has_consistency()) {
    PDB_ASSIGN_OR_RETURN(out.consistency,
                         service::ParseReadConsistency(r.consistency()));
  }
  return out;
}

Result<ScrollRequest> DecodeScroll(const pb::ScrollRequest& r) {
  ScrollRequest s;
  s.after_id = r.after_id();
  if (r.has_limit()) s.limit = r.limit();
  PDB_ASSIGN_OR_RETURN(s.filter, DecodeFilter(r.has_filter(), r.filter()));
  s.include_vector = r.include_vector();
  if (r.has_consistency()) {
    PDB_ASSIGN_OR_RETURN(s.consistency,
                         service::ParseReadConsistency(r.consistency()));
  }
  if (r.has_order_by()) {
    ScrollOrder order;
    order.key = r.order_by().key();
    if (order.key.empty()) {
      return Status::InvalidArgument("missing required field 'order_by.key'");
    }
    if (r.order_by().has_direction()) {
      PDB_ASSIGN_OR_RETURN(order.descending, service::ParseScrollDescending(
                                                 r.order_by().direction()));
    }
    s.order_by = std::move(order);
  }
  if (r.has_after_value()) s.after_value = r.after_value();
  return s;
}

Result<FacetRequest> DecodeFacet(const pb::FacetRequest& r) {
  FacetRequest f;
  f.key = r.key();
  if (f.key.empty())
    return Status::InvalidArgument("missing required field 'key'");
  PDB_ASSIGN_OR_RETURN(f.filter, DecodeFilter(r.has_filter(), r.filter()));
  if (r.has_limit()) f.limit = r.limit();
  if (r.has_consistency()) {
    PDB_ASSIGN_OR_RETURN(f.consistency,
                         service::ParseReadConsistency(r.consistency()));
  }
  return f;
}

namespace {

void EncodeTiers(const CollectionInfo& info, pb::Tiers* out) {
  pb::TierTotals* dst[3] = {out->mutable_hot(), out->mutable_warm(),
                            out->mutable_cold()};
  for (size_t i = 0; i < 3; ++i) {
    dst[i]->set_segments(info.tiers[i].segments);
    dst[i]->set_bytes(info.tiers[i].bytes);
    dst[i]->set_points(info.tiers[i].points);
  }
}

}  // namespace

void EncodeCollection(const CollectionInfo& info, const FlushDefaults& d,
                      const TieringDefaults& t, pb::CollectionInfo* out) {
  EncodeCollection(info, d, out);
  EffectiveTieringPolicy e = Resolve(info.config.tiering, t);
  pb::TieringPolicy* tp = out->mutable_tiering();
  tp->set_warm_after_hours(e.warm_after_hours);
  tp->set_cold_after_hours(e.cold_after_hours);
  tp->set_warm_directory(e.warm_directory);
  tp->set_cache_mb(e.cache_mb);
  tp->set_wal_archive(e.wal_archive);
}

void EncodeSegment(const SegmentInfo& s, pb::SegmentInfo* out) {
  out->set_id(s.id);
  out->set_tier(std::string(TierName(s.tier)));
  out->set_points(s.points);
  out->set_live_points(s.live_points);
  out->set_bytes(s.bytes);
  out->set_directory(s.directory);
  out->set_min_seq(s.min_seq);
  out->set_max_seq(s.max_seq);
  out->set_graph_loaded(s.graph_loaded);
  out->set_cached(s.cached);
  out->set_newest_write_unix_ms(s.newest_write_unix_ms);
  out->set_compressed(s.compressed);
  out->set_unpacked_bytes(s.unpacked_bytes);
}

void EncodeCollection(const CollectionInfo& info, const FlushDefaults& d,
                      pb::CollectionInfo* out) {
  const CollectionConfig& c = info.config;
  out->set_name(c.name);
  out->set_dimension(c.dimension);
  out->set_distance_metric(std::string(MetricName(c.metric)));
  out->set_indexing_algorithm(c.index.algorithm);
  out->set_m(c.index.m);
  out->set_ef_construction(c.index.ef_construction);
  out->set_ef_search(c.index.ef_search);
  out->set_quantization(c.index.quantization);
  out->set_storage_strategy(c.storage_strategy);
  out->set_memtable(c.memtable);
  out->set_compression(c.compression);
  out->set_state(std::string(CollectionStateName(info.state)));
  out->set_state_message(info.state_message);
  out->set_nlist(c.index.nlist);
  out->set_nprobe(c.index.nprobe);
  EncodeColumns(c.filterable_columns, out->mutable_filterable_columns());
  EffectiveFlushPolicy f = Resolve(c.flush, d);
  pb::FlushPolicy* fp = out->mutable_flush_policy();
  fp->set_max_wal_age_hours(f.max_wal_age_hours);
  fp->set_max_wal_size_mb(f.max_wal_size_mb);
  fp->set_max_vector_count(f.max_vector_count);
  fp->set_flush_priority(f.flush_priority);
  fp->set_enable_background_flush(f.enable_background_flush);
  out->set_wal_format(std::string(WalFormatName(c.wal_format)));
  out->set_point_count(info.point_count);
  out->set_segment_count(info.segment_count);
  out->set_created_at(info.created_at_unix_ms);
  for (const PayloadIndexDef& d : info.payload_indexes) {
    pb::PayloadIndex* p = out->add_payload_indexes();
    p->set_field(d.field);
    p->set_type(std::string(PayloadIndexTypeName(d.type)));
  }
  EncodeTiers(info, out->mutable_tiers());
  out->set_shard_count(service::EffectiveClusterValue(c.shard_count));
  out->set_replication_factor(
      service::EffectiveClusterValue(c.replication_factor));
  for (const std::string& name : c.sparse_vectors) {
    (*out->mutable_sparse_vectors())[name];
  }
  out->set_default_ttl_seconds(c.default_ttl_seconds);
  for (const NamedVectorConfig& v : c.vectors) {
    pb::NamedVectorConfig& o = (*out->mutable_vectors())[v.name];
    o.set_dimension(v.dimension);
    o.set_distance_metric(std::string(MetricName(v.metric)));
    o.set_multivector(v.multivector);
    o.set_indexing_algorithm(v.index.algorithm);
    o.set_m(v.index.m);
    o.set_ef_construction(v.index.ef_construction);
    o.set_ef_search(v.index.ef_search);
    o.set_quantization(v.index.quantization);
  }
}

void EncodeStoredPoint(const StoredPoint& p, bool include_vector,
                       pb::Point* out) {
  out->set_id(p.id);
  if (include_vector) {
    out->mutable_vector()->Assign(p.vector.begin(), p.vector.end());
    EncodeSparseVectors(p.sparse_vectors, out->mutable_sparse_vectors());
    EncodeNamedVectors(p.named_vectors, out->mutable_vectors());
  }
  JsonToStruct(p.metadata.is_null() ? json::object() : p.metadata,
               out->mutable_metadata());
  out->set_expires_at(EncodeExpiresAt(p.expires_at_micros));
}

namespace {

void EncodeHits(const std::vector<SearchHit>& hits, const SearchRequest& req,
                google::protobuf::RepeatedPtrField<pb::SearchMatch>* out) {
  for (const SearchHit& hit : hits) {
    pb::SearchMatch* m = out->Add();
    m->set_id(hit.id);
    m->set_score(hit.score);
    if (req.include_metadata) {
      JsonToStruct(hit.metadata.is_null() ? json::object() : hit.metadata,
                   m->mutable_metadata());
    }
    if (req.include_vector) {
      m->mutable_vector()->Assign(hit.vector.begin(), hit.vector.end());
      EncodeSparseVectors(hit.sparse_vectors, m->mutable_sparse_vectors());
      EncodeNamedVectors(hit.named_vectors, m->mutable_vectors());
    }
  }
}

}  // namespace

void EncodeSearchResult(const SearchResult& r, const SearchRequest& req,
                        pb::SearchResponse* out) {
  if (r.groups) {
    for (const SearchGroup& g : *r.groups) {
      pb::PointGroup* pg = out->add_groups();
      JsonToValue(g.id, pg->mutable_id());
      EncodeHits(g.hits, req, pg->mutable_hits());
    }
    out->set_total_count(r.groups->size());
  } else {
    EncodeHits(r.hits, req, out->mutable_matches());
    out->set_total_count(r.hits.size());
  }
  if (req.explain) {
    pb::SearchExplain* e = out->mutable_explain();
    for (const SourcePlan& p : r.explain) {
      pb::SourcePlan* s = e->add_sources();
      s->set_source(p.source);
      s->set_segment_id(p.segment_id);
      s->set_rows(p.rows);
      s->set_strategy(p.strategy);
      s->set_estimated_matches(p.estimated_matches);
      s->set_candidates(p.candidates);
      s->set_matches(p.matches);
      s->set_ef(p.ef);
      s->set_distances_computed(p.distances_computed);
    }
    e->set_distances_computed(r.stats.distances_computed);
    e->set_nodes_visited(r.stats.nodes_visited);
    e->set_partitions_pruned(r.stats.partitions_pruned);
  }
}

void EncodeScrollPage(const ScrollPage& page, bool include_vector,
                      pb::ScrollResponse* out) {
  for (const StoredPoint& p : page.points) {
    EncodeStoredPoint(p, include_vector, out->add_points());
  }
  if (!page.next_after_id.empty()) out->set_next_after_id(page.next_after_id);
  if (page.next_after_value) out->set_next_after_value(*page.next_after_value);
}

void EncodeFacet(const FacetResult& r, pb::FacetResponse* out) {
  for (const FacetValue& v : r.values) {
    pb::FacetValue* fv = out->add_values();
    JsonToValue(v.value, fv->mutable_value());
    fv->set_count(v.count);
  }
}

LayoutSettings DecodeLayout(const pb::Layout& l) {
  LayoutSettings out;
  if (!l.storage_strategy().empty())
    out.storage_strategy = l.storage_strategy();
  if (!l.memtable().empty()) out.memtable = l.memtable();
  if (!l.compression().empty()) out.compression = l.compression();
  IndexConfig& i = out.index;
  if (!l.indexing_algorithm().empty()) i.algorithm = l.indexing_algorithm();
  if (l.has_m()) i.m = l.m();
  if (l.has_ef_construction()) i.ef_construction = l.ef_construction();
  if (l.has_ef_search()) i.ef_search = l.ef_search();
  if (!l.quantization().empty()) i.quantization = l.quantization();
  if (l.has_nlist()) i.nlist = l.nlist();
  if (l.has_nprobe()) i.nprobe = l.nprobe();
  out.filterable_columns = DecodeColumns(l.filterable_columns());
  ApplyStrategyDefaults({.memtable = !l.memtable().empty(),
                         .algorithm = !l.indexing_algorithm().empty(),
                         .quantization = !l.quantization().empty(),
                         .compression = !l.compression().empty()},
                        out.storage_strategy, &out.index, &out.memtable,
                        &out.compression);
  return out;
}

namespace {

void EncodeLayout(const LayoutSettings& l, pb::Layout* out) {
  out->set_storage_strategy(l.storage_strategy);
  out->set_memtable(l.memtable);
  out->set_compression(l.compression);
  out->set_indexing_algorithm(l.index.algorithm);
  out->set_m(l.index.m);
  out->set_ef_construction(l.index.ef_construction);
  out->set_ef_search(l.index.ef_search);
  out->set_quantization(l.index.quantization);
  out->set_nlist(l.index.nlist);
  out->set_nprobe(l.index.nprobe);
  EncodeColumns(l.filterable_columns, out->mutable_filterable_columns());
}

}  // namespace

void EncodeMigration(const MigrationStatus& m, pb::Migration* out) {
  const MigrationRecord& r = m.record;
  out->set_id(r.id);
  out->set_state(r.state);
  out->set_started_unix_ms(r.started_unix_ms);
  out->set_finished_unix_ms(r.finished_unix_ms);
  out->set_error(r.error);
  EncodeLayout(r.from, out->mutable_from());
  EncodeLayout(r.to, out->mutable_to());
  out->set_segments_done(m.segments_done);
  out->set_segments_total(m.segments_total);
  out->set_points_done(m.points_done);
  out->set_points_total(m.points_total);
  out->set_eta_seconds(m.eta_seconds);
}

void EncodeStats(const CollectionInfo& info, pb::CollectionStatsResponse* out) {
  if (info.migration)
    EncodeMigration(*info.migration, out->mutable_migration());
  out->set_name(info.config.name);
  out->set_point_count(info.point_count);
  out->set_segment_count(info.segment_count);
  out->set_memtable_points(info.memtable_points);
  out->set_wal_bytes(info.wal_bytes);
  out->set_oldest_unflushed_age_seconds(info.oldest_unflushed_age_seconds);
  out->set_last_sequence(info.last_sequence);
  EncodeTiers(info, out->mutable_tiers());
  const TieringCounters& c = info.tiering;
  pb::TieringCounters* t = out->mutable_tiering();
  t->set_moves(c.moves);
  t->set_move_failures(c.move_failures);
  t->set_uploads(c.uploads);
  t->set_upload_bytes(c.upload_bytes);
  t->set_downloads(c.downloads);
  t->set_download_bytes(c.download_bytes);
  t->set_retries(c.retries);
  t->set_failures(c.failures);
  t->set_cache_hits(c.cache_hits);
  t->set_cache_misses(c.cache_misses);
  t->set_cache_evictions(c.cache_evictions);
  t->set_cache_bytes(c.cache_bytes);
  if (info.recall) {
    const RecallEstimate& r = *info.recall;
    pb::RecallEstimate* e = out->mutable_recall_estimate();
    e->set_recall(r.recall);
    e->set_samples(r.samples);
    e->set_ci_lower(r.ci_lower);
    e->set_ci_upper(r.ci_upper);
    e->set_samples_total(r.samples_total);
    e->set_dropped_total(r.dropped_total);
  }
  const BackgroundIo& b = info.background_io;
  pb::BackgroundIo* io = out->mutable_background_io();
  io->set_budget_bytes_per_s(b.budget_bytes_per_s);
  for (const auto& [kind, bytes] : b.bytes_written) {
    (*io->mutable_bytes_written())[kind] = bytes;
  }
  io->set_throttled_seconds(b.throttled_seconds);
  {
    pb::MemoryUsage* m = out->mutable_memory();
    m->set_memtables(info.memory.memtables);
    m->set_graphs(info.memory.graphs);
    m->set_payload_indexes(info.memory.payload_indexes);
    m->set_unpacked_segments(info.memory.unpacked_segments);
    m->set_total(info.memory.total());
  }
  if (info.recovery) {
    pb::RecoveryInfo* r = out->mutable_recovery();
    r->set_seconds(info.recovery->seconds);
    r->set_wal_records(info.recovery->wal_records);
    r->set_wal_bytes(info.recovery->wal_bytes);
  }
  for (const BackgroundTask& t : b.tasks) {
    pb::BackgroundTask* task = io->add_tasks();
    task->set_kind(t.kind);
    task->set_segments(t.segments);
    task->set_bytes_done(t.bytes_done);
    task->set_bytes_total(t.bytes_total);
    task->set_seconds(t.seconds);
    task->set_eta_seconds(t.eta_seconds);
  }
}

void EncodePayloadIndexes(const std::string& collection,
                          const std::vector<PayloadIndexDef>& defs,
                          pb::PayloadIndexesResponse* out) {
  out->set_name(collection);
  for (const PayloadIndexDef& d : defs) {
    pb::PayloadIndex* p = out->add_payload_indexes();
    p->set_field(d.field);
    p->set_type(std::string(PayloadIndexTypeName(d.type)));
  }
}

Result<std::vector<AliasAction>> DecodeAliasActions(
    const pb::UpdateAliasesRequest& r) {
  std::vector<AliasAction> out;
  out.reserve(r.actions_size());
  for (int i = 0; i < r.actions_size(); ++i) {
    const pb::AliasAction& a = r.actions(i);
    AliasAction action;
    switch (a.action_case()) {
      case pb::AliasAction::kCreateAlias:
        action.kind = AliasAction::Kind::kCreate;
        action.alias = a.create_alias().alias();
        action.collection = a.create_alias().collection();
        break;
      case pb::AliasAction::kDeleteAlias:
        action.kind = AliasAction::Kind::kDelete;
        action.alias = a.delete_alias().alias();
        break;
      default:
        return Status::InvalidArgument(
            "actions[" + std::to_string(i) +
            "]: must set one of create_alias or delete_alias");
    }
    out.push_back(std::move(action));
  }
  return out;
}

void EncodeAliases(const std::vector<AliasInfo>& aliases,
                   pb::AliasesResponse* out) {
  for (const AliasInfo& a : aliases) {
    pb::Alias* o = out->add_aliases();
    o->set_alias(a.alias);
    o->set_collection(a.collection);
  }
}

void EncodeRestoreResult(const RestoreResult& r,
                         pb::RestoreSnapshotResponse* out) {
  out->set_collection(r.collection);
  out->set_snapshot(r.snapshot_id);
  out->set_sequence(r.sequence);
  out->set_points(r.points);
  out->set_files(r.files);
  out->set_bytes(r.bytes);
  out->set_snapshot_sequence(r.snapshot_sequence);
  out->set_wal_records(r.wal_records);
  if (r.sequence_time_micros != 0) {
    out->set_sequence_time(Rfc3339Micros(r.sequence_time_micros));
  }
}

void EncodeSnapshot(const SnapshotInfo& s, bool with_files, pb::Snapshot* out) {
  out->set_id(s.id);
  out->set_target(s.target);
  out->set_kind(s.kind);
  out->set_sequence(s.sequence);
  out->set_created_at(s.created_at_unix_ms);
  out->set_size_bytes(s.size_bytes);
  out->set_uploaded_bytes(s.uploaded_bytes);
  out->set_format_version(s.format_version);
  out->set_server_version(s.server_version);
  for (const SnapshotCollectionInfo& c : s.collections) {
    pb::SnapshotCollection* o = out->add_collections();
    o->set_name(c.name);
    o->set_sequence(c.sequence);
    o->set_points(c.points);
    if (!with_files) continue;
    for (const SnapshotFileInfo& f : c.files) {
      pb::SnapshotFile* fo = o->add_files();
      fo->set_name(f.name);
      fo->set_role(f.role);
      fo->set_size(f.size);
      fo->set_crc32c(f.crc32c);
    }
  }
}

void EncodeClusterInfo(const ClusterInfo& info, pb::ClusterInfo* out) {
  out->set_enabled(info.enabled);
  out->set_node_id(info.node_id);
  for (const ClusterNodeInfo& n : info.nodes) {
    pb::ClusterNodeInfo* o = out->add_nodes();
    o->set_node_id(n.node_id);
    o->set_rest_address(n.rest_address);
    o->set_grpc_address(n.grpc_address);
    o->set_alive(n.alive);
    o->set_draining(n.draining);
    o->set_replicas(n.replicas);
    o->set_rest_url(n.rest_url);
  }
  for (const ClusterShardInfo& s : info.shards) {
    pb::ClusterShardInfo* o = out->add_shards();
    o->set_collection(s.collection);
    o->set_shard(s.shard);
    o->set_stream(s.stream);
    o->set_primary(s.primary);
    o->set_fencing_token(s.fencing_token);
    o->set_last_seq(s.last_seq);
    o->set_lag(s.lag);
    o->set_first_seq(s.first_seq);
    o->set_snapshot_id(s.snapshot_id);
    o->set_snapshot_node(s.snapshot_node);
    o->set_snapshot_seq(s.snapshot_seq);
    o->set_snapshot_unix_ms(s.snapshot_unix_ms);
    for (const ClusterReplicaInfo& r : s.replicas) {
      pb::ClusterReplicaInfo* ro = o->add_replicas();
      ro->set_node_id(r.node_id);
      ro->set_primary(r.primary);
      ro->set_reported(r.reported);
      ro->set_applied_seq(r.applied_seq);
      ro->set_lag(r.lag);
      ro->set_state(r.state);
    }
  }
}

}  // namespace proximadb::grpc_api
