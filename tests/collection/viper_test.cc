// The viper strategy and filterable columns (docs/API.md, "Filterable
// columns"; collection/column_stats.h):
//  * soundness: over random metadata (irregular values, arrays, missing and
//    nested fields) and random filters, a partition the statistics rule out
//    never holds a row that matches;
//  * end to end: a viper collection prunes partitions for a filter on a
//    column that follows the clusters, keeps recall, creates the payload
//    index of an indexed column, and does the same after a restart, from
//    the statistics saved in its index files.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include "collection/column_stats.h"
#include "collection/test_util.h"
#include "filter/column_match.h"
#include "filter/filter.h"
#include "index/ivf/ivf_index.h"
#include "storage/segment/segment.h"
#include "util/manual_clock.h"

namespace proximadb {
namespace {

using nlohmann::json;
using testing::TempDir;

constexpr uint32_t kViperDim = 16;
constexpr int kViperClusters = 12;

struct ViperRows {
  std::vector<float> data, norms;
  std::vector<std::string> meta;  // compact JSON per row
};

std::string ViperDay(int cluster, int hour) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "2024-01-%02dT%02d:00:00Z", cluster + 1,
                hour);
  return buf;
}

// Row i belongs to cluster i % kViperClusters; its metadata follows the
// cluster, with noise when `noisy`: wrong types, arrays, missing fields.
json ViperMeta(int cluster, std::mt19937& rng, bool noisy) {
  json m = {{"cat", "c" + std::to_string(cluster)},
            {"price", cluster * 100 + static_cast<int>(rng() % 100)},
            {"ts", ViperDay(cluster, static_cast<int>(rng() % 24))},
            {"ok", cluster % 2 == 0},
            {"f", cluster + (rng() % 1000) / 1000.0},
            {"a", {{"n", cluster}}}};
  switch (noisy ? rng() % 40 : 40) {
    case 0:
      m["price"] = "n/a";  // irregular for an int column
      break;
    case 1:
      m["cat"] = json::array({"c" + std::to_string(cluster), "shared"});
      break;
    case 2:
      m.erase("ts");
      break;
    case 3:
      m["ts"] = "yesterday";  // not an instant: irregular
      break;
    case 4:
      m["price"] = nullptr;
      break;
    case 5:
      m["a"] = json::array({json{{"n", 99}}, json{{"n", cluster}}});
      break;
    case 6:
      m["a"] = 5;  // a scalar where "a.n" needs an object: reaches nothing
      break;
    case 7:
      m["cat"] = json{{"x", 1}};  // an object at the column's path
      break;
    case 8:
      m["price"] = std::numeric_limits<uint64_t>::max();
      break;
    case 9:
      m["f"] = cluster;  // an integer in a float column
      break;
    default:
      break;
  }
  return m;
}

ViperRows MakeViperRows(int n, std::mt19937& rng, bool noisy) {
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> centres(kViperClusters);
  std::mt19937 crng(9);
  for (auto& c : centres) {
    c.resize(kViperDim);
    for (auto& x : c) x = 6 * g(crng);
  }
  ViperRows r;
  for (int i = 0; i < n; ++i) {
    const int cl = i % kViperClusters;
    double norm = 0;
    for (uint32_t d = 0; d < kViperDim; ++d) {
      const float x = centres[cl][d] + g(rng);
      r.data.push_back(x);
      norm += double(x) * x;
    }
    r.norms.push_back(static_cast<float>(std::sqrt(norm)));
    r.meta.push_back(ViperMeta(cl, rng, noisy).dump());
  }
  return r;
}

const std::vector<FilterableColumn> kViperColumns = {
    {"cat", "string", false},  {"price", "int", false},
    {"ts", "datetime", false}, {"ok", "bool", false},
    {"f", "float", false},     {"a.n", "int", true}};

