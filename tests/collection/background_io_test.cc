// Background I/O: the env that paces and counts background writes, and a
// collection's flush and compaction under [storage] background_io_mb_per_s
// (bytes by kind, the running task's progress and ETA, the pace itself,
// nothing lost).
#include "collection/background_io.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

TEST(BackgroundIoEnvTest, CountsByKindAndShowsTheRunningTask) {
  auto mem = NewMemEnv();
  auto budget = std::make_shared<IoBudget>(4 << 20);  // 4 MiB/s
  BackgroundIoEnv env(mem.get(), budget, nullptr);
  ASSERT_TRUE(env.CreateDirIfMissing("/d").ok());
  const std::string mib(1 << 20, 'x');

  // Outside any task: "other".
  ASSERT_TRUE(env.WriteFileAtomically("/d/a", mib).ok());
  {
    BackgroundIoEnv::Task task(&env, BackgroundKind::kCompaction, 3, 2 << 20);
    BackgroundIo io = env.Snapshot();
    ASSERT_EQ(io.tasks.size(), 1u);
    EXPECT_EQ(io.tasks[0].kind, "compaction");
    EXPECT_EQ(io.tasks[0].segments, 3u);
    EXPECT_EQ(io.tasks[0].bytes_done, 0u);
    EXPECT_EQ(io.tasks[0].bytes_total, uint64_t{2} << 20);
    // Nothing written yet: the budget's pace, 2 MiB at 4 MiB/s.
    EXPECT_NEAR(io.tasks[0].eta_seconds, 0.5, 1e-9);
    {
      // A nested task counts its own writes.
      BackgroundIoEnv::Task inner(&env, BackgroundKind::kPayloadIndex, 1, 0);
      ASSERT_TRUE(env.WriteFileAtomically("/d/p", "payload").ok());
      EXPECT_EQ(env.Snapshot().tasks.size(), 2u);
    }
    ASSERT_TRUE(env.WriteFileAtomically("/d/b", mib).ok());
    io = env.Snapshot();
    ASSERT_EQ(io.tasks.size(), 1u);
    EXPECT_EQ(io.tasks[0].bytes_done, uint64_t{1} << 20);
    // Half written at (about) the budget's pace: about 0.25 s left.
    EXPECT_GT(io.tasks[0].eta_seconds, 0.0);
    EXPECT_LT(io.tasks[0].eta_seconds, 5.0);
  }
  BackgroundIo io = env.Snapshot();
  EXPECT_TRUE(io.tasks.empty());
  EXPECT_EQ(io.budget_bytes_per_s, uint64_t{4} << 20);
  EXPECT_EQ(io.bytes_written["other"], uint64_t{1} << 20);
  EXPECT_EQ(io.bytes_written["compaction"], uint64_t{1} << 20);
  EXPECT_EQ(io.bytes_written["payload_index"], 7u);
  EXPECT_EQ(io.bytes_written["flush"], 0u);
  // 2 MiB at 4 MiB/s with 0.1 s of burst: about 0.4 s of waiting.
  EXPECT_GT(io.throttled_seconds, 0.3);
  EXPECT_EQ(mem->ReadFileToString("/d/b").value(), mib);
}

TEST(BackgroundIoEnvTest, AClosingCollectionStopsWaitingForTheBudget) {
  auto mem = NewMemEnv();
  auto closing = std::make_shared<std::atomic<bool>>(false);
  // 64 KiB/s: 4 MiB would take a minute.
  BackgroundIoEnv env(mem.get(), std::make_shared<IoBudget>(64 << 10), closing);
  ASSERT_TRUE(env.CreateDirIfMissing("/d").ok());
  closing->store(true);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(env.WriteFileAtomically("/d/a", std::string(4 << 20, 'x')).ok());
  EXPECT_LT(SecondsSince(start), 10.0);
  EXPECT_EQ(env.Snapshot().throttled_seconds, 0.0);
  EXPECT_EQ(env.Snapshot().bytes_written["other"], uint64_t{4} << 20);
}

TEST(BackgroundIoEnvTest, WithABudgetFilesAreSyncedAtThePace) {
  auto mem = NewMemEnv();
  FaultInjectionEnv faults(mem.get());
  // 8 MiB/s: a sync every quarter second of it, 2 MiB.
  BackgroundIoEnv env(&faults, std::make_shared<IoBudget>(8 << 20), nullptr);
  ASSERT_TRUE(env.CreateDirIfMissing("/d").ok());
  const uint64_t before = faults.sync_count();
  ASSERT_TRUE(env.WriteFileAtomically("/d/a", std::string(5 << 20, 'x')).ok());
  // After 2 and 4 MiB, then the writer's own.
  EXPECT_EQ(faults.sync_count() - before, 3u);

  // Without a budget only the writer's own.
  BackgroundIoEnv free_env(&faults, nullptr, nullptr);
  const uint64_t before_free = faults.sync_count();
  ASSERT_TRUE(
      free_env.WriteFileAtomically("/d/b", std::string(5 << 20, 'x')).ok());
  EXPECT_EQ(faults.sync_count() - before_free, 1u);

  // A failed periodic sync fails the write.
  faults.FailSyncs(1);
  EXPECT_FALSE(env.WriteFileAtomically("/d/c", std::string(3 << 20, 'x')).ok());
  faults.ClearFaults();
}

