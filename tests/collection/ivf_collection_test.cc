// Collections with the storage strategy "custom" and index kind "ivf": the
// IVF sidecar is built after flush, searched (nprobe per collection and per
// query, filters, deletes), saved and loaded after a restart; a damaged one
// is rebuilt; the configuration is validated and survives the catalog.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "collection/db_impl.h"
#include "collection/test_util.h"

namespace proximadb {
namespace {

using testing::TempDir;

std::unique_ptr<DB> OpenIvfDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // index builds run inline: deterministic
  return DB::Open(o, dir).value();
}

// Points around 20 fixed centres: data with partitions to find.
std::vector<float> ClusteredPoint(std::mt19937& rng, uint32_t dim) {
  static std::map<uint32_t, std::vector<std::vector<float>>> by_dim;
  std::vector<std::vector<float>>& centres = by_dim[dim];
  std::normal_distribution<float> n;
  if (centres.empty()) {
    std::mt19937 crng(99);
    for (int c = 0; c < 20; ++c) {
      std::vector<float> v(dim);
      for (auto& x : v) x = 4 * n(crng);
      centres.push_back(v);
    }
  }
  std::vector<float> v = centres[rng() % centres.size()];
  for (auto& x : v) x += n(rng);
  return v;
}

// 1 bit per dimension needs dimensions to rank: binary is tested at 128.
uint32_t IvfDim(const std::string& quantization) {
  return quantization == "binary" ? 128 : 24;
}

CollectionConfig IvfConfig(const std::string& quantization) {
  CollectionConfig cfg;
  cfg.name = "v";
  cfg.dimension = IvfDim(quantization);
  cfg.metric = Metric::kEuclidean;
  cfg.storage_strategy = "custom";
  cfg.index.algorithm = "ivf";
  cfg.index.quantization = quantization;
  return cfg;
}

class IvfCollectionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(IvfCollectionTest, BuiltAfterFlushSearchedSavedAndReloaded) {
  TempDir tmp;
  const CollectionConfig cfg = IvfConfig(GetParam());
  const uint32_t dim = IvfDim(GetParam());
  std::mt19937 rng(3);
  std::vector<std::vector<float>> queries, rows;
  for (int i = 0; i < 40; ++i) queries.push_back(ClusteredPoint(rng, dim));
  for (int i = 0; i < 6000; ++i) rows.push_back(ClusteredPoint(rng, dim));
  if (GetParam() == "binary") {
    // Queries near the rows, as real queries are near real data: ten
    // nearest drawn from the rows' own spread are near-ties that 1-bit
    // codes cannot order (tests/index/ivf_test.cc).
    std::normal_distribution<float> n;
    for (size_t i = 0; i < queries.size(); ++i) {
      queries[i] = rows[i * 149];
      for (float& x : queries[i]) x += 0.5f * n(rng);
    }
  }
  {
    auto db = OpenIvfDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    for (int part = 0; part < 2; ++part) {
      std::vector<Point> batch;
      for (int i = 0; i < 3000; ++i) {
        batch.push_back({"p" + std::to_string(part * 3000 + i),
                         rows[part * 3000 + i],
                         {{"mod", i % 10}, {"rare", i % 500 == 0}}});
      }
      ASSERT_TRUE(c->Upsert(batch).ok());
      ASSERT_TRUE(c->Flush().ok());
    }
    EXPECT_EQ(testing::IndexFiles(tmp.path()).size(), 2u);
    SearchRequest probe;
    probe.vector = queries[0];
    probe.explain = true;
    auto r = c->Search(probe).value();
    int ivf_segments = 0;
    for (const SourcePlan& p : r.explain) {
      if (p.source == "segment") ivf_segments += p.strategy == "ivf";
    }
    EXPECT_EQ(ivf_segments, 2);
    // Only the probed partitions are scored, not all 6000 points.
    EXPECT_LT(r.stats.points_scanned, 3000u);
    // More partitions cost more and find at least as much.
    probe.nprobe = 55;  // every partition of a 3000-row segment
    auto all = c->Search(probe).value();
    EXPECT_GT(all.stats.points_scanned, r.stats.points_scanned);
    EXPECT_GE(testing::SearchRecall(*c, queries, {}, std::nullopt), 0.95);
    EXPECT_GE(testing::SearchRecall(*c, queries, {}, 55),
              GetParam() == "none" ? 0.999 : 0.97);
    EXPECT_LE(testing::SearchRecall(*c, queries, {}, 1),
              testing::SearchRecall(*c, queries, {}, 55));
    EXPECT_GE(testing::SearchRecall(*c, queries, {{"mod", 3}}, std::nullopt),
              0.9);
    // A filter few rows pass still gets k hits: the probe widens.
    SearchRequest rare;
    rare.vector = queries[1];
    rare.nprobe = 1;
    rare.filter = {{"rare", true}};
    EXPECT_EQ(c->Search(rare)->hits.size(), 10u);  // 12 rows match
    // Deleted points never come back.
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
  // Restart: the configuration is back from the catalog and the sidecars
  // are loaded, not rebuilt.
  auto files = testing::IndexFiles(tmp.path());
  std::vector<std::filesystem::file_time_type> mtimes;
  for (auto& f : files) mtimes.push_back(std::filesystem::last_write_time(f));
  SearchRequest req;
  req.vector = queries[2];
  std::vector<std::string> first;
  {
    auto db = OpenIvfDb(tmp.path());
    auto c = db->GetCollection("v").value();
    EXPECT_EQ(c->config().storage_strategy, "custom");
    EXPECT_EQ(c->config().index.algorithm, "ivf");
    EXPECT_EQ(c->config().index.quantization, GetParam());
    for (size_t i = 0; i < files.size(); ++i) {
      EXPECT_EQ(std::filesystem::last_write_time(files[i]), mtimes[i]);
    }
    auto res = c->Search(req).value();  // alive while its hits are read
    for (auto& h : res.hits) first.push_back(h.id);
    EXPECT_EQ(first.size(), 10u);
  }
  // A damaged sidecar is rebuilt at open; results stay the same.
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);
    f.put('\x5a');
  }
  auto db = OpenIvfDb(tmp.path());
  auto c = db->GetCollection("v").value();
  std::vector<std::string> again;
  auto res = c->Search(req).value();
  for (auto& h : res.hits) again.push_back(h.id);
  EXPECT_EQ(again, first);
}