json RandomViperFilter(std::mt19937& rng, int depth = 0) {
  const int k = static_cast<int>(rng() % kViperClusters);
  switch (rng() % (depth < 2 ? 17 : 14)) {
    case 0:
      return {{"cat", "c" + std::to_string(k)}};
    case 1:
      return {{"cat", {{"$in", {"c" + std::to_string(k), "shared", 7}}}}};
    case 2:
      return {{"price", {{"$gte", k * 100 + 50}, {"$lt", k * 100 + 180}}}};
    case 3:
      return {{"price", k * 100 + static_cast<int>(rng() % 100)}};
    case 4:
      return {{"price", k * 100.0 + 3}};
    case 5:
      return {{"ts", {{"$gte", ViperDay(k, 20)}}}};
    case 6:
      return {{"ts", {{"$lt", ViperDay(k, 2)}}}};
    case 7:
      return {{"ok", rng() % 2 == 0}};
    case 8:
      return {{"f", {{"$lte", k + 0.5}}}};
    case 9:
      return {{"a.n", {{"$gt", k}}}};
    case 10:
      return {{"cat", {{"$ne", "c" + std::to_string(k)}}}};
    case 11:
      return {{"price", "n/a"}};
    case 12:
      return {{"ts", ViperDay(k, 5)}};
    case 13:
      return {{"unknown", 1}};
    case 14:
      return {{"$or",
               {RandomViperFilter(rng, depth + 1),
                RandomViperFilter(rng, depth + 1)}}};
    case 15:
      return {{"$and",
               {RandomViperFilter(rng, depth + 1),
                RandomViperFilter(rng, depth + 1)}}};
    default:
      return {{"$not", RandomViperFilter(rng, depth + 1)}};
  }
}

TEST(ColumnStatsTest, APrunedPartitionHoldsNoMatchingRow) {
  std::mt19937 rng(3);
  const ViperRows rows = MakeViperRows(3000, rng, /*noisy=*/true);
  const auto n = static_cast<uint32_t>(rows.norms.size());
  index::IvfParams p;
  p.nlist = 40;
  auto ivf = index::IvfIndex::Build(
      {rows.data.data(), rows.norms.data(), n, kViperDim}, Metric::kEuclidean,
      p, 2);
  ASSERT_TRUE(ivf.ok());
  auto cols = BuildSegmentColumns(kViperColumns, **ivf, [&](uint32_t r) {
    return std::string_view(rows.meta[r]);
  });
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  const ColumnPartitionStats stats(*cols->stats, (*ivf)->nlist());
  std::vector<json> docs;
  for (const std::string& m : rows.meta) docs.push_back(json::parse(m));
  int pruning_filters = 0, pruned = 0;
  for (int t = 0; t < 600; ++t) {
    const json spec = RandomViperFilter(rng);
    const filter::Filter f = filter::Filter::Parse(spec).value();
    const std::vector<uint8_t> mask = filter::PartitionMask(f, stats);
    if (mask.empty()) continue;
    ASSERT_EQ(mask.size(), (*ivf)->nlist());
    ++pruning_filters;
    for (uint32_t part = 0; part < mask.size(); ++part) {
      if (mask[part]) continue;
      ++pruned;
      for (uint32_t r : (*ivf)->partition_rows(part)) {
        ASSERT_FALSE(f.Matches(docs[r])) << spec.dump() << " pruned partition "
                                         << part << " holding " << rows.meta[r];
      }
    }
  }
  // The statistics do prune: most filters here follow the clusters.
  EXPECT_GT(pruning_filters, 200);
  EXPECT_GT(pruned, 4000);
}

// RandomViperFilter, and now and then the operators it lacks ($exists,
// $nin, $text) and a condition on a field that is not a column.
json RandomColumnFilter(std::mt19937& rng) {
  const int k = static_cast<int>(rng() % kViperClusters);
  switch (rng() % 12) {
    case 0:
      return {{"a.n", {{"$exists", rng() % 2 == 0}}}};
    case 1:
      return {{"price", {{"$nin", {k * 100 + 1, nullptr, "n/a"}}}}};
    case 2:
      return {{"cat", {{"$text", "c" + std::to_string(k)}}}};
    case 3:
      return {{"$and", {RandomViperFilter(rng), {{"note", "x"}}}}};
    case 4:
      return {{"price", {{"$gt", 18446744073709551614.0}}}};
    default:
      return RandomViperFilter(rng);
  }
}