TEST(BackgroundIoEnvTest, WithoutABudgetItOnlyCounts) {
  auto mem = NewMemEnv();
  BackgroundIoEnv env(mem.get(), nullptr, nullptr);
  ASSERT_TRUE(env.CreateDirIfMissing("/d").ok());
  {
    BackgroundIoEnv::Task task(&env, BackgroundKind::kFlush, 1, 100);
    EXPECT_EQ(env.Snapshot().tasks[0].eta_seconds, -1);  // no pace known
    ASSERT_TRUE(env.WriteFileAtomically("/d/a", std::string(100, 'x')).ok());
    EXPECT_EQ(env.Snapshot().tasks[0].eta_seconds, 0);  // all written
  }
  BackgroundIo io = env.Snapshot();
  EXPECT_EQ(io.budget_bytes_per_s, 0u);
  EXPECT_EQ(io.bytes_written["flush"], 100u);
  EXPECT_EQ(io.throttled_seconds, 0.0);
}

// A collection of 1 KiB rows (256-d), three flushes of 2,000 rows, then a
// compaction of the three, under a 4 MiB/s budget.
TEST(BackgroundIoTest, FlushAndCompactionKeepToTheBudgetAndShowProgress) {
  TempDir tmp;
  DBOptions o;
  o.background_threads = false;
  o.background_io_bytes_per_s = 4 << 20;
  auto db = DBImpl::OpenImpl(o, tmp.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto c = (*db)->CreateCollection(MakeConfig("io", 256)).value();
  std::mt19937 rng(3);
  const auto flushes_started = std::chrono::steady_clock::now();
  for (int f = 0; f < 3; ++f) {
    std::vector<Point> batch;
    for (int i = 0; i < 2000; ++i) {
      batch.push_back({"p" + std::to_string(f * 2000 + i),
                       RandomVector(rng, 256),
                       {{"f", f}}});
    }
    ASSERT_TRUE(c->Upsert(std::move(batch)).ok());
    ASSERT_TRUE(c->Flush().ok());
  }
  const double flush_s = SecondsSince(flushes_started);
  BackgroundIo after_flush = c->Info().background_io;
  const uint64_t flushed = after_flush.bytes_written["flush"];
  // Three segments of ~2 MiB each.
  EXPECT_GT(flushed, uint64_t{6} << 20);
  EXPECT_LT(flushed, uint64_t{8} << 20);
  // Paced: every byte at 4 MiB/s, less one burst (0.1 s) of credit.
  EXPECT_GE(flush_s, double(flushed) / (4 << 20) - 0.15);
  EXPECT_EQ(c->Info().segment_count, 3u);

  // Compact in a thread; watch its progress.
  std::atomic<bool> done{false};
  Status compacted;
  const auto compact_started = std::chrono::steady_clock::now();
  std::thread t([&] {
    compacted = c->Compact();
    done.store(true);
  });
  uint64_t seen_done = 0, seen_total = 0, seen_segments = 0;
  bool seen_eta = false;
  while (!done.load()) {
    for (const BackgroundTask& task : c->Info().background_io.tasks) {
      if (task.kind != "compaction") continue;
      seen_segments = task.segments;
      seen_total = task.bytes_total;
      seen_done = std::max(seen_done, task.bytes_done);
      seen_eta = seen_eta || (task.bytes_done > 0 && task.eta_seconds > 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  t.join();
  ASSERT_TRUE(compacted.ok()) << compacted.ToString();
  const double compact_s = SecondsSince(compact_started);
  BackgroundIo io = c->Info().background_io;
  const uint64_t compacted_bytes = io.bytes_written["compaction"];
  EXPECT_GT(compacted_bytes, uint64_t{6} << 20);
  EXPECT_GE(compact_s, double(compacted_bytes) / (4 << 20) - 0.15);
  EXPECT_EQ(seen_segments, 3u);
  // The estimate is the inputs' bytes (all rows live).
  EXPECT_NEAR(double(seen_total), double(compacted_bytes),
              0.1 * double(compacted_bytes));
  EXPECT_GT(seen_done, 0u);
  EXPECT_TRUE(seen_eta);
  EXPECT_GT(io.throttled_seconds, 1.0);
  EXPECT_TRUE(io.tasks.empty());
  EXPECT_EQ(io.bytes_written["flush"], flushed);
  // The WAL is not background work: nothing counted as "other".
  EXPECT_EQ(io.bytes_written["other"], 0u);

  // Nothing lost.
  EXPECT_EQ(c->Info().segment_count, 1u);
  EXPECT_EQ(c->Count().value(), 6000u);
  auto p = c->Get("p4321");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->metadata["f"], 2);
}

}  // namespace
}  // namespace proximadb
