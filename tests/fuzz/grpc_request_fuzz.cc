// Fuzz target: gRPC request decoding: bytes -> the generated request
// message -> the proto_codec conversion into service types
// (api/grpc/proto_codec.h), as the gRPC service does before validating.
//
// Input: one byte choosing the request type, then the message bytes.
// Invariants, per request that protobuf parses:
//   * points: DecodePoint refuses exactly the Structs holding a non-finite
//     number; what it accepts encodes back (EncodeStoredPoint) into the
//     same message (ids, floats bit for bit, Struct values), and its JSON
//     survives the REST parser (what gRPC stores, REST reads);
//   * filters (search, scroll, count, delete): decode, and Filter::Parse
//     answers OK or kInvalidArgument;
//   * search/scroll: the documented defaults (k 10, include_metadata true,
//     limit 100) and the request's own fields come through;
//   * create collection: gRPC and REST accept the same configurations (the
//     same request as a REST body) and decode them to the same one, which
//     EncodeCollection reports back field for field.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include "api/grpc/proto_codec.h"
#include "filter/filter.h"
#include "fuzz_util.h"
#include "service/json_codec.h"
#include "util/time_format.h"

namespace proximadb::fuzz {
namespace {

using nlohmann::json;
namespace gpb = google::protobuf;
namespace pb = proximadb::v1;
using grpc_api::DecodeCreateCollection;
using grpc_api::DecodeFilter;
using grpc_api::DecodePoint;
using grpc_api::DecodeQuery;
using grpc_api::DecodeScroll;
using grpc_api::DecodeSearch;

bool AllFinite(const gpb::Value& v);
bool AllFinite(const gpb::Struct& s) {
  for (const auto& [k, v] : s.fields()) {
    if (!AllFinite(v)) return false;
  }
  return true;
}
bool AllFinite(const gpb::Value& v) {
  switch (v.kind_case()) {
    case gpb::Value::kNumberValue:
      return std::isfinite(v.number_value());
    case gpb::Value::kStructValue:
      return AllFinite(v.struct_value());
    case gpb::Value::kListValue:
      for (const gpb::Value& e : v.list_value().values()) {
        if (!AllFinite(e)) return false;
      }
      return true;
    default:
      return true;
  }
}

// A Value with no kind set, or a null_value of a number proto3 lets through
// (the enum is open), decodes as JSON null and comes back as NULL_VALUE:
// the same thing to every reader.
void NullForUnset(gpb::Struct* s);
void NullForUnset(gpb::Value* v) {
  switch (v->kind_case()) {
    case gpb::Value::KIND_NOT_SET:
    case gpb::Value::kNullValue:
      v->set_null_value(gpb::NULL_VALUE);
      break;
    case gpb::Value::kStructValue:
      NullForUnset(v->mutable_struct_value());
      break;
    case gpb::Value::kListValue:
      for (gpb::Value& e : *v->mutable_list_value()->mutable_values()) {
        NullForUnset(&e);
      }
      break;
    default:
      break;
  }
}
void NullForUnset(gpb::Struct* s) {
  for (auto& [k, v] : *s->mutable_fields()) NullForUnset(&v);
}

bool SameFloats(const gpb::RepeatedField<float>& a,
                const std::vector<float>& b) {
  return static_cast<size_t>(a.size()) == b.size() &&
         (b.empty() || std::memcmp(a.data(), b.data(), b.size() * 4) == 0);
}

// JSON text of `j` read back by the REST parser.
void CheckRestReads(const json& j) {
  const std::string text = j.dump();
  auto back = service::ParseJsonBody(text);
  FUZZ_CHECK(back.ok(), back.status(), text);
  FUZZ_CHECK(*back == j, "REST reads gRPC metadata differently", text);
}

void CheckPoint(const pb::Point& p) {
  Result<Point> d = DecodePoint(p);
  // An expiry time is refused exactly when the one RFC 3339 parser refuses
  // it.
  const bool time_ok =
      p.expires_at().empty() || ParseRfc3339(p.expires_at(), "expires_at").ok();
  FUZZ_CHECK(
      d.ok() == ((!p.has_metadata() || AllFinite(p.metadata())) && time_ok),
      d.status());
  if (!d.ok()) {
    FUZZ_CHECK(d.status().code() == StatusCode::kInvalidArgument, d.status());
    return;
  }
  FUZZ_CHECK(d->id == p.id() && SameFloats(p.vector(), d->vector));
  FUZZ_CHECK(d->metadata.is_object());
  CheckRestReads(d->metadata);
  StoredPoint stored{d->id,
                     d->vector,
                     d->metadata,
                     0,
                     d->sparse_vectors,
                     d->named_vectors,
                     d->expires_at_micros};
  pb::Point back;
  grpc_api::EncodeStoredPoint(stored, /*include_vector=*/true, &back);
  pb::Point want = p;
  if (!want.has_metadata()) want.mutable_metadata();  // encoded as {}
  want.DiscardUnknownFields();                        // not ours to keep
  NullForUnset(want.mutable_metadata());
  // Times come back in the one form the server writes.
  if (!want.expires_at().empty()) {
    want.set_expires_at(grpc_api::EncodeExpiresAt(d->expires_at_micros));
  }
  // Floats are compared bit for bit above; here NaN must equal NaN.
  gpb::util::DefaultFieldComparator floats;
  floats.set_treat_nan_as_equal(true);
  gpb::util::MessageDifferencer diff;
  diff.set_field_comparator(&floats);
  FUZZ_CHECK(diff.Compare(back, want), "point changed through decode/encode",
             p.ShortDebugString());
}

void CheckFilter(bool has, const gpb::Struct& s) {
  Result<json> f = DecodeFilter(has, s);
  FUZZ_CHECK(f.ok() == (!has || AllFinite(s)), f.status());
  if (!f.ok()) return;
  if (has) FUZZ_CHECK(f->is_object());
  Result<filter::Filter> compiled = filter::Filter::Parse(*f);
  FUZZ_CHECK(
      compiled.ok() || compiled.status().code() == StatusCode::kInvalidArgument,
      compiled.status());
}

void CheckSearch(const pb::SearchRequest& r) {
  CheckFilter(r.has_filter(), r.filter());
  Result<SearchRequest> s = DecodeSearch(r);
  if (!s.ok()) return;
  FUZZ_CHECK(SameFloats(r.vector(), s->vector));
  FUZZ_CHECK(s->k == (r.has_k() ? r.k() : service::kDefaultK));
  FUZZ_CHECK(s->include_metadata ==
             (r.has_include_metadata() ? r.include_metadata() : true));
  FUZZ_CHECK(s->ef_search.has_value() == r.has_ef_search());
  FUZZ_CHECK(s->include_vector == r.include_vector() && s->exact == r.exact() &&
             s->explain == r.explain());
}

// A hybrid query: each prefetch decoded as sent (one kind, its vector or
// text, its filter compiled or refused), or the whole request refused.
void CheckQuery(const pb::QueryRequest& r) {
  for (const pb::QueryPrefetch& p : r.prefetch()) {
    CheckFilter(p.has_filter(), p.filter());
  }
  Result<service::QueryRequest> q = DecodeQuery(r);
  if (!q.ok()) {
    FUZZ_CHECK(q.status().code() == StatusCode::kInvalidArgument, q.status());
    return;
  }
  FUZZ_CHECK(q->prefetch.size() == static_cast<size_t>(r.prefetch_size()));
  for (int i = 0; i < r.prefetch_size(); ++i) {
    const pb::QueryPrefetch& in = r.prefetch(i);
    const service::QueryPrefetch& out = q->prefetch[i];
    if (in.has_text()) {
      FUZZ_CHECK(out.kind == service::QueryPrefetch::Kind::kText &&
                 out.text == in.text() && in.vector_size() == 0 &&
                 !in.has_sparse_vector());
    } else if (in.has_sparse_vector()) {
      const auto& sv = in.sparse_vector();
      FUZZ_CHECK(out.kind == service::QueryPrefetch::Kind::kSparse &&
                 in.vector_size() == 0 &&
                 out.sparse.indices.size() ==
                     static_cast<size_t>(sv.indices_size()) &&
                 std::equal(sv.indices().begin(), sv.indices().end(),
                            out.sparse.indices.begin()) &&
                 SameFloats(sv.values(), out.sparse.values));
    } else {
      FUZZ_CHECK(out.kind == service::QueryPrefetch::Kind::kVector &&
                 SameFloats(in.vector(), out.vector) && !out.vector.empty());
    }
    FUZZ_CHECK(out.limit == (in.has_limit() ? in.limit() : 0u));
  }
  FUZZ_CHECK(SameFloats(r.rescore_vector(), q->rescore));
  FUZZ_CHECK(q->limit == (r.has_limit() ? r.limit() : 10u));
}

void CheckScroll(const pb::ScrollRequest& r) {
  CheckFilter(r.has_filter(), r.filter());
  Result<ScrollRequest> s = DecodeScroll(r);
  if (!s.ok()) return;
  FUZZ_CHECK(s->after_id == r.after_id());
  FUZZ_CHECK(s->limit == (r.has_limit() ? r.limit() : 100u));
  FUZZ_CHECK(s->include_vector == r.include_vector());
}

// The same request as a REST body: only the fields the client set.
json AsRestBody(const pb::CreateCollectionRequest& r) {
  json b = {{"name", r.name()}, {"dimension", r.dimension()}};
  if (!r.distance_metric().empty()) b["distance_metric"] = r.distance_metric();
  if (!r.indexing_algorithm().empty()) {
    b["indexing_algorithm"] = r.indexing_algorithm();
  }
  if (r.has_m()) b["m"] = r.m();
  if (r.has_ef_construction()) b["ef_construction"] = r.ef_construction();
  if (r.has_ef_search()) b["ef_search"] = r.ef_search();
  if (!r.quantization().empty()) b["quantization"] = r.quantization();
  if (!r.wal_format().empty()) b["wal_format"] = r.wal_format();
  if (r.has_tiering()) {
    const pb::TieringPolicy& t = r.tiering();
    json tp = json::object();
    if (t.has_warm_after_hours()) tp["warm_after_hours"] = t.warm_after_hours();
    if (t.has_cold_after_hours()) tp["cold_after_hours"] = t.cold_after_hours();
    if (t.has_warm_directory()) tp["warm_directory"] = t.warm_directory();
    if (t.has_cache_mb()) tp["cache_mb"] = t.cache_mb();
    if (t.has_wal_archive()) tp["wal_archive"] = t.wal_archive();
    b["tiering"] = tp;
  }
  // 0 is "unset" in proto3 and "the node's default" in JSON alike.
  if (r.shard_count() != 0) b["shard_count"] = r.shard_count();
  if (r.replication_factor() != 0) {
    b["replication_factor"] = r.replication_factor();
  }
  if (!r.sparse_vectors().empty()) {
    json names = json::object();
    for (const auto& [name, cfg] : r.sparse_vectors()) {
      names[name] = json::object();
    }
    b["sparse_vectors"] = names;
  }
  if (r.default_ttl_seconds() != 0) {
    b["default_ttl_seconds"] = r.default_ttl_seconds();
  }
  if (!r.vectors().empty()) {
    json named = json::object();
    for (const auto& [name, cfg] : r.vectors()) {
      json one = {{"dimension", cfg.dimension()}};
      if (!cfg.distance_metric().empty()) {
        one["distance_metric"] = cfg.distance_metric();
      }
      if (cfg.multivector()) one["multivector"] = true;
      json index = json::object();
      if (!cfg.indexing_algorithm().empty()) {
        index["indexing_algorithm"] = cfg.indexing_algorithm();
      }
      if (cfg.has_m()) index["m"] = cfg.m();
      if (cfg.has_ef_construction()) {
        index["ef_construction"] = cfg.ef_construction();
      }
      if (cfg.has_ef_search()) index["ef_search"] = cfg.ef_search();
      if (!cfg.quantization().empty())
        index["quantization"] = cfg.quantization();
      if (!index.empty()) one["index"] = index;
      named[name] = one;
    }
    b["vectors"] = named;
  }
  if (r.has_flush_policy()) {
    const pb::FlushPolicy& f = r.flush_policy();
    json fp = json::object();
    if (f.has_max_wal_age_hours())
      fp["max_wal_age_hours"] = f.max_wal_age_hours();
    if (f.has_max_wal_size_mb()) fp["max_wal_size_mb"] = f.max_wal_size_mb();
    if (f.has_max_vector_count()) fp["max_vector_count"] = f.max_vector_count();
    if (f.has_flush_priority()) fp["flush_priority"] = f.flush_priority();
    if (f.has_enable_background_flush()) {
      fp["enable_background_flush"] = f.enable_background_flush();
    }
    b["flush_policy"] = fp;
  }
  return b;
}

bool SameConfig(const CollectionConfig& a, const CollectionConfig& b) {
  return a.name == b.name && a.dimension == b.dimension &&
         a.metric == b.metric && a.index.algorithm == b.index.algorithm &&
         a.index.m == b.index.m &&
         a.index.ef_construction == b.index.ef_construction &&
         a.index.ef_search == b.index.ef_search &&
         a.index.quantization == b.index.quantization &&
         a.wal_format == b.wal_format && a.shard_count == b.shard_count &&
         a.replication_factor == b.replication_factor &&
         a.tiering == b.tiering && a.sparse_vectors == b.sparse_vectors &&
         a.vectors == b.vectors &&
         a.default_ttl_seconds == b.default_ttl_seconds &&
         a.flush.max_wal_age_hours == b.flush.max_wal_age_hours &&
         a.flush.max_wal_size_mb == b.flush.max_wal_size_mb &&
         a.flush.max_vector_count == b.flush.max_vector_count &&
         a.flush.flush_priority == b.flush.flush_priority &&
         a.flush.enable_background_flush == b.flush.enable_background_flush;
}

void CheckCreate(const pb::CreateCollectionRequest& r) {
  Result<CollectionConfig> g = DecodeCreateCollection(r);
  Status grpc_ok = g.ok() ? ValidateCollectionConfig(*g) : g.status();
  const json body = AsRestBody(r);
  Result<CollectionConfig> rest = service::ParseCreateCollection(body);
  FUZZ_CHECK(grpc_ok.ok() == rest.ok(), "gRPC and REST disagree",
             grpc_ok.ok() ? rest.status() : grpc_ok, body.dump());
  if (!rest.ok()) return;
  FUZZ_CHECK(SameConfig(*g, *rest), "gRPC and REST decode differently",
             body.dump());
  CollectionInfo info;
  info.config = *g;
  pb::CollectionInfo out;
  grpc_api::EncodeCollection(info, FlushDefaults{}, &out);
  FUZZ_CHECK(out.name() == g->name && out.dimension() == g->dimension &&
             out.distance_metric() == MetricName(g->metric) &&
             out.indexing_algorithm() == g->index.algorithm &&
             out.m() == g->index.m &&
             out.ef_construction() == g->index.ef_construction &&
             out.ef_search() == g->index.ef_search &&
             out.quantization() == g->index.quantization &&
             out.wal_format() == WalFormatName(g->wal_format));
}

template <typename M>
bool Parse(std::string_view in, M* m) {
  return m->ParseFromArray(in.data(), static_cast<int>(in.size()));
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Every invalid UTF-8 string would log an error line; parse failures are
  // expected here by the thousand.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb::fuzz;
  std::string_view in = AsView(data, size);
  const uint8_t kind = TakeFlags(&in);
  switch (kind % 9) {
    case 0: {
      pb::UpsertRequest r;
      if (Parse(in, &r)) CheckPoint(r.point());
      break;
    }
    case 1: {
      pb::BatchUpsertRequest r;
      if (Parse(in, &r)) {
        for (const pb::Point& p : r.points()) CheckPoint(p);
      }
      break;
    }
    case 2: {
      pb::SearchRequest r;
      if (Parse(in, &r)) CheckSearch(r);
      break;
    }
    case 3: {
      pb::BatchSearchRequest r;
      if (Parse(in, &r)) {
        for (const pb::SearchRequest& q : r.queries()) CheckSearch(q);
      }
      break;
    }
    case 4: {
      pb::ScrollRequest r;
      if (Parse(in, &r)) CheckScroll(r);
      // The same bytes as a hybrid query (a new kind without renumbering
      // the committed seeds' kinds).
      pb::QueryRequest q;
      if (Parse(in, &q)) CheckQuery(q);
      break;
    }
    case 5: {
      pb::CountRequest r;
      if (Parse(in, &r)) CheckFilter(r.has_filter(), r.filter());
      break;
    }
    case 6: {
      pb::DeleteByFilterRequest r;
      if (Parse(in, &r)) CheckFilter(r.has_filter(), r.filter());
      break;
    }
    case 7: {
      pb::UpdateMetadataRequest r;
      if (Parse(in, &r)) {
        auto m = proximadb::grpc_api::StructToJson(r.metadata());
        FUZZ_CHECK(m.ok() == AllFinite(r.metadata()), m.status());
        if (m.ok()) CheckRestReads(*m);
      }
      break;
    }
    case 8: {
      pb::CreateCollectionRequest r;
      if (Parse(in, &r)) CheckCreate(r);
      break;
    }
  }
  return 0;
}