TEST(ColumnMatcherTest, RowColumnsAnswerExactlyAsTheJson) {
  std::mt19937 rng(5);
  ViperRows rows = MakeViperRows(2400, rng, /*noisy=*/true);
  rows.meta[7] = "{}";
  rows.meta[8] = R"({"cat":null,"a":{"n":null},"price":-3})";
  rows.meta[9] = R"({"a":{"n":{"deep":1}},"ts":"2024-01-03T05:00:00+00:00"})";
  const auto n = static_cast<uint32_t>(rows.norms.size());
  index::IvfParams p;
  p.nlist = 30;
  auto ivf = index::IvfIndex::Build(
      {rows.data.data(), rows.norms.data(), n, kViperDim}, Metric::kEuclidean,
      p, 2);
  ASSERT_TRUE(ivf.ok());
  auto built = BuildSegmentColumns(kViperColumns, **ivf, [&](uint32_t r) {
    return std::string_view(rows.meta[r]);
  });
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  // What the file keeps is what was built.
  uint64_t raw = 0;
  auto packed = built->rows->Encode(&raw);
  ASSERT_TRUE(packed.ok());
  auto decoded = index::RowColumns::Decode(*packed, raw, n);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(*decoded, *built->rows);
  const ColumnRowCells cells(*decoded);
  int complete = 0;
  uint64_t answered = 0, asked = 0;
  for (int t = 0; t < 500; ++t) {
    const json spec = RandomColumnFilter(rng);
    const filter::Filter f = filter::Filter::Parse(spec).value();
    const filter::ColumnMatcher m(f, cells);
    complete += m.complete() ? 1 : 0;
    for (uint32_t r = 0; r < n; ++r) {
      const filter::Tri got = m.Match(r);
      ++asked;
      if (got == filter::Tri::kUnknown) continue;
      ++answered;
      ASSERT_EQ(got == filter::Tri::kYes, f.MatchesText(rows.meta[r]))
          << spec.dump() << " on " << rows.meta[r];
    }
  }
  // Most filters read columns only, and most rows are plain scalars there.
  EXPECT_GT(complete, 350);
  EXPECT_GT(answered, asked * 8 / 10);
}

// A viper collection of kViperDim euclidean vectors: ivf, int8, hash.
CollectionConfig ViperConfig(const std::string& name) {
  CollectionConfig cfg;
  cfg.name = name;
  cfg.dimension = kViperDim;
  cfg.metric = Metric::kEuclidean;
  cfg.storage_strategy = "viper";
  cfg.memtable = "hash";
  cfg.index.algorithm = "ivf";
  cfg.index.quantization = "int8";
  return cfg;
}

// `n` of the rows' vectors (row i * stride, wrapped) as queries.
std::vector<std::vector<float>> ViperQueries(const ViperRows& rows, int n,
                                             int stride) {
  const size_t count = rows.meta.size();
  std::vector<std::vector<float>> out;
  for (int i = 0; i < n; ++i) {
    const float* v = rows.data.data() + size_t(i) * stride % count * kViperDim;
    out.emplace_back(v, v + kViperDim);
  }
  return out;
}

// Upserts the rows as "p<i>" in `segments` equal parts, each flushed.
void LoadViperRows(Collection& c, const ViperRows& rows, int segments) {
  const size_t per = rows.meta.size() / segments;
  for (int s = 0; s < segments; ++s) {
    std::vector<Point> batch;
    for (size_t i = s * per; i < (s + 1) * per; ++i) {
      const float* v = rows.data.data() + i * kViperDim;
      batch.push_back({"p" + std::to_string(i),
                       std::vector<float>(v, v + kViperDim),
                       json::parse(rows.meta[i])});
    }
    ASSERT_TRUE(c.Upsert(batch).ok());
    ASSERT_TRUE(c.Flush().ok());
  }
}

std::unique_ptr<DB> OpenViperDb(const std::string& dir) {
  DBOptions o;
  o.index_build_threads = 1;
  return DB::Open(o, dir).value();
}

