// Aliases in the engine: resolution in DB::GetCollection, one namespace with
// collections, drops take their aliases along, restarts and
// --rebuild-catalog keep them (aliases.manifest), and a switch under
// searches never fails one nor mixes two collections in one answer.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "collection/recovery_util.h"
#include "storage/catalog/alias_manifest.h"
#include "util/limits.h"

namespace proximadb {
namespace {

using namespace proximadb::testing;  // NOLINT

AliasAction Create(const std::string& alias, const std::string& collection) {
  return AliasAction{AliasAction::Kind::kCreate, alias, collection};
}
AliasAction Delete(const std::string& alias) {
  return AliasAction{AliasAction::Kind::kDelete, alias, ""};
}

class AliasTest : public DataDirTest {
 protected:
  std::string ManifestPath() const {
    return dir_ + "/" + std::string(catalog::kAliasManifestFileName);
  }
  std::vector<catalog::AliasEntry> ManifestEntries() {
    auto m = catalog::DecodeAliasManifest(ReadAll(ManifestPath()), "m");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : std::vector<catalog::AliasEntry>{};
  }
};

TEST_F(AliasTest, AnAliasResolvesToItsCollection) {
  auto db = OpenOk(dir_);
  auto c = db->CreateCollection(MakeConfig("docs", 4));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(db->UpdateAliases({Create("prod", "docs")}).ok());
  auto via = db->GetCollection("prod");
  ASSERT_TRUE(via.ok()) << via.status().ToString();
  EXPECT_EQ((*via)->config().name, "docs");
  EXPECT_EQ((*via)->Info().config.name, "docs");
  ASSERT_TRUE((*via)->Upsert(Range("a", 0, 3)).ok());
  EXPECT_EQ(*(*c)->Count(), 3u);
  EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
  EXPECT_TRUE(db->GetCollection("nope").status().IsNotFound());
}

TEST_F(AliasTest, OneNamespaceAndClearRefusals) {
  auto db = OpenOk(dir_);
  ASSERT_TRUE(db->CreateCollection(MakeConfig("docs", 4)).ok());
  ASSERT_TRUE(db->UpdateAliases({Create("prod", "docs")}).ok());

  auto clash = db->CreateCollection(MakeConfig("prod", 4));
  EXPECT_EQ(clash.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(clash.status().message().find("'prod' is an alias"),
            std::string::npos)
      << clash.status().ToString();

  Status drop = db->DropCollection("prod");
  EXPECT_EQ(drop.code(), StatusCode::kFailedPrecondition) << drop.ToString();
  EXPECT_NE(drop.message().find("drop the collection by its own name"),
            std::string::npos)
      << drop.ToString();
  EXPECT_TRUE(db->GetCollection("docs").ok());

  EXPECT_EQ(db->UpdateAliases({}).code(), StatusCode::kInvalidArgument);
  Status bad = db->UpdateAliases({Create("a/b", "docs")});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("actions[0]: alias must be 1..128"),
            std::string::npos)
      << bad.ToString();
  EXPECT_EQ(db->UpdateAliases({Create("x", "")}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db->UpdateAliases(std::vector<AliasAction>(kMaxAliasActions + 1,
                                                       Create("x", "docs")))
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db->UpdateAliases({Create("docs", "docs")}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
}

TEST_F(AliasTest, DroppingACollectionDeletesItsAliases) {
  auto db = OpenOk(dir_);
  ASSERT_TRUE(db->CreateCollection(MakeConfig("docs", 4)).ok());
  ASSERT_TRUE(db->CreateCollection(MakeConfig("other", 4)).ok());
  ASSERT_TRUE(db->UpdateAliases({Create("a", "docs"), Create("b", "docs"),
                                 Create("o", "other")})
                  .ok());
  ASSERT_TRUE(db->DropCollection("docs").ok());
  EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"o", "other"}}));
  EXPECT_TRUE(db->GetCollection("a").status().IsNotFound());
  ASSERT_EQ(ManifestEntries().size(), 1u);
  EXPECT_EQ(ManifestEntries()[0].alias, "o");
  // The name is free again.
  EXPECT_TRUE(db->CreateCollection(MakeConfig("a", 4)).ok());
  db.reset();
  db = OpenOk(dir_);
  EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"o", "other"}}));
}

TEST_F(AliasTest, RestartKeepsAliasesAndRewritesAStaleOrDamagedManifest) {
  {
    auto db = OpenOk(dir_);
    ASSERT_TRUE(db->CreateCollection(MakeConfig("docs", 4)).ok());
    ASSERT_TRUE(db->CreateCollection(MakeConfig("v2", 4)).ok());
    ASSERT_TRUE(db->UpdateAliases({Create("prod", "docs")}).ok());
  }
  const std::string before = ReadAll(ManifestPath());
  {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
    EXPECT_EQ((*db->GetCollection("prod"))->config().name, "docs");
    ASSERT_TRUE(db->UpdateAliases({Delete("prod"), Create("prod", "v2")}).ok());
  }
  // A crash before the manifest was rewritten: the next start catches up.
  WriteAll(ManifestPath(), before);
  {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"prod", "v2"}}));
  }
  ASSERT_EQ(ManifestEntries().size(), 1u);
  EXPECT_EQ(ManifestEntries()[0].collection, "v2");
  // A damaged one is set aside and rewritten.
  WriteAll(ManifestPath(), "garbage");
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(ManifestEntries().size(), 1u);
  bool kept = false;
  auto entries = db->ListQuarantine();
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries) {
    kept |= e.original_path == std::string(catalog::kAliasManifestFileName);
  }
  EXPECT_TRUE(kept);
}