INSTANTIATE_TEST_SUITE_P(Quantization, IvfCollectionTest,
                         ::testing::Values("none", "int8", "binary", "pq"));

// The hash memtable behind a whole collection: overwrites, deletes, scroll
// in id order across memtable and segments, search, WAL replay at restart.
TEST(HashMemtableCollectionTest, BehavesLikeTheOrderedOne) {
  TempDir tmp;
  std::mt19937 rng(8);
  std::map<std::string, std::vector<float>> model;  // what must be there
  auto check = [&](Collection& c) {
    ASSERT_EQ(c.Count().value(), model.size());
    std::vector<std::string> ids;
    ScrollRequest req;
    req.limit = 37;  // pages that end inside memtable and segment runs
    for (;;) {
      auto page = c.Scroll(req).value();
      for (auto& p : page.points) ids.push_back(p.id);
      if (page.next_after_id.empty()) break;
      req.after_id = page.next_after_id;
    }
    std::vector<std::string> want;
    for (auto& [id, v] : model) want.push_back(id);
    EXPECT_EQ(ids, want);
    for (const char* id : {"k17", "k250", "k999"}) {
      auto got = c.Get(id);
      if (model.count(id)) {
        ASSERT_TRUE(got.ok()) << id;
        EXPECT_EQ(got->vector, model[id]);
      } else {
        EXPECT_TRUE(got.status().IsNotFound()) << id;
      }
    }
    SearchRequest s;
    s.vector = model.begin()->second;
    s.k = 1;
    s.exact = true;
    auto r = c.Search(s).value();
    ASSERT_EQ(r.hits.size(), 1u);
    EXPECT_EQ(r.hits[0].id, model.begin()->first);
  };
  CollectionConfig cfg = IvfConfig("none");
  cfg.memtable = "hash";
  cfg.index.algorithm = "hnsw";
  {
    auto db = OpenIvfDb(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    EXPECT_EQ(c->config().memtable, "hash");
    for (int round = 0; round < 3; ++round) {
      std::vector<Point> batch;
      for (int i = 0; i < 400; ++i) {
        // Ids overlap between rounds: overwrites in the memtable and over
        // flushed segments.
        const std::string id =
            "k" + std::to_string((i * 7 + round * 100) % 1000);
        batch.push_back({id, ClusteredPoint(rng, 24), {{"r", round}}});
        model[id] = batch.back().vector;
      }
      ASSERT_TRUE(c->Upsert(batch).ok());
      std::vector<std::string> del;
      for (int i = 0; i < 20; ++i) {
        del.push_back("k" + std::to_string(rng() % 1000));
        model.erase(del.back());
      }
      ASSERT_TRUE(c->Delete(del).ok());
      check(*c);
      if (round == 1) {
        ASSERT_TRUE(c->Flush().ok());
      }
    }
  }
  // The last round lives only in the WAL: replayed into a hash memtable.
  auto db = OpenIvfDb(tmp.path());
  auto c = db->GetCollection("v").value();
  EXPECT_EQ(c->config().memtable, "hash");
  check(*c);
}

TEST(StorageStrategyConfigTest, CombinationsThatMakeNoSenseAreRefused) {
  TempDir tmp;
  auto db = OpenIvfDb(tmp.path());
  auto refused = [&](CollectionConfig cfg, const std::string& words) {
    auto r = db->CreateCollection(cfg);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().ToString().find(words), std::string::npos)
        << r.status().ToString();
  };
  CollectionConfig c = IvfConfig("none");
  c.storage_strategy = "standard";
  refused(c, "index kind 'ivf' needs storage_strategy 'viper' or 'custom'");
  c = IvfConfig("none");
  c.storage_strategy = "viper";
  c.index.algorithm = "hnsw";
  refused(c, "storage_strategy 'viper' indexes segments with kind 'ivf'");
  c = IvfConfig("none");
  c.storage_strategy = "viper";
  c.memtable = "btree";
  refused(c, "storage_strategy 'viper' uses memtable 'hash'");
  c.storage_strategy = "columnar";
  refused(c, "storage_strategy must be standard, viper or custom");
  // Filterable columns: ivf only, typed, distinct, valid paths.
  c = IvfConfig("none");
  c.index.algorithm = "hnsw";
  c.filterable_columns = {{"tag", "string", false}};
  refused(c, "filterable_columns need index kind 'ivf'");
  c = IvfConfig("none");
  c.filterable_columns = {{"tag", "text", false}};
  refused(c,
          "filterable_columns[0]: type must be string, int, float, bool "
          "or datetime, got 'text'");
  c.filterable_columns = {{"a", "int", false}, {"a", "float", false}};
  refused(c, "filterable_columns[1]: column 'a' is declared twice");
  c.filterable_columns = {{"a..b", "int", false}};
  refused(c, "filterable_columns[0]: field 'a..b' has an empty path segment");
  c.filterable_columns = {{"$a", "int", false}};
  refused(c, "must not start with '$'");
  c.filterable_columns.assign(kMaxFilterableColumns + 1, {"x", "int", false});
  refused(c, "filterable_columns");
  c = IvfConfig("none");
  c.memtable = "skiplist";
  refused(c, "memtable must be btree or hash");
  c = IvfConfig("none");
  c.index.nlist = 10;
  c.index.nprobe = 11;
  refused(c, "nprobe (11) cannot exceed nlist (10)");
  c = IvfConfig("none");
  c.index.nlist = kMaxIvfNlist + 1;
  refused(c, "nlist");
  c = IvfConfig("none");
  c.storage_strategy = "standard";
  c.index.algorithm = "hnsw";
  c.memtable = "hash";
  refused(c, "memtable 'hash' needs storage_strategy 'viper' or 'custom'");
  c.memtable = "btree";
  c.index.nprobe = 4;
  refused(c, "nlist and nprobe apply to index kind ivf only");
  c = IvfConfig("none");
  c.index.algorithm = "graph";
  refused(c, "index kind must be hnsw, ivf or flat");
  // What is accepted: custom with each kind.
  for (const char* kind : {"hnsw", "flat", "ivf"}) {
    CollectionConfig ok = IvfConfig("int8");
    ok.name = std::string("ok_") + kind;
    ok.index.algorithm = kind;
    EXPECT_TRUE(db->CreateCollection(ok).ok()) << kind;
  }
  // Index kind ivf with every quantization kind.
  for (const char* q : {"none", "int8", "binary", "pq"}) {
    CollectionConfig ok = IvfConfig(q);
    ok.name = std::string("ok_ivf_") + q;
    EXPECT_TRUE(db->CreateCollection(ok).ok()) << q;
  }
  CollectionConfig viper = IvfConfig("int8");
  viper.name = "ok_viper";
  viper.storage_strategy = "viper";
  viper.memtable = "hash";
  viper.filterable_columns = {{"tag", "string", true}, {"n", "int", false}};
  EXPECT_TRUE(db->CreateCollection(viper).ok());
}

}  // namespace
}  // namespace proximadb
