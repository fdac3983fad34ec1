// Snapshots (collection_snapshot.cc, db_snapshot.cc): consistent at one WAL
// sequence while writers run (the restored collection equals a model of the
// writes up to that sequence, vectors bit-exact, metadata, deletes and
// versions included); incremental re-use and uploaded_bytes; deleting keeps
// what other snapshots share; a damaged object is refused with nothing
// visible; a restore cut short leaves nothing after a restart; cold
// segments; overwrite only with the flag; aliases; errors.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "collection/db_impl.h"
#include "state_model.h"
#include "storage/object/local_object_store.h"
#include "test_util.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

using object::LocalObjectStore;
using testing::MakeConfig;
using testing::ModelAt;
using testing::Op;
using testing::RandomVector;
using testing::ReadState;
using testing::Rec;
using testing::State;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr uint32_t kSnapDim = 8;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = tmp_.path() + "/data";
    options_.background_threads = false;
  }

  void Open() {
    c_.reset();
    db_.reset();
    auto r = DBImpl::OpenImpl(options_, data_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
    auto c = db_->GetCollection("c");
    if (c.ok()) c_ = *c;
  }

  void Create(const std::string& algorithm = "flat") {
    CollectionConfig cfg = MakeConfig("c", kSnapDim);
    cfg.index.algorithm = algorithm;
    auto c = db_->CreateCollection(cfg);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    c_ = *c;
  }

  // n points p<from>..p<from+n-1>, one write each, recorded in ops_.
  void Write(int from, int n) {
    for (int i = from; i < from + n; ++i) {
      Op op{0,
            Op::kUpsert,
            "p" + std::to_string(i),
            RandomVector(rng_, kSnapDim),
            {{"n", i}}};
      ASSERT_TRUE(c_->Upsert({{op.id, op.vec, op.meta}}).ok());
      op.seq = c_->Info().last_sequence;
      ops_.push_back(std::move(op));
    }
  }

  State Model() { return ModelAt(ops_, UINT64_MAX, {}); }

  RestoreResult Restore(const std::string& id, const std::string& target,
                        bool overwrite = false) {
    RestoreOptions o;
    o.target_collection = target;
    o.overwrite = overwrite;
    auto r = db_->RestoreSnapshot("c", id, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RestoreResult{};
  }

  State ReadCollection(const std::string& name) {
    auto c = db_->GetCollection(name);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? ReadState(c->get()) : State{};
  }

  std::string SnapshotsDir() { return data_ + "/snapshots"; }
  std::vector<std::string> ObjectFiles() {
    std::vector<std::string> out;
    if (!fs::exists(SnapshotsDir() + "/objects")) return out;
    for (auto& e :
         fs::recursive_directory_iterator(SnapshotsDir() + "/objects")) {
      if (e.is_regular_file()) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir tmp_;
  std::string data_;
  DBOptions options_;
  std::unique_ptr<DBImpl> db_;
  std::shared_ptr<Collection> c_;
  std::mt19937 rng_{7};
  std::vector<Op> ops_;
};

TEST_F(SnapshotTest, RestoreEqualsStateAtSequence) {
  Open();
  Create();
  Write(0, 50);
  ASSERT_TRUE(c_->Flush().ok());
  Write(50, 50);
  ASSERT_TRUE(c_->Flush().ok());
  // Deletes and metadata updates of flushed points, then memtable writes.
  ASSERT_TRUE(c_->Delete({"p3", "p60"}).ok());
  ops_.push_back({c_->Info().last_sequence - 1, Op::kDelete, "p3", {}, {}});
  ops_.push_back({c_->Info().last_sequence, Op::kDelete, "p60", {}, {}});
  ASSERT_TRUE(c_->UpdateMetadata("p10", {{"n", "ten"}}).ok());
  ops_.push_back(
      {c_->Info().last_sequence, Op::kMeta, "p10", {}, {{"n", "ten"}}});
  Write(100, 20);
  Write(5, 1);  // an overwrite of a flushed point

  auto snap = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->sequence, c_->Info().last_sequence);
  EXPECT_EQ(snap->target, "local");
  EXPECT_EQ(snap->size_bytes, snap->uploaded_bytes);
  // Writes after the snapshot are not in it.
  Write(200, 10);
  ASSERT_TRUE(c_->Delete({"p7"}).ok());
  ops_.push_back({c_->Info().last_sequence, Op::kDelete, "p7", {}, {}});

  RestoreResult r = Restore(snap->id, "c2");
  EXPECT_EQ(r.sequence, snap->sequence);
  const State want = ModelAt(ops_, snap->sequence, {});
  EXPECT_EQ(r.points, want.size());
  EXPECT_TRUE(ReadCollection("c2") == want);
  // The restored collection takes writes and keeps them over a restart.
  auto c2 = db_->GetCollection("c2");
  ASSERT_TRUE(c2.ok());
  ASSERT_TRUE((*c2)->Upsert({{"new", RandomVector(rng_, kSnapDim), {}}}).ok());
  EXPECT_EQ((*c2)->Info().last_sequence, snap->sequence + 1);
  Open();
  State after = ReadCollection("c2");
  EXPECT_EQ(after.size(), want.size() + 1);
  after.erase("new");
  EXPECT_TRUE(after == want);
  EXPECT_FALSE(fs::exists(data_ + "/restore-staging"));
  // The source is unchanged.
  EXPECT_TRUE(ReadCollection("c") == Model());
}

TEST_F(SnapshotTest, ConsistentWhileWritersFlushesAndCompactionsRun) {
  Open();
  Create("hnsw");
  Write(0, 100);
  ASSERT_TRUE(c_->Flush().ok());
  std::atomic<bool> stop{false};
  std::mutex ops_mu;
  std::vector<Op> ops;
  std::thread writer([&] {
    std::mt19937 rng(11);
    int n = 0;
    while (!stop.load()) {
      const int k = rng() % 10;
      Op op;
      op.id = "w" + std::to_string(rng() % 300);
      if (k < 6) {
        op.kind = Op::kUpsert;
        op.vec = RandomVector(rng, kSnapDim);
        op.meta = {{"i", n++}};
        auto r = c_->Upsert({{op.id, op.vec, op.meta}});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
      } else if (k < 8) {
        op.kind = Op::kDelete;
        ASSERT_TRUE(c_->Delete({op.id}).ok());
      } else {
        op.kind = Op::kMeta;
        op.meta = {{"m", n++}};
        Status s = c_->UpdateMetadata(op.id, op.meta);
        if (s.IsNotFound()) continue;  // no write happened
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
      // The only writer: its writes' sequence numbers are the collection's.
      op.seq = c_->Info().last_sequence;
      std::lock_guard<std::mutex> l(ops_mu);
      ops.push_back(std::move(op));
    }
  });
  std::thread flusher([&] {
    while (!stop.load()) {
      ASSERT_TRUE(c_->Flush().ok());
      ASSERT_TRUE(c_->Compact().ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  std::atomic<uint64_t> searches{0};
  std::thread searcher([&] {
    std::mt19937 rng(5);
    while (!stop.load()) {
      SearchRequest req;
      req.vector = RandomVector(rng, kSnapDim);
      req.k = 5;
      auto r = c_->Search(req);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      searches.fetch_add(1);
    }
  });
  std::vector<SnapshotInfo> snaps;
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    auto s = db_->CreateSnapshot("c", SnapshotTarget::kDefault);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    snaps.push_back(*s);
  }
  stop = true;
  writer.join();
  flusher.join();
  searcher.join();
  EXPECT_GT(searches.load(), 0u);

  const State base = Model();  // the 100 points before the writer
  for (size_t i = 0; i < snaps.size(); ++i) {
    const std::string name = "r" + std::to_string(i);
    Restore(snaps[i].id, name);
    std::vector<Op> sorted = ops;
    const State want = ModelAt(sorted, snaps[i].sequence, base);
    const State got = ReadCollection(name);
    EXPECT_EQ(got.size(), want.size()) << name;
    EXPECT_TRUE(got == want) << name << " at sequence " << snaps[i].sequence;
  }
  // Writes went on while the snapshots were taken.
  EXPECT_GT(snaps.back().sequence, snaps.front().sequence);
}

TEST_F(SnapshotTest, IncrementalReusesUnchangedSegments) {
  Open();
  Create();
  Write(0, 200);
  ASSERT_TRUE(c_->Flush().ok());
  auto s1 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->uploaded_bytes, s1->size_bytes);
  // Nothing changed: only the collection record differs (not even that).
  auto s2 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->size_bytes, s1->size_bytes);
  EXPECT_EQ(s2->uploaded_bytes, 0u);
  // New writes: a new segment and WAL; the first segment is re-used.
  Write(200, 20);
  ASSERT_TRUE(c_->Flush().ok());
  Write(220, 5);
  auto s3 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s3.ok());
  auto info3 = db_->GetSnapshot("c", s3->id);
  ASSERT_TRUE(info3.ok());
  uint64_t first_segment = 0;
  for (const auto& f : info3->collections[0].files) {
    if (f.name == "segments/seg-00000000000000000001.pdb")
      first_segment = f.size;
  }
  ASSERT_GT(first_segment, 0u);
  EXPECT_LE(s3->uploaded_bytes, s3->size_bytes - first_segment);
  EXPECT_GT(s3->uploaded_bytes, 0u);

  auto list = db_->ListSnapshots("c");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, s1->id);
  EXPECT_EQ((*list)[2].id, s3->id);
  EXPECT_TRUE((*list)[0].collections[0].files.empty());  // list: no files
  EXPECT_EQ(info3->format_version, 1u);
  EXPECT_EQ(info3->collections[0].name, "c");
}

TEST_F(SnapshotTest, DeleteKeepsObjectsOtherSnapshotsShare) {
  Open();
  Create();
  Write(0, 100);
  ASSERT_TRUE(c_->Flush().ok());
  auto s1 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s1.ok());
  const size_t objects1 = ObjectFiles().size();
  // A delete of a flushed point changes the record (its bitmap).
  ASSERT_TRUE(c_->Delete({"p1"}).ok());
  ops_.push_back({c_->Info().last_sequence, Op::kDelete, "p1", {}, {}});
  Write(100, 10);
  auto s2 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s2.ok());
  const size_t objects2 = ObjectFiles().size();
  EXPECT_GT(objects2, objects1);
  ASSERT_TRUE(db_->DeleteSnapshot("c", s1->id).ok());
  EXPECT_TRUE(db_->GetSnapshot("c", s1->id).status().IsNotFound());
  // s1's own record went; the shared segment stayed.
  EXPECT_LT(ObjectFiles().size(), objects2);
  RestoreResult r = Restore(s2->id, "c2");
  EXPECT_TRUE(ReadCollection("c2") == Model());
  ASSERT_TRUE(db_->DeleteSnapshot("c", s2->id).ok());
  EXPECT_TRUE(ObjectFiles().empty());
  EXPECT_TRUE(db_->DeleteSnapshot("c", s2->id).IsNotFound());
}

