// The memory budget ([storage] memory_limit_mb, DBOptions::
// memory_limit_bytes): what each collection holds is counted by part; past
// half of the budget the memtables are flushed whatever their policy says;
// a write that would pass it is refused with kUnavailable naming it, and
// is taken again once a flush made room; nothing acknowledged is lost.
#include <gtest/gtest.h>

#include <random>

#include "collection/db_impl.h"
#include "collection/test_util.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kBudgetDim = 128;

std::unique_ptr<DBImpl> OpenBudgetDb(const std::string& dir, uint64_t limit) {
  DBOptions o;
  o.background_threads = false;
  o.memory_limit_bytes = limit;
  auto db = DBImpl::OpenImpl(o, dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::vector<Point> BudgetBatch(std::mt19937& rng, const std::string& prefix,
                               uint64_t from, int n) {
  std::vector<Point> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({prefix + std::to_string(from + i),
                   RandomVector(rng, kBudgetDim),
                   {{"tag", "t" + std::to_string((from + i) % 7)}}});
  }
  return out;
}

TEST(MemoryBudgetCollectionTest, WritesPastTheBudgetAreRefusedUntilAFlush) {
  TempDir tmp;
  const uint64_t limit = 4 << 20;
  auto db = OpenBudgetDb(tmp.path(), limit);
  ASSERT_NE(db, nullptr);
  CollectionConfig cfg = MakeConfig("m", kBudgetDim);
  cfg.flush.enable_background_flush = false;  // only the budget flushes
  auto c = db->CreateCollection(cfg).value();
  std::mt19937 rng(3);
  uint64_t acked = 0;
  Status refused;
  for (int b = 0; b < 1000 && refused.ok(); ++b) {
    auto r = c->Upsert(BudgetBatch(rng, "p", acked, 100));
    if (r.ok()) {
      acked += 100;
    } else {
      refused = r.status();
    }
  }
  ASSERT_FALSE(refused.ok()) << "never refused";
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();
  EXPECT_NE(refused.message().find("memory_limit_mb = 4"), std::string::npos)
      << refused.ToString();
  EXPECT_NE(refused.message().find("flushes free memtables"), std::string::npos)
      << refused.ToString();
  // What was admitted fits, and it is all in the memtable.
  const MemoryUsage used = db->memory().used();
  EXPECT_LE(used.total(), limit);
  EXPECT_GE(used.memtables, limit * 3 / 4);
  EXPECT_EQ(c->Info().memory, used);
  EXPECT_GE(acked, 4000u);  // ~700 bytes a point: most of 4 MiB

  // The budget made a flush due, whatever the policy says; it frees the
  // memtable (its rows go to a mmapped segment file) and writes go on.
  auto flushed = db->RunFlushCycle();
  ASSERT_EQ(flushed, std::vector<std::string>{"m"});
  EXPECT_EQ(db->memory().used().memtables, 0u);
  EXPECT_EQ(c->Info().memtable_points, 0u);
  ASSERT_TRUE(c->Upsert(BudgetBatch(rng, "p", acked, 100)).ok());
  acked += 100;
  EXPECT_EQ(*c->Count(), acked);
  for (uint64_t i = 0; i < acked; i += 997) {
    EXPECT_TRUE(c->Get("p" + std::to_string(i)).ok()) << i;
  }
  // Below half of the budget nothing is due.
  EXPECT_TRUE(db->RunFlushCycle().empty());
}

TEST(MemoryBudgetCollectionTest, GraphsAndPayloadIndexesAreCountedAndFreed) {
  TempDir tmp;
  auto db = OpenBudgetDb(tmp.path(), 0);  // counted, not limited
  ASSERT_NE(db, nullptr);
  CollectionConfig cfg = MakeConfig("g", kBudgetDim);
  cfg.index.algorithm = "hnsw";
  cfg.index.quantization = "int8";
  auto c = db->CreateCollection(cfg).value();
  ASSERT_TRUE(c->CreatePayloadIndex({"tag", PayloadIndexType::kKeyword}).ok());
  std::mt19937 rng(4);
  ASSERT_TRUE(c->Upsert(BudgetBatch(rng, "p", 0, 2000)).ok());
  EXPECT_GT(db->memory().used().memtables, 2000u * kBudgetDim * 4);
  ASSERT_TRUE(c->Flush().ok());
  db->WaitForBackgroundBuilds();
  db->RunFlushCycle();  // refreshes the segments' part
  const MemoryUsage u = c->Info().memory;
  EXPECT_EQ(u.memtables, 0u);
  // int8 codes (128 B a row) and the graph's links, built in memory.
  EXPECT_GT(u.graphs, 2000u * kBudgetDim);
  EXPECT_GT(u.payload_indexes, 2000u * 4);
  EXPECT_EQ(db->memory().used(), u);
  // Reopened, the graph is mmapped from its file: page cache, not counted.
  c.reset();
  db.reset();
  db = OpenBudgetDb(tmp.path(), 0);
  ASSERT_NE(db, nullptr);
  c = db->GetCollection("g").value();
  db->WaitForBackgroundBuilds();
  db->RunFlushCycle();
  EXPECT_LT(c->Info().memory.graphs, u.graphs / 4);
  EXPECT_GT(c->Info().memory.payload_indexes, 0u);
  // Dropped: nothing of it is counted any more.
  c.reset();
  ASSERT_TRUE(db->DropCollection("g").ok());
  EXPECT_EQ(db->memory().total(), 0u);
}

}  // namespace
}  // namespace proximadb
