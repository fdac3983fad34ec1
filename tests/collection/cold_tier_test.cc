// The cold tier (collection_cold.cc): a segment moved to the object store
// keeps serving searches, gets, scrolls, counts, filters and deletes; its
// placement survives restarts; a failing store leaves the segment where it
// was and makes cold reads fail clearly (never wrong), while hot data keeps
// working; what an interrupted move leaves is cleaned up at start.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "collection/db_impl.h"
#include "storage/object/fault_injecting_object_store.h"
#include "storage/object/local_object_store.h"
#include "test_util.h"
#include "util/fault_injection_env.h"
#include "util/manual_clock.h"

namespace proximadb {
namespace {

using object::FaultInjectingObjectStore;
using object::LocalObjectStore;
using object::ObjectOp;
using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr uint32_t kColdDim = 16;

class ColdTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = tmp_.path() + "/data";
    objects_dir_ = tmp_.path() + "/objects";
    base_ = std::make_unique<LocalObjectStore>(Env::Default(), objects_dir_);
    store_ = std::make_unique<FaultInjectingObjectStore>(base_.get());
    options_.env = &env_;
    options_.background_threads = false;
    options_.object_store = store_.get();
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
    CollectionConfig cfg = MakeConfig("c", kColdDim);
    cfg.index.algorithm = algorithm;
    auto c = db_->CreateCollection(cfg);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    c_ = *c;
    for (int seg = 0; seg < 2; ++seg) {
      std::vector<Point> pts;
      for (int i = 0; i < 200; ++i) {
        const int n = seg * 200 + i;
        pts.push_back({"p" + std::to_string(n),
                       RandomVector(rng_, kColdDim),
                       {{"n", n}, {"seg", seg}}});
      }
      ASSERT_TRUE(c_->Upsert(std::move(pts)).ok());
      ASSERT_TRUE(c_->Flush().ok());
    }
    db_->WaitForBackgroundBuilds();
  }

  uint64_t FirstSegment() { return (*c_->ListSegments())[0].id; }
  SegmentInfo Segment(size_t i) { return (*c_->ListSegments())[i]; }

  static std::vector<std::string> Ids(const SearchResult& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hits) out.push_back(h.id);
    return out;
  }

  Result<SearchResult> Search(const std::vector<float>& q, bool exact,
                              nlohmann::json filter = {}) {
    SearchRequest req;
    req.vector = q;
    req.k = 10;
    req.exact = exact;
    req.filter = std::move(filter);
    req.include_vector = true;
    return c_->Search(req);
  }

  // Files under the data directory whose name ends with `ext`.
  std::vector<std::string> FilesEndingWith(const std::string& ext) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(data_)) {
      const std::string p = e.path().string();
      if (p.size() >= ext.size() && p.substr(p.size() - ext.size()) == ext) {
        out.push_back(p);
      }
    }
    return out;
  }

  size_t ObjectCount() {
    auto all = base_->ListAll("");
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? all->size() : 0;
  }

  TempDir tmp_;
  FaultInjectionEnv env_{Env::Default()};
  std::string data_, objects_dir_;
  std::unique_ptr<LocalObjectStore> base_;
  std::unique_ptr<FaultInjectingObjectStore> store_;
  DBOptions options_;
  std::unique_ptr<DBImpl> db_;
  std::shared_ptr<Collection> c_;
  std::mt19937 rng_{7};
};

