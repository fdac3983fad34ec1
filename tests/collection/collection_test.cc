// Points and search through the embeddable API: upsert/get/delete/update,
// count, scroll, exact search against a reference, restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "collection/vector_arena.h"
#include "index/distance.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

DBOptions ManualOptions() {
  DBOptions o;
  o.background_threads = false;
  return o;
}

std::unique_ptr<DB> OpenDB(const std::string& dir,
                           DBOptions o = ManualOptions()) {
  auto db = DB::Open(o, dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

TEST(CollectionTest, UpsertGetDeleteUpdate) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  auto c = db->CreateCollection(MakeConfig("c", 3)).value();
  auto ids = c->Upsert({{"a", {1, 2, 3}, {{"user", "alice"}}},
                        {"", {4, 5, 6}, nlohmann::json::object()}});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0], "a");
  EXPECT_EQ((*ids)[1].size(), 36u);  // generated UUID v4
  EXPECT_EQ((*ids)[1][14], '4');

  auto a = c->Get("a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->vector, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(a->metadata["user"], "alice");

  ASSERT_TRUE(c->UpdateMetadata("a", {{"user", "bob"}}).ok());
  EXPECT_EQ(c->Get("a")->metadata["user"], "bob");
  EXPECT_EQ(c->Get("a")->vector, (std::vector<float>{1, 2, 3}));
  EXPECT_TRUE(c->UpdateMetadata("nope", nlohmann::json::object()).IsNotFound());

  EXPECT_EQ(c->Count().value(), 2u);
  EXPECT_EQ(c->Delete({"a", "missing"}).value(), 1u);
  EXPECT_TRUE(c->Get("a").status().IsNotFound());
  EXPECT_EQ(c->Count().value(), 1u);
}

