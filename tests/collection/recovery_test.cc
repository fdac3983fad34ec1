// Start-up never deletes what it cannot account for: unexplained files go to
// the quarantine; a data directory without a usable catalog, with a damaged
// catalog row, or with a catalog that lost commits is refused, and a refused
// start leaves every byte where it was.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "collection/recovery_util.h"
#include "storage/catalog/catalog.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

using namespace proximadb::testing;  // NOLINT

class RecoveryTest : public DataDirTest {
 protected:
  // "c": 10 points flushed into segment 1, then 2 more in the WAL only.
  void MakeData() {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    auto c = db->CreateCollection(MakeConfig("c", 4));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 10)).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    ASSERT_TRUE((*c)->Upsert(Range("w", 0, 2)).ok());
    cdir_ = OnlyCollectionDir(dir_);
  }

  void ExpectAllPoints(DB* db, uint64_t n = 12) {
    auto c = db->GetCollection("c");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(*(*c)->Count(), n);
    for (int i = 0; i < 10; ++i) {
      auto p = (*c)->Get("a" + std::to_string(i));
      ASSERT_TRUE(p.ok()) << i;
      EXPECT_EQ(p->metadata["i"], i);
    }
  }

  std::string cdir_;
};

TEST_F(RecoveryTest, UnexplainedFilesAreQuarantinedNotDeleted) {
  MakeData();
  const std::string segs = cdir_ + "/segments/";
  const std::string seg1 = ReadAll(segs + SegName(1));
  WriteAll(segs + SegName(9), seg1);          // an uncommitted flush's output
  WriteAll(segs + SegName(5) + ".tmp", "t");  // a crashed write
  WriteAll(cdir_ + "/junk.txt", "junk");
  WriteAll(cdir_ + "/wal/notes.txt", "notes");
  fs::create_directories(dir_ + "/collections/old-12345678/wal");
  WriteAll(dir_ + "/collections/old-12345678/wal/x", "old");

  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectAllPoints(db.get());
  for (const std::string& p :
       {segs + SegName(9), segs + SegName(5) + ".tmp", cdir_ + "/junk.txt",
        cdir_ + "/wal/notes.txt", dir_ + "/collections/old-12345678"}) {
    EXPECT_FALSE(fs::exists(p)) << p;
  }
  auto list = db->ListQuarantine();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 5u);
  std::map<std::string, QuarantineEntry> by_path;
  for (const auto& e : *list) by_path[e.original_path] = e;
  const std::string rel = fs::relative(cdir_, dir_).string();
  const QuarantineEntry& stray = by_path[rel + "/segments/" + SegName(9)];
  EXPECT_NE(stray.reason.find("does not list"), std::string::npos)
      << stray.reason;
  EXPECT_EQ(stray.bytes, seg1.size());
  // Nothing lost: the bytes sit at their original path inside the entry.
  EXPECT_EQ(ReadAll(dir_ + "/quarantine/" + stray.id + "/" + rel +
                    "/segments/" + SegName(9)),
            seg1);
  EXPECT_NE(by_path[rel + "/segments/" + SegName(5) + ".tmp"].reason.find(
                "temporary"),
            std::string::npos);
  EXPECT_TRUE(by_path.count(rel + "/junk.txt"));
  EXPECT_TRUE(by_path.count(rel + "/wal/notes.txt"));
  EXPECT_TRUE(by_path.count("collections/old-12345678"));

  // The operator clears one entry, then the rest.
  auto one = db->ClearQuarantine(stray.id);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1u);
  EXPECT_TRUE(db->ClearQuarantine(stray.id).status().IsNotFound());
  EXPECT_EQ(*db->ClearQuarantine(""), 4u);
  EXPECT_TRUE(db->ListQuarantine()->empty());
  db.reset();
  // And a second start finds nothing more to move.
  db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->ListQuarantine()->empty());
  ExpectAllPoints(db.get());
}

// The issue: a missing or truncated catalog.db made the server start empty
// and delete every collection directory.
class NoCatalogTest : public RecoveryTest,
                      public ::testing::WithParamInterface<int> {};

