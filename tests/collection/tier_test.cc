// Moving segments between the hot and warm tiers (collection_tier.cc): the
// data stays served, the placement survives restarts, a failed move leaves
// the segment where it was, and what an interrupted move leaves behind is
// cleaned up at start.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "collection/db_impl.h"
#include "test_util.h"
#include "util/fault_injection_env.h"
#include "util/manual_clock.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;
namespace fs = std::filesystem;

class TierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = tmp_.path() + "/data";
    warm_ = tmp_.path() + "/warm";
    fs::create_directories(warm_);
    options_.env = &env_;
    options_.background_threads = false;
    options_.tiering.defaults.warm_directory = warm_;
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

  void CreateWithTwoSegments(const std::string& algorithm = "hnsw") {
    Open();
    CollectionConfig cfg = MakeConfig("c", 8);
    cfg.index.algorithm = algorithm;
    auto c = db_->CreateCollection(cfg);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    c_ = *c;
    for (int seg = 0; seg < 2; ++seg) {
      std::vector<Point> pts;
      for (int i = 0; i < 50; ++i) {
        const int n = seg * 50 + i;
        pts.push_back({"p" + std::to_string(n),
                       RandomVector(rng_, 8),
                       {{"n", n}, {"seg", seg}}});
      }
      ASSERT_TRUE(c_->Upsert(std::move(pts)).ok());
      ASSERT_TRUE(c_->Flush().ok());
    }
    db_->WaitForBackgroundBuilds();
  }

  uint64_t FirstSegment() { return (*c_->ListSegments())[0].id; }

  std::vector<std::string> Ids(const SearchResult& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hits) out.push_back(h.id);
    return out;
  }

  SearchResult Search(const std::vector<float>& q) {
    SearchRequest req;
    req.vector = q;
    req.k = 10;
    req.exact = true;
    auto r = c_->Search(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SearchResult{};
  }

  TempDir tmp_;
  FaultInjectionEnv env_{Env::Default()};
  std::string data_, warm_;
  DBOptions options_;
  std::unique_ptr<DBImpl> db_;
  std::shared_ptr<Collection> c_;
  std::mt19937 rng_{11};
};

TEST_F(TierTest, WarmSegmentsServeEverythingAndStayWarmAcrossRestarts) {
  CreateWithTwoSegments();
  const uint64_t id = FirstSegment();
  const std::vector<float> q = RandomVector(rng_, 8);
  const SearchResult before = Search(q);
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kWarm).ok());
  auto segs = c_->ListSegments();
  ASSERT_TRUE(segs.ok());
  ASSERT_EQ(segs->size(), 2u);
  EXPECT_EQ((*segs)[0].tier, Tier::kWarm);
  EXPECT_EQ((*segs)[0].directory, warm_);
  EXPECT_EQ((*segs)[1].tier, Tier::kHot);
  EXPECT_TRUE(fs::exists(warm_ + "/collections"));
  EXPECT_EQ(Ids(Search(q)), Ids(before));
  // Reads and deletes of points in the warm segment.
  EXPECT_EQ((*c_->Get("p3")).metadata["n"], 3);
  EXPECT_EQ(*c_->Delete({"p4"}), 1u);
  EXPECT_EQ(*c_->Count(), 99u);
  EXPECT_EQ(*c_->Count({{"seg", 0}}), 49u);
  CollectionInfo info = c_->Info();
  EXPECT_EQ(info.tiers[1].segments, 1u);
  EXPECT_EQ(info.tiers[1].points, 49u);
  EXPECT_EQ(info.tiers[0].segments, 1u);
  EXPECT_EQ(info.tiering.moves, 1u);
  ASSERT_TRUE(c_->Flush().ok());  // persists the warm segment's bitmap
  Open();
  segs = c_->ListSegments();
  EXPECT_EQ((*segs)[0].tier, Tier::kWarm);
  EXPECT_EQ(*c_->Count(), 99u);
  EXPECT_FALSE(c_->Get("p4").ok());
  db_->WaitForBackgroundBuilds();
  EXPECT_TRUE((*c_->ListSegments())[0].graph_loaded);
  // And back.
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kHot).ok());
  EXPECT_EQ((*c_->ListSegments())[0].tier, Tier::kHot);
  Open();
  EXPECT_EQ((*c_->ListSegments())[0].tier, Tier::kHot);
  EXPECT_EQ(*c_->Count(), 99u);
  int warm_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(warm_)) {
    warm_files += e.is_regular_file();
  }
  EXPECT_EQ(warm_files, 0);
}

TEST_F(TierTest, RefusalsAreClear) {
  CreateWithTwoSegments("flat");
  EXPECT_TRUE(c_->MoveSegment(999, Tier::kWarm).IsNotFound());
  Status cold = c_->MoveSegment(FirstSegment(), Tier::kCold);
  EXPECT_EQ(cold.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(c_->MoveSegment(FirstSegment(), Tier::kHot).ok());  // no-op
  TieringPolicy none;
  none.warm_directory = "";
  ASSERT_TRUE(c_->SetTieringPolicy(none).ok());
  Status s = c_->MoveSegment(FirstSegment(), Tier::kWarm);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("no warm directory"), std::string::npos);
  TieringPolicy gone;
  gone.warm_directory = tmp_.path() + "/not-mounted";
  ASSERT_TRUE(c_->SetTieringPolicy(gone).ok());
  EXPECT_EQ(c_->MoveSegment(FirstSegment(), Tier::kWarm).code(),
            StatusCode::kUnavailable);
  TieringPolicy relative;
  relative.warm_directory = "warm";
  EXPECT_EQ(c_->SetTieringPolicy(relative).code(),
            StatusCode::kInvalidArgument);
  // The policy is durable.
  Open();
  EXPECT_EQ(c_->config().tiering.warm_directory, gone.warm_directory);
}