TEST_F(SnapshotTest, DamagedObjectRefusesTheRestoreAndLeavesNothing) {
  Open();
  Create();
  Write(0, 100);
  ASSERT_TRUE(c_->Flush().ok());
  Write(100, 5);
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s.ok());
  // Flip a byte in the middle of the segment object.
  std::string seg;
  for (const auto& f : ObjectFiles()) {
    if (f.find("seg-") != std::string::npos) seg = f;
  }
  ASSERT_FALSE(seg.empty());
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    char ch;
    f.read(&ch, 1);
    f.seekp(100);
    ch ^= 0x40;
    f.write(&ch, 1);
  }
  RestoreOptions o;
  o.target_collection = "c2";
  auto r = db_->RestoreSnapshot("c", s->id, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("nothing was changed"),
            std::string::npos);
  EXPECT_TRUE(db_->GetCollection("c2").status().IsNotFound());
  EXPECT_FALSE(fs::exists(data_ + "/restore-staging"));
  size_t dirs = 0;
  for (auto& e : fs::directory_iterator(data_ + "/collections")) {
    (void)e;
    ++dirs;
  }
  EXPECT_EQ(dirs, 1u);
  // A missing object is refused the same way.
  fs::remove(seg);
  r = db_->RestoreSnapshot("c", s->id, o);
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption)
      << r.status().ToString();
  EXPECT_TRUE(db_->GetCollection("c2").status().IsNotFound());
}

