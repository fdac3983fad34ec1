#include "cluster/shard_applier.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "cluster/shard_entry.h"
#include "util/temp_dir.h"

namespace proximadb::cluster {
namespace {

wal::WalOp Upsert(const std::string& id, float x, const std::string& meta) {
  wal::WalOp op;
  op.type = wal::WalOp::Type::kUpsert;
  op.id = id;
  op.vector = {x, x + 1, x + 2, x + 3};
  op.metadata_json = meta;
  return op;
}
wal::WalOp Del(const std::string& id) {
  wal::WalOp op;
  op.type = wal::WalOp::Type::kDelete;
  op.id = id;
  return op;
}
std::string Entry(uint64_t token, std::vector<wal::WalOp> ops) {
  ShardEntry e;
  e.fencing_token = token;
  e.batch.ops = std::move(ops);
  auto bytes = EncodeShardEntry(e);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

TEST(ShardEntryTest, RoundTripsAndRefusesDamage) {
  ShardEntry e;
  e.fencing_token = 77;
  e.batch.ops = {Upsert("a", 1, R"({"k":1})"), Upsert("b", 2, "{}")};
  auto bytes = EncodeShardEntry(e);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeShardEntry(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->fencing_token, 77u);
  EXPECT_EQ(back->batch.ops, e.batch.ops);
  for (size_t i = 0; i < bytes->size(); i += 7) {
    std::string bad = *bytes;
    bad[i] ^= 0x20;
    EXPECT_EQ(DecodeShardEntry(bad).status().code(), StatusCode::kCorruption)
        << "byte " << i;
  }
  EXPECT_EQ(DecodeShardEntry(bytes->substr(0, 20)).status().code(),
            StatusCode::kCorruption);
  e.batch.ops.push_back(Del("c"));
  EXPECT_EQ(EncodeShardEntry(e).status().code(), StatusCode::kInvalidArgument);
  e.batch.ops.clear();
  EXPECT_EQ(EncodeShardEntry(e).status().code(), StatusCode::kInvalidArgument);
}

class ShardApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = DB::Open(DBOptions{}, dir_.path() + "/db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    CollectionConfig c;
    c.name = "shard0";
    c.dimension = 4;
    c.metric = Metric::kEuclidean;
    c.index.algorithm = "flat";
    auto col = db_->CreateCollection(c);
    ASSERT_TRUE(col.ok());
    col_ = *col;
  }
  std::unique_ptr<ShardApplier> Applier() {
    auto a = ShardApplier::Open(Env::Default(), dir_.path() + "/shard0.applied",
                                col_);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }
  // id -> metadata text, as the collection holds it.
  std::map<std::string, std::string> State() {
    std::map<std::string, std::string> out;
    ScrollRequest r;
    r.limit = 10000;
    auto page = col_->Scroll(r);
    EXPECT_TRUE(page.ok());
    for (const auto& p : page->points) out[p.id] = p.metadata.dump();
    return out;
  }
  test_util::TempDir dir_;
  std::unique_ptr<DB> db_;
  std::shared_ptr<Collection> col_;
};

TEST_F(ShardApplierTest, ReapplyingFromAnOlderPositionChangesNothing) {
  // A log of 200 random entries over 30 ids, and the state it leads to.
  std::mt19937 rng(7);
  std::vector<std::string> log;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 200; ++i) {
    const std::string id = "p" + std::to_string(rng() % 30);
    if (rng() % 4 == 0) {
      log.push_back(Entry(1, {Del(id)}));
      model.erase(id);
    } else {
      const std::string meta = "{\"i\":" + std::to_string(i) + "}";
      log.push_back(Entry(1, {Upsert(id, static_cast<float>(i), meta)}));
      model[id] = meta;
    }
  }
  auto a = Applier();
  ASSERT_TRUE(a);
  for (size_t i = 0; i < 120; ++i) ASSERT_TRUE(a->Apply(i + 1, log[i]).ok());
  ASSERT_TRUE(a->Persist().ok());
  for (size_t i = 120; i < log.size(); ++i) {
    ASSERT_TRUE(a->Apply(i + 1, log[i]).ok());
  }
  EXPECT_EQ(State(), model);
  // "A crash" after entry 200 with the position persisted at 120: a new
  // applier re-applies 121..200 onto a state that has them.
  a = Applier();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->position().applied_seq, 120u);
  for (size_t i = 100; i < log.size(); ++i) {
    ASSERT_TRUE(a->Apply(i + 1, log[i]).ok()) << "older ones are skipped";
  }
  EXPECT_EQ(a->position().applied_seq, 200u);
  EXPECT_EQ(State(), model);
  EXPECT_EQ(a->Apply(202, log[0]).code(), StatusCode::kFailedPrecondition)
      << "a gap is refused";
}

TEST_F(ShardApplierTest, AStalePrimarysEntriesAreSkippedEverywhere) {
  auto a = Applier();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Apply(1, Entry(5, {Upsert("x", 1, R"({"by":"old"})")})).ok());
  ASSERT_TRUE(a->Apply(2, Entry(9, {Upsert("x", 2, R"({"by":"new"})")})).ok());
  // The old primary, paused past its lease, got one more entry in.
  ASSERT_TRUE(a->Apply(3, Entry(5, {Del("x")})).ok());
  ASSERT_TRUE(a->Apply(4, Entry(9, {Upsert("y", 3, "{}")})).ok());
  EXPECT_EQ(a->position().fenced_entries, 1u);
  EXPECT_EQ(a->position().max_token, 9u);
  auto state = State();
  ASSERT_EQ(state.count("x"), 1u) << "the stale delete was not applied";
  EXPECT_EQ(state["x"], R"({"by":"new"})");
  ASSERT_TRUE(a->Persist().ok());
  a = Applier();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->position().fenced_entries, 1u);
  EXPECT_EQ(a->position().max_token, 9u);
}

TEST_F(ShardApplierTest, ADamagedEntryOrPositionFileStopsTheReplica) {
  auto a = Applier();
  ASSERT_TRUE(a);
  std::string e = Entry(1, {Upsert("x", 1, "{}")});
  e[10] ^= 1;
  EXPECT_EQ(a->Apply(1, e).code(), StatusCode::kCorruption);
  EXPECT_EQ(a->position().applied_seq, 0u);
  ASSERT_TRUE(a->Apply(1, Entry(1, {Upsert("x", 1, "{}")})).ok());
  ASSERT_TRUE(a->Persist().ok());
  {
    std::string bytes =
        *Env::Default()->ReadFileToString(dir_.path() + "/shard0.applied");
    bytes[bytes.size() / 2] ^= 1;
    ASSERT_TRUE(
        Env::Default()
            ->WriteFileAtomically(dir_.path() + "/shard0.applied", bytes)
            .ok());
  }
  auto reopened =
      ShardApplier::Open(Env::Default(), dir_.path() + "/shard0.applied", col_);
  EXPECT_EQ(reopened.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace proximadb::cluster
