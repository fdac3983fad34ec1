// Point expiry end to end in the engine (docs/API.md, "Expiry"): a point
// with expires_at (or under a collection's default_ttl_seconds) is visible
// until then and invisible from that instant on, to every read (Get,
// Search exact and HNSW, Count with and without a filter, Scroll, text and
// sparse search, Info), in the memtable and in segments, across a restart
// (the WAL's and the segment's expiry), and compaction drops its row.
// Driven by a ManualClock, so every instant is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "util/limits.h"
#include "util/manual_clock.h"

namespace proximadb {
// Named, so that the unity build's batches do not merge its helpers with
// another test file's.
namespace expiry_test {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

constexpr uint64_t kSecond = 1'000'000;
constexpr uint64_t kStart = 1'800'000'000ull * kSecond;  // 2027-01-15
constexpr uint32_t kDim = 8;

struct Fixture {
  TempDir tmp;
  ManualClock clock{kStart};
  std::unique_ptr<DBImpl> db;

  void Open() {
    DBOptions o;
    o.background_threads = false;
    o.clock = &clock;
    auto r = DBImpl::OpenImpl(o, tmp.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db = std::move(r).value();
  }
};

CollectionConfig Config(uint64_t ttl = 0) {
  CollectionConfig c = MakeConfig("ttl", kDim);
  c.index.algorithm = "hnsw";
  c.sparse_vectors = {"kw"};
  c.default_ttl_seconds = ttl;
  return c;
}

// Point `i`: expires `ttl_s` seconds after kStart (0: never).
Point MakePoint(int i, uint64_t ttl_s) {
  std::mt19937 rng(i);
  Point p{"p" + std::to_string(i),
          RandomVector(rng, kDim),
          {{"i", i}, {"body", "red fox"}}};
  p.sparse_vectors["kw"] = SparseVector{{1}, {1.0f + i}};
  if (ttl_s != 0) p.expires_at_micros = kStart + ttl_s * kSecond;
  return p;
}

// Every way of reading the collection agrees that exactly `want` are
// visible.
void ExpectVisible(Collection& c, const std::set<std::string>& want) {
  SCOPED_TRACE(::testing::PrintToString(want));
  EXPECT_EQ(c.Count().value(), want.size());
  EXPECT_EQ(c.Count({{"i", {{"$gte", 0}}}}).value(), want.size());
  EXPECT_EQ(c.Info().point_count, want.size());
  for (int i = 0; i < 6; ++i) {
    const std::string id = "p" + std::to_string(i);
    auto got = c.Get(id);
    if (want.count(id)) {
      EXPECT_TRUE(got.ok()) << id << ": " << got.status().ToString();
    } else {
      EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << id;
    }
  }
  std::mt19937 rng(99);
  for (bool exact : {true, false}) {
    SearchRequest q;
    q.vector = RandomVector(rng, kDim);
    q.k = 10;
    q.exact = exact;
    std::set<std::string> found;
    const SearchResult r = c.Search(q).value();
    for (const auto& h : r.hits) found.insert(h.id);
    EXPECT_EQ(found, want) << (exact ? "exact" : "hnsw");
  }
  ScrollRequest s;
  s.limit = 100;
  std::set<std::string> scrolled;
  const ScrollPage page = c.Scroll(s).value();
  for (const auto& p : page.points) scrolled.insert(p.id);
  EXPECT_EQ(scrolled, want);
  SparseSearchRequest sq;
  sq.name = "kw";
  sq.vector = SparseVector{{1}, {1.0f}};
  sq.k = 10;
  std::set<std::string> sparse;
  const SearchResult by_sparse = c.SparseSearch(sq).value();
  for (const auto& h : by_sparse.hits) sparse.insert(h.id);
  EXPECT_EQ(sparse, want);
  TextSearchRequest tq;
  tq.field = "body";
  tq.query = "fox";
  tq.k = 10;
  std::set<std::string> text;
  const SearchResult by_text = c.TextSearch(tq).value();
  for (const auto& h : by_text.hits) text.insert(h.id);
  EXPECT_EQ(text, want);
}

TEST(ExpiryTest, InvisibleFromTheInstantOnInMemtableSegmentsAndAfterRestart) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(Config()).value();
  // p0 never expires; p1 at +10 s, p2 at +20 s (memtable), p3 at +10 s,
  // p4 at +30 s and p5 never (flushed into a segment, then p2 moved
  // there too by a second flush).
  ASSERT_TRUE(
      c->Upsert({MakePoint(3, 10), MakePoint(4, 30), MakePoint(5, 0)}).ok());
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(
      c->Upsert({MakePoint(0, 0), MakePoint(1, 10), MakePoint(2, 20)}).ok());
  EXPECT_EQ(c->Get("p1").value().expires_at_micros, kStart + 10 * kSecond);
  EXPECT_EQ(c->Get("p0").value().expires_at_micros, 0u);
  EXPECT_EQ(c->Get("p4").value().expires_at_micros, kStart + 30 * kSecond);
  ExpectVisible(*c, {"p0", "p1", "p2", "p3", "p4", "p5"});

  f.clock.Set(kStart + 10 * kSecond - 1);  // one microsecond before
  ExpectVisible(*c, {"p0", "p1", "p2", "p3", "p4", "p5"});
  f.clock.Set(kStart + 10 * kSecond);  // the instant itself
  ExpectVisible(*c, {"p0", "p2", "p4", "p5"});