void WaitForViperIndexes(Collection& c) {
  for (int i = 0; i < 6000; ++i) {
    bool all = true;
    const std::vector<SegmentInfo> segments = c.ListSegments().value();
    for (const SegmentInfo& s : segments) all = all && s.graph_loaded;
    if (all) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "indexes not built after 300 s";
}

uint64_t PrunedPartitions(Collection& c, const std::vector<float>& q,
                          const json& f) {
  SearchRequest req;
  req.vector = q;
  req.filter = f;
  auto r = c.Search(req);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->stats.partitions_pruned : 0;
}

TEST(ViperCollectionTest, FiltersSkipPartitionsAndKeepRecall) {
  TempDir tmp;
  std::mt19937 rng(4);
  // Without noise each partition holds one cluster's values, so a filter
  // on a column that follows the clusters opens only their partitions.
  const ViperRows rows = MakeViperRows(6000, rng, /*noisy=*/false);
  const std::vector<std::vector<float>> queries = ViperQueries(rows, 24, 37);
  CollectionConfig cfg = ViperConfig("v");
  cfg.filterable_columns = kViperColumns;
  const json by_cat = {{"cat", "c5"}};
  const json by_time = {
      {"ts", {{"$gte", ViperDay(3, 0)}, {"$lt", ViperDay(5, 0)}}}};
  {
    auto db = OpenViperDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    LoadViperRows(*c, rows, 2);
    WaitForViperIndexes(*c);
    const CollectionInfo info = c->Info();
    EXPECT_EQ(info.config.storage_strategy, "viper");
    EXPECT_EQ(info.config.filterable_columns, kViperColumns);
    // The indexed column has its payload index from the start.
    EXPECT_EQ(
        info.payload_indexes,
        (std::vector<PayloadIndexDef>{{"a.n", PayloadIndexType::kInteger}}));
    EXPECT_GT(PrunedPartitions(*c, queries[0], by_cat), 0u);
    EXPECT_GT(PrunedPartitions(*c, queries[1], by_time), 0u);
    EXPECT_EQ(PrunedPartitions(*c, queries[2], json{{"cat", {{"$ne", "c5"}}}}),
              0u);
    EXPECT_GE(testing::SearchRecall(*c, queries, by_cat), 0.95);
    EXPECT_GE(testing::SearchRecall(*c, queries, by_time), 0.95);
    EXPECT_GE(testing::SearchRecall(*c, queries), 0.95);
    // A filter away from the query that statistics cannot prune ($not of
    // $ne: "cat" is cY): the row columns answer it whole, so the probe
    // tests every row and scores accepted ones until it has scored enough
    // (explain: fewer distances than rows tested).
    double away_recall = 0;
    for (int i = 0; i < 12; ++i) {
      const int cl = (i * 37 % 6000) % kViperClusters;
      const json away = {
          {"$not",
           {{"cat",
             {{"$ne", "c" + std::to_string((cl + 6) % kViperClusters)}}}}}};
      away_recall += testing::SearchRecall(*c, {queries[i]}, away) / 12;
      SearchRequest req;
      req.vector = queries[i];
      req.filter = away;
      auto r = c->Search(req);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->stats.partitions_pruned, 0u);
      EXPECT_LT(r->stats.distances_computed, r->stats.points_scanned);
    }
    EXPECT_GE(away_recall, 0.95);
  }
  // Every index file holds statistics and row columns (version 3), and a
  // restart serves them.
  const std::vector<std::string> files = testing::IndexFiles(tmp.path());
  ASSERT_EQ(files.size(), 2u);
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    char head[9] = {};
    in.read(head, sizeof(head));
    EXPECT_EQ(std::string(head, 8), "PDBIVF01");
    EXPECT_EQ(head[8], 3) << f;
  }
  auto db = OpenViperDb(tmp.path());
  auto c = db->GetCollection("v").value();
  WaitForViperIndexes(*c);
  EXPECT_GT(PrunedPartitions(*c, queries[0], by_cat), 0u);
  EXPECT_GE(testing::SearchRecall(*c, queries, by_cat), 0.95);
  EXPECT_EQ(c->Count().value(), 6000u);
}

// Each segment's search strategy, by explain ("ivf", "hnsw", ...).
std::vector<std::string> SegmentStrategies(Collection& c,
                                           const std::vector<float>& q) {
  SearchRequest req;
  req.vector = q;
  req.explain = true;
  auto r = c.Search(req);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const SourcePlan& p : r->explain) {
    if (p.source == "segment") out.push_back(p.strategy);
  }
  return out;
}