TEST_P(NoCatalogTest, RefusesWithTheWayOutAndRebuildRecoversEverything) {
  MakeData();
  const std::string cat = dir_ + "/catalog.db";
  switch (GetParam()) {
    case 0:
      fs::remove(cat);
      fs::remove(cat + "-wal");
      fs::remove(cat + "-shm");
      break;
    case 1:
      fs::resize_file(cat, 0);
      break;
    case 2:
      fs::resize_file(cat, 1000);
      break;
    case 3:
      WriteAll(cat, std::string(8192, 'J'));
      break;
  }
  (void)ExpectRefused({"--rebuild-catalog", "move", "nothing was changed"});
  EXPECT_TRUE(fs::exists(cdir_ + "/segments/" + SegName(1)));

  auto report = DB::RebuildCatalog(ManualOptions(), dir_, /*force=*/false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->collections.size(), 1u);
  EXPECT_EQ(report->collections[0].name, "c");
  EXPECT_EQ(report->collections[0].segments, 1u);
  EXPECT_EQ(report->collections[0].segment_points, 10u);
  EXPECT_EQ(report->collections[0].wal_records, 1u);  // the batch of 2
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectAllPoints(db.get());
  if (GetParam() != 0) {
    // The damaged catalog itself was kept.
    bool kept = false;
    auto entries = db->ListQuarantine();
    ASSERT_TRUE(entries.ok());
    for (const auto& e : *entries) {
      kept |= e.original_path == "catalog.db";
    }
    EXPECT_TRUE(kept);
  }
}

INSTANTIATE_TEST_SUITE_P(MissingEmptyTruncatedGarbage, NoCatalogTest,
                         ::testing::Values(0, 1, 2, 3));

TEST_F(RecoveryTest, FreshAndEmptyDirectoriesStart) {
  ASSERT_NE(OpenOk(dir_), nullptr);  // creates everything
  ASSERT_NE(OpenOk(dir_), nullptr);  // an empty catalog, no collections
  TempDir other;
  fs::create_directories(other.path() + "/d/collections");
  WriteAll(other.path() + "/d/catalog.db", "");  // empty file: a new catalog
  auto db = OpenOk(other.path() + "/d");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->CreateCollection(MakeConfig("c", 4)).ok());
  // A garbage catalog is never replaced silently, even with no data.
  TempDir third;
  dir_ = third.path() + "/d";
  fs::create_directories(dir_);
  WriteAll(dir_ + "/catalog.db", std::string(8192, 'J'));
  (void)ExpectRefused({"No collection data depends on it", "move it out"});
  dir_ = tmp_.path() + "/data";
}

// The issue: one flipped bit in a segment's file name made start-up delete
// that segment's real files, and only then refuse.
TEST_F(RecoveryTest, FlippedBitInASegmentFileNameIsRefusedAndNothingMoves) {
  MakeData();
  const std::string name = SegName(1);
  // 'seg-...1.pdb' -> 'seg-...0.pdb' ('1' ^ 1 == '0').
  ASSERT_GE(FlipEvery(dir_ + "/catalog.db", name, name.size() - 5, 0), 1);
  Status s = ExpectRefused({"segment 1", "checksum mismatch", "file_name"});
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(fs::exists(cdir_ + "/segments/" + name));
}

