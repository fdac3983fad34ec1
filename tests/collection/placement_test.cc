// [storage] data_directories and wal_directory: where segments and WALs go,
// what start-up does with directories that are missing, full or hold
// strays, and that a drop removes a collection from every directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "collection/db_impl.h"
#include "collection/storage_layout.h"
#include "test_util.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr uint64_t kGiB = 1ull << 30;

TEST(StorageLayoutTest, PicksMostFreeSpaceTimesWeightAmongThoseWithRoom) {
  TempDir t;
  FaultInjectionEnv env(Env::Default());
  const std::string a = t.path() + "/a", b = t.path() + "/b";
  fs::create_directories(a);
  fs::create_directories(b);
  env.SetFreeSpace(a, 10 * kGiB);
  env.SetFreeSpace(b, 6 * kGiB);
  StorageLayout plain(&env, t.path() + "/data", {{a, 1}, {b, 1}}, "");
  EXPECT_EQ(*plain.ChooseVolume(1 << 20), a);
  StorageLayout weighted(&env, t.path() + "/data", {{a, 1}, {b, 2}}, "");
  EXPECT_EQ(*weighted.ChooseVolume(1 << 20), b);  // 12 > 10
  // A segment that does not fit (with the reserve) skips the directory.
  env.SetFreeSpace(b, 100 << 20);
  EXPECT_EQ(*weighted.ChooseVolume(90 << 20), a);
}

TEST(StorageLayoutTest, NoRoomAnywhereNamesEveryDirectoryAndWhy) {
  TempDir t;
  FaultInjectionEnv env(Env::Default());
  const std::string a = t.path() + "/a", gone = t.path() + "/not-mounted";
  fs::create_directories(a);
  env.SetFreeSpace(a, 1 << 20);
  StorageLayout layout(&env, t.path() + "/data", {{a, 1}, {gone, 1}}, "");
  auto r = layout.ChooseVolume(4096);
  ASSERT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find(a + ": full (1 MiB free)"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(gone + ": missing"), std::string::npos);
}

TEST(StorageLayoutTest, TheMainDirectoryIsRecordedAsEmpty) {
  TempDir t;
  StorageLayout layout(Env::Default(), t.path() + "/data",
                       {{t.path() + "/data/", 1}, {t.path() + "/x//", 1}}, "");
  EXPECT_EQ(layout.volumes(), (std::vector<std::string>{"", t.path() + "/x"}));
  EXPECT_EQ(layout.SegmentDir("", "c-1"),
            t.path() + "/data/collections/c-1/segments");
}

class PlacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = tmp_.path() + "/data";
    disk1_ = tmp_.path() + "/disk1";
    disk2_ = tmp_.path() + "/disk2";
    fs::create_directories(disk1_);
    fs::create_directories(disk2_);
    options_.env = &env_;
    options_.background_threads = false;
    options_.data_directories = {{disk1_, 1}, {disk2_, 1}};
  }

  void Open() {
    db_.reset();
    auto r = DBImpl::OpenImpl(options_, data_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
  }

  std::shared_ptr<Collection> Create(const std::string& name) {
    auto c = db_->CreateCollection(MakeConfig(name, 8));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : nullptr;
  }

  void Write(Collection* c, int first, int n) {
    std::vector<Point> pts;
    for (int i = first; i < first + n; ++i) {
      pts.push_back(
          {"p" + std::to_string(i), RandomVector(rng_, 8), {{"i", i}}});
    }
    ASSERT_TRUE(c->Upsert(std::move(pts)).ok());
  }

  // Segment files (*.pdb) below `root`.
  static int SegmentFiles(const std::string& root) {
    int n = 0;
    if (!fs::exists(root)) return 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.path().extension() == ".pdb") ++n;
    }
    return n;
  }

  TempDir tmp_;
  FaultInjectionEnv env_{Env::Default()};
  std::string data_, disk1_, disk2_;
  DBOptions options_;
  std::unique_ptr<DBImpl> db_;
  std::mt19937 rng_{7};
};

TEST_F(PlacementTest, SegmentsGoToTheDirectoryWithMoreRoomAndSurviveRestart) {
  env_.SetFreeSpace(disk1_, 50 * kGiB);
  env_.SetFreeSpace(disk2_, 10 * kGiB);
  Open();
  auto c = Create("c");
  Write(c.get(), 0, 20);
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_EQ(SegmentFiles(disk1_), 1);
  env_.SetFreeSpace(disk1_, 1 * kGiB);
  Write(c.get(), 20, 20);
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_EQ(SegmentFiles(disk2_), 1);
  EXPECT_EQ(SegmentFiles(data_), 0);  // not listed: not used
  c.reset();
  Open();
  auto again = db_->GetCollection("c");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->Count(), 40u);
  auto p = (*again)->Get("p25");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->metadata["i"], 25);
  // Compaction places its output too, and removes the inputs on both disks.
  ASSERT_TRUE((*again)->Compact().ok());
  EXPECT_EQ(SegmentFiles(disk1_) + SegmentFiles(disk2_), 1);
  Open();
  EXPECT_EQ(*(*db_->GetCollection("c"))->Count(), 40u);
}