bool WaitForStrategies(Collection& c, const std::vector<float>& q,
                       const std::vector<std::string>& want) {
  for (int i = 0; i < 6000; ++i) {
    if (SegmentStrategies(c, q) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The adaptive rule: a viper segment of at least viper_graph_min_points
// rows whose newest write is viper_graph_min_age_s old gets an HNSW graph
// from the compactor; smaller or younger ones keep their IVF index. Size
// and age alone here (viper_graph_calibrate off); the calibration: below.
TEST(ViperCollectionTest, ALargeOldSegmentGetsTheAdaptiveGraph) {
  TempDir tmp;
  std::mt19937 rng(5);
  const ViperRows rows = MakeViperRows(6000, rng, /*noisy=*/true);
  const std::vector<std::vector<float>> queries = ViperQueries(rows, 24, 41);
  ManualClock clock(uint64_t{1'800'000'000} * 1'000'000);
  DBOptions o;
  o.clock = &clock;
  o.index_build_threads = 1;
  o.flush_check_interval_ms = 20;  // a compaction pass every 100 ms
  o.viper_graph_min_points = 5000;
  o.viper_graph_min_age_s = 3600;
  o.viper_graph_calibrate = false;
  CollectionConfig cfg = ViperConfig("v");
  cfg.filterable_columns = kViperColumns;
  const json by_cat = {{"cat", "c5"}};
  const json by_time = {
      {"ts", {{"$gte", ViperDay(3, 0)}, {"$lt", ViperDay(5, 0)}}}};
  {
    auto db = DB::Open(o, tmp.path()).value();
    auto c = db->CreateCollection(cfg).value();
    LoadViperRows(*c, rows, 2);
    WaitForViperIndexes(*c);
    ASSERT_TRUE(c->Compact().ok());  // one segment of 6,000 rows
    ASSERT_TRUE(WaitForStrategies(*c, queries[0], {"ivf"}));
    // Large but young: several compaction passes leave it its IVF.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_EQ(SegmentStrategies(*c, queries[0]),
              std::vector<std::string>{"ivf"});
    // An hour later it is old: the compactor builds its graph.
    clock.Advance(uint64_t{3601} * 1'000'000);
    ASSERT_TRUE(WaitForStrategies(*c, queries[0], {"hnsw"}));
    EXPECT_GE(testing::SearchRecall(*c, queries), 0.95);
    EXPECT_GE(testing::SearchRecall(*c, queries, by_cat), 0.95);
    EXPECT_GE(testing::SearchRecall(*c, queries, by_time), 0.95);
    EXPECT_EQ(c->Count().value(), 6000u);
    // The graph is the layout's own: a migration that changes only the
    // default nprobe has nothing to rebuild and keeps it.
    LayoutSettings same = c->Info().config.layout();
    same.index.nprobe = 8;
    ASSERT_TRUE(c->Migrate(same).ok());
    for (int i = 0; i < 600; ++i) {
      auto m = c->GetMigration();
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      if (m->record.state == "done") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(c->GetMigration()->record.state, "done");
    EXPECT_EQ(SegmentStrategies(*c, queries[0]),
              std::vector<std::string>{"hnsw"});
    // A new small segment beside it keeps its IVF, however old.
    std::vector<Point> more;
    for (int i = 0; i < 100; ++i) {
      const float* v = rows.data.data() + size_t(i) * kViperDim;
      more.push_back({"n" + std::to_string(i),
                      std::vector<float>(v, v + kViperDim),
                      json::parse(rows.meta[i])});
    }
    ASSERT_TRUE(c->Upsert(more).ok());
    ASSERT_TRUE(c->Flush().ok());
    clock.Advance(uint64_t{7200} * 1'000'000);
    ASSERT_TRUE(WaitForStrategies(*c, queries[0], {"hnsw", "ivf"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(SegmentStrategies(*c, queries[0]),
              (std::vector<std::string>{"hnsw", "ivf"}));
  }
  // The graph was saved in place of the IVF file, and a restart serves it
  // without a rebuild.
  std::vector<std::string> magics;
  for (const std::string& f : testing::IndexFiles(tmp.path())) {
    std::ifstream in(f, std::ios::binary);
    char head[8] = {};
    in.read(head, sizeof(head));
    magics.emplace_back(head, sizeof(head));
  }
  std::sort(magics.begin(), magics.end());
  EXPECT_EQ(magics, (std::vector<std::string>{"PDBHNSW1", "PDBIVF01"}));
  o.background_threads = false;
  auto db = DB::Open(o, tmp.path()).value();
  auto c = db->GetCollection("v").value();
  WaitForViperIndexes(*c);
  EXPECT_EQ(SegmentStrategies(*c, queries[0]),
            (std::vector<std::string>{"hnsw", "ivf"}));
  EXPECT_EQ(c->Count().value(), 6100u);
}

// The calibrated rule (viper_graph_calibrate, the default): the graph is
// built beside the IVF index and kept only if it answers the segment's own
// rows faster at about the same recall. `ivf` and `graph` shape the two:
// the collection's nlist and nprobe, its m and ef_search. Returns the
// strategies the segment is searched with once the rule had its chance,
// and the magic of its index file.
std::pair<std::vector<std::string>, std::string> ViperCalibrated(
    uint32_t dim, uint32_t rows, uint32_t nlist, uint32_t m,
    uint32_t ef_search) {
  TempDir tmp;
  ManualClock clock(uint64_t{1'800'000'000} * 1'000'000);
  DBOptions o;
  o.clock = &clock;
  o.index_build_threads = 1;
  o.flush_check_interval_ms = 20;
  o.viper_graph_min_points = rows;
  o.viper_graph_min_age_s = 0;
  CollectionConfig cfg = ViperConfig("v");
  cfg.dimension = dim;
  cfg.index.nlist = nlist;
  cfg.index.nprobe = nlist == 0 ? 0 : std::min(nlist, 8u);
  cfg.index.m = m;
  cfg.index.ef_construction = 100;
  cfg.index.ef_search = ef_search;
  auto db = DB::Open(o, tmp.path()).value();
  auto c = db->CreateCollection(cfg).value();
  std::mt19937 rng(12);
  std::normal_distribution<float> n;
  std::vector<std::vector<float>> centres(32, std::vector<float>(dim));
  for (auto& v : centres) {
    for (float& x : v) x = 3 * n(rng);
  }
  std::vector<float> q;
  for (uint32_t b = 0; b < rows; b += 1000) {
    std::vector<Point> batch;
    for (uint32_t i = b; i < std::min(rows, b + 1000); ++i) {
      std::vector<float> v = centres[rng() % centres.size()];
      for (float& x : v) x += n(rng);
      if (q.empty()) q = v;
      batch.push_back({"p" + std::to_string(i), std::move(v), {}});
    }
    EXPECT_TRUE(c->Upsert(batch).ok());
  }
  EXPECT_TRUE(c->Flush().ok());
  WaitForViperIndexes(*c);
  // The rule runs with the compaction passes (every 100 ms); its verdict
  // is counted (a graph that won is served before it is counted).
  for (int i = 0; i < 3000; ++i) {
    const CollectionInfo info = c->Info();
    if (info.adaptive_graphs_kept + info.adaptive_graphs_declined > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const CollectionInfo info = c->Info();
  EXPECT_EQ(info.adaptive_graphs_kept + info.adaptive_graphs_declined, 1u);
  // A declined segment is not tried again by the passes that follow.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(c->Info().adaptive_graphs_declined, info.adaptive_graphs_declined);
  const std::vector<std::string> got = SegmentStrategies(*c, q);
  std::string magic(8, '\0');
  const std::vector<std::string> files = testing::IndexFiles(tmp.path());
  if (files.size() == 1) {
    std::ifstream in(files[0], std::ios::binary);
    in.read(magic.data(), 8);
  }
  return {got, magic};
}

// A graph that cannot match the IVF's recall (m 2, a beam of k) loses
// whatever the times, and the IVF file stays; one that answers a segment
// whose IVF index is a single partition (every query a full scan) at the
// collection's ef_search wins and replaces it.
TEST(ViperCollectionTest, TheCalibrationKeepsTheGraphOnlyWhereItWins) {
  auto [lost, lost_file] = ViperCalibrated(32, 4000, 0, 2, 1);
  EXPECT_EQ(lost, std::vector<std::string>{"ivf"});
  EXPECT_EQ(lost_file, "PDBIVF01");
  auto [won, won_file] = ViperCalibrated(64, 30000, 1, 16, 64);
  EXPECT_EQ(won, std::vector<std::string>{"hnsw"});
  EXPECT_EQ(won_file, "PDBHNSW1");
}

// Segment files under `dir` (every volume) as {compressed, plain}.
std::pair<int, int> ViperCompressedAndPlain(const std::string& dir) {
  std::pair<int, int> out{0, 0};
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("seg-", 0) != 0 || e.path().extension() != ".pdb") continue;
    auto seg = segment::Segment::Open(Env::Default(), e.path().string());
    EXPECT_TRUE(seg.ok()) << seg.status().ToString();
    if (!seg.ok()) continue;
    ++((*seg)->compressed() ? out.first : out.second);
  }
  return out;
}

uint64_t ViperSegmentBytes(Collection& c) {
  uint64_t n = 0;
  const std::vector<SegmentInfo> segments = c.ListSegments().value();
  for (const SegmentInfo& s : segments) n += s.bytes;
  return n;
}

void ViperWaitForMigrationDone(Collection& c) {
  for (int i = 0; i < 6000; ++i) {
    MigrationStatus m = c.GetMigration().value();
    if (m.record.state == "done") return;
    ASSERT_EQ(m.record.state, "running") << m.record.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "migration not done after 300 s";
}

// Compression "zstd": segments store their ids and metadata compressed
// (format version 2), read back exactly, and a migration to "none" and
// back rewrites every segment, while points, metadata and filtered search
// stay as they were; a restart reads them.
TEST(ViperCollectionTest, CompressedSegmentsServeAndMigrate) {
  TempDir tmp;
  std::mt19937 rng(6);
  const ViperRows rows = MakeViperRows(4000, rng, /*noisy=*/true);
  const std::vector<std::vector<float>> queries = ViperQueries(rows, 16, 53);
  CollectionConfig cfg = ViperConfig("z");
  cfg.compression = "zstd";
  cfg.filterable_columns = kViperColumns;
  const json by_cat = {{"cat", "c5"}};
  auto expect_points = [&](Collection& c) {
    EXPECT_EQ(c.Count().value(), 4000u);
    for (int i = 0; i < 4000; i += 97) {
      auto p = c.Get("p" + std::to_string(i));
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      EXPECT_EQ(p->metadata, json::parse(rows.meta[i])) << i;
    }
    EXPECT_GE(testing::SearchRecall(c, queries, by_cat), 0.9);
  };
  {
    auto db = OpenViperDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    EXPECT_EQ(c->Info().config.compression, "zstd");
    LoadViperRows(*c, rows, 2);
    WaitForViperIndexes(*c);
    EXPECT_EQ(ViperCompressedAndPlain(tmp.path()), std::make_pair(2, 0));
    const std::vector<SegmentInfo> listed = c->ListSegments().value();
    for (const SegmentInfo& s : listed) {
      EXPECT_TRUE(s.compressed);
      EXPECT_GT(s.unpacked_bytes, 2000u * 80);  // ids and JSON of 2,000 rows
    }
    expect_points(*c);
    const uint64_t packed_bytes = ViperSegmentBytes(*c);

    LayoutSettings plain = c->Info().config.layout();
    plain.compression = "none";
    ASSERT_TRUE(c->Migrate(plain).ok());
    ViperWaitForMigrationDone(*c);
    WaitForViperIndexes(*c);
    EXPECT_EQ(ViperCompressedAndPlain(tmp.path()).first, 0);
    expect_points(*c);
    // ~150 bytes of JSON and an id per 64 bytes of vector: zstd saves much.
    EXPECT_LT(packed_bytes * 10, ViperSegmentBytes(*c) * 7)
        << packed_bytes << " vs " << ViperSegmentBytes(*c);

    LayoutSettings packed = plain;
    packed.compression = "zstd";
    ASSERT_TRUE(c->Migrate(packed).ok());
    ViperWaitForMigrationDone(*c);
    WaitForViperIndexes(*c);
    EXPECT_EQ(ViperCompressedAndPlain(tmp.path()).second, 0);
    expect_points(*c);
  }
  auto db = OpenViperDb(tmp.path());
  auto c = db->GetCollection("z").value();
  EXPECT_EQ(c->Info().config.compression, "zstd");
  WaitForViperIndexes(*c);
  EXPECT_EQ(ViperCompressedAndPlain(tmp.path()).second, 0);
  expect_points(*c);
}

}  // namespace
}  // namespace proximadb
