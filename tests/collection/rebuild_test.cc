// A catalog that lost commits is refused; DB::RebuildCatalog rebuilds it
// from the collections' manifests with every acknowledged write (deletes,
// configuration and payload indexes included). Interrupted drops and
// creations are finished or set aside.
#include <gtest/gtest.h>

#include "collection/recovery_util.h"
#include "storage/catalog/catalog.h"

namespace proximadb {
namespace {

using namespace proximadb::testing;  // NOLINT

class RebuildTest : public DataDirTest {};

// What a damaged catalog.db-wal does after a kill -9: SQLite stops at the
// bad frame and the catalog silently goes back to before the last flush,
// whose WAL files are already gone. Here the old catalog is put back.
TEST_F(RebuildTest, CatalogThatLostAFlushIsRefusedAndRebuilt) {
  {
    auto db = OpenOk(dir_);
    auto c = db->CreateCollection(MakeConfig("c", 4));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 10)).ok());
    ASSERT_TRUE((*c)->Flush().ok());
  }
  const std::string old_catalog = ReadAll(dir_ + "/catalog.db");
  ASSERT_FALSE(fs::exists(dir_ + "/catalog.db-wal"));
  {
    auto db = OpenOk(dir_);
    auto c = db->GetCollection("c");
    ASSERT_TRUE((*c)->Upsert(Range("b", 0, 10)).ok());
    ASSERT_TRUE((*c)->Delete({"a1", "a2"}).ok());
    ASSERT_TRUE((*c)->Flush().ok());  // fence moves, older WAL deleted
    ASSERT_TRUE((*c)->Upsert(Range("c", 0, 3)).ok());
  }
  WriteAll(dir_ + "/catalog.db", old_catalog);

  Status s = ExpectRefused({});
  EXPECT_NE(s.message().find("behind the collection's manifest"),
            std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("--rebuild-catalog"), std::string::npos);

  auto report = DB::RebuildCatalog(ManualOptions(), dir_, /*force=*/false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->collections.size(), 1u);
  EXPECT_EQ(report->collections[0].segments, 2u);
  EXPECT_EQ(report->collections[0].segment_points, 18u);
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  auto c = db->GetCollection("c");
  EXPECT_EQ(*(*c)->Count(), 21u);
  EXPECT_TRUE((*c)->Get("a1").status().IsNotFound());
  EXPECT_TRUE((*c)->Get("b9").ok());
  EXPECT_TRUE((*c)->Get("c2").ok());
  // The replaced catalog is in the quarantine, not gone.
  bool kept = false;
  auto entries = db->ListQuarantine();
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    kept |= e.original_path == "catalog.db";
  }
  EXPECT_TRUE(kept);
}

TEST_F(RebuildTest, KeepsDeletesConfigurationAndPayloadIndexes) {
  {
    auto db = OpenOk(dir_);
    CollectionConfig cfg = MakeConfig("c", 4);
    cfg.flush.max_vector_count = 777;
    auto c = db->CreateCollection(cfg);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(
        (*c)->CreatePayloadIndex({"p", PayloadIndexType::kKeyword}).ok());
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 20)).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    ASSERT_TRUE((*c)->Upsert(Range("b", 0, 20)).ok());
    ASSERT_TRUE((*c)->Delete({"a0", "a5", "b3"}).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    ASSERT_TRUE((*c)->Compact().ok());
    ASSERT_TRUE((*c)->Delete({"a7", "b8"}).ok());  // bitmap of the output
    ASSERT_TRUE((*c)->UpdateMetadata("a9", {{"p", "changed"}}).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    FlushPolicy policy = (*c)->config().flush;
    policy.flush_priority = 77;
    ASSERT_TRUE((*c)->SetFlushPolicy(policy).ok());
    ASSERT_TRUE((*c)->Delete({"b9"}).ok());  // WAL only
  }
  fs::remove(dir_ + "/catalog.db");
  ASSERT_TRUE(DB::RebuildCatalog(ManualOptions(), dir_, false).ok());
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  auto c = db->GetCollection("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->config().flush.max_vector_count, 777u);
  EXPECT_EQ((*c)->config().flush.flush_priority, 77);
  EXPECT_EQ((*c)->Info().payload_indexes,
            (std::vector<PayloadIndexDef>{{"p", PayloadIndexType::kKeyword}}));
  EXPECT_EQ(*(*c)->Count(), 34u);
  for (const char* gone : {"a0", "a5", "b3", "a7", "b8", "b9"}) {
    EXPECT_TRUE((*c)->Get(gone).status().IsNotFound()) << gone;
  }
  EXPECT_EQ((*c)->Get("a9")->metadata["p"], "changed");
  EXPECT_EQ(*(*c)->Count({{"p", "b"}}), 17u);
}

TEST_F(RebuildTest, RefusesAValidCatalogUnlessForced) {
  {
    auto db = OpenOk(dir_);
    auto c = db->CreateCollection(MakeConfig("c", 4));
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 5)).ok());
  }
  auto r = DB::RebuildCatalog(ManualOptions(), dir_, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("--force"), std::string::npos);
  ASSERT_TRUE(DB::RebuildCatalog(ManualOptions(), dir_, true).ok());
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*(*db->GetCollection("c"))->Count(), 5u);
}

