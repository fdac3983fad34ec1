// Flush triggers (size, age, count, manual), priority order, restart after
// flush, and compaction correctness.
#include <gtest/gtest.h>

#include <filesystem>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "util/manual_clock.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

constexpr uint64_t kHour = 3600ull * 1000 * 1000;

struct Fixture {
  TempDir tmp;
  ManualClock clock{1'000'000'000'000ull};
  std::unique_ptr<DBImpl> db;

  void Open() {
    DBOptions o;
    o.background_threads = false;
    o.clock = &clock;
    o.wal_retention_hours = 0;  // WalFiles counts what flushes remove
    auto r = DBImpl::OpenImpl(o, tmp.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db = std::move(r).value();
  }
  std::shared_ptr<Collection> Create(CollectionConfig c) {
    return db->CreateCollection(c).value();
  }
};

void Fill(Collection& c, int n, int start = 0) {
  std::mt19937 rng(start);
  std::vector<Point> batch;
  for (int i = start; i < start + n; ++i) {
    batch.push_back({"p" + std::to_string(i),
                     RandomVector(rng, c.config().dimension),
                     {{"i", i}}});
  }
  ASSERT_TRUE(c.Upsert(batch).ok());
}

size_t WalFiles(const std::string& data_dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(data_dir)) {
    if (e.path().extension() == ".log") ++n;
  }
  return n;
}

TEST(FlushTest, SizeTrigger) {
  Fixture f;
  f.Open();
  auto cfg = MakeConfig("size", 64);
  cfg.flush.max_wal_size_mb = 0.01;  // ~10 KB
  auto c = f.Create(cfg);
  Fill(*c, 10);  // ~2.7 KB
  EXPECT_TRUE(f.db->RunFlushCycle().empty());
  Fill(*c, 40, 10);
  EXPECT_EQ(f.db->RunFlushCycle(), std::vector<std::string>{"size"});
  EXPECT_EQ(c->Info().segment_count, 1u);
  EXPECT_EQ(c->Info().memtable_points, 0u);
  EXPECT_EQ(c->Count().value(), 50u);
}

TEST(FlushTest, CountTrigger) {
  Fixture f;
  f.Open();
  auto cfg = MakeConfig("count", 4);
  cfg.flush.max_vector_count = 5;
  auto c = f.Create(cfg);
  Fill(*c, 4);
  EXPECT_TRUE(f.db->RunFlushCycle().empty());
  Fill(*c, 1, 4);
  EXPECT_EQ(f.db->RunFlushCycle(), std::vector<std::string>{"count"});
}

TEST(FlushTest, AgeTriggerUsesOldestUnflushedWrite) {
  Fixture f;
  f.Open();
  auto cfg = MakeConfig("age", 4);
  cfg.flush.max_wal_age_hours = 1.0;
  auto c = f.Create(cfg);
  Fill(*c, 3);
  f.clock.Advance(kHour / 2);
  Fill(*c, 3, 3);  // newer writes do not reset the age
  EXPECT_TRUE(f.db->RunFlushCycle().empty());
  EXPECT_NEAR(c->Info().oldest_unflushed_age_seconds, 1800, 1);
  f.clock.Advance(kHour / 2 + 1);
  EXPECT_EQ(f.db->RunFlushCycle(), std::vector<std::string>{"age"});
  EXPECT_EQ(c->Info().oldest_unflushed_age_seconds, 0);
}

// After a restart the age counts from the writes (their WAL records carry
// their time), not from the restart: a memtable older than
// max_wal_age_hours is flushed by the first cycle.
TEST(FlushTest, AgeSurvivesARestart) {
  Fixture f;
  f.Open();
  auto cfg = MakeConfig("age", 4);
  cfg.flush.max_wal_age_hours = 1.0;
  f.Create(cfg);
  Fill(*f.db->GetCollection("age").value(), 3);
  f.clock.Advance(kHour / 2);
  f.db.reset();  // no flush at close: the writes are in the WAL only
  f.clock.Advance(kHour / 2 + 1);
  f.Open();
  auto c = f.db->GetCollection("age").value();
  EXPECT_NEAR(c->Info().oldest_unflushed_age_seconds, 3601, 1);
  EXPECT_EQ(f.db->RunFlushCycle(), std::vector<std::string>{"age"});
}