TEST_F(PlacementTest, AllDisksFullFailsTheFlushAndLosesNothing) {
  Open();
  auto c = Create("c");
  Write(c.get(), 0, 10);
  env_.SetFreeSpace(disk1_, 1 << 20);
  env_.SetFreeSpace(disk2_, 2 << 20);
  Status s = c->Flush();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("no data directory"), std::string::npos);
  EXPECT_EQ(*c->Count(), 10u);  // still served from memory, and in the WAL
  c.reset();
  Open();  // replays the WAL
  c = *db_->GetCollection("c");
  EXPECT_EQ(*c->Count(), 10u);
  env_.SetFreeSpace(disk2_, 10 * kGiB);
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_EQ(SegmentFiles(disk2_), 1);
}

TEST_F(PlacementTest, AMissingDiskStopsStartUpAndChangesNothing) {
  env_.SetFreeSpace(disk1_, 50 * kGiB);
  env_.SetFreeSpace(disk2_, 10 * kGiB);  // the segment goes to disk1
  Open();
  auto c = Create("c");
  Write(c.get(), 0, 10);
  ASSERT_TRUE(c->Flush().ok());
  c.reset();
  db_.reset();
  fs::rename(disk1_, tmp_.path() + "/unmounted");
  auto r = DBImpl::OpenImpl(options_, data_);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(
      r.status().message().find("data directory " + disk1_ + " is missing"),
      std::string::npos)
      << r.status().message();
  fs::rename(tmp_.path() + "/unmounted", disk1_);
  Open();
  EXPECT_EQ(*(*db_->GetCollection("c"))->Count(), 10u);
}

TEST_F(PlacementTest, StraysOnAnotherDiskAreQuarantinedNotDeleted) {
  env_.SetFreeSpace(disk1_, 50 * kGiB);
  env_.SetFreeSpace(disk2_, 1 * kGiB);
  Open();
  auto c = Create("c");
  Write(c.get(), 0, 10);
  ASSERT_TRUE(c->Flush().ok());
  const std::string dir_name =
      fs::path(static_cast<CollectionImpl*>(c.get())->dir()).filename();
  c.reset();
  db_.reset();
  const std::string seg_dir = disk1_ + "/collections/" + dir_name + "/segments";
  ASSERT_TRUE(env_.WriteFileAtomically(
                      seg_dir + "/seg-00000000000000000099.pdb", "stray")
                  .ok());
  fs::create_directories(disk2_ + "/collections/unknown-00000000");
  Open();
  EXPECT_FALSE(fs::exists(seg_dir + "/seg-00000000000000000099.pdb"));
  EXPECT_FALSE(fs::exists(disk2_ + "/collections/unknown-00000000"));
  auto q = db_->ListQuarantine();
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 2u);
  for (const auto& e : *q) {
    EXPECT_EQ(e.original_path.rfind("external/", 0), 0u) << e.original_path;
  }
  EXPECT_EQ(*(*db_->GetCollection("c"))->Count(), 10u);
}

TEST_F(PlacementTest, DropRemovesTheCollectionFromEveryDirectory) {
  options_.wal_directory = tmp_.path() + "/fastwal";
  fs::create_directories(options_.wal_directory);
  env_.SetFreeSpace(disk1_, 50 * kGiB);
  env_.SetFreeSpace(disk2_, 1 * kGiB);
  Open();
  auto c = Create("c");
  Write(c.get(), 0, 10);
  ASSERT_TRUE(c->Flush().ok());
  env_.SetFreeSpace(disk2_, 100 * kGiB);
  Write(c.get(), 10, 10);
  ASSERT_TRUE(c->Flush().ok());
  EXPECT_EQ(SegmentFiles(disk1_), 1);
  EXPECT_EQ(SegmentFiles(disk2_), 1);
  c.reset();
  ASSERT_TRUE(db_->DropCollection("c").ok());
  for (const std::string& root :
       {data_, disk1_, disk2_, options_.wal_directory}) {
    EXPECT_TRUE(fs::is_empty(root + "/collections")) << root;
  }
}