TEST_F(SnapshotTest, RestoreCutShortLeavesNothingAfterRestart) {
  Open();
  Create();
  Write(0, 30);
  // What a crash mid-restore leaves: staging with files, or (after the
  // rename, before the commit) an unlisted collection directory.
  fs::create_directories(data_ + "/restore-staging/x-0123abcd/segments");
  std::ofstream(data_ + "/restore-staging/x-0123abcd/segments/seg-1.pdb")
      << "partial";
  fs::create_directories(data_ + "/collections/y-0123abcd/segments");
  std::ofstream(data_ +
                "/collections/y-0123abcd/segments/seg-00000000000000000001.pdb")
      << "verified but not committed";
  Open();
  EXPECT_FALSE(fs::exists(data_ + "/restore-staging"));
  EXPECT_FALSE(fs::exists(data_ + "/collections/y-0123abcd"));  // quarantined
  auto q = db_->ListQuarantine();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->size(), 1u);
  EXPECT_EQ(db_->ListCollections().size(), 1u);
  EXPECT_TRUE(ReadCollection("c") == Model());
}

TEST_F(SnapshotTest, OverwriteOnlyWithTheFlag) {
  Open();
  Create();
  Write(0, 40);
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s.ok());
  const State at = Model();
  Write(40, 10);
  ASSERT_TRUE(c_->Delete({"p1"}).ok());
  RestoreOptions o;
  o.target_collection = "c";
  auto r = db_->RestoreSnapshot("c", s->id, o);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("overwrite"), std::string::npos);
  ASSERT_TRUE(
      db_->UpdateAliases({{AliasAction::Kind::kCreate, "al", "c"}}).ok());
  o.target_collection = "al";
  EXPECT_EQ(db_->RestoreSnapshot("c", s->id, o).status().code(),
            StatusCode::kAlreadyExists);
  // Through the alias, over the collection itself.
  o.target_collection = "c";
  o.overwrite = true;
  r = db_->RestoreSnapshot("al", s->id, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(ReadCollection("c") == at);
  EXPECT_EQ(db_->ListCollections().size(), 1u);
  Open();
  EXPECT_TRUE(ReadCollection("c") == at);
  // The snapshots of the collection are still listed under its name.
  auto list = db_->ListSnapshots("c");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(SnapshotTest, DroppedCollectionRestoresFromItsSnapshot) {
  Open();
  Create();
  Write(0, 40);
  ASSERT_TRUE(c_->Flush().ok());
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s.ok());
  const State at = Model();
  c_.reset();
  ASSERT_TRUE(db_->DropCollection("c").ok());
  auto list = db_->ListSnapshots("c");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  RestoreOptions o;
  o.target_collection = "c";
  auto r = db_->RestoreSnapshot("c", s->id, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(ReadCollection("c") == at);
}

TEST_F(SnapshotTest, Errors) {
  Open();
  Create();
  Write(0, 5);
  EXPECT_TRUE(db_->CreateSnapshot("nope", SnapshotTarget::kLocal)
                  .status()
                  .IsNotFound());
  auto s3 = db_->CreateSnapshot("c", SnapshotTarget::kS3);
  EXPECT_EQ(s3.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s3.status().message().find("s3_bucket"), std::string::npos);
  EXPECT_TRUE(db_->GetSnapshot("c", "snap-20260101T000000.000Z-00000000")
                  .status()
                  .IsNotFound());
  EXPECT_TRUE(db_->GetSnapshot("c", "../../etc").status().IsNotFound());
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s.ok());
  RestoreOptions o;
  EXPECT_EQ(db_->RestoreSnapshot("c", s->id, o).status().code(),
            StatusCode::kInvalidArgument);
  o.target_collection = "bad name/";
  EXPECT_EQ(db_->RestoreSnapshot("c", s->id, o).status().code(),
            StatusCode::kInvalidArgument);
  // Another collection's name does not reach this snapshot.
  CollectionConfig cfg = MakeConfig("d", kSnapDim);
  ASSERT_TRUE(db_->CreateCollection(cfg).ok());
  EXPECT_TRUE(db_->GetSnapshot("d", s->id).status().IsNotFound());
  EXPECT_TRUE(db_->ListSnapshots("d")->empty());
}

