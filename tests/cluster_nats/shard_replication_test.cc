// A shard's replication over a real NATS JetStream stream: a primary
// publishes shard entries (with its fencing token and the expected last
// sequence), replicas with their own local engines follow and apply them
// (ShardReplica), and every replica ends equal to the model of the
// acknowledged writes, across a replica's restart and a change of primary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "cluster/shard_entry.h"
#include "cluster/shard_primary.h"
#include "cluster/shard_replica.h"
#include "util/temp_dir.h"

namespace proximadb::cluster {
namespace {

std::vector<std::string> NatsUrls(std::string* skip) {
  std::vector<std::string> urls;
  const char* file = std::getenv("PDB_NATS_ENV_FILE");
  if (file == nullptr) return urls;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("NATS_SKIP=", 0) == 0) *skip = line.substr(10);
    if (line.rfind("NATS_URLS=", 0) != 0) continue;
    std::stringstream ss(line.substr(10));
    std::string u;
    while (std::getline(ss, u, ',')) urls.push_back(u);
  }
  return urls;
}

struct Replica {
  std::unique_ptr<DB> db;
  std::shared_ptr<Collection> col;
  std::unique_ptr<ShardReplica> follower;
};

class ShardReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    auto urls = NatsUrls(&skip);
    if (!skip.empty() && !std::getenv("PDB_REQUIRE_NATS")) GTEST_SKIP() << skip;
    ASSERT_FALSE(urls.empty()) << "run through ctest -L nats";
    auto log = JetStreamLog::Connect({urls, 5000, "replication-test"});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
    stream_ = "REPL_" + std::to_string(::getpid());
    subject_ = "pdbtest.repl." + std::to_string(::getpid());
    ASSERT_TRUE(log_->EnsureStream({stream_, subject_, 3, 0, 0, 0}).ok());
  }
  void TearDown() override {
    replicas_.clear();
    if (log_) (void)log_->DeleteStream(stream_);
  }
  void StartReplica(int i) {
    Replica& r = replicas_[i];
    const std::string dir = tmp_.path() + "/r" + std::to_string(i);
    if (!r.db) {
      auto db = DB::Open(DBOptions{}, dir);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      r.db = std::move(*db);
      auto col = r.db->GetCollection("s0");
      if (!col.ok()) {
        CollectionConfig c;
        c.name = "s0";
        c.dimension = 4;
        c.metric = Metric::kEuclidean;
        c.index.algorithm = "flat";
        col = r.db->CreateCollection(c);
      }
      ASSERT_TRUE(col.ok());
      r.col = *col;
    }
    auto applier =
        ShardApplier::Open(Env::Default(), dir + "/s0.applied", r.col);
    ASSERT_TRUE(applier.ok()) << applier.status().ToString();
    auto f = ShardReplica::Start(log_.get(), std::move(*applier),
                                 {stream_, subject_, 100, 100, 64});
    ASSERT_TRUE(f.ok());
    r.follower = std::move(*f);
  }
  // A primary's write: acknowledged once JetStream has it.
  Status Write(uint64_t token, uint64_t* last, wal::WalOp op) {
    ShardEntry e;
    e.fencing_token = token;
    e.batch.ops = {std::move(op)};
    PDB_ASSIGN_OR_RETURN(std::string bytes, EncodeShardEntry(e));
    AppendOptions o;
    o.expected_last_seq = *last;
    PDB_ASSIGN_OR_RETURN(uint64_t seq, log_->Append(subject_, bytes, o));
    *last = seq;
    return Status::OK();
  }
  std::map<std::string, std::string> State(Replica& r) {
    std::map<std::string, std::string> out;
    ScrollRequest req;
    req.limit = 10000;
    auto page = r.col->Scroll(req);
    EXPECT_TRUE(page.ok());
    for (const auto& p : page->points) out[p.id] = p.metadata.dump();
    return out;
  }
  wal::WalOp RandomOp(std::mt19937& rng, int i,
                      std::map<std::string, std::string>* model) {
    wal::WalOp op;
    op.id = "p" + std::to_string(rng() % 40);
    if (rng() % 4 == 0) {
      op.type = wal::WalOp::Type::kDelete;
      model->erase(op.id);
    } else {
      op.type = wal::WalOp::Type::kUpsert;
      op.vector = {1, 2, 3, static_cast<float>(i)};
      op.metadata_json = "{\"i\":" + std::to_string(i) + "}";
      (*model)[op.id] = op.metadata_json;
    }
    return op;
  }

  test_util::TempDir tmp_;
  std::unique_ptr<JetStreamLog> log_;
  std::string stream_, subject_;
  std::map<int, Replica> replicas_;
};