TEST_F(RecoveryTest, FlippedBitInADeletionBitmapIsRefused) {
  {
    auto db = OpenOk(dir_);
    auto c = db->CreateCollection(MakeConfig("c", 4));
    ASSERT_TRUE(c.ok());
    std::vector<Point> pts;
    for (int i = 0; i < 64; ++i) {
      char id[8];
      std::snprintf(id, sizeof(id), "p%02d", i);  // row i once sorted
      pts.push_back(P(id, static_cast<float>(i)));
    }
    ASSERT_TRUE((*c)->Upsert(pts).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    // Deletes that spell a bitmap found nowhere else in the file.
    const unsigned char pattern[8] = {0xA5, 0x5A, 0xC3, 0x3C,
                                      0x96, 0x69, 0x0F, 0xF0};
    std::vector<std::string> ids;
    for (int i = 0; i < 64; ++i) {
      if (pattern[i / 8] >> (i % 8) & 1) ids.push_back(pts[i].id);
    }
    ASSERT_TRUE((*c)->Delete(ids).ok());
    ASSERT_TRUE((*c)->Flush().ok());  // persists segment 1's bitmap
  }
  const std::string pattern("\xA5\x5A\xC3\x3C\x96\x69\x0F\xF0", 8);
  ASSERT_GE(FlipEvery(dir_ + "/catalog.db", pattern, 3, 2), 1);
  Status s = ExpectRefused({"segment 1", "checksum mismatch"});
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

// Rows changed behind the catalog's back (the fence, the configuration, a
// segment's point count): each is caught by its row's checksum.
TEST_F(RecoveryTest, RowsChangedOutsideAreRefused) {
  MakeData();
  const std::string pristine = dir_;
  for (const char* sql :
       {"UPDATE collections SET fenced_seq = fenced_seq + 1",
        "UPDATE collections SET config_json = replace(config_json, "
        "'\"dimension\":4', '\"dimension\":5')",
        "UPDATE segments SET point_count = 11"}) {
    SCOPED_TRACE(sql);
    TempDir copy;
    dir_ = copy.path() + "/d";
    fs::copy(pristine, dir_, fs::copy_options::recursive);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/catalog.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
    Status s = ExpectRefused({"checksum mismatch", "collection 'c'"});
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
  dir_ = pristine;
}

TEST_F(RecoveryTest, MissingSegmentFileOrDirectoryIsRefused) {
  MakeData();
  fs::rename(cdir_ + "/segments/" + SegName(1), tmp_.path() + "/aside");
  (void)ExpectRefused({SegName(1), "missing"});
  fs::rename(tmp_.path() + "/aside", cdir_ + "/segments/" + SegName(1));
  fs::rename(cdir_, tmp_.path() + "/aside-dir");
  (void)ExpectRefused({"is missing", "catalog lists the collection"});
  fs::rename(tmp_.path() + "/aside-dir", cdir_);
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectAllPoints(db.get());
}

TEST_F(RecoveryTest, WalFileAfterTheFenceMissingIsRefused) {
  MakeData();
  // wal-<fence + 1>.log holds the 2 unflushed points.
  std::vector<std::string> wals;
  for (const auto& e : fs::directory_iterator(cdir_ + "/wal")) {
    wals.push_back(e.path().string());
  }
  ASSERT_EQ(wals.size(), 1u);
  fs::rename(wals[0], tmp_.path() + "/aside");
  (void)ExpectRefused({"is missing", "fence"});
}

TEST_F(RecoveryTest, TornWalTailIsCutButKeptInTheQuarantine) {
  MakeData();
  std::string wal;
  for (const auto& e : fs::directory_iterator(cdir_ + "/wal")) {
    wal = e.path().string();
  }
  const std::string good = ReadAll(wal);
  WriteAll(wal, good + "partial");  // an incomplete record header
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectAllPoints(db.get());
  EXPECT_EQ(ReadAll(wal), good);
  auto list = db->ListQuarantine();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].original_path, fs::relative(wal, dir_).string());
  EXPECT_EQ((*list)[0].bytes, 7u);
  EXPECT_NE((*list)[0].reason.find("torn tail"), std::string::npos);
  EXPECT_EQ(ReadAll(dir_ + "/quarantine/" + (*list)[0].id + "/" +
                    (*list)[0].original_path),
            "partial");
}

TEST_F(RecoveryTest, DamagedManifestIsKeptAndRewrittenFromTheCatalog) {
  MakeData();
  const std::string m = cdir_ + "/collection.manifest";
  std::string bytes = ReadAll(m);
  ASSERT_GT(bytes.size(), 40u);
  bytes[30] ^= 1;
  WriteAll(m, bytes);
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectAllPoints(db.get());
  auto list = db->ListQuarantine();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].reason.find("damaged manifest"), std::string::npos);
  EXPECT_NE(ReadAll(m), bytes);
}

// An I/O error while quarantining (here: the rename) fails the start, and
// the file is still where it was; the next start moves it.
TEST_F(RecoveryTest, FailedQuarantineMoveLosesNothing) {
  MakeData();
  const std::string stray = cdir_ + "/segments/" + SegName(9);
  WriteAll(stray, "stray");
  FaultInjectionEnv faults(Env::Default());
  DBOptions o = ManualOptions();
  o.env = &faults;
  faults.FailRenames(1);
  auto db = DB::Open(o, dir_);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(ReadAll(stray), "stray");
  faults.ClearFaults();
  db = DB::Open(o, dir_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ExpectAllPoints(db->get());
  EXPECT_FALSE(fs::exists(stray));
  bool moved = false;
  auto entries = (*db)->ListQuarantine();
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    moved |=
        e.original_path.find(SegName(9)) != std::string::npos && e.bytes == 5;
  }
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace proximadb
