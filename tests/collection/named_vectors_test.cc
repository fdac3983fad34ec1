// Named vectors and multi-vectors end to end in the engine (Search with
// using_vector, Get, Scroll, the write path): against a reference computed
// here, through memtable rows, flushed segments, overwrites, deletes,
// metadata updates (which must keep a point's named vectors), a restart
// (WAL replay), compaction and filters; one vector per metric and a
// multivector scored by MaxSim; refusals with their messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "collection/test_util.h"

namespace proximadb {
namespace named_vectors_test {

using nlohmann::json;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kMainDim = 4;

std::unique_ptr<DB> OpenNvDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;
  return DB::Open(o, dir).value();
}

CollectionConfig NamedConfig() {
  CollectionConfig c = testing::MakeConfig("nv", kMainDim);
  c.sparse_vectors = {"bm25"};
  c.vectors = {
      NamedVectorConfig{"img", 3, Metric::kEuclidean, false},
      NamedVectorConfig{"tok", 2, Metric::kDotProduct, true},
      NamedVectorConfig{"txt", 5, Metric::kCosine, false},
  };
  return c;
}

// Small integers: dot products and squared distances are exact in float,
// so the engine's order (ties by id) is the reference's to the bit.
std::vector<float> IntVector(std::mt19937& rng, uint32_t dim) {
  std::vector<float> v(dim);
  for (float& x : v) x = static_cast<float>(static_cast<int>(rng() % 7) - 3);
  return v;
}

NamedVector Matrix(std::mt19937& rng, uint32_t rows, uint32_t dim) {
  NamedVector m;
  m.matrix = true;
  m.rows = rows;
  for (uint32_t r = 0; r < rows; ++r) {
    auto row = IntVector(rng, dim);
    m.values.insert(m.values.end(), row.begin(), row.end());
  }
  return m;
}

struct Ref {
  NamedVectors named;
  SparseVectors sparse;
  int g = 0;
};

double RefScore(const NamedVectorConfig& c, const NamedVector& row,
                const std::vector<float>& q, uint32_t q_rows) {
  const uint32_t d = c.dimension;
  double total = 0;
  for (uint32_t i = 0; i < q_rows; ++i) {
    double best = 0;
    for (uint32_t j = 0; j < row.rows; ++j) {
      double dot = 0, l2 = 0, qn = 0, xn = 0;
      for (uint32_t k = 0; k < d; ++k) {
        const double a = q[i * d + k], b = row.values[j * d + k];
        dot += a * b;
        l2 += (a - b) * (a - b);
        qn += a * a;
        xn += b * b;
      }
      const double s = c.metric == Metric::kEuclidean ? std::sqrt(l2)
                       : c.metric == Metric::kDotProduct
                           ? dot
                           : dot / std::sqrt(qn * xn);
      const bool better = c.metric == Metric::kEuclidean ? s < best : s > best;
      if (j == 0 || better) best = s;
    }
    total += best;
  }
  return total;
}

// Best first (higher for cosine and dot, lower for euclidean), ties by id.
std::vector<std::pair<std::string, double>> Reference(
    const std::map<std::string, Ref>& points, const NamedVectorConfig& c,
    const std::vector<float>& q, uint32_t q_rows, size_t k, int only_g) {
  std::vector<std::pair<std::string, double>> scored;
  for (const auto& [id, p] : points) {
    if (only_g >= 0 && p.g != only_g) continue;
    auto it = p.named.find(c.name);
    if (it == p.named.end()) continue;
    scored.push_back({id, RefScore(c, it->second, q, q_rows)});
  }
  const bool lower = c.metric == Metric::kEuclidean;
  std::sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second)
      return lower ? a.second < b.second : a.second > b.second;
    return a.first < b.first;
  });
  if (scored.size() > k) scored.resize(k);
  return scored;
}

