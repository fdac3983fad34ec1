// CompareOnRows (index/calibrate.h): the rows as queries with themselves
// left out; an exact index has recall 1, a crippled graph less; the times
// are measured; degenerate inputs measure nothing.
#include "index/calibrate.h"

#include <gtest/gtest.h>

#include "hnsw_test_util.h"
#include "index/flat_index.h"
#include "index/hnsw/hnsw_index.h"
#include "index/ivf/ivf_index.h"

namespace proximadb::index {
namespace {

using testing::ClusteredData;
using testing::Dataset;

TEST(CalibrateTest, ExactIndexesHaveRecallOneAndAPoorGraphLess) {
  const Dataset data = ClusteredData(3000, 32, 20, 7);
  FlatIndex flat(data.view(), Metric::kEuclidean);
  IvfParams ip;
  ip.nlist = 1;  // one partition: the probe is a full scan on the floats
  auto ivf = IvfIndex::Build(data.view(), Metric::kEuclidean, ip, 2);
  ASSERT_TRUE(ivf.ok());
  const Calibration same = CompareOnRows(flat, {}, **ivf, {}, data.view(),
                                         Metric::kEuclidean, 100, 10);
  EXPECT_EQ(same.queries, 100u);
  EXPECT_DOUBLE_EQ(same.a.recall, 1.0);
  EXPECT_GE(same.b.recall, 0.999);  // ties may order differently
  EXPECT_GT(same.a.micros, 0.0);
  EXPECT_GT(same.b.micros, 0.0);

  HnswParams poor;
  poor.m = 2;
  poor.ef_construction = 4;
  auto graph = HnswIndex::Build(data.view(), Metric::kEuclidean, poor, 2);
  ASSERT_TRUE(graph.ok());
  SearchParams narrow;
  narrow.ef_search = 1;  // a beam of k
  const Calibration c = CompareOnRows(**ivf, {}, **graph, narrow, data.view(),
                                      Metric::kEuclidean, 100, 10);
  EXPECT_GE(c.a.recall, 0.999);
  EXPECT_LT(c.b.recall, 0.9);
  // A wide beam on a good graph is near exact.
  HnswParams good;
  auto better = HnswIndex::Build(data.view(), Metric::kEuclidean, good, 2);
  ASSERT_TRUE(better.ok());
  SearchParams wide;
  wide.ef_search = 200;
  const Calibration w = CompareOnRows(**ivf, {}, **better, wide, data.view(),
                                      Metric::kEuclidean, 100, 10);
  EXPECT_GE(w.b.recall, 0.97);
  EXPECT_GT(w.b.recall, c.b.recall);
}

TEST(CalibrateTest, QueriesAreCappedByTheRowsAndNothingIsMeasuredOfTooFew) {
  const Dataset data = ClusteredData(50, 8, 3, 9);
  FlatIndex flat(data.view(), Metric::kCosine);
  Calibration c =
      CompareOnRows(flat, {}, flat, {}, data.view(), Metric::kCosine, 500, 5);
  EXPECT_EQ(c.queries, 50u);
  EXPECT_DOUBLE_EQ(c.a.recall, 1.0);
  const Dataset one = ClusteredData(1, 8, 1, 9);
  FlatIndex single(one.view(), Metric::kCosine);
  c = CompareOnRows(single, {}, single, {}, one.view(), Metric::kCosine, 10, 5);
  EXPECT_EQ(c.queries, 0u);
  c = CompareOnRows(flat, {}, flat, {}, data.view(), Metric::kCosine, 0, 5);
  EXPECT_EQ(c.queries, 0u);
}

}  // namespace
}  // namespace proximadb::index
