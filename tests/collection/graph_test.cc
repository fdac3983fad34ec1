// HNSW graphs behind collections: built after flush, used by search (with
// deletes and filters applied during traversal), saved beside the segment
// and loaded after a restart without a rebuild; a damaged graph is rebuilt.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "collection/db_impl.h"
#include "collection/test_util.h"

namespace proximadb {
namespace {

using testing::RandomVector;
using testing::TempDir;

std::unique_ptr<DB> OpenGraphDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // graph builds run inline: deterministic
  return DB::Open(o, dir).value();
}

// Two flushed segments of 2000 random points p0..p3999, metadata
// {"mod": i % 10}.
bool FillTwoSegments(Collection& c, uint32_t dim, std::mt19937& rng) {
  for (int part = 0; part < 2; ++part) {
    std::vector<Point> batch;
    for (int i = 0; i < 2000; ++i) {
      batch.push_back({"p" + std::to_string(part * 2000 + i),
                       RandomVector(rng, dim),
                       {{"mod", i % 10}}});
    }
    if (!c.Upsert(batch).ok() || !c.Flush().ok()) return false;
  }
  return true;
}

class GraphTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GraphTest, BuiltAfterFlushSavedAndReloaded) {
  TempDir tmp;
  const uint32_t dim = 32;
  CollectionConfig cfg;
  cfg.name = "g";
  cfg.dimension = dim;
  cfg.metric = Metric::kCosine;
  cfg.index.algorithm = "hnsw";
  cfg.index.quantization = GetParam();
  // Binary and pq codes rank coarsely (32 bits, or 8 bytes, for these
  // random points, the worst case for them) and the whole beam is re-scored: a
  // wider beam is how a user buys recall back, at more distances per search.
  const bool binary = GetParam() == "binary" || GetParam() == "pq";
  if (binary) cfg.index.ef_search = 128;
  std::mt19937 rng(5);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 50; ++i) queries.push_back(RandomVector(rng, dim));
  {
    auto db = OpenGraphDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    ASSERT_TRUE(FillTwoSegments(*c, dim, rng));
    EXPECT_EQ(testing::IndexFiles(tmp.path()).size(), 2u);
    {  // the graph does the work, not a scan of all 4000 points
      SearchRequest probe;
      probe.vector = queries[0];
      auto r = c->Search(probe).value();
      EXPECT_LT(r.stats.distances_computed, binary ? 3500u : 3000u);
      EXPECT_GT(r.stats.nodes_visited, 0u);
      probe.exact = true;
      EXPECT_EQ(c->Search(probe)->stats.distances_computed, 4000u);
    }
    const double floor = GetParam() == "none" ? 0.95 : 0.90;
    EXPECT_GE(testing::SearchRecall(*c, queries), floor);
    EXPECT_GE(testing::SearchRecall(*c, queries, {{"mod", 3}}),
              floor);  // 10% match
    // Deleted points never come back, even as graph neighbours.
    SearchRequest req;
    req.vector = queries[0];
    auto before = c->Search(req).value();
    std::vector<std::string> del;
    for (auto& h : before.hits) del.push_back(h.id);
    ASSERT_EQ(c->Delete(del).value(), del.size());
    auto after = c->Search(req).value();
    ASSERT_EQ(after.hits.size(), 10u);
    for (auto& h : after.hits) {
      EXPECT_EQ(std::count(del.begin(), del.end(), h.id), 0) << h.id;
    }
  }
  // Restart: graphs are loaded, not rebuilt (the files are untouched).
  auto graphs = testing::IndexFiles(tmp.path());
  std::vector<std::filesystem::file_time_type> mtimes;
  for (auto& g : graphs) mtimes.push_back(std::filesystem::last_write_time(g));
  SearchRequest req;
  req.vector = queries[1];
  std::vector<std::string> first;
  {
    auto db = OpenGraphDb(tmp.path());
    auto c = db->GetCollection("g").value();
    for (size_t i = 0; i < graphs.size(); ++i) {
      EXPECT_EQ(std::filesystem::last_write_time(graphs[i]), mtimes[i]);
    }
    auto res = c->Search(req).value();
    for (auto& h : res.hits) first.push_back(h.id);
    EXPECT_EQ(first.size(), 10u);
  }
  // A damaged graph is rebuilt at open; search results stay the same.
  {
    std::fstream f(graphs[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  auto db = OpenGraphDb(tmp.path());
  auto c = db->GetCollection("g").value();
  std::vector<std::string> again;
  auto res = c->Search(req).value();
  for (auto& h : res.hits) again.push_back(h.id);
  EXPECT_EQ(again, first);
  EXPECT_GE(testing::SearchRecall(*c, queries),
            GetParam() == "none" ? 0.95 : 0.90);
}

INSTANTIATE_TEST_SUITE_P(Quantization, GraphTest,
                         ::testing::Values("none", "int8", "binary", "pq"));

// A flat collection with a quantization: each segment's sidecar holds the
// codes only, searches scan them and re-score the best on the floats.
class FlatCodesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FlatCodesTest, ScansCodesSavedAndReloaded) {
  TempDir tmp;
  const uint32_t dim = 32;
  CollectionConfig cfg;
  cfg.name = "f";
  cfg.dimension = dim;
  cfg.metric = Metric::kEuclidean;
  cfg.index.algorithm = "flat";
  cfg.index.quantization = GetParam();
  // Random points are the worst case for coarse codes (32 bits, 8 bytes):
  // binary and pq re-score more of the code ranking.
  const bool coarse = GetParam() != "int8";
  cfg.index.ef_search = coarse ? 300 : 64;
  std::mt19937 rng(7);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 50; ++i) queries.push_back(RandomVector(rng, dim));
  SearchRequest req;
  req.vector = queries[1];
  req.explain = true;
  std::vector<std::string> first;
  {
    auto db = OpenGraphDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    ASSERT_TRUE(FillTwoSegments(*c, dim, rng));
    ASSERT_EQ(testing::IndexFiles(tmp.path()).size(), 2u);
    auto r = c->Search(req).value();
    int segments = 0;
    for (const SourcePlan& p : r.explain) {
      if (p.source != "segment") continue;  // the (empty) memtable
      ++segments;
      EXPECT_EQ(p.strategy, "quantized_scan");
      EXPECT_EQ(p.ef, cfg.index.ef_search);
    }
    EXPECT_EQ(segments, 2);
    // Every code, then at most ef rows of each segment on the floats.
    EXPECT_EQ(r.stats.points_scanned, 4000u);
    EXPECT_GT(r.stats.distances_computed, 4000u);
    EXPECT_LE(r.stats.distances_computed, 4000u + 2 * cfg.index.ef_search);
    EXPECT_EQ(r.stats.nodes_visited, 0u);
    for (auto& h : r.hits) first.push_back(h.id);
    EXPECT_EQ(first.size(), 10u);
    SearchRequest exact = req;
    exact.exact = true;
    auto e = c->Search(exact).value();
    EXPECT_EQ(e.explain.back().strategy, "exact_scan");
    EXPECT_EQ(e.stats.distances_computed, 4000u);

    EXPECT_GE(testing::SearchRecall(*c, queries), 0.95);
    EXPECT_GE(testing::SearchRecall(*c, queries, {{"mod", 3}}),
              0.95);  // 10% match
    // A filter matching fewer than k points: all of them, none other.
    auto few = req;
    few.filter = {{"mod", 3}};
    few.k = 500;
    auto got = c->Search(few).value();
    EXPECT_EQ(got.hits.size(), 400u);
    // Deleted points never come back.
    std::vector<std::string> del = first;
    ASSERT_EQ(c->Delete(del).value(), del.size());
    auto after = c->Search(req).value();
    ASSERT_EQ(after.hits.size(), 10u);
    for (auto& h : after.hits) {
      EXPECT_EQ(std::count(del.begin(), del.end(), h.id), 0) << h.id;
    }
  }
  // Restart: the codes are loaded, not rebuilt.
  auto files = testing::IndexFiles(tmp.path());
  std::vector<std::filesystem::file_time_type> mtimes;
  for (auto& g : files) mtimes.push_back(std::filesystem::last_write_time(g));
  auto db = OpenGraphDb(tmp.path());
  auto c = db->GetCollection("f").value();
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(std::filesystem::last_write_time(files[i]), mtimes[i]);
  }
  auto r = c->Search(req).value();
  EXPECT_EQ(r.explain.back().strategy, "quantized_scan");
  EXPECT_EQ(r.hits.size(), 10u);
  EXPECT_GE(testing::SearchRecall(*c, queries), 0.95);
}

INSTANTIATE_TEST_SUITE_P(Quantization, FlatCodesTest,
                         ::testing::Values("int8", "binary", "pq"));

TEST(FlatCodesTest, NoQuantizationNoSidecar) {
  TempDir tmp;
  CollectionConfig cfg;
  cfg.name = "f";
  cfg.dimension = 8;
  cfg.index.algorithm = "flat";
  auto db = OpenGraphDb(tmp.path());
  auto c = db->CreateCollection(cfg).value();
  std::mt19937 rng(3);
  std::vector<Point> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back({"p" + std::to_string(i), RandomVector(rng, 8), {}});
  }
  ASSERT_TRUE(c->Upsert(batch).ok());
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_TRUE(testing::IndexFiles(tmp.path()).empty());
  SearchRequest req;
  req.vector = batch[0].vector;
  req.explain = true;
  EXPECT_EQ(c->Search(req)->explain.back().source, "segment");
  EXPECT_EQ(c->Search(req)->explain.back().strategy, "exact_scan");
}

}  // namespace
}  // namespace proximadb