TEST_F(ColdTierTest, ColdSegmentsServeEverythingAndStayColdAcrossRestarts) {
  CreateWithTwoSegments();
  const uint64_t id = FirstSegment();
  const std::vector<float> q = RandomVector(rng_, kColdDim);
  auto exact_before = Search(q, true);
  auto graph_before = Search(q, false);
  auto filtered_before = Search(q, false, {{"seg", 0}});
  ASSERT_TRUE(exact_before.ok() && graph_before.ok() && filtered_before.ok());
  const uint64_t full_bytes = Segment(0).bytes;

  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  SegmentInfo s = Segment(0);
  EXPECT_EQ(s.tier, Tier::kCold);
  EXPECT_LT(s.bytes, full_bytes);  // the compressed object
  EXPECT_EQ(ObjectCount(), 1u);
  EXPECT_EQ(FilesEndingWith(".stub").size(), 1u);
  EXPECT_EQ(FilesEndingWith(".pdb").size(), 1u);   // the hot one
  EXPECT_EQ(FilesEndingWith(".hnsw").size(), 2u);  // both graphs stay local
  // Reads that need no vectors touch no object.
  store_->ResetCounters();
  EXPECT_EQ(*c_->Count(), 400u);
  EXPECT_EQ(*c_->Count({{"seg", 0}}), 200u);
  EXPECT_EQ(*c_->Delete({"p4"}), 1u);
  EXPECT_EQ(*c_->Count({{"seg", 0}}), 199u);
  EXPECT_EQ(store_->calls(ObjectOp::kGetToFile), 0u);

  // Searches (graph, exact, filtered) give what they gave when hot.
  auto exact_after = Search(q, true);
  ASSERT_TRUE(exact_after.ok()) << exact_after.status().ToString();
  auto without_p4 = [](std::vector<std::string> ids) {
    ids.erase(std::remove(ids.begin(), ids.end(), "p4"), ids.end());
    return ids;
  };
  auto prefix = [](std::vector<std::string> v, size_t n) {
    v.resize(std::min(v.size(), n));
    return v;
  };
  EXPECT_EQ(prefix(Ids(*exact_after), 9),
            prefix(without_p4(Ids(*exact_before)), 9));
  EXPECT_EQ(store_->calls(ObjectOp::kGetToFile), 1u);  // fetched once
  auto graph_after = Search(q, false);
  ASSERT_TRUE(graph_after.ok());
  EXPECT_EQ(prefix(Ids(*graph_after), 9),
            prefix(without_p4(Ids(*graph_before)), 9));
  auto filtered_after = Search(q, false, {{"seg", 0}});
  ASSERT_TRUE(filtered_after.ok());
  EXPECT_EQ(prefix(Ids(*filtered_after), 9),
            prefix(without_p4(Ids(*filtered_before)), 9));
  for (const auto& h : filtered_after->hits) {
    EXPECT_EQ(h.vector.size(), kColdDim);
    EXPECT_EQ((*c_->Get(h.id)).vector, h.vector);
  }
  EXPECT_EQ(store_->calls(ObjectOp::kGetToFile), 1u);  // resident since

  // Get, scroll with vectors, a metadata update of a cold point.
  auto p3 = c_->Get("p3");
  ASSERT_TRUE(p3.ok()) << p3.status().ToString();
  EXPECT_EQ(p3->metadata["n"], 3);
  EXPECT_EQ(p3->vector.size(), kColdDim);
  ScrollRequest sr;
  sr.limit = 500;
  sr.include_vector = true;
  auto page = c_->Scroll(sr);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->points.size(), 399u);
  for (const auto& p : page->points) EXPECT_EQ(p.vector.size(), kColdDim);
  const std::vector<float> p5_vector = (*c_->Get("p5")).vector;
  ASSERT_EQ(p5_vector.size(), kColdDim);
  ASSERT_TRUE(c_->UpdateMetadata("p5", {{"n", 5}, {"updated", true}}).ok());
  EXPECT_EQ((*c_->Get("p5")).vector, p5_vector);  // now in the memtable
  EXPECT_EQ(*c_->Count({{"updated", true}}), 1u);

  CollectionInfo info = c_->Info();
  EXPECT_EQ(info.tiers[2].segments, 1u);
  EXPECT_EQ(info.tiers[2].bytes, s.bytes);
  EXPECT_EQ(info.tiering.uploads, 1u);
  EXPECT_EQ(info.tiering.upload_bytes, s.bytes);
  EXPECT_EQ(info.tiering.cache_misses, 1u);
  EXPECT_GT(info.tiering.cache_bytes, 0u);

  // Restart: still cold, the cache survives (no new download).
  ASSERT_TRUE(c_->Flush().ok());
  const std::vector<float> p3_vector = p3->vector;
  Open();
  EXPECT_EQ(Segment(0).tier, Tier::kCold);
  EXPECT_EQ(*c_->Count(), 399u);
  store_->ResetCounters();
  EXPECT_EQ((*c_->Get("p3")).vector, p3_vector);
  EXPECT_EQ(store_->calls(ObjectOp::kGetToFile), 0u);
  EXPECT_EQ(c_->Info().tiering.cache_hits, 1u);
  EXPECT_TRUE(db_->ListQuarantine()->empty());
}

