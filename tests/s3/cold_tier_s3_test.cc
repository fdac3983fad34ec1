// The cold tier of the engine against a real S3 (Ceph radosgw, the `s3`
// fixture): segments moved to cold through the configuration operators use
// ([tiering] s3_*), searched and read back, kept across a restart, moved
// back; a store that refuses the credentials (HTTP 403) or cannot be
// reached leaves the segment where it was and makes cold reads fail with
// kUnavailable naming the tier, while hot data keeps working.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "s3/s3_env.h"

namespace proximadb {
namespace {

using object::LoadS3Env;
using object::S3ObjectStore;
using object::S3Options;
namespace fs = std::filesystem;

constexpr uint32_t kS3ColdDim = 32;

class ColdTierS3Test : public ::testing::Test {
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
    auto store = S3ObjectStore::Open(base);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    bucket_ = std::move(store).value();
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

  void Open() {
    c_.reset();
    db_.reset();
    auto r = DBImpl::OpenImpl(options_, tmp_.path() + "/data");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db_ = std::move(r).value();
    auto c = db_->GetCollection("c");
    if (c.ok()) c_ = *c;
  }

  void CreateWithTwoSegments() {
    Open();
    auto c = db_->CreateCollection(testing::MakeConfig("c", kS3ColdDim));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    c_ = *c;
    for (int seg = 0; seg < 2; ++seg) {
      std::vector<Point> pts;
      for (int i = 0; i < 500; ++i) {
        const int n = seg * 500 + i;
        pts.push_back({"p" + std::to_string(n),
                       testing::RandomVector(rng_, kS3ColdDim),
                       {{"n", n}, {"seg", seg}}});
      }
      ASSERT_TRUE(c_->Upsert(std::move(pts)).ok());
      ASSERT_TRUE(c_->Flush().ok());
    }
    db_->WaitForBackgroundBuilds();
  }

  SegmentInfo Segment(size_t i) { return (*c_->ListSegments())[i]; }

  Result<SearchResult> Search(const std::vector<float>& q) {
    SearchRequest req;
    req.vector = q;
    req.k = 10;
    return c_->Search(req);
  }

  static std::vector<std::string> Ids(const SearchResult& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hits) out.push_back(h.id);
    return out;
  }

  size_t Objects() {
    auto all = bucket_->ListAll("");
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? all->size() : 0;
  }

  void RemoveCaches() {
    for (const auto& e :
         fs::recursive_directory_iterator(tmp_.path() + "/data")) {
      if (e.is_directory() && e.path().filename() == "cache") {
        fs::remove_all(e.path());
        return;
      }
    }
  }

  testing::TempDir tmp_;
  DBOptions options_;
  std::unique_ptr<S3ObjectStore> bucket_;  // the same prefix, to look
  std::unique_ptr<DBImpl> db_;
  std::shared_ptr<Collection> c_;
  std::mt19937 rng_{99};
};

TEST_F(ColdTierS3Test, ColdSegmentsLiveInS3AndServeReads) {
  CreateWithTwoSegments();
  const uint64_t id = Segment(0).id;
  const std::vector<float> q = testing::RandomVector(rng_, kS3ColdDim);
  auto before = Search(q);
  ASSERT_TRUE(before.ok());
  const StoredPoint p7 = *c_->Get("p7");

  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  EXPECT_EQ(Segment(0).tier, Tier::kCold);
  auto objs = bucket_->ListAll("");
  ASSERT_TRUE(objs.ok());
  ASSERT_EQ(objs->size(), 1u);
  EXPECT_NE((*objs)[0].key.find("/seg-"), std::string::npos);
  EXPECT_EQ((*objs)[0].size, Segment(0).bytes);

  auto after = Search(q);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(Ids(*after), Ids(*before));
  EXPECT_EQ((*c_->Get("p7")).vector, p7.vector);
  EXPECT_EQ(*c_->Count({{"seg", 0}}), 500u);
  CollectionInfo info = c_->Info();
  EXPECT_EQ(info.tiering.uploads, 1u);
  EXPECT_EQ(info.tiering.cache_misses, 1u);
  EXPECT_EQ(info.tiering.downloads, 1u);

  // A restart without the cache: fetched again from S3.
  Open();
  RemoveCaches();
  Open();
  EXPECT_EQ(Segment(0).tier, Tier::kCold);
  after = Search(q);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(Ids(*after), Ids(*before));
  EXPECT_EQ(c_->Info().tiering.downloads, 1u);

  // Back to hot: the object goes.
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kHot).ok());
  EXPECT_EQ(Objects(), 0u);
  EXPECT_EQ((*c_->Get("p7")).vector, p7.vector);
  // Cold again, then drop: the objects go with the collection.
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  EXPECT_EQ(Objects(), 1u);
  c_.reset();
  ASSERT_TRUE(db_->DropCollection("c").ok());
  EXPECT_EQ(Objects(), 0u);
}

TEST_F(ColdTierS3Test, RefusedCredentialsLeaveTheSegmentHot) {
  options_.tiering.s3_secret_key = "wrong-secret-key-0123456789abcdefghijk";
  CreateWithTwoSegments();
  Status s = c_->MoveSegment(Segment(0).id, Tier::kCold);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("403"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("stays hot"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find(options_.tiering.s3_secret_key),
            std::string::npos);
  EXPECT_EQ(Segment(0).tier, Tier::kHot);
  EXPECT_EQ(Objects(), 0u);
  EXPECT_EQ(*c_->Count(), 1000u);
  EXPECT_EQ(c_->Info().tiering.move_failures, 1u);
}

TEST_F(ColdTierS3Test, AnUnreachableStoreFailsColdReadsOnly) {
  CreateWithTwoSegments();
  ASSERT_TRUE(c_->MoveSegment(Segment(0).id, Tier::kCold).ok());
  // The store goes away (a closed port), and the cache is lost.
  Open();
  RemoveCaches();
  options_.tiering.s3_endpoint = "http://127.0.0.1:1";
  Open();
  auto r = Search(testing::RandomVector(rng_, kS3ColdDim));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("cold tier"), std::string::npos);
  auto cold_point = c_->Get("p3");
  EXPECT_EQ(cold_point.status().code(), StatusCode::kUnavailable);
  // Hot data, writes, counts and filters that need no vectors work.
  EXPECT_TRUE(c_->Get("p600").ok());
  EXPECT_TRUE(
      c_->Upsert({{"new", testing::RandomVector(rng_, kS3ColdDim), {}}}).ok());
  EXPECT_EQ(*c_->Count(), 1001u);
  EXPECT_EQ(*c_->Count({{"seg", 0}}), 500u);
  EXPECT_EQ(*c_->Delete({"p3"}), 1u);
  // A move to cold cannot upload: the segment stays hot.
  Status s = c_->MoveSegment(Segment(1).id, Tier::kCold);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(Segment(1).tier, Tier::kHot);
  EXPECT_GT(c_->Info().tiering.retries, 0u);
  // The store is back: the cold segment serves again, with the delete.
  options_.tiering.s3_endpoint = object::BaseOptions().endpoint;
  Open();
  auto ok = Search(testing::RandomVector(rng_, kS3ColdDim));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_FALSE(c_->Get("p3").ok());
  EXPECT_TRUE(c_->Get("p4").ok());
}

}  // namespace
}  // namespace proximadb
