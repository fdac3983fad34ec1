#include "storage/catalog/catalog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "proximadb/env.h"
#include "util/temp_dir.h"

namespace proximadb::catalog {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
    path_ = dir_ + "/catalog.db";
    Reopen();
  }
  void TearDown() override { cat_.reset(); }
  void Reopen() {
    cat_.reset();
    auto c = Catalog::Open(path_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cat_ = std::move(c).value();
  }

  static CollectionRecord Rec(const std::string& name, uint32_t dim = 4) {
    CollectionRecord r;
    r.config.name = name;
    r.config.dimension = dim;
    r.config.metric = Metric::kEuclidean;
    r.config.flush.max_vector_count = 1234;
    r.dir_name = "c_" + name;
    r.created_at_unix_ms = 1700000000123;
    r.fenced_seq = 0;
    r.next_segment_id = 1;
    return r;
  }
  static SegmentRecord Seg(uint64_t id, std::string bitmap = "") {
    return {id,
            "seg_" + std::to_string(id) + ".pdbseg",
            id * 10,
            id * 100,
            id * 100 + 99,
            std::move(bitmap),
            {},
            0};
  }

  test_util::TempDir tmp_;
  std::string dir_, path_;
  std::unique_ptr<Catalog> cat_;
};

void ExpectSameSegment(const SegmentRecord& a, const SegmentRecord& b) {
  EXPECT_EQ(a.segment_id, b.segment_id);
  EXPECT_EQ(a.file_name, b.file_name);
  EXPECT_EQ(a.point_count, b.point_count);
  EXPECT_EQ(a.min_seq, b.min_seq);
  EXPECT_EQ(a.max_seq, b.max_seq);
  EXPECT_EQ(a.deleted_bitmap, b.deleted_bitmap);
}

TEST_F(CatalogTest, CreateLoadListDrop) {
  auto all = cat_->LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());

  CollectionRecord b = Rec("b", 8);
  b.segments = {Seg(2), Seg(1, std::string("\x01\0\0\0\0\0\0\0", 8))};
  ASSERT_TRUE(cat_->CreateCollection(b).ok());
  ASSERT_TRUE(cat_->CreateCollection(Rec("a")).ok());
  Reopen();

  all = cat_->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].config.name, "a");
  EXPECT_EQ((*all)[1].config.name, "b");

  auto got = cat_->Load("b");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->config.dimension, 8u);
  EXPECT_EQ(got->config.metric, Metric::kEuclidean);
  EXPECT_EQ(got->config.flush.max_vector_count, 1234u);
  EXPECT_EQ(got->dir_name, "c_b");
  EXPECT_EQ(got->created_at_unix_ms, 1700000000123u);
  EXPECT_EQ(got->next_segment_id, 1u);
  ASSERT_EQ(got->segments.size(), 2u);  // ordered by id
  ExpectSameSegment(got->segments[0], b.segments[1]);
  ExpectSameSegment(got->segments[1], b.segments[0]);

  ASSERT_TRUE(cat_->DropCollection("b").ok());
  EXPECT_TRUE(cat_->Load("b").status().IsNotFound());
  EXPECT_TRUE(cat_->DropCollection("b").IsNotFound());
  Reopen();
  all = cat_->LoadAll();
  ASSERT_EQ(all->size(), 1u);
  // The dropped collection's segment rows went with it: a new "b" is empty.
  ASSERT_TRUE(cat_->CreateCollection(Rec("b")).ok());
  EXPECT_TRUE(cat_->Load("b")->segments.empty());
}

TEST_F(CatalogTest, DuplicateNameIsAlreadyExists) {
  ASSERT_TRUE(cat_->CreateCollection(Rec("x")).ok());
  CollectionRecord again = Rec("x", 99);
  again.segments = {Seg(5)};
  Status s = cat_->CreateCollection(again);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  auto got = cat_->Load("x");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->config.dimension, 4u);
  EXPECT_TRUE(got->segments.empty());
}