TEST(FlushTest, BackgroundFlushDisabledMeansManualOnly) {
  Fixture f;
  f.Open();
  auto cfg = MakeConfig("manual", 4);
  cfg.flush.max_vector_count = 1;
  cfg.flush.enable_background_flush = false;
  auto c = f.Create(cfg);
  Fill(*c, 5);
  f.clock.Advance(100 * kHour);
  EXPECT_TRUE(f.db->RunFlushCycle().empty());
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_EQ(c->Info().segment_count, 1u);
  ASSERT_TRUE(c->Flush().ok());  // nothing new: no empty segment
  EXPECT_EQ(c->Info().segment_count, 1u);
}

TEST(FlushTest, HigherPriorityFlushesFirst) {
  Fixture f;
  f.Open();
  for (auto [name, prio] : {std::pair{"low", 10}, {"high", 90}, {"mid", 50}}) {
    auto cfg = MakeConfig(name, 4);
    cfg.flush.max_vector_count = 1;
    cfg.flush.flush_priority = prio;
    Fill(*f.Create(cfg), 2);
  }
  EXPECT_EQ(f.db->RunFlushCycle(),
            (std::vector<std::string>{"high", "mid", "low"}));
}

TEST(FlushTest, GlobalDefaultsApplyWhenUnset) {
  Fixture f;
  DBOptions o;
  o.background_threads = false;
  o.clock = &f.clock;
  o.flush_defaults.max_vector_count = 3;
  f.db = DBImpl::OpenImpl(o, f.tmp.path()).value();
  auto c = f.Create(MakeConfig("d", 4));
  Fill(*c, 3);
  EXPECT_EQ(f.db->RunFlushCycle(), std::vector<std::string>{"d"});
}

TEST(FlushTest, RestartAfterFlushKeepsEverythingAndDropsOldWal) {
  Fixture f;
  f.Open();
  auto c = f.Create(MakeConfig("r", 8));
  Fill(*c, 100);
  ASSERT_TRUE(c->Flush().ok());
  Fill(*c, 50, 100);                                 // memtable only
  ASSERT_EQ(c->Delete({"p1", "p120"}).value(), 2u);  // one in each source
  ASSERT_TRUE(c->UpdateMetadata("p2", {{"x", 1}}).ok());
  auto p3 = c->Get("p3").value();
  c.reset();
  f.db.reset();
  f.Open();
  c = f.db->GetCollection("r").value();
  EXPECT_EQ(c->Count().value(), 148u);
  EXPECT_TRUE(c->Get("p1").status().IsNotFound());
  EXPECT_TRUE(c->Get("p120").status().IsNotFound());
  EXPECT_EQ(c->Get("p2")->metadata, nlohmann::json({{"x", 1}}));
  EXPECT_EQ(c->Get("p3")->vector, p3.vector);
  // A second flush persists the deletion of p1 (in the first segment) in the
  // catalog: after it the WAL holds nothing, and p1 stays deleted.
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_EQ(WalFiles(f.tmp.path()), 1u);  // just the fresh, empty one
  c.reset();
  f.db.reset();
  f.Open();
  c = f.db->GetCollection("r").value();
  EXPECT_EQ(c->Count().value(), 148u);
  EXPECT_TRUE(c->Get("p1").status().IsNotFound());
  EXPECT_EQ(c->Get("p2")->metadata, nlohmann::json({{"x", 1}}));
}

