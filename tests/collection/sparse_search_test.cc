// Sparse vectors end to end in the engine (Collection::SparseSearch, Get,
// the write path): against a reference kept here, through memtable rows,
// flushed segments (their inverted index), overwrites, deletes, metadata
// updates (which must keep a point's sparse vectors), a restart (WAL
// replay), compaction and filters; refusals with their messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "collection/test_util.h"

namespace proximadb {
namespace {

using nlohmann::json;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kSpDim = 4;

std::unique_ptr<DB> OpenSpDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;
  return DB::Open(o, dir).value();
}

CollectionConfig SparseConfig() {
  CollectionConfig c = testing::MakeConfig("s", kSpDim);
  c.sparse_vectors = {"bm25", "splade"};
  return c;
}

SparseVector RandomSparse(std::mt19937& rng, size_t max_nnz) {
  std::map<uint32_t, float> m;
  const size_t n = 1 + rng() % max_nnz;
  std::uniform_real_distribution<float> val(0.0f, 3.0f);
  // Skewed dimensions, so rows share some.
  for (size_t k = 0; k < n; ++k) {
    m[std::min<uint32_t>(rng() % 60, rng() % 60)] = val(rng);
  }
  SparseVector v;
  for (const auto& [i, x] : m) {
    v.indices.push_back(i);
    v.values.push_back(x);
  }
  return v;
}

struct Ref {
  SparseVectors sparse;
  int g = 0;
};

// The documented answer: every point whose vector under `name` shares a
// dimension with `q`, by dot product (double, ascending dimension), best
// first, ties by id.
std::vector<std::pair<std::string, float>> Reference(
    const std::map<std::string, Ref>& points, const std::string& name,
    const SparseVector& q, size_t k, int only_g = -1) {
  std::vector<std::pair<std::string, double>> scored;
  for (const auto& [id, p] : points) {
    if (only_g >= 0 && p.g != only_g) continue;
    auto it = p.sparse.find(name);
    if (it == p.sparse.end()) continue;
    double sum = 0;
    bool any = false;
    for (size_t i = 0; i < it->second.indices.size(); ++i) {
      for (size_t j = 0; j < q.indices.size(); ++j) {
        if (it->second.indices[i] == q.indices[j]) {
          sum += double(it->second.values[i]) * double(q.values[j]);
          any = true;
        }
      }
    }
    if (any) scored.push_back({id, sum});
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  if (scored.size() > k) scored.resize(k);
  std::vector<std::pair<std::string, float>> out;
  for (const auto& [id, s] : scored) out.push_back({id, float(s)});
  return out;
}

void ExpectSearchMatches(Collection* c, const std::map<std::string, Ref>& ref,
                         std::mt19937& rng, const std::string& what) {
  for (const char* name : {"bm25", "splade"}) {
    for (int t = 0; t < 6; ++t) {
      SparseSearchRequest r;
      r.name = name;
      r.vector = RandomSparse(rng, 6);
      r.k = t % 2 ? 5 : 1000;
      const int g = t % 3 == 0 ? 1 : -1;
      if (g >= 0) r.filter = json{{"g", g}};
      auto res = c->SparseSearch(r);
      ASSERT_TRUE(res.ok()) << res.status().ToString();
      const auto want = Reference(ref, name, r.vector, r.k, g);
      ASSERT_EQ(res->hits.size(), want.size()) << what << " " << name;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(res->hits[i].id, want[i].first) << what << " #" << i;
        EXPECT_EQ(res->hits[i].score, want[i].second) << what << " #" << i;
        EXPECT_EQ(res->hits[i].metadata["g"], ref.at(want[i].first).g);
      }
    }
  }
}

void ExpectGetMatches(Collection* c, const std::map<std::string, Ref>& ref,
                      const std::string& what) {
  for (const auto& [id, p] : ref) {
    auto got = c->Get(id);
    ASSERT_TRUE(got.ok()) << what << " " << id;
    EXPECT_EQ(got->sparse_vectors, p.sparse) << what << " " << id;
  }
}

TEST(SparseSearchTest, EqualsReferenceAcrossSourcesRestartAndCompaction) {
  TempDir tmp;
  std::mt19937 rng(5);
  std::map<std::string, Ref> ref;
  auto upsert = [&](Collection* c, int from, int to) {
    std::vector<Point> batch;
    for (int i = from; i < to; ++i) {
      const std::string id = "p" + std::to_string(1000 + i % 700);
      Point p{id, RandomVector(rng, kSpDim), json{{"g", i % 3}}};
      if (rng() % 5 != 0) p.sparse_vectors["bm25"] = RandomSparse(rng, 8);
      if (rng() % 3 == 0) p.sparse_vectors["splade"] = RandomSparse(rng, 4);
      ref[id] = Ref{p.sparse_vectors, i % 3};
      batch.push_back(std::move(p));
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
  };
  {
    auto db = OpenSpDb(tmp.path());
    auto c = db->CreateCollection(SparseConfig()).value();
    upsert(c.get(), 0, 300);
    ExpectSearchMatches(c.get(), ref, rng, "memtable");
    ASSERT_TRUE(c->Flush().ok());
    ExpectSearchMatches(c.get(), ref, rng, "one segment");
    upsert(c.get(), 300, 600);
    ASSERT_TRUE(c->Flush().ok());
    upsert(c.get(), 600, 800);  // overwrites p1000..p1099 in the memtable
    std::vector<std::string> gone;
    for (int i = 0; i < 700; i += 9)
      gone.push_back("p" + std::to_string(1000 + i));
    ASSERT_TRUE(c->Delete(gone).ok());
    for (const auto& id : gone) ref.erase(id);
    // A metadata update and a patch keep the sparse vectors (in a segment
    // and in the memtable).
    for (const char* id : {"p1200", "p1050"}) {
      ASSERT_TRUE(c->UpdateMetadata(id, json{{"g", 2}}).ok());
      ref[id].g = 2;
    }
    MetadataPatch patch;
    patch.set = json{{"g", 0}};
    ASSERT_TRUE(c->PatchMetadata({"p1301", "p1001"}, patch).ok());
    ref["p1301"].g = 0;
    ref["p1001"].g = 0;
    ExpectSearchMatches(c.get(), ref, rng, "segments + memtable");
    ExpectGetMatches(c.get(), ref, "before restart");
  }
  auto db = OpenSpDb(tmp.path());  // WAL replay of the memtable
  auto c = db->GetCollection("s").value();
  ExpectSearchMatches(c.get(), ref, rng, "after restart");
  ExpectGetMatches(c.get(), ref, "after restart");
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(c->Info().segment_count, 1u);
  ExpectSearchMatches(c.get(), ref, rng, "after compaction");
  ExpectGetMatches(c.get(), ref, "after compaction");
  // Scroll with vectors returns them too.
  ScrollRequest sr;
  sr.limit = 1000;
  sr.include_vector = true;
  auto page = c->Scroll(sr);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->points.size(), ref.size());
  for (const auto& p : page->points) {
    EXPECT_EQ(p.sparse_vectors, ref.at(p.id).sparse) << p.id;
  }
}

TEST(SparseSearchTest, SegmentsWithoutSparseVectorsAnswerNothing) {
  TempDir tmp;
  auto db = OpenSpDb(tmp.path());
  auto c = db->CreateCollection(SparseConfig()).value();
  std::mt19937 rng(1);
  ASSERT_TRUE(c->Upsert({Point{"plain", RandomVector(rng, kSpDim), {}}}).ok());
  ASSERT_TRUE(c->Flush().ok());
  Point p{"sp", RandomVector(rng, kSpDim), {}};
  p.sparse_vectors["bm25"] = SparseVector{{3, 7}, {1.0f, 2.0f}};
  ASSERT_TRUE(c->Upsert({p}).ok());
  SparseSearchRequest r;
  r.name = "bm25";
  r.vector = SparseVector{{7, 3, 9}, {0.5f, 2.0f, 1.0f}};  // any order
  auto res = c->SparseSearch(r);
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->hits.size(), 1u);
  EXPECT_EQ(res->hits[0].id, "sp");
  EXPECT_EQ(res->hits[0].score, 3.0f);  // 1*2 + 2*0.5
  r.include_vector = true;
  res = c->SparseSearch(r);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->hits[0].vector, p.vector);
  // No shared dimension: not listed.
  r.vector = SparseVector{{1}, {1.0f}};
  res = c->SparseSearch(r);
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->hits.empty());
}