TEST_F(SnapshotTest, IncompleteSnapshotIsNeverListedAndIsCollected) {
  Open();
  Create();
  Write(0, 50);
  ASSERT_TRUE(c_->Flush().ok());
  auto s1 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s1.ok());
  // A snapshot that uploaded an object and its pending mark, then died.
  LocalObjectStore store(Env::Default(), SnapshotsDir());
  ASSERT_TRUE(
      store.Put("pending/snap-20260101T000000.000Z-0000dead", "x").ok());
  ASSERT_TRUE(store.Put("objects/c-x/seg-9.pdb.1.00000000", "y").ok());
  auto list = db_->ListSnapshots("c");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  const size_t before = ObjectFiles().size();
  auto s2 = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(ObjectFiles().size(), before - 1);  // the orphan went
  EXPECT_FALSE(fs::exists(SnapshotsDir() +
                          "/pending/snap-20260101T000000.000Z-0000dead"));
  EXPECT_TRUE(ReadCollection("c") == Model());
}

TEST_F(SnapshotTest, ColdSegmentsAndTheObjectStoreTarget) {
  const std::string objects = tmp_.path() + "/objects";
  options_.tiering.local_object_directory = objects;
  Open();
  Create("hnsw");
  Write(0, 100);
  ASSERT_TRUE(c_->Flush().ok());
  Write(100, 100);
  ASSERT_TRUE(c_->Flush().ok());
  db_->WaitForBackgroundBuilds();
  const uint64_t first = (*c_->ListSegments())[0].id;
  ASSERT_TRUE(c_->MoveSegment(first, Tier::kCold).ok());
  ASSERT_TRUE(c_->Delete({"p4", "p150"}).ok());
  ops_.push_back({c_->Info().last_sequence, Op::kDelete, "p4", {}, {}});
  ops_.push_back({c_->Info().last_sequence, Op::kDelete, "p150", {}, {}});
  Write(200, 3);
  auto s = db_->CreateSnapshot("c", SnapshotTarget::kS3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->target, "s3");
  EXPECT_TRUE(
      fs::exists(objects + "/snapshots/manifests/" + s->id + ".snapshot"));
  auto again = db_->CreateSnapshot("c", SnapshotTarget::kS3);
  ASSERT_TRUE(again.ok());
  EXPECT_LT(again->uploaded_bytes, again->size_bytes / 2);
  Restore(s->id, "c2");
  EXPECT_TRUE(ReadCollection("c2") == Model());
  auto list = db_->ListSnapshots("c");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  ASSERT_TRUE(db_->DeleteSnapshot("c", s->id).ok());
  ASSERT_TRUE(db_->DeleteSnapshot("c", again->id).ok());
  EXPECT_FALSE(
      fs::exists(objects + "/snapshots/objects") &&
      !fs::is_empty(objects + "/snapshots/objects") &&
      fs::recursive_directory_iterator(objects + "/snapshots/objects") !=
          fs::recursive_directory_iterator() &&
      [&] {
        for (auto& e :
             fs::recursive_directory_iterator(objects + "/snapshots/objects")) {
          if (e.is_regular_file()) return true;
        }
        return false;
      }());
}