TEST(FlushTest, CompactionKeepsResultsAndDropsDeadPoints) {
  Fixture f;
  f.Open();
  auto c = f.Create(MakeConfig("cmp", 16, Metric::kCosine));
  std::mt19937 rng(7);
  for (int s = 0; s < 5; ++s) {
    Fill(*c, 200, s * 150);  // overlapping ids: overwrites across segments
    std::vector<std::string> del;
    for (int i = 0; i < 30; ++i)
      del.push_back("p" + std::to_string(rng() % 900));
    ASSERT_TRUE(c->Delete(del).ok());
    ASSERT_TRUE(c->Flush().ok());
  }
  Fill(*c, 20, 5000);  // and a memtable
  const uint64_t count = c->Count().value();
  std::vector<SearchRequest> queries;
  std::vector<SearchResult> before;
  for (int q = 0; q < 10; ++q) {
    SearchRequest req;
    req.vector = RandomVector(rng, 16);
    req.k = 25;
    if (q % 2) req.filter = {{"i", 3}};
    queries.push_back(req);
    before.push_back(c->Search(req).value());
  }
  EXPECT_EQ(c->Info().segment_count, 5u);
  ASSERT_TRUE(c->Compact().ok());  // manual: everything into one
  EXPECT_EQ(c->Info().segment_count, 1u);
  EXPECT_EQ(c->Count().value(), count);
  auto check = [&] {
    for (size_t q = 0; q < queries.size(); ++q) {
      auto after = c->Search(queries[q]).value();
      ASSERT_EQ(after.hits.size(), before[q].hits.size());
      for (size_t i = 0; i < after.hits.size(); ++i) {
        EXPECT_EQ(after.hits[i].id, before[q].hits[i].id);
        EXPECT_FLOAT_EQ(after.hits[i].score, before[q].hits[i].score);
      }
    }
  };
  check();
  size_t seg_files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(f.tmp.path())) {
    if (e.path().extension() == ".pdb") ++seg_files;
  }
  EXPECT_EQ(seg_files, 1u);
  c.reset();
  f.db.reset();
  f.Open();
  c = f.db->GetCollection("cmp").value();
  EXPECT_EQ(c->Count().value(), count);
  check();
}

TEST(FlushTest, BackgroundCompactionIsSizeTiered) {
  Fixture f;
  f.Open();
  auto c = f.Create(MakeConfig("tier", 4));
  int next = 0;
  auto flush_segment = [&](int n) {
    Fill(*c, n, next);
    next += n;
    ASSERT_TRUE(c->Flush().ok());
  };
  for (int i = 0; i < 3; ++i) flush_segment(100);
  EXPECT_TRUE(f.db->RunCompactionCycle().empty());  // 3 < 4 segments
  flush_segment(100);
  EXPECT_EQ(f.db->RunCompactionCycle(), std::vector<std::string>{"tier"});
  EXPECT_EQ(c->Info().segment_count, 1u);  // 400
  // Small segments are merged among themselves, not into the big one.
  for (int i = 0; i < 4; ++i) flush_segment(100);
  EXPECT_EQ(f.db->RunCompactionCycle(), std::vector<std::string>{"tier"});
  EXPECT_EQ(c->Info().segment_count, 2u);  // 400 + 400
  EXPECT_TRUE(f.db->RunCompactionCycle().empty());
  // A mostly dead segment is rewritten on its own.
  std::vector<std::string> del;
  for (int i = 0; i < 250; ++i) del.push_back("p" + std::to_string(i));
  ASSERT_EQ(c->Delete(del).value(), 250u);
  EXPECT_EQ(f.db->RunCompactionCycle(), std::vector<std::string>{"tier"});
  EXPECT_EQ(c->Info().segment_count, 2u);
  EXPECT_EQ(c->Count().value(), 550u);
  EXPECT_TRUE(c->Get("p0").status().IsNotFound());
  EXPECT_TRUE(c->Get("p300").ok());
  // Restart: the new order of segments (output in the old one's place)
  // holds.
  c.reset();
  f.db.reset();
  f.Open();
  c = f.db->GetCollection("tier").value();
  EXPECT_EQ(c->Count().value(), 550u);
  EXPECT_TRUE(c->Get("p0").status().IsNotFound());
  EXPECT_TRUE(c->Get("p799").ok());
}

TEST(FlushTest, WritesAndSearchesContinueDuringFlushAndCompaction) {
  Fixture f;
  f.Open();
  auto c = f.Create(MakeConfig("conc", 8));
  Fill(*c, 500);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    std::mt19937 rng(1);
    for (int i = 0; !stop; ++i) {
      ASSERT_TRUE(
          c->Upsert({{"w" + std::to_string(i), RandomVector(rng, 8), {}}})
              .ok());
      written = i + 1;
    }
  });
  std::thread reader([&] {
    std::mt19937 rng(2);
    while (!stop) {
      SearchRequest req;
      req.vector = RandomVector(rng, 8);
      auto r = c->Search(req);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->hits.size(), 10u);
    }
  });
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(c->Flush().ok());
    if (i % 2) {
      ASSERT_TRUE(c->Compact().ok());
    }
  }
  stop = true;
  writer.join();
  reader.join();
  EXPECT_EQ(c->Count().value(), 500u + written.load());
}

}  // namespace
}  // namespace proximadb
