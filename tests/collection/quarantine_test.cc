// The quarantine on its own, in memory: moves keep the original relative
// path and a description, copies keep the bytes, listing and clearing.
#include "collection/quarantine.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/manual_clock.h"

namespace proximadb {
namespace {

class QuarantineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = NewMemEnv();
    clock_.Set(1706745599000000);  // 2024-01-31T23:59:59Z
    ASSERT_TRUE(
        env_->CreateDirIfMissing("/data/collections/c-1/segments").ok());
    Put("/data/collections/c-1/segments/seg-7.pdb", "segment bytes");
    Put("/data/collections/c-1/segments/seg-8.pdb.tmp", "tmp");
    q_ = std::make_unique<Quarantine>(env_.get(), &clock_, "/data");
  }
  void Put(const std::string& path, const std::string& data) {
    ASSERT_TRUE(env_->WriteFileAtomically(path, data).ok());
  }

  std::unique_ptr<Env> env_;
  ManualClock clock_;
  std::unique_ptr<Quarantine> q_;
};

TEST_F(QuarantineTest, MoveKeepsThePathAndSaysWhy) {
  ASSERT_TRUE(
      q_->Move("/data/collections/c-1/segments/seg-7.pdb", "not listed").ok());
  EXPECT_FALSE(env_->FileExists("/data/collections/c-1/segments/seg-7.pdb"));
  const std::string entry = "/data/quarantine/20240131T235959Z-1";
  EXPECT_EQ(
      *env_->ReadFileToString(entry + "/collections/c-1/segments/seg-7.pdb"),
      "segment bytes");
  auto desc = nlohmann::json::parse(
      *env_->ReadFileToString(entry + "/quarantine.json"));
  EXPECT_EQ(desc["original_path"], "collections/c-1/segments/seg-7.pdb");
  EXPECT_EQ(desc["reason"], "not listed");
  EXPECT_EQ(desc["bytes"], 13);
  EXPECT_EQ(desc["time_unix_ms"], 1706745599000);

  auto list = q_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "20240131T235959Z-1");
  EXPECT_EQ((*list)[0].original_path, "collections/c-1/segments/seg-7.pdb");
  EXPECT_EQ((*list)[0].bytes, 13u);
  EXPECT_EQ((*list)[0].time_unix_ms, 1706745599000u);
}

TEST_F(QuarantineTest, DirectoriesMoveWhole) {
  ASSERT_TRUE(q_->Move("/data/collections/c-1", "unlisted").ok());
  EXPECT_FALSE(env_->FileExists("/data/collections/c-1"));
  EXPECT_TRUE(env_->FileExists("/data/collections"));
  auto list = q_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].original_path, "collections/c-1");
  EXPECT_EQ((*list)[0].bytes, 13u + 3u);
  EXPECT_EQ(*env_->ReadFileToString("/data/quarantine/" + (*list)[0].id +
                                    "/collections/c-1/segments/seg-8.pdb.tmp"),
            "tmp");
}

TEST_F(QuarantineTest, CopiesKeepTheBytesAndTheOffset) {
  ASSERT_TRUE(q_->SaveCopy("/data/collections/c-1/segments/seg-7.pdb", 8,
                           "bytes", "torn tail")
                  .ok());
  EXPECT_TRUE(env_->FileExists("/data/collections/c-1/segments/seg-7.pdb"));
  auto list = q_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const std::string entry = "/data/quarantine/" + (*list)[0].id;
  EXPECT_EQ(
      *env_->ReadFileToString(entry + "/collections/c-1/segments/seg-7.pdb"),
      "bytes");
  auto desc = nlohmann::json::parse(
      *env_->ReadFileToString(entry + "/quarantine.json"));
  EXPECT_EQ(desc["offset"], 8);
  EXPECT_EQ((*list)[0].bytes, 5u);
}

TEST_F(QuarantineTest, IdsAreUniqueAndClearingIsPerEntryOrAll) {
  ASSERT_TRUE(q_->Move("/data/collections/c-1/segments/seg-7.pdb", "a").ok());
  ASSERT_TRUE(
      q_->Move("/data/collections/c-1/segments/seg-8.pdb.tmp", "b").ok());
  clock_.Advance(2000000);
  Put("/data/stray", "x");
  ASSERT_TRUE(q_->Move("/data/stray", "c").ok());
  auto list = q_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, "20240131T235959Z-1");
  EXPECT_EQ((*list)[1].id, "20240131T235959Z-2");
  EXPECT_EQ((*list)[2].id, "20240201T000001Z-1");
  EXPECT_EQ(*q_->Count(), 3u);

  EXPECT_TRUE(q_->Remove("nope").IsNotFound());
  EXPECT_TRUE(q_->Remove("..").IsNotFound());
  EXPECT_TRUE(q_->Remove("20240131T235959Z-1/quarantine.json").IsNotFound());
  ASSERT_TRUE(q_->Remove("20240131T235959Z-2").ok());
  EXPECT_EQ(*q_->Count(), 2u);
  EXPECT_EQ(*q_->RemoveAll(), 2u);
  EXPECT_EQ(*q_->Count(), 0u);
  EXPECT_TRUE(q_->List()->empty());
  EXPECT_EQ(*q_->RemoveAll(), 0u);
}

TEST_F(QuarantineTest, NeverTheDataDirectoryItselfOrAPathWithDotDot) {
  Put("/elsewhere", "x");
  EXPECT_EQ(q_->Move("/data", "no").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(q_->Move("/data/collections/../../elsewhere", "no").code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(env_->FileExists("/elsewhere"));
  EXPECT_TRUE(q_->List()->empty());
}

TEST_F(QuarantineTest, PathsOfOtherDirectoriesKeepTheirWholePath) {
  // A stray on another data directory ([storage] data_directories).
  for (const char* d :
       {"/disk2", "/disk2/collections", "/disk2/collections/c-1",
        "/disk2/collections/c-1/segments"}) {
    ASSERT_TRUE(env_->CreateDirIfMissing(d).ok());
  }
  Put("/disk2/collections/c-1/segments/seg-9.pdb", "stray");
  ASSERT_TRUE(
      q_->Move("/disk2/collections/c-1/segments/seg-9.pdb", "unknown").ok());
  EXPECT_FALSE(env_->FileExists("/disk2/collections/c-1/segments/seg-9.pdb"));
  auto list = q_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].original_path,
            "external/disk2/collections/c-1/segments/seg-9.pdb");
  EXPECT_EQ(*env_->ReadFileToString(
                "/data/quarantine/" + (*list)[0].id +
                "/external/disk2/collections/c-1/segments/seg-9.pdb"),
            "stray");
}

TEST_F(QuarantineTest, AnEntryWithoutItsDescriptionIsStillListed) {
  ASSERT_TRUE(q_->Move("/data/collections/c-1/segments/seg-7.pdb", "a").ok());
  ASSERT_TRUE(
      env_->RemoveFile("/data/quarantine/20240131T235959Z-1/quarantine.json")
          .ok());
  auto list = q_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].reason.find("no readable"), std::string::npos);
  EXPECT_EQ((*list)[0].bytes, 13u);
}

}  // namespace
}  // namespace proximadb