TEST_F(ColdTierTest, BackToHotAndWarmRestoresTheSegmentFile) {
  CreateWithTwoSegments();
  const uint64_t id = FirstSegment();
  const std::vector<float> q = RandomVector(rng_, kColdDim);
  auto before = Search(q, true);
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  ASSERT_EQ(*c_->Delete({"p1"}), 1u);
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kHot).ok());
  EXPECT_EQ(Segment(0).tier, Tier::kHot);
  EXPECT_EQ(ObjectCount(), 0u);  // the object is deleted
  EXPECT_TRUE(FilesEndingWith(".stub").empty());
  EXPECT_EQ(FilesEndingWith(".pdb").size(), 2u);
  EXPECT_EQ(*c_->Count(), 399u);  // the delete made while cold holds
  EXPECT_FALSE(c_->Get("p1").ok());
  auto after = Search(q, true);
  ASSERT_TRUE(after.ok());
  for (const auto& h : after->hits) EXPECT_NE(h.id, "p1");

  // Cold again, then warm (another directory: the sidecars follow).
  const std::string warm = tmp_.path() + "/warm";
  fs::create_directories(warm);
  TieringPolicy t;
  t.warm_directory = warm;
  ASSERT_TRUE(c_->SetTieringPolicy(t).ok());
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kWarm).ok());
  EXPECT_EQ(Segment(0).tier, Tier::kWarm);
  EXPECT_EQ(Segment(0).directory, warm);
  EXPECT_TRUE(Segment(0).graph_loaded);
  EXPECT_TRUE(FilesEndingWith(".stub").empty());
  EXPECT_EQ(FilesEndingWith(".hnsw").size(), 1u);  // the hot segment's
  Open();
  EXPECT_EQ(Segment(0).tier, Tier::kWarm);
  EXPECT_EQ(*c_->Count(), 399u);
  EXPECT_TRUE(db_->ListQuarantine()->empty());
}

TEST_F(ColdTierTest, AFailingStoreLeavesTheSegmentWhereItWas) {
  CreateWithTwoSegments();
  const uint64_t id = FirstSegment();
  for (ObjectOp op : {ObjectOp::kPut, ObjectOp::kHead}) {
    store_->FailNext(op, Status::Unavailable("injected: S3 down"), -1);
    Status s = c_->MoveSegment(id, Tier::kCold);
    EXPECT_TRUE(s.code() == StatusCode::kUnavailable) << s.ToString();
    EXPECT_NE(s.message().find("stays hot"), std::string::npos) << s.message();
    store_->ClearFaults();
    EXPECT_EQ(Segment(0).tier, Tier::kHot);
    EXPECT_TRUE(FilesEndingWith(".stub").empty());
  }
  // A refusal (S3ObjectStore: HTTP 403 is kFailedPrecondition) says so.
  store_->FailNext(ObjectOp::kPut,
                   Status::FailedPrecondition(
                       "injected: PUT refused: HTTP 403 (AccessDenied)"),
                   -1);
  Status s = c_->MoveSegment(id, Tier::kCold);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("AccessDenied"), std::string::npos);
  store_->ClearFaults();
  // The response of a successful upload is lost: the segment stays; the
  // next move overwrites the object.
  store_->LoseResponses(ObjectOp::kPut, 1);
  EXPECT_FALSE(c_->MoveSegment(id, Tier::kCold).ok());
  EXPECT_EQ(Segment(0).tier, Tier::kHot);
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  EXPECT_EQ(ObjectCount(), 1u);
  EXPECT_EQ(c_->Info().tiering.move_failures, 4u);
  EXPECT_EQ(*c_->Count(), 400u);
}