void ExpectSearchMatches(Collection* c, const std::map<std::string, Ref>& ref,
                         std::mt19937& rng, const std::string& what) {
  for (const NamedVectorConfig& nv : NamedConfig().vectors) {
    for (int t = 0; t < 6; ++t) {
      SearchRequest r;
      r.using_vector = nv.name;
      const uint32_t q_rows = nv.multivector ? 1 + rng() % 3 : 1;
      if (nv.metric == Metric::kCosine) {
        r.vector = RandomVector(rng, nv.dimension);
      } else {
        for (uint32_t i = 0; i < q_rows; ++i) {
          auto row = IntVector(rng, nv.dimension);
          r.vector.insert(r.vector.end(), row.begin(), row.end());
        }
        if (nv.metric != Metric::kCosine &&
            std::all_of(r.vector.begin(), r.vector.end(),
                        [](float x) { return x == 0; })) {
          r.vector[0] = 1;
        }
      }
      r.vector_rows = nv.multivector ? q_rows : 0;
      // Cosine scores are not exact in float: ask for every point, then
      // compare the set and each score within a tolerance.
      r.k = nv.metric == Metric::kCosine ? 1000 : (t % 2 ? 5 : 1000);
      // The best 5 of ties (small integers) are exact only from a scan; a
      // k above the point count is answered whole by the graph too (it
      // falls back to a scan when it reaches fewer than k).
      r.exact = r.k == 5;
      const int g = t % 3 == 0 ? 1 : -1;
      if (g >= 0) r.filter = json{{"g", g}};
      auto res = c->Search(r);
      ASSERT_TRUE(res.ok()) << res.status().ToString();
      const auto want = Reference(ref, nv, r.vector, q_rows, r.k, g);
      ASSERT_EQ(res->hits.size(), want.size()) << what << " " << nv.name;
      if (nv.metric == Metric::kCosine) {
        std::map<std::string, double> by_id(want.begin(), want.end());
        for (size_t i = 0; i < res->hits.size(); ++i) {
          const SearchHit& h = res->hits[i];
          ASSERT_TRUE(by_id.count(h.id)) << what << " " << h.id;
          EXPECT_NEAR(h.score, by_id[h.id], 1e-5) << what << " " << h.id;
          if (i > 0) {
            EXPECT_LE(h.score, res->hits[i - 1].score + 1e-6f);
          }
        }
        continue;
      }
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(res->hits[i].id, want[i].first)
            << what << " " << nv.name << " #" << i;
        EXPECT_EQ(res->hits[i].score, static_cast<float>(want[i].second))
            << what << " " << nv.name << " #" << i;
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
    EXPECT_EQ(got->named_vectors, p.named) << what << " " << id;
    EXPECT_EQ(got->sparse_vectors, p.sparse) << what << " " << id;
  }
}

TEST(NamedVectorsTest, EqualsReferenceAcrossSourcesRestartAndCompaction) {
  TempDir tmp;
  std::mt19937 rng(11);
  std::map<std::string, Ref> ref;
  auto upsert = [&](Collection* c, int from, int to) {
    std::vector<Point> batch;
    for (int i = from; i < to; ++i) {
      const std::string id = "p" + std::to_string(1000 + i % 500);
      Point p{id, RandomVector(rng, kMainDim), json{{"g", i % 3}}};
      if (rng() % 5 != 0) {
        p.named_vectors["img"] = NamedVector{IntVector(rng, 3), 1, false};
      }
      if (rng() % 3 != 0)
        p.named_vectors["tok"] = Matrix(rng, 1 + rng() % 4, 2);
      if (rng() % 2 == 0) {
        p.named_vectors["txt"] = NamedVector{RandomVector(rng, 5), 1, false};
      }
      if (rng() % 4 == 0)
        p.sparse_vectors["bm25"] = SparseVector{{1, 9}, {1, 2}};
      ref[id] = Ref{p.named_vectors, p.sparse_vectors, i % 3};
      batch.push_back(std::move(p));
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
  };
  {
    auto db = OpenNvDb(tmp.path());
    auto c = db->CreateCollection(NamedConfig()).value();
    upsert(c.get(), 0, 200);
    ExpectSearchMatches(c.get(), ref, rng, "memtable");
    ASSERT_TRUE(c->Flush().ok());
    ExpectSearchMatches(c.get(), ref, rng, "one segment");
    upsert(c.get(), 200, 400);
    ASSERT_TRUE(c->Flush().ok());
    upsert(c.get(), 400, 560);  // overwrites some in the memtable
    std::vector<std::string> gone;
    for (int i = 0; i < 500; i += 7) {
      gone.push_back("p" + std::to_string(1000 + i));
    }
    ASSERT_TRUE(c->Delete(gone).ok());
    for (const auto& id : gone) ref.erase(id);
    // A metadata update and a patch keep the named vectors (in a segment
    // and in the memtable).
    for (const char* id : {"p1200", "p1050"}) {
      ASSERT_TRUE(c->UpdateMetadata(id, json{{"g", 2}}).ok());
      ref[id].g = 2;
    }
    MetadataPatch patch;
    patch.set = json{{"g", 0}};
    ASSERT_TRUE(c->PatchMetadata({"p1302", "p1001"}, patch).ok());
    ref["p1302"].g = 0;
    ref["p1001"].g = 0;
    ExpectSearchMatches(c.get(), ref, rng, "segments + memtable");
    ExpectGetMatches(c.get(), ref, "before restart");
  }
  auto db = OpenNvDb(tmp.path());  // WAL replay of the memtable
  auto c = db->GetCollection("nv").value();
  EXPECT_EQ(c->config().vectors, NamedConfig().vectors);
  ExpectSearchMatches(c.get(), ref, rng, "after restart");
  ExpectGetMatches(c.get(), ref, "after restart");
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(c->Info().segment_count, 1u);
  ExpectSearchMatches(c.get(), ref, rng, "after compaction");
  ExpectGetMatches(c.get(), ref, "after compaction");
  ScrollRequest sr;
  sr.limit = 1000;
  sr.include_vector = true;
  auto page = c->Scroll(sr);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->points.size(), ref.size());
  for (const auto& p : page->points) {
    EXPECT_EQ(p.named_vectors, ref.at(p.id).named) << p.id;
  }
  // A batch mixing a named and a main-vector query answers each as alone.
  SearchRequest main;
  main.vector = RandomVector(rng, kMainDim);
  main.k = 3;
  SearchRequest named;
  named.using_vector = "img";
  named.vector = {1, 0, -1};
  named.k = 4;
  auto batch = c->SearchBatch({main, named});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto alone = c->Search(named);
  ASSERT_TRUE(alone.ok());
  ASSERT_EQ((*batch)[1].hits.size(), alone->hits.size());
  for (size_t i = 0; i < alone->hits.size(); ++i) {
    EXPECT_EQ((*batch)[1].hits[i].id, alone->hits[i].id);
  }
  EXPECT_EQ((*batch)[0].hits.size(), 3u);
}

// Each segment's graph per name: explain shows it used (and "flat" names
// scanned), its hits score exactly as the scan's, recall against the exact
// search stays high with and without a filter, and the graphs come back
// after a restart and a compaction.
TEST(NamedVectorsTest, GraphPerSegmentAndName) {
  TempDir tmp;
  std::mt19937 rng(5);
  CollectionConfig cfg = testing::MakeConfig("nvg", kMainDim);
  cfg.vectors = {
      NamedVectorConfig{"emb", 16, Metric::kCosine, false},
      NamedVectorConfig{"flat", 8, Metric::kEuclidean, false},
      NamedVectorConfig{"tok", 8, Metric::kDotProduct, true},
  };
  cfg.vectors[0].index.m = 8;
  cfg.vectors[0].index.ef_construction = 64;
  cfg.vectors[1].index.algorithm = "flat";
  auto upsert = [&](Collection* c, int from, int to) {
    std::vector<Point> batch;
    for (int i = from; i < to; ++i) {
      Point p{"q" + std::to_string(i), RandomVector(rng, kMainDim),
              json{{"g", i % 4}}};
      p.named_vectors["emb"] = NamedVector{RandomVector(rng, 16), 1, false};
      p.named_vectors["flat"] = NamedVector{RandomVector(rng, 8), 1, false};
      NamedVector m;
      m.matrix = true;
      m.rows = 2 + rng() % 4;
      for (uint32_t r = 0; r < m.rows; ++r) {
        auto row = RandomVector(rng, 8);
        m.values.insert(m.values.end(), row.begin(), row.end());
      }
      p.named_vectors["tok"] = std::move(m);
      batch.push_back(std::move(p));
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
  };
  // Recall@10 of the planned search against the exact one, over queries
  // of every name; every segment's plan must be `strategy` for the graph
  // names (and an exact scan for "flat"), and every hit the graph found
  // must score as in the exact answer.
  auto check = [&](Collection* c, const char* strategy, const json& filter,
                   const std::string& what) {
    for (const NamedVectorConfig& nv : cfg.vectors) {
      size_t found = 0, total = 0;
      for (int t = 0; t < 20; ++t) {
        SearchRequest r;
        r.using_vector = nv.name;
        r.k = 10;
        r.filter = filter;
        r.explain = true;
        const uint32_t q_rows = nv.multivector ? 1 + t % 3 : 1;
        for (uint32_t q = 0; q < q_rows; ++q) {
          auto row = RandomVector(rng, nv.dimension);
          r.vector.insert(r.vector.end(), row.begin(), row.end());
        }
        r.vector_rows = nv.multivector ? q_rows : 0;
        auto got = c->Search(r);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        r.exact = true;
        auto want = c->Search(r);
        ASSERT_TRUE(want.ok());
        ASSERT_EQ(want->hits.size(), 10u) << what;
        std::map<std::string, float> exact;
        for (const SearchHit& h : want->hits) exact[h.id] = h.score;
        for (const SearchHit& h : got->hits) {
          if (!filter.is_null()) {
            EXPECT_EQ(h.metadata["g"], filter["g"]) << what;
          }
          auto it = exact.find(h.id);
          if (it == exact.end()) continue;
          ++found;
          EXPECT_EQ(h.score, it->second) << what << " " << nv.name;
        }
        total += want->hits.size();
        size_t segments = 0;
        for (const SourcePlan& p : got->explain) {
          if (p.source != "segment") {
            EXPECT_EQ(p.strategy, "exact_scan") << what;
            continue;
          }
          ++segments;
          EXPECT_EQ(p.strategy,
                    nv.index.algorithm == "flat" ? "exact_scan" : strategy)
              << what << " " << nv.name;
        }
        EXPECT_EQ(segments, c->Info().segment_count) << what;
      }
      EXPECT_GE(static_cast<double>(found) / total, 0.9)
          << what << " " << nv.name << ": recall@10 " << found << "/" << total;
    }
  };
  {
    auto db = OpenNvDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    upsert(c.get(), 0, 1500);
    ASSERT_TRUE(c->Flush().ok());  // background_threads off: built here
    upsert(c.get(), 1500, 3000);
    ASSERT_TRUE(c->Flush().ok());
    upsert(c.get(), 3000, 3100);  // and a memtable
    check(c.get(), "hnsw", json(), "two segments");
    check(c.get(), "hnsw_filtered", json{{"g", 1}}, "filtered");
    // The info shows each name's index.
    EXPECT_EQ(c->config().vectors[1].index.algorithm, "flat");
    EXPECT_EQ(c->config().vectors[0].index.m, 8u);
  }
  auto db = OpenNvDb(tmp.path());  // the graphs are rebuilt at open
  auto c = db->GetCollection("nvg").value();
  EXPECT_EQ(c->config().vectors, cfg.vectors);
  check(c.get(), "hnsw", json(), "after restart");
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Compact().ok());
  ASSERT_EQ(c->Info().segment_count, 1u);
  check(c.get(), "hnsw", json(), "after compaction");
}

TEST(NamedVectorsTest, MaxSimByHand) {
  TempDir tmp;
  auto db = OpenNvDb(tmp.path());
  auto c = db->CreateCollection(NamedConfig()).value();
  std::mt19937 rng(3);
  Point a{"a", RandomVector(rng, kMainDim), {}};
  a.named_vectors["tok"] = NamedVector{{1, 0, 0, 1}, 2, true};
  Point b{"b", RandomVector(rng, kMainDim), {}};
  b.named_vectors["tok"] = NamedVector{{3, 0}, 1, true};
  Point none{"none", RandomVector(rng, kMainDim), {}};
  ASSERT_TRUE(c->Upsert({a, b, none}).ok());
  ASSERT_TRUE(c->Flush().ok());
  SearchRequest r;
  r.using_vector = "tok";
  r.vector = {1, 0, 0, 2};  // two query vectors
  r.vector_rows = 2;
  auto res = c->Search(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  // a: max(1, 0) + max(0, 2) = 3; b: 3 + 0 = 3; tie by id. "none" has no
  // vector under the name: not a hit.
  ASSERT_EQ(res->hits.size(), 2u);
  EXPECT_EQ(res->hits[0].id, "a");
  EXPECT_EQ(res->hits[0].score, 3.0f);
  EXPECT_EQ(res->hits[1].id, "b");
  EXPECT_EQ(res->hits[1].score, 3.0f);
}

TEST(NamedVectorsTest, Refusals) {
  TempDir tmp;
  auto db = OpenNvDb(tmp.path());
  auto c = db->CreateCollection(NamedConfig()).value();
  std::mt19937 rng(2);
  auto refused = [&](Point p) {
    auto r = c->Upsert({p});
    EXPECT_FALSE(r.ok());
    return r.status().message();
  };
  Point p{"x", RandomVector(rng, kMainDim), {}};
  p.named_vectors["nope"] = NamedVector{{1, 2, 3}, 1, false};
  EXPECT_EQ(refused(p),
            "vectors[0].vectors: the collection has no vector named 'nope'");
  p.named_vectors.clear();
  p.named_vectors["img"] = NamedVector{{1, 2}, 1, false};
  EXPECT_EQ(refused(p),
            "vectors[0].vectors.img has 2 values but vector 'img' has "
            "dimension 3");
  p.named_vectors["img"] = NamedVector{{1, 2, 3}, 1, true};
  EXPECT_EQ(refused(p),
            "vectors[0].vectors.img must be one vector, not a list (the "
            "vector is not a multivector)");
  p.named_vectors.clear();
  p.named_vectors["tok"] = NamedVector{{1, 2}, 1, false};
  EXPECT_EQ(refused(p),
            "vectors[0].vectors.tok must be a list of vectors (the vector is "
            "a multivector)");
  p.named_vectors.clear();
  p.named_vectors["txt"] = NamedVector{{0, 0, 0, 0, 0}, 1, false};
  EXPECT_EQ(refused(p),
            "vectors[0].vectors.txt is all zeros: cosine similarity is "
            "undefined for a zero vector");
  p.named_vectors.clear();
  p.named_vectors["tok"] = NamedVector{{1, NAN}, 1, true};
  EXPECT_EQ(refused(p), "vectors[0].vectors.tok[0][1] is not a finite number");

  SearchRequest r;
  r.using_vector = "nope";
  r.vector = {1, 2, 3};
  EXPECT_EQ(c->Search(r).status().message(),
            "using: the collection has no vector named 'nope'");
  r.using_vector = "img";
  r.vector = {1, 2};
  EXPECT_EQ(c->Search(r).status().code(), StatusCode::kDimensionMismatch);
  r.using_vector = "tok";
  r.vector = {1, 2};
  EXPECT_EQ(c->Search(r).status().message(),
            "query vector must be a list of vectors (the vector is a "
            "multivector)");

  // Config checks.
  CollectionConfig bad = NamedConfig();
  bad.name = "bad";
  bad.vectors.push_back(NamedVectorConfig{"bm25", 3, Metric::kCosine, false});
  std::sort(bad.vectors.begin(), bad.vectors.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  EXPECT_EQ(db->CreateCollection(bad).status().message(),
            "'bm25' names both a vector and a sparse vector");
  bad = NamedConfig();
  bad.name = "bad";
  bad.vectors[0].dimension = 0;
  EXPECT_FALSE(db->CreateCollection(bad).ok());
  bad = NamedConfig();
  bad.name = "bad";
  bad.vectors[0].index.algorithm = "ivf";
  EXPECT_EQ(db->CreateCollection(bad).status().message(),
            "vectors.img.index.indexing_algorithm must be hnsw or flat, got "
            "'ivf'");
  bad.vectors[0].index.algorithm = "hnsw";
  bad.vectors[0].index.quantization = "int8";
  EXPECT_EQ(db->CreateCollection(bad).status().message(),
            "vectors.img.index.quantization must be none (named vectors are "
            "searched on their float values), got 'int8'");
  bad.vectors[0].index.quantization = "none";
  bad.vectors[0].index.m = 1;
  EXPECT_FALSE(db->CreateCollection(bad).ok());
  bad.vectors[0].index.m = 16;
  bad.vectors[0].index.ef_search = 0;
  EXPECT_FALSE(db->CreateCollection(bad).ok());
  bad = NamedConfig();
  bad.name = "bad";
  bad.sparse_vectors.clear();
  bad.wal_format = WalFormat::kAvro;
  EXPECT_EQ(db->CreateCollection(bad).status().message(),
            "vectors (named vectors) need wal_format 'native' (the Avro WAL "
            "schema has no named vectors)");
}

}  // namespace named_vectors_test
}  // namespace proximadb