TEST(SparseSearchTest, Refusals) {
  TempDir tmp;
  auto db = OpenSpDb(tmp.path());
  auto c = db->CreateCollection(SparseConfig()).value();
  std::mt19937 rng(2);
  auto upsert_error = [&](SparseVectors sv) {
    Point p{"x", RandomVector(rng, kSpDim), {}};
    p.sparse_vectors = std::move(sv);
    return c->Upsert({p}).status();
  };
  EXPECT_EQ(upsert_error({{"nope", SparseVector{{1}, {1}}}}).message(),
            "vectors[0].sparse_vectors: the collection has no sparse vector "
            "'nope'");
  EXPECT_EQ(upsert_error({{"bm25", SparseVector{{1, 1}, {1, 2}}}}).message(),
            "vectors[0].sparse_vectors.bm25 repeats index 1");
  EXPECT_EQ(upsert_error({{"bm25", SparseVector{{1}, {}}}}).message(),
            "vectors[0].sparse_vectors.bm25 has 1 indices but 0 values");
  EXPECT_EQ(c->Info().point_count, 0u);

  SparseSearchRequest r;
  r.name = "nope";
  r.vector = SparseVector{{1}, {1}};
  EXPECT_EQ(c->SparseSearch(r).status().message(),
            "using: the collection has no sparse vector 'nope'");
  r.name = "bm25";
  r.vector = {};
  EXPECT_EQ(c->SparseSearch(r).status().message(),
            "sparse_vector must not be empty");
  r.vector = SparseVector{{1}, {1}};
  r.k = 0;
  EXPECT_EQ(c->SparseSearch(r).status().code(), StatusCode::kInvalidArgument);

  // A collection without sparse vectors refuses them by name.
  auto plain =
      db->CreateCollection(testing::MakeConfig("plain", kSpDim)).value();
  Point p{"x", RandomVector(rng, kSpDim), {}};
  p.sparse_vectors["bm25"] = SparseVector{{1}, {1}};
  EXPECT_EQ(plain->Upsert({p}).status().message(),
            "vectors[0].sparse_vectors: the collection has no sparse vector "
            "'bm25' (it declares none)");

  // Names: the rules, and the Avro WAL cannot hold them.
  CollectionConfig bad = SparseConfig();
  bad.name = "bad";
  bad.sparse_vectors = {"has space"};
  EXPECT_EQ(db->CreateCollection(bad).status().code(),
            StatusCode::kInvalidArgument);
  bad.sparse_vectors = {"b", "a"};
  EXPECT_EQ(db->CreateCollection(bad).status().code(),
            StatusCode::kInvalidArgument);
  bad.sparse_vectors = {"a"};
  bad.wal_format = WalFormat::kAvro;
  EXPECT_EQ(db->CreateCollection(bad).status().message(),
            "sparse_vectors need wal_format 'native' (the Avro WAL schema has "
            "no sparse vectors)");
}

TEST(SparseSearchTest, TheConfigSurvivesARestart) {
  TempDir tmp;
  {
    auto db = OpenSpDb(tmp.path());
    ASSERT_TRUE(db->CreateCollection(SparseConfig()).ok());
  }
  auto db = OpenSpDb(tmp.path());
  auto c = db->GetCollection("s").value();
  EXPECT_EQ(c->config().sparse_vectors,
            (std::vector<std::string>{"bm25", "splade"}));
}

}  // namespace
}  // namespace proximadb