TEST_F(ColdTierTest, ColdReadsFailClearlyWhileHotDataKeepsWorking) {
  CreateWithTwoSegments();
  ASSERT_TRUE(c_->MoveSegment(FirstSegment(), Tier::kCold).ok());
  const std::vector<float> q = RandomVector(rng_, kColdDim);
  for (ObjectOp op : {ObjectOp::kGetToFile}) {
    store_->FailNext(op, Status::Unavailable("injected: 503 SlowDown"), -1);
    auto r = Search(q, false);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().code() == StatusCode::kUnavailable)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("cold tier"), std::string::npos);
    auto g = c_->Get("p1");
    EXPECT_TRUE(g.status().code() == StatusCode::kUnavailable)
        << g.status().ToString();
    // Hot data, writes, counts and filters that need no vectors work.
    auto hot = c_->Get("p201");
    EXPECT_TRUE(hot.ok()) << hot.status().ToString();
    EXPECT_TRUE(c_->Upsert({{"new", RandomVector(rng_, kColdDim), {}}}).ok());
    EXPECT_EQ(*c_->Count(), 401u);
    EXPECT_EQ(*c_->Delete({"p2"}), 1u);
    store_->ClearFaults();
  }
  // A truncated download is detected, never served; the next read works.
  store_->TruncateBodies(ObjectOp::kGetToFile, 1);
  auto r = Search(q, false);
  EXPECT_FALSE(r.ok());
  r = Search(q, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(c_->Info().tiering.failures, 3u);
}

TEST_F(ColdTierTest, ASlowStoreDelaysOnlyTheColdRead) {
  CreateWithTwoSegments();
  ASSERT_TRUE(c_->MoveSegment(FirstSegment(), Tier::kCold).ok());
  Open();  // nothing resident
  fs::remove_all(
      fs::path(FilesEndingWith(".stub")[0]).parent_path().parent_path() /
      "cache");
  Open();
  store_->SetDelay(ObjectOp::kGetToFile, 300);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c_->Get("p250").ok());  // hot: no wait
  const auto t1 = std::chrono::steady_clock::now();
  auto r = Search(RandomVector(rng_, kColdDim), false);
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->hits.size(), 10u);
  EXPECT_LT(t1 - t0, std::chrono::milliseconds(250));
  EXPECT_GE(t2 - t1, std::chrono::milliseconds(300));
  // Then resident: no wait.
  const auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Search(RandomVector(rng_, kColdDim), false).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t3,
            std::chrono::milliseconds(250));
}

