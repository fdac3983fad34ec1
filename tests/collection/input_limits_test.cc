// The limits of util/limits.h through the embeddable API: vectors whose
// squared norm would overflow float are refused (points and queries, every
// metric), vectors at the bound score finitely from every source and index,
// and metadata nests at most kMaxJsonDepth levels.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <string>

#include "collection/test_util.h"
#include "proximadb/db.h"
#include "util/limits.h"

namespace proximadb {
namespace {

using testing::TempDir;

std::unique_ptr<DB> OpenDB(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // graph builds run inline on flush
  auto db = DB::Open(o, dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

// The largest float c with dim * c^2 <= kMaxSquaredNorm (summed in double).
float AtBound(size_t dim) {
  float c = static_cast<float>(std::sqrt(kMaxSquaredNorm / double(dim)));
  while (double(dim) * double(c) * c > kMaxSquaredNorm) {
    c = std::nextafter(c, 0.0f);
  }
  return c;
}

struct Case {
  Metric metric;
  std::string algorithm;
  std::string quantization;
};

class HugeVectorTest : public ::testing::TestWithParam<Case> {};

TEST_P(HugeVectorTest, RefusedWithTheBoundAndNeverScoredNonFinite) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  CollectionConfig cfg;
  cfg.name = "c";
  cfg.dimension = 4;
  cfg.metric = GetParam().metric;
  cfg.index.algorithm = GetParam().algorithm;
  cfg.index.quantization = GetParam().quantization;
  auto c = db->CreateCollection(cfg).value();

  // The vector: finite, but its squared norm overflows float.
  const std::vector<float> huge(4, 3.4e38f);
  auto r = c->Upsert({{"ok", {1, 2, 3, 4}, {}}, {"huge", huge, {}}});
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("vectors[1] is too large"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("FLT_MAX/8"), std::string::npos);
  EXPECT_EQ(c->Count().value(), 0u);
  // One value alone can be too large as well (1e19^2 = 1e38).
  EXPECT_EQ(c->Upsert({{"big", {1e19f, 0, 0, 1}, {}}}).status().code(),
            StatusCode::kInvalidArgument);

  SearchRequest q;
  q.vector = huge;
  auto s = c->Search(q);
  ASSERT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("query vector is too large"),
            std::string::npos)
      << s.status().message();

  // At the bound everything is accepted and every score is finite: from
  // the memtable, then from a flushed segment (graph, int8 codes).
  const float b = AtBound(4);
  std::vector<Point> points = {{"pos", {b, b, b, b}, {}},
                               {"neg", {-b, -b, -b, -b}, {}},
                               {"mix", {b, -b, b, -b}, {}},
                               {"one", {1, 2, 3, 4}, {}}};
  ASSERT_TRUE(c->Upsert(points).ok());
  for (int round = 0; round < 2; ++round) {
    for (const Point& p : points) {
      for (bool exact : {true, false}) {
        SearchRequest req;
        req.vector = p.vector;
        req.k = 10;
        req.exact = exact;
        auto res = c->Search(req);
        ASSERT_TRUE(res.ok()) << res.status().ToString();
        ASSERT_EQ(res->hits.size(), points.size());
        for (const SearchHit& h : res->hits) {
          EXPECT_TRUE(std::isfinite(h.score))
              << p.id << " -> " << h.id << " round " << round;
        }
      }
    }
    ASSERT_TRUE(c->Flush().ok());
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllMetrics, HugeVectorTest,
    ::testing::Values(Case{Metric::kCosine, "flat", "none"},
                      Case{Metric::kEuclidean, "flat", "none"},
                      Case{Metric::kDotProduct, "flat", "none"},
                      Case{Metric::kCosine, "hnsw", "none"},
                      Case{Metric::kEuclidean, "hnsw", "int8"},
                      Case{Metric::kDotProduct, "hnsw", "int8"},
                      Case{Metric::kCosine, "hnsw", "int8"}),
    [](const auto& info) {
      const char* m = info.param.metric == Metric::kCosine      ? "cosine"
                      : info.param.metric == Metric::kEuclidean ? "euclidean"
                                                                : "dot";
      return std::string(m) + "_" + info.param.algorithm + "_" +
             info.param.quantization;
    });

nlohmann::json Nested(size_t depth) {
  nlohmann::json m = {{"leaf", 1}};
  for (size_t i = 1; i < depth; ++i) m = {{"a", std::move(m)}};
  return m;
}

TEST(MetadataDepthTest, OneLimitForUpsertAndUpdate) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  CollectionConfig cfg;
  cfg.name = "c";
  cfg.dimension = 2;
  cfg.index.algorithm = "flat";
  auto c = db->CreateCollection(cfg).value();
  ASSERT_EQ(kMaxJsonDepth, 32u);
  ASSERT_TRUE(c->Upsert({{"p", {1, 2}, Nested(kMaxJsonDepth)}}).ok());
  EXPECT_EQ(c->Get("p")->metadata, Nested(kMaxJsonDepth));

  auto r = c->Upsert({{"q", {1, 2}, Nested(kMaxJsonDepth + 1)}});
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "vectors[0].metadata is nested deeper than 32 levels");
  Status u = c->UpdateMetadata("p", Nested(kMaxJsonDepth + 1));
  ASSERT_EQ(u.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(u.message(), "metadata is nested deeper than 32 levels");
  EXPECT_TRUE(c->UpdateMetadata("p", Nested(kMaxJsonDepth)).ok());
}

}  // namespace
}  // namespace proximadb
