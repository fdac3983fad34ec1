// Fuzz target: point metadata from the REST body to storage and back,
// through the real VectorService over a DB (collection files in an
// in-memory Env; the SQLite catalog in a directory under /dev/shm).
//
// Input: JSON text, used as the metadata of a point.
// The rule the engine enforces (collection_write.cc): metadata is a JSON
// object nested at most kMaxJsonDepth (32) levels deep (objects and arrays); in
// a point, null stands for no metadata. Invariants:
//   * an upsert (single, and batch through the simdjson fast path with the
//     text exactly as given) and a metadata update succeed exactly when the
//     rule allows, and a refusal is kInvalidArgument that stores nothing;
//   * what was stored reads back as the same JSON (the same text once
//     dumped: types of numbers included) from the memtable, after a
//     metadata update, and from a flushed segment;
//   * a filter on a key of the metadata counts the point.
// Each input starts from an empty collection and leaves it empty.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_util.h"
#include "proximadb/db.h"
#include "service/json_codec.h"
#include "service/json_points_fast.h"
#include "service/service.h"
#include "util/json_depth.h"
#include "util/limits.h"

namespace proximadb::fuzz {
namespace {

using nlohmann::json;

constexpr char kName[] = "m";
// The limit collection_write.cc enforces (util/limits.h).
constexpr size_t kMaxDepth = kMaxJsonDepth;

std::string* g_dir = nullptr;

void RemoveDir() {
  std::error_code ec;
  if (g_dir != nullptr) std::filesystem::remove_all(*g_dir, ec);
}

service::VectorService& Service() {
  static service::VectorService* svc = [] {
    char tmpl[] = "/dev/shm/pdb-metadata-fuzz-XXXXXX";
    FUZZ_CHECK(mkdtemp(tmpl) != nullptr, "mkdtemp");
    g_dir = new std::string(tmpl);
    std::atexit(RemoveDir);
    DBOptions o;
    o.env = NewMemEnv().release();
    o.background_threads = false;
    auto db = DB::Open(o, *g_dir);
    FUZZ_CHECK(db.ok(), db.status());
    auto* s = new service::VectorService(std::move(db).value(), {});
    CollectionConfig c;
    c.name = kName;
    c.dimension = 2;
    c.metric = Metric::kEuclidean;
    c.index.algorithm = "flat";
    auto created = s->CreateCollection(c);
    FUZZ_CHECK(created.ok(), created.status());
    return s;
  }();
  return *svc;
}

bool Allowed(const json& m) {
  return m.is_object() && !JsonDeeperThan(m, kMaxDepth);
}

// In a point, "metadata": null means no metadata, stored as {}.
bool PointAllows(const json& m) { return m.is_null() || Allowed(m); }
json AsStored(const json& m) { return m.is_null() ? json::object() : m; }

// The point `id` holds exactly `want` (or is absent when want is null).
void ExpectStored(const std::string& id, const json& want, const char* when) {
  Result<StoredPoint> got = Service().GetPoint(kName, id);
  if (want.is_null()) {
    FUZZ_CHECK(got.status().IsNotFound(), "a refused write was stored", when);
    return;
  }
  FUZZ_CHECK(got.ok(), got.status(), when);
  FUZZ_CHECK(got->metadata.dump() == want.dump(), "metadata changed", when,
             want.dump() + " != " + got->metadata.dump());
}

void Upsert(const json& m) {
  const bool allowed = PointAllows(m);
  json body = {{"id", "p"}, {"vector", {1, 2}}, {"metadata", m}};
  auto r = Service().UpsertJson(kName, body);
  FUZZ_CHECK(r.ok() == allowed, r.status(), "upsert");
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == StatusCode::kInvalidArgument, r.status());
  }
  ExpectStored("p", allowed ? AsStored(m) : json(), "after upsert");
}

// The body as a client sends it, metadata text untouched, through the
// simdjson fast path (BatchUpsertFromBody falls back to nlohmann itself).
void BatchUpsert(std::string_view text, const json& m) {
  const std::string body = R"({"vectors": [{"id": "q", "vector": [1, 2], )"
                           R"("metadata": )" +
                           std::string(text) + "}]}";
  auto r = service::BatchUpsertFromBody(Service(), kName, body);
  // The body is valid JSON exactly when the metadata text is (nlohmann
  // parsed it alone), so the answer depends on the rule only.
  FUZZ_CHECK(r.ok() == PointAllows(m), r.status(), "batch upsert");
  ExpectStored("q", PointAllows(m) ? AsStored(m) : json(),
               "after batch upsert");
}

void Update(const json& m) {
  const json wrapped = {{"w", m}};  // one level deeper
  auto r = Service().UpdateMetadataJson(kName, "p", {{"metadata", wrapped}});
  FUZZ_CHECK(r.ok() == Allowed(wrapped), r.status(), "update");
  ExpectStored("p", r.ok() ? wrapped : m, "after update");
}

void CheckFilterFinds(const json& m) {
  for (const auto& [key, value] : m.items()) {
    if (key.empty() || key[0] == '$' || key.find('.') != std::string::npos ||
        !(value.is_string() || value.is_boolean() || value.is_number())) {
      continue;
    }
    if (value.is_number_float() && value.get<double>() != value.get<double>())
      continue;
    auto n = Service().Count(kName, json{{key, value}});
    FUZZ_CHECK(n.ok() && *n >= 1, n.status(), "filter on " + key);
    return;  // one is enough
  }
}

void Clear() {
  Status s = Service().DeleteByIds(kName, {"p", "q"}).status();
  FUZZ_CHECK(s.ok(), s);
  s = Service().Compact(kName);
  FUZZ_CHECK(s.ok(), s);
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  const std::string_view text = AsView(data, size);
  Result<nlohmann::json> m = service::ParseJsonBody(text);
  if (!m.ok()) return 0;
  Upsert(*m);
  BatchUpsert(text, *m);
  if (Allowed(*m)) {
    CheckFilterFinds(*m);
    Update(*m);
    Status s = Service().Flush(kName);
    FUZZ_CHECK(s.ok(), s);
    const json now = Allowed({{"w", *m}}) ? json{{"w", *m}} : *m;
    ExpectStored("p", now, "from the segment");
    ExpectStored("q", *m, "from the segment");
  }
  Clear();
  return 0;
}