TEST_F(SnapshotTest, DatabaseSnapshotRestoresIntoAnEmptyDirectory) {
  Open();
  Create();
  Write(0, 60);
  ASSERT_TRUE(c_->Flush().ok());
  Write(60, 5);
  const State c_state = Model();
  auto d = db_->CreateCollection(MakeConfig("d", kSnapDim));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(
      (*d)->Upsert({{"x", RandomVector(rng_, kSnapDim), {{"k", 1}}}}).ok());
  const State d_state = ReadState(d->get());
  ASSERT_TRUE(
      db_->UpdateAliases({{AliasAction::Kind::kCreate, "prod", "c"}}).ok());
  auto snap = db_->CreateDatabaseSnapshot(SnapshotTarget::kLocal);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->kind, "database");
  EXPECT_EQ(snap->collections.size(), 2u);
  // Each collection of it is restorable alone too.
  Restore(snap->id, "c_alone");
  EXPECT_TRUE(ReadCollection("c_alone") == c_state);
  c_.reset();
  db_.reset();

  // Disaster: a new, empty data directory, the snapshots where they were.
  DBOptions fresh = options_;
  fresh.snapshots.local_directory = SnapshotsDir();
  const std::string data2 = tmp_.path() + "/data2";
  auto restored = DB::RestoreDatabaseSnapshot(fresh, data2, snap->id);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->size(), 2u);
  auto db2 = DB::Open(fresh, data2);
  ASSERT_TRUE(db2.ok()) << db2.status().ToString();
  auto c2 = (*db2)->GetCollection("prod");  // the alias came along
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ((*c2)->config().name, "c");
  EXPECT_TRUE(ReadState(c2->get()) == c_state);
  auto d2 = (*db2)->GetCollection("d");
  ASSERT_TRUE(d2.ok());
  EXPECT_TRUE(ReadState(d2->get()) == d_state);
  db2->reset();

  // Only into an empty directory; an unknown id names where it looked.
  auto again = DB::RestoreDatabaseSnapshot(fresh, data2, snap->id);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("empty"), std::string::npos);
  auto unknown = DB::RestoreDatabaseSnapshot(
      fresh, tmp_.path() + "/data3", "snap-20260101T000000.000Z-00000000");
  EXPECT_TRUE(unknown.status().IsNotFound()) << unknown.status().ToString();
  EXPECT_NE(unknown.status().message().find("local_directory"),
            std::string::npos);
}