// The manifest is written after the commit: a failed write leaves the
// commit served and the next start writes the manifest.
TEST_F(AliasTest, AFailedManifestWriteKeepsTheCommitAndIsRepairedAtStart) {
  {
    auto db = OpenOk(dir_);
    ASSERT_TRUE(db->CreateCollection(MakeConfig("docs", 4)).ok());
    fs::create_directories(ManifestPath() + ".tmp");  // the write fails
    ASSERT_TRUE(db->UpdateAliases({Create("prod", "docs")}).ok());
    EXPECT_TRUE(db->GetCollection("prod").ok());
    EXPECT_FALSE(fs::exists(ManifestPath()));
  }
  fs::remove_all(ManifestPath() + ".tmp");
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
  ASSERT_EQ(ManifestEntries().size(), 1u);
  EXPECT_EQ(ManifestEntries()[0].alias, "prod");
}

TEST_F(AliasTest, RebuildCatalogKeepsAliases) {
  {
    auto db = OpenOk(dir_);
    auto c = db->CreateCollection(MakeConfig("docs", 4));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Range("a", 0, 5)).ok());
    ASSERT_TRUE(db->CreateCollection(MakeConfig("v2", 4)).ok());
    ASSERT_TRUE(db->UpdateAliases({Create("prod", "v2"), Create("old", "docs"),
                                   Create("gone", "docs")})
                    .ok());
  }
  // An entry whose collection directory does not exist is skipped.
  auto entries = ManifestEntries();
  entries.push_back({"ghost", "dropped", "dropped-00000000"});
  WriteAll(ManifestPath(), catalog::EncodeAliasManifest(entries));
  for (const char* f : {"/catalog.db", "/catalog.db-wal", "/catalog.db-shm"}) {
    fs::remove(dir_ + f);
  }
  auto report = DB::RebuildCatalog(ManualOptions(), dir_, /*force=*/false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->aliases,
            (std::vector<AliasInfo>{
                {"gone", "docs"}, {"old", "docs"}, {"prod", "v2"}}));
  ASSERT_EQ(report->skipped_aliases.size(), 1u);
  EXPECT_NE(report->skipped_aliases[0].find("ghost"), std::string::npos);

  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->ListAliases().size(), 3u);
  auto old = db->GetCollection("old");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*(*old)->Count(), 5u);
  // The start rewrote the manifest without the skipped entry.
  EXPECT_EQ(ManifestEntries().size(), 3u);
}

TEST_F(AliasTest, ADamagedAliasManifestStopsTheRebuild) {
  {
    auto db = OpenOk(dir_);
    ASSERT_TRUE(db->CreateCollection(MakeConfig("docs", 4)).ok());
    ASSERT_TRUE(db->UpdateAliases({Create("prod", "docs")}).ok());
  }
  WriteAll(ManifestPath(), "garbage");
  fs::remove(dir_ + "/catalog.db");
  auto report = DB::RebuildCatalog(ManualOptions(), dir_, /*force=*/true);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("aliases.manifest"),
            std::string::npos)
      << report.status().ToString();
}

// The promise in the engine: searches through an alias, from
// several threads, while another thread switches it between two collections
// 200 times; no search fails and every answer comes from one collection.
TEST_F(AliasTest, SwitchUnderSearchesNeverFailsNorMixes) {
  auto db = OpenOk(dir_);
  for (const char* name : {"blue", "green"}) {
    auto c = db->CreateCollection(MakeConfig(name, 4));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Range(std::string(name) + "_", 0, 50)).ok());
  }
  ASSERT_TRUE(db->UpdateAliases({Create("live", "blue")}).ok());
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, mixed{0}, searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      SearchRequest q;
      q.vector = {1, 1, 2, 3};
      q.k = 10;
      while (!done.load()) {
        auto c = db->GetCollection("live");
        if (!c.ok()) {
          ++failures;
          continue;
        }
        auto r = (*c)->Search(q);
        if (!r.ok() || r->hits.empty()) {
          ++failures;
          continue;
        }
        const std::string prefix =
            r->hits[0].id.substr(0, r->hits[0].id.find('_'));
        for (const auto& h : r->hits) {
          if (h.id.rfind(prefix + "_", 0) != 0) ++mixed;
        }
        ++searches;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    const char* to = i % 2 == 0 ? "green" : "blue";
    Status s = db->UpdateAliases({Delete("live"), Create("live", to)});
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(db->ListAliases(), (std::vector<AliasInfo>{{"live", "blue"}}));
}

}  // namespace
}  // namespace proximadb