TEST_F(TierTest, AFailedCopyLeavesTheSegmentWhereItWas) {
  CreateWithTwoSegments("flat");
  const uint64_t id = FirstSegment();
  env_.FailSyncs(1);
  Status s = c_->MoveSegment(id, Tier::kWarm);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("stays where it was"), std::string::npos)
      << s.ToString();
  EXPECT_EQ((*c_->ListSegments())[0].tier, Tier::kHot);
  int warm_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(warm_)) {
    warm_files += e.is_regular_file();
  }
  EXPECT_EQ(warm_files, 0);
  EXPECT_EQ(c_->Info().tiering.move_failures, 1u);
  EXPECT_EQ(*c_->Count(), 100u);
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kWarm).ok());
}

TEST_F(TierTest, LeftoversOfAnInterruptedMoveAreRemovedAtStart) {
  CreateWithTwoSegments();
  const uint64_t id = FirstSegment();
  const std::string hot_path = (*c_->ListSegments())[0].directory;
  // Before the commit: a copy in the warm directory; the catalog still
  // places the segment in the hot tier.
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kWarm).ok());
  std::string warm_seg_dir;
  for (const auto& e : fs::recursive_directory_iterator(warm_)) {
    if (e.path().extension() == ".pdb") warm_seg_dir = e.path().parent_path();
  }
  ASSERT_FALSE(warm_seg_dir.empty());
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kHot).ok());
  c_.reset();
  db_.reset();
  // Recreate what a crash between copy and commit would leave.
  std::string hot_file;
  for (const auto& e : fs::recursive_directory_iterator(data_)) {
    if (e.path().extension() == ".pdb" &&
        e.path().filename().string().find(std::to_string(id) + ".pdb") !=
            std::string::npos) {
      hot_file = e.path();
    }
  }
  ASSERT_FALSE(hot_file.empty());
  fs::copy_file(hot_file,
                warm_seg_dir + "/" + fs::path(hot_file).filename().string());
  Open();
  EXPECT_FALSE(
      fs::exists(warm_seg_dir + "/" + fs::path(hot_file).filename().string()));
  EXPECT_TRUE(fs::exists(hot_file));
  EXPECT_TRUE(db_->ListQuarantine()->empty());
  EXPECT_EQ(*c_->Count(), 100u);
  (void)hot_path;
}

TEST_F(TierTest, CompactionLeavesWarmSegmentsAlone) {
  CreateWithTwoSegments("flat");
  ASSERT_TRUE(c_->MoveSegment(FirstSegment(), Tier::kWarm).ok());
  // Two more hot segments after the warm one.
  for (int seg = 2; seg < 4; ++seg) {
    std::vector<Point> pts;
    for (int i = 0; i < 10; ++i) {
      pts.push_back(
          {"q" + std::to_string(seg * 10 + i), RandomVector(rng_, 8), {}});
    }
    ASSERT_TRUE(c_->Upsert(std::move(pts)).ok());
    ASSERT_TRUE(c_->Flush().ok());
  }
  ASSERT_TRUE(c_->Compact().ok());
  auto segs = *c_->ListSegments();
  ASSERT_EQ(segs.size(), 2u);  // the warm one, and the three hot ones merged
  EXPECT_EQ(segs[0].tier, Tier::kWarm);
  EXPECT_EQ(segs[1].tier, Tier::kHot);
  EXPECT_EQ(*c_->Count(), 120u);
}

TEST_F(TierTest, ThePolicyMovesSegmentsByTheAgeOfTheirNewestWrite) {
  ManualClock clock;
  clock.Set(1'700'000'000'000'000ull);
  options_.clock = &clock;
  options_.tiering.defaults.warm_directory = "";  // the collection sets it
  CreateWithTwoSegments("flat");
  TieringPolicy policy;
  policy.warm_after_hours = 1;
  policy.warm_directory = warm_;
  ASSERT_TRUE(c_->SetTieringPolicy(policy).ok());
  const uint64_t t0 = (*c_->ListSegments())[0].newest_write_unix_ms;
  EXPECT_EQ(t0, 1'700'000'000'000ull);
  clock.Advance(30ull * 60 * 1'000'000);  // 30 min: not yet
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  std::vector<Point> pts;
  pts.push_back({"late", RandomVector(rng_, 8), {}});
  ASSERT_TRUE(c_->Upsert(std::move(pts)).ok());
  ASSERT_TRUE(c_->Flush().ok());          // a third segment, 30 min younger
  clock.Advance(45ull * 60 * 1'000'000);  // 75 min: the first two are due
  EXPECT_EQ(db_->RunTieringCycle(), std::vector<std::string>{"c"});
  auto segs = *c_->ListSegments();
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].tier, Tier::kWarm);
  EXPECT_EQ(segs[1].tier, Tier::kWarm);
  EXPECT_EQ(segs[2].tier, Tier::kHot);
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  clock.Advance(31ull * 60 * 1'000'000);
  EXPECT_EQ(db_->RunTieringCycle(), std::vector<std::string>{"c"});
  EXPECT_EQ((*c_->ListSegments())[2].tier, Tier::kWarm);
  EXPECT_EQ(*c_->Count(), 101u);
  // The age survives a restart (it is in the catalog).
  Open();
  EXPECT_EQ((*c_->ListSegments())[0].newest_write_unix_ms, t0);
}

}  // namespace
}  // namespace proximadb