// A crash at every I/O call of a restore (each call in turn fails, with
// every later one, and unsynced data is dropped, as a power cut does): after
// the restart the restored collection is there whole (equal to the state at
// the snapshot) or not at all, staging is gone and the source is intact.
TEST_F(SnapshotTest, CrashAtEveryIoCallOfARestoreLeavesAllOrNothing) {
  FaultInjectionEnv fenv(Env::Default());
  options_.env = &fenv;
  struct CloseFirst {  // the DB goes before the env it uses
    std::shared_ptr<Collection>* c;
    std::unique_ptr<DBImpl>* db;
    ~CloseFirst() {
      c->reset();
      db->reset();
    }
  } close_first{&c_, &db_};
  Open();
  Create();
  Write(0, 40);
  ASSERT_TRUE(c_->Flush().ok());
  Write(40, 5);
  auto snap = db_->CreateSnapshot("c", SnapshotTarget::kLocal);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  const State want = ModelAt(ops_, snap->sequence, {});
  const State source = Model();
  int whole = 0, none = 0;
  for (uint64_t n = 1; n < 2000; ++n) {
    fenv.FailIoCall(n, /*sticky=*/true);
    RestoreOptions o;
    o.target_collection = "r";
    auto r = db_->RestoreSnapshot("c", snap->id, o);
    const std::string injected = fenv.injected_call();
    fenv.FailIoCall(0, false);
    c_.reset();
    db_.reset();
    ASSERT_TRUE(fenv.DropUnsyncedData().ok());
    Open();
    ASSERT_TRUE(db_) << "no restart after a crash at " << injected;
    auto got = db_->GetCollection("r");
    if (r.ok()) {
      EXPECT_TRUE(got.ok()) << "acknowledged restore lost at " << injected;
    }
    if (got.ok()) {
      ++whole;
      EXPECT_TRUE(ReadState(got->get()) == want) << "crash at " << injected;
    } else {
      ++none;
    }
    EXPECT_FALSE(fs::exists(data_ + "/restore-staging")) << injected;
    EXPECT_TRUE(ReadCollection("c") == source) << injected;
    if (HasFailure()) return;
    if (r.ok() && injected.empty()) break;  // ran through: every call tried
    if (got.ok()) {
      got->reset();
      ASSERT_TRUE(db_->DropCollection("r").ok());
    }
  }
  EXPECT_GT(none, 5);
  EXPECT_GE(whole, 1);
}

}  // namespace
}  // namespace proximadb
