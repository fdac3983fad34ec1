// Catalog rows carry checksums: a flipped bit in the SQLite file, or a row
// changed by hand, is refused by name and never served; the schema 2 -> 3
// migration checksums existing rows; a snapshot reads without changing the
// file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "proximadb/env.h"
#include "storage/catalog/catalog.h"
#include "util/temp_dir.h"

namespace proximadb::catalog {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class CatalogChecksumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
    path_ = dir_ + "/catalog.db";
  }

  static CollectionRecord Rec() {
    CollectionRecord r;
    r.config.name = "docs";
    r.config.dimension = 4;
    r.config.metric = Metric::kEuclidean;
    r.dir_name = "docs-0badf00d";
    r.created_at_unix_ms = 1700000000123;
    r.fenced_seq = 41;
    r.next_segment_id = 3;
    r.generation = 5;  // kept as given (a rebuilt catalog carries it over)
    r.segments = {{1,
                   "seg-00000000000000000001.pdb",
                   10,
                   1,
                   20,
                   std::string("\xA5\x5A\xC3\x3C\x96\x69\x0F\xF0", 8),
                   {},
                   0},
                  {2, "seg-00000000000000000002.pdb", 5, 21, 41, "", {}, 0}};
    r.payload_indexes = {{"tag", PayloadIndexType::kKeyword}};
    return r;
  }

  void Create() {
    auto cat = Catalog::Open(path_);
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    ASSERT_TRUE((*cat)->CreateCollection(Rec()).ok());
  }  // closed: checkpointed into catalog.db

  Status LoadError() {
    auto cat = Catalog::OpenSnapshot(path_);
    if (!cat.ok()) return cat.status();
    return (*cat)->LoadAll().status();
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
    sqlite3_close(db);
  }

  test_util::TempDir tmp_;
  std::string dir_, path_;
};

TEST_F(CatalogChecksumTest, EverythingRoundTripsAndVerifies) {
  Create();
  auto cat = Catalog::Open(path_);
  ASSERT_TRUE(cat.ok());
  auto got = (*cat)->Load("docs");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->segments.size(), 2u);
  EXPECT_EQ(got->segments[0].deleted_bitmap, Rec().segments[0].deleted_bitmap);
  EXPECT_EQ(got->payload_indexes, Rec().payload_indexes);
  EXPECT_EQ(got->fenced_seq, 41u);
  EXPECT_EQ(got->generation, 5u);
  // Writes keep the checksums right; each segment change is a generation.
  SegmentChange ch;
  ch.bitmaps = {{2, std::string("\x01", 1)}};
  ch.fenced_seq = 50;
  ch.next_segment_id = 4;
  ASSERT_TRUE((*cat)->ApplySegmentChange("docs", ch).ok());
  EXPECT_EQ((*cat)->Load("docs")->generation, 6u);
  ASSERT_TRUE((*cat)->ApplySegmentChange("docs", SegmentChange()).ok());
  EXPECT_EQ((*cat)->Load("docs")->generation, 7u);
  CollectionConfig cfg = Rec().config;
  cfg.flush.flush_priority = 9;
  ASSERT_TRUE((*cat)->UpdateConfig("docs", cfg).ok());
  ASSERT_TRUE(
      (*cat)->AddPayloadIndex("docs", {"n", PayloadIndexType::kFloat}).ok());
  cat->reset();
  EXPECT_TRUE(LoadError().ok()) << LoadError().ToString();
}