TEST_F(CatalogTest, MissingCollectionIsNotFound) {
  EXPECT_TRUE(cat_->Load("nope").status().IsNotFound());
  EXPECT_TRUE(cat_->UpdateConfig("nope", Rec("nope").config).IsNotFound());
  EXPECT_TRUE(cat_->ApplySegmentChange("nope", {}).IsNotFound());
}

TEST_F(CatalogTest, UpdateConfigPersists) {
  ASSERT_TRUE(cat_->CreateCollection(Rec("c")).ok());
  CollectionConfig cfg = Rec("c").config;
  cfg.flush.flush_priority = 90;
  cfg.flush.max_vector_count.reset();
  ASSERT_TRUE(cat_->UpdateConfig("c", cfg).ok());
  Reopen();
  auto got = cat_->Load("c");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->config.flush.flush_priority, 90);
  EXPECT_FALSE(got->config.flush.max_vector_count.has_value());
  cfg.name = "renamed";
  EXPECT_EQ(cat_->UpdateConfig("c", cfg).code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogTest, SegmentChangeIsAppliedTogether) {
  CollectionRecord r = Rec("c");
  r.segments = {Seg(1), Seg(2)};
  ASSERT_TRUE(cat_->CreateCollection(r).ok());

  // A compaction: 1 and 2 become 3; 3 gets a bitmap at once; the fence and
  // the id counter move; values above INT64_MAX survive the signed column.
  SegmentChange change;
  change.added = {Seg(3)};
  change.removed = {1, 2};
  const std::string bitmap("\xff\x00\x80\x00\x00\x00\x00\x01", 8);
  change.bitmaps = {{3, bitmap}};
  change.fenced_seq = ~uint64_t{0} - 1;
  change.next_segment_id = 4;
  ASSERT_TRUE(cat_->ApplySegmentChange("c", change).ok());
  Reopen();

  auto got = cat_->Load("c");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->segments.size(), 1u);
  EXPECT_EQ(got->segments[0].segment_id, 3u);
  EXPECT_EQ(got->segments[0].deleted_bitmap, bitmap);
  EXPECT_EQ(got->fenced_seq, ~uint64_t{0} - 1);
  EXPECT_EQ(got->next_segment_id, 4u);
}

TEST_F(CatalogTest, FailedSegmentChangeLeavesNothingBehind) {
  CollectionRecord r = Rec("c");
  r.segments = {Seg(1)};
  r.fenced_seq = 10;
  ASSERT_TRUE(cat_->CreateCollection(r).ok());

  std::vector<std::pair<SegmentChange, StatusCode>> failing;
  {
    SegmentChange c;  // removes a segment that does not exist
    c.added = {Seg(7)};
    c.bitmaps = {{1, "xxxxxxxx"}};
    c.removed = {42};
    c.fenced_seq = 99;
    failing.emplace_back(c, StatusCode::kNotFound);
  }
  {
    SegmentChange c;  // updates the bitmap of a segment it just removed
    c.removed = {1};
    c.bitmaps = {{1, "x"}};
    c.next_segment_id = 50;
    failing.emplace_back(c, StatusCode::kNotFound);
  }
  {
    SegmentChange c;  // adds a segment id that is taken
    c.added = {Seg(8), Seg(1)};
    c.fenced_seq = 99;
    failing.emplace_back(c, StatusCode::kAlreadyExists);
  }
  for (const auto& [change, code] : failing) {
    EXPECT_EQ(cat_->ApplySegmentChange("c", change).code(), code);
    Reopen();
    auto got = cat_->Load("c");
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->segments.size(), 1u);
    ExpectSameSegment(got->segments[0], Seg(1));
    EXPECT_EQ(got->fenced_seq, 10u);
    EXPECT_EQ(got->next_segment_id, 1u);
  }
  // And the catalog still takes a good change afterwards.
  SegmentChange ok;
  ok.added = {Seg(2)};
  EXPECT_TRUE(cat_->ApplySegmentChange("c", ok).ok());
  EXPECT_EQ(cat_->Load("c")->segments.size(), 2u);
}

