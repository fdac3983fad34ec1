// SearchBatch through the embeddable API: a batch answers exactly what the
// same searches answer one by one (hits, scores, stats, explain), over the
// memtable and segments, flat and HNSW collections, with filters, exact
// queries and payload indexes; an error names the query that caused it.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "collection/test_util.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kDim = 24;

std::unique_ptr<DB> OpenManual(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // graph builds run inline
  auto db = DB::Open(o, dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

// Three batches of points: two flushed to segments, one left in the
// memtable, a few deleted from each.
void Fill(Collection& c, std::mt19937& rng) {
  int n = 0;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<Point> pts;
    for (int i = 0; i < 400; ++i, ++n) {
      pts.push_back({"p" + std::to_string(n), RandomVector(rng, kDim),
                     nlohmann::json{{"g", n % 4}, {"n", n}}});
    }
    ASSERT_TRUE(c.Upsert(std::move(pts)).ok());
    ASSERT_TRUE(
        c.Delete({"p" + std::to_string(n - 7), "p" + std::to_string(n - 300)})
            .ok());
    if (batch < 2) {
      ASSERT_TRUE(c.Flush().ok());
    }
  }
}

std::vector<SearchRequest> Queries(std::mt19937& rng) {
  std::vector<SearchRequest> qs;
  for (int i = 0; i < 24; ++i) {
    SearchRequest r;
    r.vector = RandomVector(rng, kDim);
    r.k = std::vector<uint32_t>{1, 10, 50}[i % 3];
    if (i % 4 == 1) r.filter = {{"g", 2}};
    if (i % 4 == 2) r.filter = {{"n", {{"$lt", 100}}}};  // few matches
    r.exact = i % 5 == 0;
    r.explain = i % 2 == 0;
    r.include_vector = i % 7 == 0;
    if (i % 6 == 3) r.ef_search = 16;
    qs.push_back(std::move(r));
  }
  // A query equal to a stored point.
  qs[5].vector = qs[4].vector;
  return qs;
}

void ExpectSame(const SearchResult& got, const SearchResult& want) {
  ASSERT_EQ(got.hits.size(), want.hits.size());
  for (size_t j = 0; j < want.hits.size(); ++j) {
    EXPECT_EQ(got.hits[j].id, want.hits[j].id) << "rank " << j;
    EXPECT_EQ(got.hits[j].score, want.hits[j].score) << "rank " << j;
    EXPECT_EQ(got.hits[j].metadata, want.hits[j].metadata);
    EXPECT_EQ(got.hits[j].vector, want.hits[j].vector);
  }
  EXPECT_EQ(got.stats.distances_computed, want.stats.distances_computed);
  EXPECT_EQ(got.stats.points_scanned, want.stats.points_scanned);
  EXPECT_EQ(got.stats.nodes_visited, want.stats.nodes_visited);
  EXPECT_EQ(got.stats.sources_searched, want.stats.sources_searched);
  ASSERT_EQ(got.explain.size(), want.explain.size());
  for (size_t s = 0; s < want.explain.size(); ++s) {
    EXPECT_EQ(got.explain[s].source, want.explain[s].source);
    EXPECT_EQ(got.explain[s].segment_id, want.explain[s].segment_id);
    EXPECT_EQ(got.explain[s].strategy, want.explain[s].strategy);
    EXPECT_EQ(got.explain[s].matches, want.explain[s].matches);
    EXPECT_EQ(got.explain[s].candidates, want.explain[s].candidates);
    EXPECT_EQ(got.explain[s].ef, want.explain[s].ef);
    EXPECT_EQ(got.explain[s].distances_computed,
              want.explain[s].distances_computed);
  }
}

TEST(BatchSearchTest, ABatchAnswersExactlyLikeOneSearchAtATime) {
  for (const char* algorithm : {"flat", "hnsw"}) {
    for (Metric metric : {Metric::kEuclidean, Metric::kCosine}) {
      SCOPED_TRACE(std::string(algorithm) + " metric " +
                   std::to_string(int(metric)));
      TempDir tmp;
      auto db = OpenManual(tmp.path());
      CollectionConfig cfg = MakeConfig("c", kDim, metric);
      cfg.index.algorithm = algorithm;
      auto c = db->CreateCollection(cfg).value();
      ASSERT_TRUE(
          c->CreatePayloadIndex({"n", PayloadIndexType::kInteger}).ok());
      std::mt19937 rng(17);
      Fill(*c, rng);
      const auto queries = Queries(rng);
      auto batch = c->SearchBatch(queries);
      ASSERT_TRUE(batch.ok()) << batch.status().ToString();
      ASSERT_EQ(batch->size(), queries.size());
      std::set<std::string> strategies;
      for (size_t i = 0; i < queries.size(); ++i) {
        SCOPED_TRACE("query " + std::to_string(i));
        auto one = c->Search(queries[i]);
        ASSERT_TRUE(one.ok()) << one.status().ToString();
        ASSERT_FALSE(one->hits.empty());
        ExpectSame((*batch)[i], *one);
        for (const SourcePlan& p : one->explain) strategies.insert(p.strategy);
      }
      // The batch mixed shared scans with graph walks and index scans.
      EXPECT_TRUE(strategies.count("exact_scan"));
      EXPECT_TRUE(strategies.count("index_scan"));
      if (std::string(algorithm) == "hnsw") {
        EXPECT_TRUE(strategies.count("hnsw"));
      }
    }
  }
}

TEST(BatchSearchTest, AnErrorNamesTheQuery) {
  TempDir tmp;
  auto db = OpenManual(tmp.path());
  auto c = db->CreateCollection(MakeConfig("c", kDim)).value();
  std::mt19937 rng(3);
  Fill(*c, rng);
  auto queries = Queries(rng);
  EXPECT_TRUE(c->SearchBatch({})->empty());

  auto bad_dim = queries;
  bad_dim[2].vector.pop_back();
  auto r = c->SearchBatch(bad_dim);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("queries[2]: ", 0), 0u)
      << r.status().ToString();

  auto bad_filter = queries;
  bad_filter[1].filter = {{"n", {{"$near", 1}}}};
  r = c->SearchBatch(bad_filter);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
      << r.status().ToString();
  EXPECT_EQ(r.status().message().rfind("queries[1]: ", 0), 0u)
      << r.status().ToString();

  // One search alone keeps its unprefixed message.
  auto one = c->Search(bad_filter[1]);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().message().find("queries["), std::string::npos);
}

}  // namespace
}  // namespace proximadb
