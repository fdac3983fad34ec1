// Bounded recovery: [storage] max_unflushed_wal_mb caps the WAL a restart
// replays per collection (writes past it are refused, a flush is forced
// from half of it), and every collection recovered at a start reports how
// long it took and what it replayed; collections recover in parallel.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "collection/db_impl.h"
#include "collection/test_util.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

std::unique_ptr<DBImpl> OpenDb(const std::string& dir, uint64_t cap) {
  DBOptions o;
  o.background_threads = false;
  o.max_unflushed_wal_bytes = cap;
  auto db = DBImpl::OpenImpl(o, dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// Writes batches of `batch` points until one is refused; returns the points
// acknowledged.
uint64_t FillToTheCap(Collection& c, uint32_t dim, int batch, Status* refused,
                      const std::string& prefix = "p") {
  std::mt19937 rng(1);
  uint64_t acked = 0;
  for (int b = 0; b < 100000; ++b) {
    std::vector<Point> points;
    for (int i = 0; i < batch; ++i) {
      points.push_back({prefix + std::to_string(acked + i),
                        RandomVector(rng, dim),
                        {{"b", b}}});
    }
    auto r = c.Upsert(std::move(points));
    if (!r.ok()) {
      *refused = r.status();
      return acked;
    }
    acked += batch;
  }
  return acked;
}

TEST(RecoveryBoundTest, WritesPastTheCapAreRefusedUntilAFlushMakesRoom) {
  TempDir tmp;
  auto db = OpenDb(tmp.path(), 8 << 20);  // 8 MiB
  ASSERT_NE(db, nullptr);
  CollectionConfig cfg = MakeConfig("capped", 256);
  // The policy alone would never flush: the cap does.
  cfg.flush.enable_background_flush = false;
  auto c = db->CreateCollection(cfg).value();
  Status refused;
  const uint64_t acked = FillToTheCap(*c, 256, 500, &refused);
  EXPECT_TRUE((refused.code() == StatusCode::kUnavailable))
      << refused.ToString();
  EXPECT_NE(refused.message().find("max_unflushed_wal_mb = 8"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("'capped'"), std::string::npos);
  // 1 KiB points: about 8 MiB of them, one batch (~0.5 MiB) past at most.
  EXPECT_GE(acked, 7000u);
  EXPECT_LE(acked, 9000u);
  EXPECT_EQ(c->Count().value(), acked);
  // Every other kind of write is refused too.
  EXPECT_TRUE(c->Delete({"p0"}).status().code() == StatusCode::kUnavailable);
  EXPECT_EQ(c->Count().value(), acked);
  // Reads go on.
  EXPECT_TRUE(c->Get("p1").ok());

  // The flush scheduler flushes it, background flush off or not.
  EXPECT_EQ(db->RunFlushCycle(), std::vector<std::string>{"capped"});
  EXPECT_EQ(c->Info().memtable_points, 0u);
  ASSERT_TRUE(c->Delete({"p0"}).ok());
  EXPECT_EQ(c->Count().value(), acked - 1);
}

TEST(RecoveryBoundTest, TheLargestAllowedWalReplaysWithinItsBound) {
  TempDir tmp;
  constexpr uint64_t kCap = 48 << 20;
  constexpr uint32_t kDim = 768;  // 3 KiB points
  uint64_t acked = 0;
  {
    auto db = OpenDb(tmp.path(), kCap);
    ASSERT_NE(db, nullptr);
    CollectionConfig cfg = MakeConfig("big", kDim);
    cfg.flush.enable_background_flush = false;
    auto c = db->CreateCollection(cfg).value();
    Status refused;
    acked = FillToTheCap(*c, kDim, 500, &refused);
    ASSERT_TRUE((refused.code() == StatusCode::kUnavailable))
        << refused.ToString();
    EXPECT_FALSE(c->Info().recovery.has_value());  // created, not recovered
  }  // closed without a flush: the start replays all of it
  const auto started = std::chrono::steady_clock::now();
  auto db = OpenDb(tmp.path(), kCap);
  ASSERT_NE(db, nullptr);
  const double open_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  auto c = db->GetCollection("big").value();
  const std::optional<RecoveryInfo> r = c->Info().recovery;
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(r->wal_bytes, kCap);
  EXPECT_LE(r->wal_bytes, kCap + 2 * 500 * (kDim * 4 + 64));
  EXPECT_EQ(r->wal_records, acked / 500);
  EXPECT_GT(r->seconds, 0.0);
  EXPECT_LE(r->seconds, open_s);
  std::printf("replayed %.1f MiB (%llu records) in %.3f s: %.0f MiB/s\n",
              double(r->wal_bytes) / (1 << 20),
              static_cast<unsigned long long>(r->wal_records), r->seconds,
              double(r->wal_bytes) / (1 << 20) / r->seconds);
  // docs/OPERATIONS.md, "Recovery time": the cap at the replay rate. The
  // floor here (20 MiB/s) holds for the sanitizer build on a busy machine;
  // a release build replays 10-20 times that.
  EXPECT_LE(r->seconds, double(kCap >> 20) / 20.0);
  EXPECT_EQ(c->Count().value(), acked);
}

TEST(RecoveryBoundTest, CollectionsRecoverInParallelAndEachReportsIt) {
  TempDir tmp;
  {
    auto db = OpenDb(tmp.path(), 0);
    ASSERT_NE(db, nullptr);
    for (int k = 0; k < 4; ++k) {
      auto c =
          db->CreateCollection(MakeConfig("c" + std::to_string(k), 64)).value();
      std::mt19937 rng(k);
      std::vector<Point> points;
      for (int i = 0; i < 1000 * (k + 1); ++i) {
        points.push_back({"p" + std::to_string(i), RandomVector(rng, 64), {}});
      }
      ASSERT_TRUE(c->Upsert(std::move(points)).ok());
      if (k == 0) ASSERT_TRUE(c->Flush().ok());  // nothing left to replay
    }
  }
  auto db = OpenDb(tmp.path(), 0);
  ASSERT_NE(db, nullptr);
  for (int k = 0; k < 4; ++k) {
    auto c = db->GetCollection("c" + std::to_string(k)).value();
    const std::optional<RecoveryInfo> r = c->Info().recovery;
    ASSERT_TRUE(r.has_value()) << k;
    EXPECT_EQ(c->Count().value(), uint64_t(1000 * (k + 1)));
    if (k == 0) {
      EXPECT_EQ(r->wal_records, 0u);
      EXPECT_LT(r->wal_bytes, 4096u);  // at most a fresh file's header
    } else {
      EXPECT_EQ(r->wal_records, 1u);
      EXPECT_GT(r->wal_bytes, uint64_t(1000 * (k + 1) * 64 * 4));
    }
  }
  // A collection created now was not recovered.
  auto fresh = db->CreateCollection(MakeConfig("fresh", 8)).value();
  EXPECT_FALSE(fresh->Info().recovery.has_value());
}

}  // namespace
}  // namespace proximadb