TEST_F(ShardReplicationTest, ReplicasConvergeAcrossRestartAndANewPrimary) {
  StartReplica(0);
  StartReplica(1);
  std::mt19937 rng(11);
  std::map<std::string, std::string> model;
  uint64_t last = 0;
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(Write(3, &last, RandomOp(rng, i, &model)).ok());
  }
  // Replica 1 goes away (its position persisted on the way out) and misses
  // writes.
  replicas_[1].follower.reset();
  for (int i = 150; i < 300; ++i) {
    ASSERT_TRUE(Write(3, &last, RandomOp(rng, i, &model)).ok());
  }
  // A new primary (a higher token) takes over at the stream's end; the old
  // one, which believes the stream ends where it last wrote, is refused
  // until it re-reads the stream.
  uint64_t new_last = last;
  ASSERT_TRUE(Write(7, &new_last, RandomOp(rng, 300, &model)).ok());
  uint64_t stale = last;
  wal::WalOp lost;
  lost.type = wal::WalOp::Type::kDelete;
  lost.id = "p1";
  EXPECT_EQ(Write(3, &stale, lost).code(), StatusCode::kFailedPrecondition);
  for (int i = 301; i < 350; ++i) {
    ASSERT_TRUE(Write(7, &new_last, RandomOp(rng, i, &model)).ok());
  }
  StartReplica(1);  // catches up from its persisted position
  StartReplica(2);  // a new replica from the stream's start
  for (auto& [i, r] : replicas_) {
    ASSERT_TRUE(r.follower->WaitForApplied(new_last, 20000).ok())
        << "replica " << i << ": " << r.follower->status().ToString();
    EXPECT_EQ(State(r), model) << "replica " << i;
    EXPECT_EQ(r.follower->position().max_token, 7u);
    EXPECT_EQ(r.follower->position().fenced_entries, 0u);
  }
  EXPECT_EQ(replicas_[0].follower->WaitForApplied(new_last + 1, 100).code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace proximadb::cluster

namespace proximadb::cluster {
namespace {

wal::WalBatch UpsertBatch(const std::string& id, int i) {
  wal::WalBatch b;
  wal::WalOp op;
  op.type = wal::WalOp::Type::kUpsert;
  op.id = id;
  op.vector = {1, 2, 3, static_cast<float>(i)};
  op.metadata_json = "{\"i\":" + std::to_string(i) + "}";
  b.ops.push_back(std::move(op));
  return b;
}

TEST_F(ShardReplicationTest, APrimaryAcknowledgesAfterTheQuorumAndItsOwnApply) {
  StartReplica(0);
  StartReplica(1);
  auto a = ShardPrimary::Start(log_.get(), replicas_[0].follower.get(),
                               {stream_, subject_, 5, "a-5", 10000});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::map<std::string, std::string> model;
  Mutex model_mu;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string id =
            "t" + std::to_string(t) + "-" + std::to_string(i);
        auto seq = (*a)->Write(UpsertBatch(id, i));
        if (!seq.ok()) {
          ++failures;
          continue;
        }
        // Read-your-writes on the primary: applied before acknowledged.
        if (!replicas_[0].col->Get(id).ok()) ++failures;
        MutexLock lock(&model_mu);
        model[id] = "{\"i\":" + std::to_string(i) + "}";
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);

  // B takes over with a higher token; A's next write is refused and A
  // knows it is deposed.
  auto b = ShardPrimary::Start(log_.get(), replicas_[1].follower.get(),
                               {stream_, subject_, 9, "b-9", 10000});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE((*b)->Write(UpsertBatch("after", 1)).ok());
  model["after"] = "{\"i\":1}";
  // Both refusals say the entry is certainly not in the log (the router
  // may then send the write to B); a success says nothing of the kind.
  bool not_stored = false;
  auto stale = (*a)->Write(UpsertBatch("lost", 2), &not_stored);
  EXPECT_EQ(stale.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(not_stored);
  EXPECT_TRUE((*a)->deposed());
  not_stored = false;
  EXPECT_EQ((*a)->Write(UpsertBatch("lost", 3), &not_stored).status().code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(not_stored);
  not_stored = true;
  ASSERT_TRUE((*b)->Write(UpsertBatch("after2", 4), &not_stored).ok());
  EXPECT_FALSE(not_stored);
  model["after2"] = "{\"i\":4}";
  // A primary with an older token cannot start once a newer one wrote.
  auto old = ShardPrimary::Start(log_.get(), replicas_[0].follower.get(),
                                 {stream_, subject_, 5, "a-5b", 10000});
  EXPECT_EQ(old.status().code(), StatusCode::kFailedPrecondition);

  auto st = log_->State(stream_);
  ASSERT_TRUE(st.ok());
  for (auto& [i, r] : replicas_) {
    ASSERT_TRUE(r.follower->WaitForApplied(st->last_seq, 20000).ok());
    EXPECT_EQ(State(r), model) << "replica " << i;
  }
}

}  // namespace
}  // namespace proximadb::cluster