// The issue's case: one bit of a segment's file name, flipped in the file.
TEST_F(CatalogChecksumTest, FlippedBitInTheFileIsNamedAndRefused) {
  Create();
  struct Case {
    std::string needle;
    size_t byte;
    std::vector<std::string> expect;
  } cases[] = {
      {"seg-00000000000000000002.pdb", 23, {"segment 2", "file_name"}},
      {std::string("\xA5\x5A\xC3\x3C\x96\x69\x0F\xF0", 8), 4, {"segment 1"}},
      {"docs-0badf00d", 6, {"collection", "dir_name"}},
      {"\"dimension\":4", 12, {"collection", "config_json"}},
  };
  const std::string pristine = ReadAll(path_);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expect[0]);
    std::string data = pristine;
    size_t at = data.find(c.needle);
    ASSERT_NE(at, std::string::npos);
    int flips = 0;
    for (; at != std::string::npos; at = data.find(c.needle, at + 1)) {
      data[at + c.byte] ^= 0x01;
      ++flips;
    }
    ASSERT_GT(flips, 0);  // the case damaged something
    WriteAll(path_, data);
    Status s = LoadError();
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos);
    for (const std::string& e : c.expect) {
      EXPECT_NE(s.message().find(e), std::string::npos)
          << "no '" << e << "' in " << s.ToString();
    }
  }
  WriteAll(path_, pristine);
  EXPECT_TRUE(LoadError().ok());
}

TEST_F(CatalogChecksumTest, RowsChangedBehindItsBackAreRefused) {
  Create();
  const std::string pristine = ReadAll(path_);
  for (const char* sql : {
           "UPDATE collections SET fenced_seq = 40",
           "UPDATE collections SET next_segment_id = 2",
           "UPDATE collections SET generation = 4",
           "UPDATE segments SET max_seq = 19 WHERE segment_id = 1",
           "UPDATE segments SET deleted_bitmap = x'00' WHERE segment_id = 2",
           "UPDATE payload_indexes SET type = 1",
           // A segment moved to a collection that does not exist would
           // otherwise vanish from its own.
           "UPDATE segments SET collection_id = 77, crc = crc "
           "WHERE segment_id = 2",
       }) {
    SCOPED_TRACE(sql);
    WriteAll(path_, pristine);
    Sql(sql);
    EXPECT_TRUE(LoadError().IsCorruption()) << LoadError().ToString();
  }
}

TEST_F(CatalogChecksumTest, WritesDoNotLaunderADamagedRow) {
  Create();
  Sql("UPDATE collections SET fenced_seq = 40");
  auto cat = Catalog::Open(path_);
  ASSERT_TRUE(cat.ok());
  SegmentChange ch;
  ch.fenced_seq = 60;
  EXPECT_TRUE((*cat)->ApplySegmentChange("docs", ch).IsCorruption());
  EXPECT_TRUE((*cat)->UpdateConfig("docs", Rec().config).IsCorruption());
  SegmentChange bits;
  bits.bitmaps = {{1, "x"}};
  EXPECT_TRUE((*cat)->ApplySegmentChange("docs", bits).IsCorruption());
}