TEST_F(ColdTierTest, ADamagedObjectIsDetectedAndACorruptCacheFileRefetched) {
  CreateWithTwoSegments();
  const uint64_t id = FirstSegment();
  ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
  const std::vector<float> q = RandomVector(rng_, kColdDim);
  auto good = Search(q, true);
  ASSERT_TRUE(good.ok());
  // Damage the cached copy; restart (the resident copy goes), read again:
  // the cache notices at the first fetch and downloads again.
  std::vector<std::string> cached;
  for (const auto& e : fs::directory_iterator(
           fs::path(FilesEndingWith(".stub")[0]).parent_path().parent_path() /
           "cache")) {
    if (e.path().extension() == ".obj") cached.push_back(e.path().string());
  }
  ASSERT_EQ(cached.size(), 1u);
  {
    std::fstream f(cached[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  Open();
  store_->ResetCounters();
  auto again = Search(q, true);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Ids(*again), Ids(*good));
  EXPECT_EQ(store_->calls(ObjectOp::kGetToFile), 1u);

  // Damage the object itself: reads fail (kUnavailable naming the tier),
  // never serve it; moving it back to hot is refused and it stays cold.
  for (const auto& e : fs::recursive_directory_iterator(objects_dir_)) {
    if (!e.is_regular_file()) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x33');
  }
  Open();
  fs::remove_all(
      fs::path(FilesEndingWith(".stub")[0]).parent_path().parent_path() /
      "cache");
  Open();
  auto bad = Search(q, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().code() == StatusCode::kUnavailable)
      << bad.status().ToString();
  Status back = c_->MoveSegment(id, Tier::kHot);
  EXPECT_FALSE(back.ok());
  EXPECT_EQ(Segment(0).tier, Tier::kCold);
  EXPECT_EQ(*c_->Count(), 400u);  // counts need no vectors
}

TEST_F(ColdTierTest, WithoutAnObjectStoreColdIsRefusedAndColdDataUnavailable) {
  CreateWithTwoSegments("flat");
  ASSERT_TRUE(c_->MoveSegment(FirstSegment(), Tier::kCold).ok());
  options_.object_store = nullptr;  // the store is no longer configured
  Open();
  EXPECT_EQ(*c_->Count(), 400u);
  auto r = Search(RandomVector(rng_, kColdDim), true);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().code() == StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("no object store"), std::string::npos);
  EXPECT_TRUE(c_->Get("p250").ok());
  Status s = c_->MoveSegment(Segment(1).id, Tier::kCold);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
}

TEST_F(ColdTierTest, TieringPolicyMovesOldSegmentsCold) {
  ManualClock clock(1'000'000'000'000);
  options_.clock = &clock;
  CreateWithTwoSegments();
  TieringPolicy t;
  t.cold_after_hours = 1;
  ASSERT_TRUE(c_->SetTieringPolicy(t).ok());
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  clock.Advance(2ull * 3600 * 1000000);
  auto moved = db_->RunTieringCycle();
  EXPECT_EQ(moved, std::vector<std::string>{"c"});
  EXPECT_EQ(Segment(0).tier, Tier::kCold);
  EXPECT_EQ(Segment(1).tier, Tier::kCold);
  EXPECT_EQ(*c_->Count(), 400u);
  EXPECT_TRUE(Search(RandomVector(rng_, kColdDim), false).ok());
}

TEST_F(ColdTierTest, TheTieringPassBacksOffWhileTheStoreIsDown) {
  ManualClock clock(1'000'000'000'000);
  options_.clock = &clock;
  CreateWithTwoSegments();
  TieringPolicy t;
  t.cold_after_hours = 1;
  ASSERT_TRUE(c_->SetTieringPolicy(t).ok());
  clock.Advance(2ull * 3600 * 1000000);
  store_->FailNext(ObjectOp::kPut, Status::Unavailable("injected: down"), -1);
  store_->ResetCounters();
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  EXPECT_EQ(store_->calls(ObjectOp::kPut), 1u);
  // Not again at once (every pass would pack and upload for nothing).
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  EXPECT_EQ(store_->calls(ObjectOp::kPut), 1u);
  clock.Advance(61ull * 1000000);
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  EXPECT_EQ(store_->calls(ObjectOp::kPut), 2u);
  // The second failure waits twice as long.
  clock.Advance(61ull * 1000000);
  EXPECT_TRUE(db_->RunTieringCycle().empty());
  EXPECT_EQ(store_->calls(ObjectOp::kPut), 2u);
  store_->ClearFaults();
  clock.Advance(60ull * 1000000);
  EXPECT_EQ(db_->RunTieringCycle(), std::vector<std::string>{"c"});
  EXPECT_EQ(Segment(0).tier, Tier::kCold);
  EXPECT_EQ(Segment(1).tier, Tier::kCold);
  EXPECT_EQ(*c_->Count(), 400u);
}

// Searches, gets and scrolls in parallel with moves in and out of cold and
// a cache that keeps nothing: every read answers, and right.
TEST_F(ColdTierTest, ReadsDuringMovesAlwaysAnswer) {
  CreateWithTwoSegments();
  TieringPolicy t;
  t.cache_mb = 0;
  ASSERT_TRUE(c_->SetTieringPolicy(t).ok());
  const uint64_t a = Segment(0).id, b = Segment(1).id;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(100 + r);
      while (!stop.load()) {
        const int n = static_cast<int>(rng() % 400);
        auto p = c_->Get("p" + std::to_string(n));
        if (!p.ok() || p->vector.size() != kColdDim || p->metadata["n"] != n) {
          ++failures;
          ADD_FAILURE() << "get p" << n << ": " << p.status().ToString();
        }
        auto s = Search(RandomVector(rng, kColdDim), r == 0);
        if (!s.ok() || s->hits.size() != 10) {
          ++failures;
          ADD_FAILURE() << "search: " << s.status().ToString();
        }
        ScrollRequest sr;
        sr.limit = 50;
        sr.include_vector = true;
        sr.after_id = "p" + std::to_string(n);
        auto page = c_->Scroll(sr);
        if (!page.ok()) {
          ++failures;
          ADD_FAILURE() << "scroll: " << page.status().ToString();
        }
        ++reads;
      }
    });
  }
  for (int round = 0; round < 6; ++round) {
    for (uint64_t id : {a, b}) {
      ASSERT_TRUE(c_->MoveSegment(id, Tier::kCold).ok());
    }
    for (uint64_t id : {a, b}) {
      ASSERT_TRUE(c_->MoveSegment(id, Tier::kHot).ok());
    }
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(ObjectCount(), 0u);
}

