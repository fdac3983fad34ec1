// Snapshots into the [tiering] object store against a real S3 (Ceph
// radosgw, the `s3` fixture): a snapshot with writes after it, restored
// equal to the state at its sequence; an incremental one that re-uses the
// segments; an object replaced behind the snapshot's back refuses the
// restore with nothing visible; deleting keeps what the other snapshot
// shares, and deleting both leaves no object under snapshots/.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "collection/db_impl.h"
#include "collection/state_model.h"
#include "collection/test_util.h"
#include "s3/s3_env.h"

namespace proximadb {
namespace {

using object::LoadS3Env;
using object::S3ObjectStore;
using object::S3Options;

constexpr uint32_t kS3SnapDim = 16;

using testing::ReadState;
using testing::State;

class SnapshotS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    const object::S3Env& env = LoadS3Env();
    if (!env.problem.empty()) {
      if (!env.skip) FAIL() << env.problem;
      GTEST_SKIP() << env.problem;
    }
    const S3Options base = object::BaseOptions();
    options_.background_threads = false;
    options_.tiering.s3_endpoint = base.endpoint;
    options_.tiering.s3_region = base.region;
    options_.tiering.s3_bucket = base.bucket;
    options_.tiering.s3_prefix = base.prefix;
    options_.tiering.s3_access_key = base.access_key;
    options_.tiering.s3_secret_key = base.secret_key;
    options_.snapshots.default_target = SnapshotTarget::kS3;
    auto store = S3ObjectStore::Open(base);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    bucket_ = std::move(store).value();
    auto r = DBImpl::OpenImpl(options_, tmp_.path() + "/data");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
    auto c = db_->CreateCollection(testing::MakeConfig("c", kS3SnapDim));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    c_ = *c;
  }
  void TearDown() override {
    c_.reset();
    db_.reset();
    if (!bucket_) return;
    auto all = bucket_->ListAll("");
    if (all.ok()) {
      for (const auto& o : *all) (void)bucket_->Delete(o.key);
    }
  }

  void Write(int from, int n) {
    std::vector<Point> pts;
    for (int i = from; i < from + n; ++i) {
      pts.push_back({"p" + std::to_string(i),
                     testing::RandomVector(rng_, kS3SnapDim),
                     {{"n", i}}});
    }
    ASSERT_TRUE(c_->Upsert(std::move(pts)).ok());
  }

  size_t SnapshotObjects() {
    auto all = bucket_->ListAll("snapshots/objects/");
    EXPECT_TRUE(all.ok());
    return all.ok() ? all->size() : 0;
  }

  testing::TempDir tmp_;
  DBOptions options_;
  std::unique_ptr<DBImpl> db_;
  std::shared_ptr<Collection> c_;
  std::unique_ptr<S3ObjectStore> bucket_;
  std::mt19937 rng_{3};
};

TEST_F(SnapshotS3Test, CreateIncrementalRestoreDelete) {
  Write(0, 500);
  ASSERT_TRUE(c_->Flush().ok());
  Write(500, 50);
  ASSERT_TRUE(c_->Delete({"p1", "p501"}).ok());
  const State at = ReadState(c_.get());
  auto s1 = db_->CreateSnapshot("c", SnapshotTarget::kDefault);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->target, "s3");
  EXPECT_EQ(s1->uploaded_bytes, s1->size_bytes);
  Write(1000, 10);  // after the snapshot
  auto s2 = db_->CreateSnapshot("c", SnapshotTarget::kS3);
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  // The segment (the bulk) is re-used: only WAL and the record went up.
  EXPECT_GT(s2->size_bytes, s1->size_bytes);
  EXPECT_LT(s2->uploaded_bytes, s2->size_bytes / 2);

  RestoreOptions o;
  o.target_collection = "r1";
  auto r = db_->RestoreSnapshot("c", s1->id, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sequence, s1->sequence);
  auto r1 = db_->GetCollection("r1");
  ASSERT_TRUE(r1.ok());
  EXPECT_TRUE(ReadState(r1->get()) == at);

  auto list = db_->ListSnapshots("c");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  const size_t objects = SnapshotObjects();
  // Everything of s1 is in s2 too (the same segment, record and first WAL
  // file): deleting s1 deletes no object.
  ASSERT_TRUE(db_->DeleteSnapshot("c", s1->id).ok());
  EXPECT_EQ(SnapshotObjects(), objects);
  o.target_collection = "r2";
  ASSERT_TRUE(db_->RestoreSnapshot("c", s2->id, o).ok());
  auto r2 = db_->GetCollection("r2");
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(ReadState(r2->get()) == ReadState(c_.get()));
  ASSERT_TRUE(db_->DeleteSnapshot("c", s2->id).ok());
  EXPECT_EQ(SnapshotObjects(), 0u);
}

// The WAL archive in the bucket (snapshots/wal/<dir>/...): a snapshot,
// writes after it, then a point-in-time restore between them and one at the
// end, each equal to the state read at that point.
TEST_F(SnapshotS3Test, PointInTimeRestoreFromTheArchiveInTheBucket) {
  TieringPolicy on;
  on.wal_archive = true;
  ASSERT_TRUE(c_->SetTieringPolicy(on).ok());
  Write(0, 200);
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kDefault);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Write(200, 30);
  const uint64_t mid = c_->Info().last_sequence;
  const State at_mid = ReadState(c_.get());
  ASSERT_TRUE(c_->Flush().ok());  // seals a file: archived by the cycle
  ASSERT_TRUE(c_->Delete({"p3"}).ok());
  Write(300, 10);
  db_->RunArchiveCycle();
  auto archived = bucket_->ListAll("snapshots/wal/");
  ASSERT_TRUE(archived.ok());
  EXPECT_FALSE(archived->empty());

  PointInTimeOptions o;
  o.target_collection = "mid";
  o.sequence = mid;
  auto r = db_->RestorePointInTime("c", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sequence, mid);
  EXPECT_EQ(r->snapshot_sequence, s->sequence);
  auto c = db_->GetCollection("mid");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(ReadState(c->get()) == at_mid);
  // As of now: the unsealed tail is sealed and archived first.
  o.target_collection = "now";
  o.sequence.reset();
  o.as_of_micros = Clock::Real()->NowMicros();
  r = db_->RestorePointInTime("c", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sequence, c_->Info().last_sequence);
  c = db_->GetCollection("now");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(ReadState(c->get()) == ReadState(c_.get()));
}

TEST_F(SnapshotS3Test, ReplacedObjectRefusesTheRestore) {
  Write(0, 300);
  ASSERT_TRUE(c_->Flush().ok());
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kS3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // Replaced with other bytes whose own S3 checksum is right: only the
  // snapshot manifest's CRC catches it.
  auto all = bucket_->ListAll("snapshots/objects/");
  ASSERT_TRUE(all.ok());
  std::string seg;
  for (const auto& obj : *all) {
    if (obj.key.find("/seg-") != std::string::npos) seg = obj.key;
  }
  ASSERT_FALSE(seg.empty());
  auto bytes = bucket_->Get(seg);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->size() / 2] ^= 1;
  ASSERT_TRUE(bucket_->Put(seg, *bytes).ok());
  RestoreOptions o;
  o.target_collection = "r";
  auto r = db_->RestoreSnapshot("c", s->id, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption)
      << r.status().ToString();
  EXPECT_TRUE(db_->GetCollection("r").status().IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/data/restore-staging"));
}

}  // namespace
}  // namespace proximadb