// A catalog written before checksums existed (schema 2) gets them, from its
// rows as they are, on the first read-write open; a snapshot of it neither
// migrates nor otherwise changes the file.
TEST_F(CatalogChecksumTest, SchemaTwoIsMigratedAndSnapshotsChangeNothing) {
  Sql(R"sql(
CREATE TABLE collections (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  config_json TEXT NOT NULL, dir_name TEXT NOT NULL,
  created_at_unix_ms INTEGER NOT NULL, fenced_seq INTEGER NOT NULL,
  next_segment_id INTEGER NOT NULL);
CREATE TABLE segments (collection_id INTEGER NOT NULL
  REFERENCES collections(id) ON DELETE CASCADE, segment_id INTEGER NOT NULL,
  file_name TEXT NOT NULL, point_count INTEGER NOT NULL,
  min_seq INTEGER NOT NULL, max_seq INTEGER NOT NULL,
  deleted_bitmap BLOB NOT NULL, PRIMARY KEY (collection_id, segment_id))
  WITHOUT ROWID;
CREATE TABLE payload_indexes (collection_id INTEGER NOT NULL
  REFERENCES collections(id) ON DELETE CASCADE, field TEXT NOT NULL,
  type INTEGER NOT NULL, PRIMARY KEY (collection_id, field)) WITHOUT ROWID;
INSERT INTO collections VALUES (1, 'old', '{"name":"old","dimension":3,"metric":"cosine"}',
  'old-00000001', 5, 12, 2);
INSERT INTO segments VALUES (1, 1, 'seg-00000000000000000001.pdb', 4, 1, 12,
  x'0100000000000000');
INSERT INTO payload_indexes VALUES (1, 'k', 3);
PRAGMA user_version = 2;
)sql");
  const std::string before = ReadAll(path_);
  {
    auto snap = Catalog::OpenSnapshot(path_);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_EQ((*snap)->original_schema_version(), 2);
    auto all = (*snap)->LoadAll();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), 1u);
    // Writes to a snapshot change only the copy.
    SegmentChange ch;
    ch.fenced_seq = 99;
    ASSERT_TRUE((*snap)->ApplySegmentChange("old", ch).ok());
  }
  EXPECT_EQ(ReadAll(path_), before);
  EXPECT_FALSE(Env::Default()->FileExists(path_ + "-wal"));
  {
    auto cat = Catalog::Open(path_);
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    EXPECT_EQ((*cat)->original_schema_version(), 2);
    auto old = (*cat)->Load("old");
    ASSERT_TRUE(old.ok()) << old.status().ToString();
    EXPECT_EQ(old->fenced_seq, 12u);
    EXPECT_EQ(old->segments[0].deleted_bitmap,
              std::string("\x01\0\0\0\0\0\0\0", 8));
    EXPECT_EQ(old->payload_indexes[0].type, PayloadIndexType::kBool);
  }
  Sql("UPDATE segments SET point_count = 5");
  EXPECT_TRUE(LoadError().IsCorruption());
}

TEST_F(CatalogChecksumTest, SnapshotOfMissingOrGarbage) {
  EXPECT_TRUE(Catalog::OpenSnapshot(path_).status().IsNotFound());
  WriteAll(path_, std::string(8192, 'J'));
  EXPECT_TRUE(Catalog::OpenSnapshot(path_).status().IsCorruption());
  WriteAll(path_, "");
  auto empty = Catalog::OpenSnapshot(path_);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)->original_schema_version(), 0);
  EXPECT_TRUE((*empty)->LoadAll()->empty());
  EXPECT_EQ(ReadAll(path_), "");
}

// A removed segment is recorded as obsolete in the same transaction, with a
// checksum, until its files are gone.
TEST_F(CatalogChecksumTest, RemovedSegmentsStayObsoleteUntilForgotten) {
  Create();
  {
    auto cat = Catalog::Open(path_);
    ASSERT_TRUE(cat.ok());
    SegmentChange ch;
    ch.added = {{3, "seg-00000000000000000003.pdb", 15, 1, 41, "", {}, 0}};
    ch.removed = {1, 2};
    ASSERT_TRUE((*cat)->ApplySegmentChange("docs", ch).ok());
    auto got = (*cat)->Load("docs");
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->segments.size(), 1u);
    EXPECT_EQ(got->obsolete_segments,
              (std::vector<catalog::ObsoleteSegment>{
                  {1, "seg-00000000000000000001.pdb", {}},
                  {2, "seg-00000000000000000002.pdb", {}}}));
  }
  const std::string pristine = ReadAll(path_);
  Sql("UPDATE obsolete_segments SET file_name = 'seg-9.pdb' "
      "WHERE segment_id = 2");
  Status s = LoadError();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("obsolete segment 2"), std::string::npos);
  WriteAll(path_, pristine);
  auto cat = Catalog::Open(path_);
  ASSERT_TRUE((*cat)->ForgetObsoleteSegments("docs", {1}).ok());
  EXPECT_EQ((*cat)->Load("docs")->obsolete_segments.size(), 1u);
}

}  // namespace
}  // namespace proximadb::catalog