TEST_F(RebuildTest, DirectoryWithDataButNoManifestStopsTheRebuild) {
  {
    auto db = OpenOk(dir_);
    ASSERT_TRUE(db->CreateCollection(MakeConfig("c", 4)).ok());
    auto c = db->GetCollection("c");
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 5)).ok());
  }
  const std::string cdir = OnlyCollectionDir(dir_);
  fs::remove(cdir + "/collection.manifest");
  fs::remove(dir_ + "/catalog.db");
  auto before = Snapshot(dir_);
  auto r = DB::RebuildCatalog(ManualOptions(), dir_, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no manifest"), std::string::npos);
  EXPECT_TRUE(before == Snapshot(dir_));
}

// A drop that committed but crashed before deleting the directory: the
// directory carries the drop marker, and only then is it deleted. A drop
// that did not commit (the collection is still listed) leaves a marker that
// is removed, and the collection stays.
TEST_F(RebuildTest, InterruptedDropIsFinishedAndUncommittedDropIsUndone) {
  std::string adir, bdir;
  {
    auto db = OpenOk(dir_);
    ASSERT_TRUE(db->CreateCollection(MakeConfig("a", 4)).ok());
    ASSERT_TRUE(db->CreateCollection(MakeConfig("b", 4)).ok());
  }
  for (const auto& e : fs::directory_iterator(dir_ + "/collections")) {
    const std::string name = e.path().filename().string();
    (name[0] == 'a' ? adir : bdir) = e.path().string();
  }
  WriteAll(adir + "/DROPPED", "dropped\n");
  {
    auto cat = catalog::Catalog::Open(dir_ + "/catalog.db");
    ASSERT_TRUE(cat.ok());
    ASSERT_TRUE((*cat)->DropCollection("a").ok());
  }
  {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    EXPECT_FALSE(fs::exists(adir));
    EXPECT_TRUE(db->ListQuarantine()->empty());
    EXPECT_TRUE(db->GetCollection("b").ok());
  }
  WriteAll(bdir + "/DROPPED", "dropped\n");
  {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(db->GetCollection("b").ok());
    EXPECT_FALSE(fs::exists(bdir + "/DROPPED"));
    EXPECT_TRUE(db->ListQuarantine()->empty());
  }
}

TEST_F(RebuildTest, UnlistedDirectoryWithAManifestIsRefused) {
  {
    auto db = OpenOk(dir_);
    ASSERT_TRUE(db->CreateCollection(MakeConfig("b", 4)).ok());
  }
  const std::string bdir = OnlyCollectionDir(dir_);
  {
    auto cat = catalog::Catalog::Open(dir_ + "/catalog.db");
    ASSERT_TRUE((*cat)->DropCollection("b").ok());  // the catalog forgets
  }
  Status s = ExpectRefused({});
  EXPECT_NE(s.message().find("does not list"), std::string::npos)
      << s.ToString();
  ASSERT_TRUE(DB::RebuildCatalog(ManualOptions(), dir_, false).ok());
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->GetCollection("b").ok());
}