TEST_F(ColdTierTest, DroppingTheCollectionDeletesItsObjects) {
  CreateWithTwoSegments();
  ASSERT_TRUE(c_->MoveSegment(FirstSegment(), Tier::kCold).ok());
  EXPECT_EQ(ObjectCount(), 1u);
  c_.reset();
  ASSERT_TRUE(db_->DropCollection("c").ok());
  EXPECT_EQ(ObjectCount(), 0u);
}

TEST_F(ColdTierTest, TheCacheBudgetBoundsResidentVectors) {
  CreateWithTwoSegments();
  TieringPolicy t;
  t.cache_mb = 0;  // nothing kept beyond the read that needs it
  ASSERT_TRUE(c_->SetTieringPolicy(t).ok());
  ASSERT_TRUE(c_->MoveSegment(Segment(0).id, Tier::kCold).ok());
  ASSERT_TRUE(c_->MoveSegment(Segment(1).id, Tier::kCold).ok());
  const std::vector<float> q = RandomVector(rng_, kColdDim);
  ASSERT_TRUE(Search(q, false).ok());
  ASSERT_TRUE(Search(q, false).ok());
  CollectionInfo info = c_->Info();
  EXPECT_EQ(info.tiering.cache_misses, 4u);  // nothing stays
  EXPECT_EQ(info.tiering.cache_bytes, 0u);
  t.cache_mb = 64;
  ASSERT_TRUE(c_->SetTieringPolicy(t).ok());
  ASSERT_TRUE(Search(q, false).ok());
  ASSERT_TRUE(Search(q, false).ok());
  info = c_->Info();
  EXPECT_EQ(info.tiering.cache_misses, 6u);  // two more, then resident
  EXPECT_GT(info.tiering.cache_bytes, 0u);
}

}  // namespace
}  // namespace proximadb