TEST_F(PlacementTest, AnInterruptedDropIsFinishedEverywhereAtStart) {
  env_.SetFreeSpace(disk1_, 50 * kGiB);
  env_.SetFreeSpace(disk2_, 1 * kGiB);
  Open();
  auto c = Create("c");
  Write(c.get(), 0, 10);
  ASSERT_TRUE(c->Flush().ok());
  const std::string main_dir = static_cast<CollectionImpl*>(c.get())->dir();
  const std::string dir_name = fs::path(main_dir).filename();
  c.reset();
  // What a crash right after the drop's commit leaves: the marker, the
  // catalog without the collection, every directory still there.
  ASSERT_TRUE(env_.WriteFileAtomically(main_dir + "/DROPPED", "x").ok());
  ASSERT_TRUE(db_->DropCollection("c").ok());  // (removes it; put back:)
  fs::create_directories(disk1_ + "/collections/" + dir_name + "/segments");
  fs::create_directories(main_dir);
  ASSERT_TRUE(env_.WriteFileAtomically(main_dir + "/DROPPED", "x").ok());
  Open();
  EXPECT_FALSE(fs::exists(disk1_ + "/collections/" + dir_name));
  EXPECT_FALSE(fs::exists(main_dir));
  EXPECT_TRUE(db_->ListQuarantine()->empty());
}

TEST_F(PlacementTest, TheWalDirectoryHoldsNewWalsAndOldOnesStayFound) {
  const std::string wal1 = tmp_.path() + "/wal1";
  fs::create_directories(wal1);
  options_.wal_directory = wal1;
  Open();
  auto a = Create("a");
  Write(a.get(), 0, 5);
  const std::string a_dir =
      fs::path(static_cast<CollectionImpl*>(a.get())->dir()).filename();
  EXPECT_TRUE(fs::exists(wal1 + "/collections/" + a_dir + "/wal"));
  EXPECT_FALSE(fs::exists(data_ + "/collections/" + a_dir + "/wal"));
  a.reset();
  // The setting changes: "a" keeps its WAL where the catalog says; "b" is
  // created in the main data directory.
  options_.wal_directory = "";
  Open();
  EXPECT_EQ(*(*db_->GetCollection("a"))->Count(), 5u);
  auto b = Create("b");
  Write(b.get(), 0, 3);
  const std::string b_dir =
      fs::path(static_cast<CollectionImpl*>(b.get())->dir()).filename();
  EXPECT_TRUE(fs::exists(data_ + "/collections/" + b_dir + "/wal"));
  b.reset();
  // A WAL directory that is gone stops start-up instead of losing writes.
  db_.reset();
  fs::rename(wal1, tmp_.path() + "/wal1-away");
  auto r = DBImpl::OpenImpl(options_, data_);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("WAL directory " + wal1 + " is missing"),
            std::string::npos)
      << r.status().message();
  fs::rename(tmp_.path() + "/wal1-away", wal1);
  Open();
  EXPECT_EQ(*(*db_->GetCollection("a"))->Count(), 5u);
  EXPECT_EQ(*(*db_->GetCollection("b"))->Count(), 3u);
}

// One process per database: while a DB has the directories open, another
// open of any of them (the main directory, another data directory, the WAL
// root), an offline catalog rebuild and a snapshot restore are refused,
// before anything is read or written; once it is closed they work.
TEST_F(PlacementTest, ADatabaseInUseIsRefusedUntilClosed) {
  options_.wal_directory = tmp_.path() + "/wal";
  fs::create_directories(options_.wal_directory);
  Open();
  Write(Create("a").get(), 0, 10);

  auto second = DBImpl::OpenImpl(options_, data_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another server"),
            std::string::npos)
      << second.status().ToString();
  EXPECT_NE(second.status().message().find(data_), std::string::npos);

  // Another main directory, sharing a data directory or the WAL root.
  for (const std::string& shared : {disk2_, options_.wal_directory}) {
    DBOptions o = options_;
    o.data_directories = {{shared, 1}};
    o.wal_directory = shared == disk2_ ? "" : shared;
    if (shared == options_.wal_directory) o.data_directories.clear();
    auto other = DBImpl::OpenImpl(o, tmp_.path() + "/other");
    ASSERT_FALSE(other.ok()) << shared;
    EXPECT_NE(other.status().message().find(shared), std::string::npos)
        << other.status().ToString();
  }

  auto rebuild = DB::RebuildCatalog(options_, data_, /*force=*/true);
  ASSERT_FALSE(rebuild.ok());
  EXPECT_EQ(rebuild.status().code(), StatusCode::kFailedPrecondition);

  db_.reset();
  Open();
  EXPECT_EQ(*(*db_->GetCollection("a"))->Count(), 10u);
}

}  // namespace
}  // namespace proximadb
