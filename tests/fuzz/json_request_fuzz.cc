// Fuzz target: the REST request parsers (service/json_codec.h) and the
// simdjson fast path of batch upserts (service/json_points_fast.h).
//
// Input: a request body; every parser reads it.
// Invariants:
//   * nothing throws; refusals are kInvalidArgument or kDimensionMismatch;
//   * fast path vs nlohmann path: whenever ParseBatchPointsFast accepts a
//     body, the DOM path (ParseJsonBody + ParseBatch) accepts it too, with
//     the same ids, the same floats bit for bit and the same metadata (the
//     same JSON text once stored) -- or, when the points' lengths differ,
//     refuses it with kDimensionMismatch as the fast path's caller expects;
//   * what a parser accepts respects the documented limits (id 1..256
//     bytes, finite float32 vectors of the collection's dimension, k
//     1..10000, ef_search 1..4096, scroll limit 1..10000, 1..1024 batch
//     queries, a valid collection configuration);
//   * responses read back: a point as GET returns it parses to the same
//     point; CollectionToJson of a parsed create request parses to the same
//     configuration; PayloadIndexToJson likewise.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "service/json_codec.h"
#include "service/json_points_fast.h"
#include "service/service.h"

namespace proximadb::fuzz {
namespace {

using nlohmann::json;
namespace svc = service;

constexpr char kCollection[] = "c";

bool Refusal(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kDimensionMismatch;
}

bool SamePoint(const Point& a, const Point& b) {
  return a.id == b.id && a.vector.size() == b.vector.size() &&
         (a.vector.empty() || std::memcmp(a.vector.data(), b.vector.data(),
                                          a.vector.size() * 4) == 0) &&
         a.metadata.dump() == b.metadata.dump();
}

void CheckVector(const std::vector<float>& v, uint32_t dim) {
  FUZZ_CHECK(v.size() == dim, "vector of the wrong dimension accepted");
  for (float f : v) FUZZ_CHECK(std::isfinite(f), "non-finite value accepted");
}

// The dimension a body's first vector has (what a client would create the
// collection with), or 3.
uint32_t DimensionOf(const json& body) {
  const json* v = nullptr;
  if (body.is_object()) {
    if (auto it = body.find("vector"); it != body.end()) v = &*it;
    auto items = body.find("vectors");
    if (v == nullptr && items != body.end() && items->is_array() &&
        !items->empty() && (*items)[0].is_object()) {
      if (auto it = (*items)[0].find("vector"); it != (*items)[0].end()) {
        v = &*it;
      }
    }
  }
  if (v != nullptr && v->is_array() && !v->empty() && v->size() <= 65536) {
    return static_cast<uint32_t>(v->size());
  }
  return 3;
}

void CheckFastPath(std::string_view body, const Result<json>& parsed) {
  std::optional<std::vector<Point>> fast = svc::ParseBatchPointsFast(body);
  if (!fast) return;  // declined: the DOM path answers alone
  FUZZ_CHECK(parsed.ok(), "fast path accepted what nlohmann refuses",
             parsed.status());
  FUZZ_CHECK(!fast->empty());
  const auto dim = static_cast<uint32_t>((*fast)[0].vector.size());
  bool same_dim = true;
  for (const Point& p : *fast) same_dim &= p.vector.size() == dim;
  Result<std::vector<Point>> dom = svc::ParseBatch(*parsed, dim, kCollection);
  if (!same_dim) {
    FUZZ_CHECK(dom.status().code() == StatusCode::kDimensionMismatch,
               dom.status());
    return;
  }
  FUZZ_CHECK(dom.ok(), "fast path accepted what ParseBatch refuses",
             dom.status());
  FUZZ_CHECK(dom->size() == fast->size());
  for (size_t i = 0; i < fast->size(); ++i) {
    FUZZ_CHECK(SamePoint((*fast)[i], (*dom)[i]),
               "fast path decoded a point differently",
               "point " + std::to_string(i));
  }
}

void CheckPoint(const json& body, uint32_t dim) {
  Result<Point> p = svc::ParsePoint(body, dim, kCollection);
  if (!p.ok()) {
    FUZZ_CHECK(Refusal(p.status()), p.status());
    return;
  }
  FUZZ_CHECK(p->id.size() <= kMaxIdBytes);
  CheckVector(p->vector, dim);
  FUZZ_CHECK(p->metadata.is_object());
  // GET answers with this point; reading that answer back gives it again.
  StoredPoint stored{p->id.empty() ? "generated" : p->id, p->vector,
                     p->metadata, 1};
  json got = svc::StoredPointToJson(stored);
  Result<Point> back =
      svc::ParsePoint(json::parse(got.dump()), dim, kCollection);
  FUZZ_CHECK(back.ok(), back.status(), got.dump());
  Point want{stored.id, p->vector, p->metadata};
  FUZZ_CHECK(SamePoint(*back, want), "a point changed through GET", got.dump());
}

void CheckSearchRequest(const SearchRequest& r, uint32_t dim) {
  if (r.point_id.empty()) {
    CheckVector(r.vector, dim);
  } else {  // a search by an existing point's id carries no vector
    FUZZ_CHECK(r.vector.empty(), "a search with both an id and a vector");
  }
  FUZZ_CHECK(r.k >= 1 && r.k <= svc::kMaxK);
  FUZZ_CHECK(!r.ef_search || (*r.ef_search >= 1 && *r.ef_search <= 4096));
  FUZZ_CHECK(r.filter.is_null() || r.filter.is_object());
}

void CheckSearches(const json& body, uint32_t dim) {
  Result<SearchRequest> s = svc::ParseSearch(body, dim, kCollection);
  if (s.ok()) {
    CheckSearchRequest(*s, dim);
  } else {
    FUZZ_CHECK(Refusal(s.status()), s.status());
  }
  auto batch = svc::ParseBatchSearch(body, dim, kCollection);
  if (!batch.ok()) {
    FUZZ_CHECK(Refusal(batch.status()), batch.status());
    return;
  }
  FUZZ_CHECK(!batch->empty() && batch->size() <= svc::kMaxBatchQueries);
  for (const SearchRequest& q : *batch) CheckSearchRequest(q, dim);
  // A hybrid query: what parses is within the limits the fusion relies on.
  auto query = svc::ParseQuery(body, dim, kCollection);
  if (!query.ok()) {
    FUZZ_CHECK(Refusal(query.status()), query.status());
    return;
  }
  FUZZ_CHECK(svc::CheckQueryRequest(*query).ok(), "a parsed query refused");
  FUZZ_CHECK(!query->prefetch.empty() &&
             query->prefetch.size() <= kMaxQueryPrefetches);
  FUZZ_CHECK(query->limit >= 1 && query->limit <= svc::kMaxK);
  FUZZ_CHECK(query->rrf_k >= 1 && query->rrf_k <= kMaxRrfK);
  for (const auto& p : query->prefetch) {
    FUZZ_CHECK(p.limit <= svc::kMaxK);
    FUZZ_CHECK(p.filter.is_null() || p.filter.is_object());
    if (p.kind == svc::QueryPrefetch::Kind::kVector) CheckVector(p.vector, dim);
  }
  if (!query->rescore.empty()) CheckVector(query->rescore, dim);
}

void CheckCreate(const json& body) {
  Result<CollectionConfig> c = svc::ParseCreateCollection(body);
  if (!c.ok()) {
    FUZZ_CHECK(Refusal(c.status()), c.status());
    return;
  }
  Status valid = ValidateCollectionConfig(*c);
  FUZZ_CHECK(valid.ok(), valid);
  CollectionInfo info;
  info.config = *c;
  const FlushDefaults defaults;
  json shown = svc::CollectionToJson(info, defaults);
  Result<CollectionConfig> back = svc::ParseCreateCollection(shown);
  FUZZ_CHECK(back.ok(), back.status(), shown.dump());
  const EffectiveFlushPolicy f = Resolve(c->flush, defaults);
  const EffectiveFlushPolicy g = Resolve(back->flush, defaults);
  FUZZ_CHECK(back->name == c->name && back->dimension == c->dimension &&
                 back->metric == c->metric &&
                 back->wal_format == c->wal_format &&
                 back->index.algorithm == c->index.algorithm &&
                 back->index.m == c->index.m &&
                 back->index.ef_construction == c->index.ef_construction &&
                 back->index.ef_search == c->index.ef_search &&
                 back->index.quantization == c->index.quantization &&
                 g.max_wal_age_hours == f.max_wal_age_hours &&
                 g.max_wal_size_mb == f.max_wal_size_mb &&
                 g.max_vector_count == f.max_vector_count &&
                 g.flush_priority == f.flush_priority &&
                 g.enable_background_flush == f.enable_background_flush,
             "a collection changed through its JSON", shown.dump());
}

void CheckOthers(const json& body) {
  if (auto p = svc::ParseFlushPolicyPatch(body); p.ok()) {
    FUZZ_CHECK(p->max_wal_age_hours || p->max_wal_size_mb ||
               p->max_vector_count || p->flush_priority ||
               p->enable_background_flush);
    CollectionConfig probe;
    probe.name = "c";
    probe.dimension = 1;
    probe.flush = *p;
    Status valid = ValidateCollectionConfig(probe);
    FUZZ_CHECK(valid.ok(), valid);
  } else {
    FUZZ_CHECK(Refusal(p.status()), p.status());
  }
  if (auto d = svc::ParseDeleteVectors(body); d.ok()) {
    FUZZ_CHECK(!d->by_filter || d->filter.is_object());
  } else {
    FUZZ_CHECK(Refusal(d.status()), d.status());
  }
  if (auto m = svc::ParseMetadataUpdate(body); m.ok()) {
    FUZZ_CHECK(m->is_object());
  } else {
    FUZZ_CHECK(Refusal(m.status()), m.status());
  }
  if (auto f = svc::ParseCountFilter(body); f.ok()) {
    FUZZ_CHECK(f->is_null() || f->is_object());
  } else {
    FUZZ_CHECK(Refusal(f.status()), f.status());
  }
  if (auto s = svc::ParseScroll(body); s.ok()) {
    FUZZ_CHECK(s->limit >= 1 && s->limit <= svc::kMaxK);
    FUZZ_CHECK(s->filter.is_null() || s->filter.is_object());
  } else {
    FUZZ_CHECK(Refusal(s.status()), s.status());
  }
  if (auto def = svc::ParsePayloadIndexDef(body); def.ok()) {
    auto back = svc::ParsePayloadIndexDef(svc::PayloadIndexToJson(*def));
    FUZZ_CHECK(back.ok() && *back == *def, "payload index def changed");
  } else {
    FUZZ_CHECK(Refusal(def.status()), def.status());
  }
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  const std::string_view body = AsView(data, size);
  Result<json> parsed = service::ParseJsonBody(body);
  FUZZ_CHECK(
      parsed.ok() || parsed.status().code() == StatusCode::kInvalidArgument,
      parsed.status());
  CheckFastPath(body, parsed);
  if (!parsed.ok()) return 0;
  const uint32_t dim = DimensionOf(*parsed);
  Result<std::vector<Point>> batch =
      service::ParseBatch(*parsed, dim, kCollection);
  if (batch.ok()) {
    for (const Point& p : *batch) {
      CheckVector(p.vector, dim);
      FUZZ_CHECK(p.id.size() <= kMaxIdBytes);
    }
  } else {
    FUZZ_CHECK(Refusal(batch.status()), batch.status());
  }
  CheckPoint(*parsed, dim);
  CheckSearches(*parsed, dim);
  CheckCreate(*parsed);
  CheckOthers(*parsed);
  return 0;
}