// A manifest that cannot be written after a commit keeps everything the old
// manifest still refers to (the WAL below the new fence, the compacted
// segments), so a rebuild from the old manifest still finds every point.
TEST_F(RebuildTest, ManifestWriteFailureKeepsWhatTheOldManifestNeeds) {
  auto db = OpenOk(dir_);
  auto c = db->CreateCollection(MakeConfig("c", 4));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Upsert(Range("a", 0, 10)).ok());
  ASSERT_TRUE((*c)->Flush().ok());
  ASSERT_TRUE((*c)->Upsert(Range("b", 0, 5)).ok());
  const std::string cdir = OnlyCollectionDir(dir_);
  auto count = [](const std::string& d) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(d)) n += e.is_regular_file();
    return n;
  };
  ASSERT_EQ(count(cdir + "/wal"), 1u);
  // A directory where the manifest's temporary file goes: every manifest
  // write fails from here on.
  fs::create_directory(cdir + "/collection.manifest.tmp");
  ASSERT_TRUE((*c)->Flush().ok());      // committed; manifest not written
  EXPECT_EQ(count(cdir + "/wal"), 2u);  // so the old WAL file stays
  ASSERT_TRUE((*c)->Compact().ok());
  EXPECT_EQ(count(cdir + "/segments"), 3u);  // and the compacted inputs
  c->reset();
  db.reset();
  fs::remove(cdir + "/collection.manifest.tmp");

  // The catalog is lost: the old manifest (fence of the first flush, one
  // segment) plus the WAL it needs bring back every point.
  fs::remove(dir_ + "/catalog.db");
  ASSERT_TRUE(DB::RebuildCatalog(ManualOptions(), dir_, false).ok());
  db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  auto again = db->GetCollection("c");
  EXPECT_EQ(*(*again)->Count(), 15u);
  EXPECT_TRUE((*again)->Get("b4").ok());
  EXPECT_EQ(db->ListQuarantine()->size(), 2u);  // the two unlisted segments
}

// A compaction committed, then the process died before deleting its inputs
// (here: the manifest write failed, which keeps them). The catalog recorded
// them as obsolete, so the next start deletes them instead of quarantining.
TEST_F(RebuildTest, InputsOfACommittedCompactionAreDeletedAtTheNextStart) {
  std::string cdir;
  {
    auto db = OpenOk(dir_);
    auto c = db->CreateCollection(MakeConfig("c", 4));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 10)).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    ASSERT_TRUE((*c)->Upsert(Range("b", 0, 10)).ok());
    ASSERT_TRUE((*c)->Flush().ok());
    cdir = OnlyCollectionDir(dir_);
    fs::create_directory(cdir + "/collection.manifest.tmp");
    ASSERT_TRUE((*c)->Compact().ok());
    EXPECT_TRUE(fs::exists(cdir + "/segments/" + SegName(1)));
    EXPECT_TRUE(fs::exists(cdir + "/segments/" + SegName(2)));
  }
  fs::remove(cdir + "/collection.manifest.tmp");
  {
    auto cat = catalog::Catalog::OpenSnapshot(dir_ + "/catalog.db");
    ASSERT_TRUE(cat.ok());
    EXPECT_EQ((*cat)->Load("c")->obsolete_segments.size(), 2u);
  }
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_FALSE(fs::exists(cdir + "/segments/" + SegName(1)));
  EXPECT_FALSE(fs::exists(cdir + "/segments/" + SegName(2)));
  EXPECT_TRUE(db->ListQuarantine()->empty());
  EXPECT_EQ(*(*db->GetCollection("c"))->Count(), 20u);
  db.reset();
  auto cat = catalog::Catalog::OpenSnapshot(dir_ + "/catalog.db");
  ASSERT_TRUE(cat.ok());
  EXPECT_TRUE((*cat)->Load("c")->obsolete_segments.empty());
}

}  // namespace
}  // namespace proximadb