  // A restart before p2's time: the WAL's and the segment's expiry times
  // are read back, and what had expired stays invisible.
  c.reset();
  f.db.reset();
  f.Open();
  c = f.db->GetCollection("ttl").value();
  ExpectVisible(*c, {"p0", "p2", "p4", "p5"});
  EXPECT_EQ(c->Get("p2").value().expires_at_micros, kStart + 20 * kSecond);
  ASSERT_TRUE(c->Flush().ok());  // p2 into a segment
  f.clock.Set(kStart + 20 * kSecond);
  ExpectVisible(*c, {"p0", "p4", "p5"});

  // Restart past p4's time with nothing read in between: expired on open.
  c.reset();
  f.db.reset();
  f.clock.Set(kStart + 31 * kSecond);
  f.Open();
  c = f.db->GetCollection("ttl").value();
  ExpectVisible(*c, {"p0", "p5"});

  // Compaction drops the expired rows.
  ASSERT_TRUE(c->Compact().ok());
  auto segs = c->ListSegments().value();
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].points, 2u);  // p0 and p5
  ExpectVisible(*c, {"p0", "p5"});
}

TEST(ExpiryTest, RewritesAndDeletesOutdateAnExpiry) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(Config()).value();
  ASSERT_TRUE(
      c->Upsert({MakePoint(0, 10), MakePoint(1, 10), MakePoint(2, 10)}).ok());
  ASSERT_TRUE(c->Flush().ok());
  // p0 rewritten without expiry, p1 with a later one; p2 deleted and
  // written again (without expiry) after its old time passed.
  ASSERT_TRUE(c->Upsert({MakePoint(0, 0), MakePoint(1, 50)}).ok());
  ASSERT_TRUE(c->Delete({"p2"}).ok());
  f.clock.Set(kStart + 10 * kSecond);
  ExpectVisible(*c, {"p0", "p1"});
  ASSERT_TRUE(c->Upsert({MakePoint(2, 0)}).ok());
  ExpectVisible(*c, {"p0", "p1", "p2"});
  // A metadata update keeps the point's expiry.
  ASSERT_TRUE(c->UpdateMetadata("p1", {{"i", 1}, {"body", "red fox"}}).ok());
  EXPECT_EQ(c->Get("p1").value().expires_at_micros, kStart + 50 * kSecond);
  MetadataPatch patch;
  patch.set = {{"x", 1}};
  ASSERT_TRUE(c->PatchMetadata({"p1"}, patch).ok());
  EXPECT_EQ(c->Get("p1").value().expires_at_micros, kStart + 50 * kSecond);
  f.clock.Set(kStart + 50 * kSecond);
  ExpectVisible(*c, {"p0", "p2"});
  // An expired point takes no update and counts as no delete.
  EXPECT_EQ(c->UpdateMetadata("p1", {{"i", 1}}).code(), StatusCode::kNotFound);
  EXPECT_EQ(c->Delete({"p1"}).value(), 0u);
}

TEST(ExpiryTest, DefaultTtlCountsFromTheWrite) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(Config(60)).value();
  EXPECT_EQ(c->config().default_ttl_seconds, 60u);
  ASSERT_TRUE(c->Upsert({MakePoint(0, 0)}).ok());  // default: +60 s
  f.clock.Set(kStart + 30 * kSecond);
  ASSERT_TRUE(c->Upsert({MakePoint(1, 0)}).ok());    // default: +90 s
  ASSERT_TRUE(c->Upsert({MakePoint(2, 500)}).ok());  // its own time wins
  EXPECT_EQ(c->Get("p0").value().expires_at_micros, kStart + 60 * kSecond);
  EXPECT_EQ(c->Get("p1").value().expires_at_micros, kStart + 90 * kSecond);
  EXPECT_EQ(c->Get("p2").value().expires_at_micros, kStart + 500 * kSecond);
  f.clock.Set(kStart + 60 * kSecond);
  ExpectVisible(*c, {"p1", "p2"});
  // The default survives a restart (the catalog's config).
  c.reset();
  f.db.reset();
  f.Open();
  c = f.db->GetCollection("ttl").value();
  EXPECT_EQ(c->config().default_ttl_seconds, 60u);
  f.clock.Set(kStart + 90 * kSecond);
  ExpectVisible(*c, {"p2"});
}

TEST(ExpiryTest, PastTimesAreAcceptedAndInvisibleAtOnce) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(Config()).value();
  Point old = MakePoint(0, 0);
  old.expires_at_micros = kStart - kSecond;
  auto ids = c->Upsert({old, MakePoint(1, 0)});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ExpectVisible(*c, {"p1"});
}

TEST(ExpiryTest, Refusals) {
  Fixture f;
  f.Open();
  CollectionConfig avro = Config(60);
  avro.name = "avro";
  avro.sparse_vectors.clear();
  avro.wal_format = WalFormat::kAvro;
  auto r = f.db->CreateCollection(avro);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("default_ttl_seconds needs wal_format"),
            std::string::npos)
      << r.status().ToString();
  avro.default_ttl_seconds = 0;
  auto a = f.db->CreateCollection(avro).value();
  Point p = MakePoint(0, 10);
  p.sparse_vectors.clear();
  auto w = a->Upsert({p});
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(w.status().message().find("vectors[0].expires_at"),
            std::string::npos)
      << w.status().ToString();
  CollectionConfig big = Config(kMaxTtlSeconds + 1);
  EXPECT_EQ(f.db->CreateCollection(big).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace expiry_test
}  // namespace proximadb