TEST(CollectionTest, BadInputChangesNothing) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  auto c = db->CreateCollection(MakeConfig("c", 3, Metric::kCosine)).value();
  auto r = c->Upsert({{"ok", {1, 2, 3}, {}}, {"bad", {1, 2}, {}}});
  EXPECT_EQ(r.status().code(), StatusCode::kDimensionMismatch);
  r = c->Upsert({{"nan", {1, NAN, 3}, {}}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = c->Upsert({{"inf", {1, INFINITY, 3}, {}}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = c->Upsert({{"zero", {0, 0, 0}, {}}});  // cosine of a zero vector
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // The last value of a vector (the scalar tail of the vectorised check).
  r = c->Upsert({{"ninf", {1, 2, -INFINITY}, {}}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("vectors[0][2]"), std::string::npos)
      << r.status().ToString();
  r = c->Upsert({{"ok2", {1, 2, 3}, {}}, {"nan2", {NAN, 2, 3}, {}}});
  EXPECT_NE(r.status().message().find("vectors[1][0]"), std::string::npos)
      << r.status().ToString();
  r = c->Upsert({{"empty", {}, {}}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = c->Upsert({{"m", {1, 2, 3}, nlohmann::json::array()}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  nlohmann::json deep = 1;
  for (int i = 0; i < 65; ++i) deep = nlohmann::json::array({std::move(deep)});
  r = c->Upsert({{"deep", {1, 2, 3}, {{"d", deep}}}});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c->Count().value(), 0u);  // the valid point of the batch too
  EXPECT_TRUE(c->Get("ok").status().IsNotFound());
}

TEST(VectorArenaTest, GrowsContiguouslyAndKeepsEveryValue) {
  VectorArena a;
  EXPECT_EQ(a.size(), 0u);
  a.Append(nullptr, 0);  // nothing to copy: no mapping needed
  EXPECT_EQ(a.data(), nullptr);
  // Rows of 768 floats, past several remaps (each may move the mapping),
  // checking the contents after each growth.
  constexpr size_t kDim = 768, kRows = 12000;  // 36.9 MB
  std::vector<float> row(kDim);
  size_t last_capacity = 0, growths = 0;
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t i = 0; i < kDim; ++i) row[i] = float(r * kDim + i);
    a.Append(row.data(), kDim);
    ASSERT_EQ(a.size(), (r + 1) * kDim);
    ASSERT_GE(a.capacity(), a.size());
    if (a.capacity() != last_capacity) {
      last_capacity = a.capacity();
      ++growths;
      for (size_t i = 0; i < a.size(); i += 97) {
        ASSERT_EQ(a.data()[i], float(i)) << "row " << r << " index " << i;
      }
    }
  }
  EXPECT_GE(growths, 5u);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], float(i));
}

// 768-d points through the whole write path, enough to remap the memtable's
// arena several times while searches run: every vector reads back exactly
// and exact search finds each sampled point at distance 0.
TEST(CollectionTest, HighDimensionalIngestReadsBackExactly) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  constexpr uint32_t kDim = 768;
  auto c = db->CreateCollection(MakeConfig("hd", kDim)).value();
  std::mt19937 rng(7);
  std::vector<std::vector<float>> vecs;
  std::atomic<bool> stop{false};
  std::atomic<int> search_errors{0};
  std::thread reader([&] {
    std::mt19937 qrng(8);
    while (!stop.load()) {
      SearchRequest req;
      req.vector = RandomVector(qrng, kDim);
      req.k = 3;
      if (!c->Search(req).ok()) search_errors++;
    }
  });
  for (int b = 0; b < 12; ++b) {
    std::vector<Point> batch;
    for (int i = 0; i < 1000; ++i) {
      vecs.push_back(RandomVector(rng, kDim));
      batch.push_back(
          {"p" + std::to_string(vecs.size() - 1), vecs.back(), {{"b", b}}});
    }
    ASSERT_TRUE(c->Upsert(std::move(batch)).ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(search_errors.load(), 0);
  EXPECT_EQ(c->Count().value(), vecs.size());
  // An update re-appends the row's vector (copied out first: the append can
  // move the arena).
  ASSERT_TRUE(c->UpdateMetadata("p5", {{"b", "updated"}}).ok());
  for (size_t i = 0; i < vecs.size(); i += 331) {
    auto p = c->Get("p" + std::to_string(i));
    ASSERT_TRUE(p.ok()) << i;
    ASSERT_EQ(p->vector, vecs[i]) << i;
  }
  EXPECT_EQ(c->Get("p5")->vector, vecs[5]);
  EXPECT_EQ(c->Get("p5")->metadata["b"], "updated");
  for (size_t i : {size_t{0}, size_t{5}, size_t{4321}, vecs.size() - 1}) {
    SearchRequest req;
    req.vector = vecs[i];
    req.k = 1;
    auto res = c->Search(req);
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->hits.size(), 1u);
    EXPECT_EQ(res->hits[0].id, "p" + std::to_string(i));
    EXPECT_NEAR(res->hits[0].score, 0.0, 1e-2);
  }
}

TEST(CollectionTest, CollectionsCatalog) {
  TempDir tmp;
  {
    auto db = OpenDB(tmp.path());
    ASSERT_TRUE(db->CreateCollection(MakeConfig("one", 4)).ok());
    CollectionConfig two = MakeConfig("two", 8, Metric::kDotProduct);
    two.flush.max_wal_age_hours = 0.5;
    two.flush.flush_priority = 80;
    two.wal_format = WalFormat::kAvro;
    ASSERT_TRUE(db->CreateCollection(two).ok());
    EXPECT_EQ(db->CreateCollection(MakeConfig("one", 4)).status().code(),
              StatusCode::kAlreadyExists);
    EXPECT_EQ(db->CreateCollection(MakeConfig("bad name", 4)).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(db->CreateCollection(MakeConfig("big", 65537)).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(db->ListCollections().size(), 2u);
  }
  auto db = OpenDB(tmp.path());
  auto list = db->ListCollections();
  ASSERT_EQ(list.size(), 2u);
  auto two = db->GetCollection("two").value()->config();
  EXPECT_EQ(two.metric, Metric::kDotProduct);
  EXPECT_EQ(two.wal_format, WalFormat::kAvro);
  EXPECT_EQ(two.flush.max_wal_age_hours.value(), 0.5);
  EXPECT_EQ(two.flush.flush_priority.value(), 80);
  EXPECT_FALSE(two.flush.max_wal_size_mb.has_value());

  auto one = db->GetCollection("one").value();
  ASSERT_TRUE(one->Upsert({{"x", {1, 2, 3, 4}, {}}}).ok());
  ASSERT_TRUE(db->DropCollection("one").ok());
  EXPECT_TRUE(db->GetCollection("one").status().IsNotFound());
  EXPECT_TRUE(one->Get("x").status().IsNotFound());  // stale handle
  EXPECT_TRUE(db->DropCollection("one").IsNotFound());
  // Its files are gone: only the other collection's directory remains.
  size_t dirs = 0;
  for (auto& e :
       std::filesystem::directory_iterator(tmp.path() + "/collections")) {
    EXPECT_EQ(e.path().filename().string().rfind("two-", 0), 0u);
    ++dirs;
  }
  EXPECT_EQ(dirs, 1u);
  // Recreating the name gives an empty collection.
  auto again = db->CreateCollection(MakeConfig("one", 4)).value();
  EXPECT_EQ(again->Count().value(), 0u);
}

// Reference: score every live point by brute force.
std::vector<std::string> ReferenceTopK(
    const std::map<std::string, std::vector<float>>& live, Metric m,
    const std::vector<float>& q, size_t k) {
  std::vector<std::pair<double, std::string>> all;
  for (const auto& [id, v] : live) {
    double dot = 0, qq = 0, vv = 0, l2 = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      dot += double(q[i]) * v[i];
      qq += double(q[i]) * q[i];
      vv += double(v[i]) * v[i];
      l2 += (double(q[i]) - v[i]) * (double(q[i]) - v[i]);
    }
    double d = m == Metric::kEuclidean ? l2
               : m == Metric::kDotProduct
                   ? -dot
                   : 1 - dot / (std::sqrt(qq) * std::sqrt(vv));
    all.push_back({d, id});
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < k && i < all.size(); ++i) out.push_back(all[i].second);
  return out;
}

class SearchTest : public ::testing::TestWithParam<Metric> {};

TEST_P(SearchTest, ExactMatchesReferenceAcrossSources) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  const uint32_t dim = 17;
  auto c = db->CreateCollection(MakeConfig("s", dim, GetParam())).value();
  std::mt19937 rng(42);
  std::map<std::string, std::vector<float>> live;
  // Three flushed segments plus a memtable, with overwrites and deletes
  // crossing source boundaries.
  for (int round = 0; round < 4; ++round) {
    std::vector<Point> batch;
    for (int i = 0; i < 300; ++i) {
      std::string id = "p" + std::to_string(rng() % 700);
      auto v = RandomVector(rng, dim);
      live[id] = v;
      batch.push_back({id, v, {{"round", round}, {"even", i % 2 == 0}}});
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
    std::vector<std::string> del;
    for (int i = 0; i < 40; ++i) {
      std::string id = "p" + std::to_string(rng() % 700);
      del.push_back(id);
      live.erase(id);
    }
    ASSERT_TRUE(c->Delete(del).ok());
    if (round < 3) {
      ASSERT_TRUE(c->Flush().ok());
    }
  }
  EXPECT_EQ(c->Count().value(), live.size());
  for (int q = 0; q < 20; ++q) {
    SearchRequest req;
    req.vector = RandomVector(rng, dim);
    req.k = 10;
    auto res = c->Search(req);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    std::vector<std::string> got;
    for (auto& h : res->hits) got.push_back(h.id);
    EXPECT_EQ(got, ReferenceTopK(live, GetParam(), req.vector, 10));
    // Best first by the metric's order.
    for (size_t i = 1; i < res->hits.size(); ++i) {
      if (GetParam() == Metric::kEuclidean) {
        EXPECT_LE(res->hits[i - 1].score, res->hits[i].score);
      } else {
        EXPECT_GE(res->hits[i - 1].score, res->hits[i].score);
      }
    }
  }
  // Survives a restart: same results.
  SearchRequest req;
  req.vector = RandomVector(rng, dim);
  auto before = c->Search(req).value();
  c.reset();
  db.reset();
  db = OpenDB(tmp.path());
  c = db->GetCollection("s").value();
  auto after = c->Search(req).value();
  ASSERT_EQ(before.hits.size(), after.hits.size());
  for (size_t i = 0; i < before.hits.size(); ++i) {
    EXPECT_EQ(before.hits[i].id, after.hits[i].id);
    EXPECT_FLOAT_EQ(before.hits[i].score, after.hits[i].score);
  }
  EXPECT_EQ(c->Count().value(), live.size());
}

INSTANTIATE_TEST_SUITE_P(Metrics, SearchTest,
                         ::testing::Values(Metric::kCosine, Metric::kEuclidean,
                                           Metric::kDotProduct));

TEST(CollectionTest, ScoresAndEqualityFilter) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  auto c = db->CreateCollection(MakeConfig("f", 3, Metric::kCosine)).value();
  ASSERT_TRUE(c->Upsert({{"user_123", {0.1f, 0.2f, 0.3f}, {{"user", "alice"}}},
                         {"u2", {0.1f, 0.2f, 0.31f}, {{"user", "bob"}}},
                         {"u3", {-1, 0, 0}, {{"user", "alice"}, {"n", 1}}},
                         {"u4", {0, 1, 0}, {{"tags", {"x", "alice"}}}}})
                  .ok());
  SearchRequest req;
  req.vector = {0.1f, 0.2f, 0.3f};
  auto all = c->Search(req).value();
  ASSERT_EQ(all.hits.size(), 4u);
  EXPECT_EQ(all.hits[0].id, "user_123");
  EXPECT_NEAR(all.hits[0].score, 1.0, 1e-6);  // cosine similarity
  req.filter = {{"user", "alice"}};
  auto f = c->Search(req).value();
  ASSERT_EQ(f.hits.size(), 2u);
  EXPECT_EQ(f.hits[0].id, "user_123");
  EXPECT_EQ(f.hits[1].id, "u3");
  EXPECT_EQ(f.hits[0].metadata["user"], "alice");
  req.filter = {{"n", 1.0}};  // numbers compare as numbers
  EXPECT_EQ(c->Search(req)->hits.size(), 1u);
  req.filter = {{"tags", "alice"}};  // any array element
  EXPECT_EQ(c->Search(req)->hits.size(), 1u);
  req.filter = {{"user", {{"$gt", true}}}};  // $gt needs a number or string
  EXPECT_EQ(c->Search(req).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c->Count({{"user", "alice"}}).value(), 2u);
}

TEST(CollectionTest, ScrollIsOrderedAndPaginated) {
  TempDir tmp;
  auto db = OpenDB(tmp.path());
  auto c = db->CreateCollection(MakeConfig("sc", 2)).value();
  std::vector<std::string> expect;
  for (int part = 0; part < 3; ++part) {
    std::vector<Point> batch;
    for (int i = part; i < 90; i += 3) {
      char id[8];
      std::snprintf(id, sizeof(id), "id%03d", i);
      batch.push_back({id, {float(i), 1}, {{"i", i}}});
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
    if (part < 2) {
      ASSERT_TRUE(c->Flush().ok());
    }
  }
  ASSERT_TRUE(c->Delete({"id010", "id011", "id050"}).ok());
  for (int i = 0; i < 90; ++i) {
    if (i == 10 || i == 11 || i == 50) continue;
    char id[8];
    std::snprintf(id, sizeof(id), "id%03d", i);
    expect.push_back(id);
  }
  std::vector<std::string> got;
  ScrollRequest req;
  req.limit = 7;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = c->Scroll(req).value();
    for (auto& p : page.points) got.push_back(p.id);
    if (page.next_after_id.empty()) break;
    req.after_id = page.next_after_id;
  }
  EXPECT_EQ(got, expect);
}

}  // namespace
}  // namespace proximadb

namespace proximadb {
namespace {

// Both WAL serialisation strategies carry every kind of write through a
// restart (replay) and through a flush (segments).
class WalFormatTest : public ::testing::TestWithParam<WalFormat> {};

TEST_P(WalFormatTest, EveryOperationSurvivesReplayAndFlush) {
  testing::TempDir tmp;
  auto cfg = testing::MakeConfig("w", 5, Metric::kDotProduct);
  cfg.wal_format = GetParam();
  std::mt19937 rng(3);
  std::map<std::string, std::vector<float>> expect;
  {
    auto db = OpenDB(tmp.path());
    auto c = db->CreateCollection(cfg).value();
    std::vector<Point> batch;
    for (int i = 0; i < 50; ++i) {
      auto v = testing::RandomVector(rng, 5);
      std::string id = "ü-" + std::to_string(i);  // non-ASCII ids
      expect[id] = v;
      batch.push_back({id, v, {{"i", i}, {"s", "x\"y"}}});
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
    ASSERT_TRUE(c->Delete({"ü-1", "ü-2"}).ok());
    expect.erase("ü-1");
    expect.erase("ü-2");
    ASSERT_TRUE(c->UpdateMetadata("ü-3", {{"new", true}}).ok());
  }
  for (int round = 0; round < 2; ++round) {
    auto db = OpenDB(tmp.path());
    auto c = db->GetCollection("w").value();
    EXPECT_EQ(c->config().wal_format, GetParam());
    EXPECT_EQ(c->Count().value(), expect.size());
    for (const auto& [id, v] : expect) {
      auto p = c->Get(id);
      ASSERT_TRUE(p.ok()) << id;
      EXPECT_EQ(p->vector, v);
    }
    EXPECT_EQ(c->Get("ü-3")->metadata, nlohmann::json({{"new", true}}));
    EXPECT_EQ(c->Get("ü-4")->metadata["s"], "x\"y");
    ASSERT_TRUE(c->Flush().ok());  // second round reads from the segment
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, WalFormatTest,
                         ::testing::Values(WalFormat::kNative,
                                           WalFormat::kAvro));

}  // namespace
}  // namespace proximadb