TEST_F(CatalogTest, ConcurrentCallersAreSerialised) {
  constexpr int kThreads = 4, kPerThread = 25;
  ASSERT_TRUE(cat_->CreateCollection(Rec("c")).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        SegmentChange c;
        c.added = {Seg(uint64_t(t) * 1000 + i + 1)};
        EXPECT_TRUE(cat_->ApplySegmentChange("c", c).ok());
        EXPECT_TRUE(cat_->LoadAll().ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(cat_->Load("c")->segments.size(), size_t{kThreads * kPerThread});
}

TEST_F(CatalogTest, NewerSchemaIsRefused) {
  cat_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto c = Catalog::Open(path_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(CatalogTest, GarbageFileIsCorruption) {
  cat_.reset();
  ASSERT_TRUE(
      Env::Default()
          ->WriteFileAtomically(dir_ + "/junk.db", std::string(8192, 'J'))
          .ok());
  auto c = Catalog::Open(dir_ + "/junk.db");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsCorruption()) << c.status().ToString();
}

TEST_F(CatalogTest, UnreadableConfigIsCorruption) {
  ASSERT_TRUE(cat_->CreateCollection(Rec("c")).ok());
  cat_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE collections SET config_json='{oops'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  EXPECT_TRUE(cat_->LoadAll().status().IsCorruption());
}

TEST_F(CatalogTest, PlacementAndWalRootRoundTripAndMove) {
  CollectionRecord r = Rec("tiers");
  r.wal_root = "/mnt/fastwal";
  ASSERT_TRUE(cat_->CreateCollection(r).ok());
  SegmentRecord hot = Seg(1);
  SegmentRecord on_disk2 = Seg(2);
  on_disk2.placement.volume = "/mnt/disk2";
  SegmentChange add;
  add.added = {hot, on_disk2};
  ASSERT_TRUE(cat_->ApplySegmentChange("tiers", add).ok());
  // A tier move: one placement changes, in the same kind of transaction.
  Placement cold{Tier::kCold, "", 123456, 0xdeadbeef};
  SegmentChange move;
  move.placements = {{1, cold}};
  ASSERT_TRUE(cat_->ApplySegmentChange("tiers", move).ok());
  Reopen();
  auto got = cat_->Load("tiers");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->wal_root, "/mnt/fastwal");
  ASSERT_EQ(got->segments.size(), 2u);
  EXPECT_EQ(got->segments[0].placement, cold);
  EXPECT_EQ(got->segments[1].placement.volume, "/mnt/disk2");
  EXPECT_EQ(got->segments[1].placement.tier, Tier::kHot);
  // Removed, the segment stays obsolete with its placement (its files are
  // found where they are).
  SegmentChange rm;
  rm.removed = {2};
  ASSERT_TRUE(cat_->ApplySegmentChange("tiers", rm).ok());
  got = cat_->Load("tiers");
  ASSERT_EQ(got->obsolete_segments.size(), 1u);
  EXPECT_EQ(got->obsolete_segments[0].placement.volume, "/mnt/disk2");
  SegmentChange missing;
  missing.placements = {{9, cold}};
  EXPECT_TRUE(cat_->ApplySegmentChange("tiers", missing).IsNotFound());
}

TEST_F(CatalogTest, ADamagedPlacementIsCaughtByTheRowChecksum) {
  ASSERT_TRUE(cat_->CreateCollection(Rec("c")).ok());
  SegmentChange add;
  add.added = {Seg(1)};
  ASSERT_TRUE(cat_->ApplySegmentChange("c", add).ok());
  cat_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE segments SET tier = 2", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  auto got = cat_->Load("c");
  ASSERT_EQ(got.status().code(), StatusCode::kCorruption);
  EXPECT_NE(got.status().message().find("row checksum mismatch"),
            std::string::npos);
}

}  // namespace
}  // namespace proximadb::catalog
