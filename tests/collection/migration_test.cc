// Live migration of a collection's layout (collection_migrate.cc): standard
// hnsw -> custom ivf int8 with the hash memtable (or viper with filterable
// columns) -> standard again while
// writers and searchers run, with every acknowledged write present and the
// recall kept; a restart in the middle resumes; a cancel rolls back; the
// refusals; a migration to a layout without an index removes the files.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "util/coding.h"

namespace proximadb {
namespace {

using testing::TempDir;

constexpr uint32_t kMigDim = 24;

std::unique_ptr<DB> OpenMigrationDb(const std::string& dir) {
  DBOptions o;
  o.index_build_threads = 1;
  return DB::Open(o, dir).value();
}

std::vector<float> MigrationPoint(std::mt19937& rng) {
  static std::vector<std::vector<float>> centres;
  std::normal_distribution<float> n;
  if (centres.empty()) {
    std::mt19937 crng(5);
    for (int c = 0; c < 16; ++c) {
      std::vector<float> v(kMigDim);
      for (auto& x : v) x = 4 * n(crng);
      centres.push_back(v);
    }
  }
  std::vector<float> v = centres[rng() % centres.size()];
  for (auto& x : v) x += n(rng);
  return v;
}

// Waits until the collection's migration is in `state` with every segment
// done (or 300 s pass: sanitizer builds are slow); returns its last status.
MigrationStatus WaitForMigration(Collection& c, const std::string& state) {
  MigrationStatus last;
  for (int i = 0; i < 6000; ++i) {
    last = c.GetMigration().value();
    if (last.record.state == state &&
        last.segments_done == last.segments_total) {
      return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "migration still " << last.record.state << " with "
                << last.segments_done << "/" << last.segments_total
                << " segments after 300 s";
  return last;
}

// The strategies the segments are searched with (explain).
std::multiset<std::string> SegmentStrategies(Collection& c,
                                             const std::vector<float>& q) {
  SearchRequest req;
  req.vector = q;
  req.explain = true;
  auto r = c.Search(req).value();
  std::multiset<std::string> out;
  for (const SourcePlan& p : r.explain) {
    if (p.source == "segment") out.insert(p.strategy);
  }
  return out;
}

// Waits (up to 300 s) until every segment is searched with `strategy`:
// background work (a flush under load, a compaction's new segment) leaves a
// segment searched exactly until its index is built, and the sanitizer
// builds make that window wide.
void ExpectSegmentsSearchedBy(Collection& c, const std::vector<float>& q,
                              const std::string& strategy) {
  std::multiset<std::string> got;
  for (int i = 0; i < 6000; ++i) {
    got = SegmentStrategies(c, q);
    if (!got.empty() && got.count(strategy) == got.size()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string all;
  for (const std::string& s : got) all += s + " ";
  ADD_FAILURE() << "segments searched with " << all << "after 300 s, not all "
                << strategy;
}

LayoutSettings IvfLayout() {
  LayoutSettings l;
  l.storage_strategy = "custom";
  l.memtable = "hash";
  l.index.algorithm = "ivf";
  l.index.quantization = "int8";
  return l;
}

// viper: its defaults (hash, ivf, int8) and two columns, one indexed.
LayoutSettings ViperLayout() {
  LayoutSettings l = IvfLayout();
  l.storage_strategy = "viper";
  l.filterable_columns = {{"n", "int", true}, {"c", "string", false}};
  return l;
}

// The metadata of point number i: columns n and c of ViperLayout.
nlohmann::json MigrationMeta(int i) {
  return {{"n", i % 100}, {"c", "k" + std::to_string(i % 7)}};
}

CollectionConfig StandardConfig() {
  CollectionConfig cfg;
  cfg.name = "m";
  cfg.dimension = kMigDim;
  cfg.metric = Metric::kEuclidean;
  cfg.index.m = 8;
  cfg.index.ef_construction = 64;
  return cfg;
}

// `segments` flushed segments of `rows` points each, ids p0...
void Fill(Collection& c, std::mt19937& rng, int segments, int rows) {
  int id = 0;
  for (int s = 0; s < segments; ++s) {
    std::vector<Point> batch;
    for (int i = 0; i < rows; ++i) {
      batch.push_back(
          {"p" + std::to_string(id), MigrationPoint(rng), MigrationMeta(id)});
      ++id;
    }
    ASSERT_TRUE(c.Upsert(batch).ok());
    ASSERT_TRUE(c.Flush().ok());
  }
}

void WaitForGraphs(Collection& c) {
  for (int i = 0; i < 1200; ++i) {
    bool all = true;
    // Kept in a variable: a range-for over value() of the temporary would
    // read a destroyed vector.
    const std::vector<SegmentInfo> segments = c.ListSegments().value();
    for (const SegmentInfo& s : segments) {
      all = all && s.graph_loaded;
    }
    if (all) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "graphs not built after 60 s";
}

// The target layout: "custom" (IvfLayout) or "viper" (ViperLayout).
class MigrationUnderLoadTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MigrationUnderLoadTest, ToTheTargetAndBackUnderLoad) {
  const LayoutSettings target =
      GetParam() == "viper" ? ViperLayout() : IvfLayout();
  TempDir tmp;
  std::mt19937 rng(1);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 30; ++i) queries.push_back(MigrationPoint(rng));
  auto db = OpenMigrationDb(tmp.path());
  auto c = db->CreateCollection(StandardConfig()).value();
  Fill(*c, rng, 4, 2500);
  WaitForGraphs(*c);
  EXPECT_EQ(c->GetMigration().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(SegmentStrategies(*c, queries[0]),
            (std::multiset<std::string>{"hnsw", "hnsw", "hnsw", "hnsw"}));
  const double recall_before = testing::SearchRecall(*c, queries);
  EXPECT_GE(recall_before, 0.9);

  // Writers and searchers run through both migrations; every failure
  // counts.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, writes{0}, searches{0};
  std::vector<std::string> acknowledged;
  std::thread writer([&] {
    std::mt19937 wrng(2);
    for (int i = 0; !stop.load(); ++i) {
      std::string id = "w" + std::to_string(i);
      if (c->Upsert({{id, MigrationPoint(wrng), MigrationMeta(i)}}).ok()) {
        acknowledged.push_back(id);
        ++writes;
      } else {
        ++failures;
      }
      if (i % 2000 == 1999 && !c->Flush().ok()) ++failures;
      // Paced: under a sanitizer an unpaced writer flushes a segment faster
      // than the migration rebuilds one, and the test would measure that.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::thread searcher([&] {
    for (size_t i = 0; !stop.load(); ++i) {
      SearchRequest req;
      req.vector = queries[i % queries.size()];
      // Every other search filters on both columns.
      if (i % 2) {
        req.filter = {{"n", {{"$lt", 50}}}, {"c", {{"$ne", "k3"}}}};
      }
      auto r = c->Search(req);
      if (!r.ok() || r->hits.size() != 10) ++failures;
      ++searches;
    }
  });

  while (writes.load() < 50 || searches.load() < 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const int writes_before = writes.load(), searches_before = searches.load();
  auto started = c->Migrate(target);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->record.state, "running");
  EXPECT_EQ(started->record.to, target);
  EXPECT_EQ(started->record.from, StandardConfig().layout());
  EXPECT_EQ(started->record.id.rfind("mig-", 0), 0u);
  // The layout is the target at once; the collection says so.
  EXPECT_EQ(c->config().index.algorithm, "ivf");
  EXPECT_EQ(c->config().memtable, "hash");
  EXPECT_EQ(c->config().layout(), target);
  // One at a time.
  EXPECT_EQ(c->Migrate(StandardConfig().layout()).status().code(),
            StatusCode::kFailedPrecondition);
  MigrationStatus done = WaitForMigration(*c, "done");
  // The load overlapped the migration.
  EXPECT_GT(writes.load(), writes_before);
  EXPECT_GT(searches.load(), searches_before);
  // The four filled segments (and the writer's) were there at the start;
  // by the end, background compaction may have merged some of them.
  EXPECT_GE(started->segments_total, 4u);
  EXPECT_GE(done.segments_total, 1u);
  EXPECT_EQ(done.segments_done, done.segments_total);
  EXPECT_GT(done.record.finished_unix_ms, 0u);
  EXPECT_EQ(done.eta_seconds, 0);
  ASSERT_TRUE(c->Info().migration.has_value());
  EXPECT_EQ(c->Info().migration->record.state, "done");
  const double recall_ivf = testing::SearchRecall(*c, queries);
  EXPECT_GE(recall_ivf, 0.9);
  ExpectSegmentsSearchedBy(*c, queries[0], "ivf");
  if (GetParam() == "viper") {
    // The indexed column got its payload index.
    const std::vector<PayloadIndexDef> defs = c->Info().payload_indexes;
    EXPECT_EQ(
        defs,
        (std::vector<PayloadIndexDef>{{"n", PayloadIndexType::kInteger}}));
  }

  auto back = c->Migrate(StandardConfig().layout());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  WaitForMigration(*c, "done");
  stop = true;
  writer.join();
  searcher.join();
  // Segments the writer flushed at the end get their graph as usual.
  WaitForGraphs(*c);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(writes.load(), 0);
  EXPECT_GT(searches.load(), 0);
  // Every acknowledged write is there, once.
  for (const std::string& id : acknowledged) {
    EXPECT_TRUE(c->Get(id).ok()) << id;
  }
  EXPECT_EQ(c->Count().value(), 10000 + acknowledged.size());
  EXPECT_GE(testing::SearchRecall(*c, queries), 0.9);
  ExpectSegmentsSearchedBy(*c, queries[0], "hnsw");
  EXPECT_EQ(c->config().layout(), StandardConfig().layout());
}

INSTANTIATE_TEST_SUITE_P(Targets, MigrationUnderLoadTest,
                         ::testing::Values("custom", "viper"));

TEST(MigrationTest, ARestartResumesAndTheIndexFilesSayTheirKind) {
  TempDir tmp;
  std::mt19937 rng(3);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 20; ++i) queries.push_back(MigrationPoint(rng));
  {
    auto db = OpenMigrationDb(tmp.path());
    auto c = db->CreateCollection(StandardConfig()).value();
    Fill(*c, rng, 6, 2000);
    WaitForGraphs(*c);
    auto m = c->Migrate(IvfLayout());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_LT(m->segments_done, m->segments_total);
    // Closed at once: the worker stops after at most one segment.
  }
  auto db = OpenMigrationDb(tmp.path());
  auto c = db->GetCollection("m").value();
  // Still running: it resumed with the segments left.
  MigrationStatus resumed = c->GetMigration().value();
  EXPECT_EQ(resumed.record.state, "running");
  EXPECT_LT(resumed.segments_done, resumed.segments_total);
  // The committed layout is back, whatever the segments hold; searches
  // use the index each segment has (old or new) meanwhile.
  EXPECT_EQ(c->config().layout(), IvfLayout());
  ASSERT_TRUE(c->config().migration.has_value());
  EXPECT_EQ(c->Count().value(), 12000u);
  SearchRequest req;
  req.vector = queries[0];
  EXPECT_EQ(c->Search(req)->hits.size(), 10u);
  MigrationStatus done = WaitForMigration(*c, "done");
  EXPECT_EQ(done.segments_total, 6u);
  EXPECT_EQ(done.points_done, 12000u);
  EXPECT_GE(testing::SearchRecall(*c, queries), 0.9);
}

TEST(MigrationTest, CancelRollsBack) {
  TempDir tmp;
  std::mt19937 rng(4);
  auto db = OpenMigrationDb(tmp.path());
  auto c = db->CreateCollection(StandardConfig()).value();
  Fill(*c, rng, 5, 1500);
  WaitForGraphs(*c);
  ASSERT_TRUE(c->Migrate(IvfLayout()).ok());
  auto cancelled = c->CancelMigration();
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(cancelled->record.state, "cancelled");
  EXPECT_EQ(c->config().layout(), StandardConfig().layout());
  // Nothing to cancel any more.
  EXPECT_EQ(c->CancelMigration().status().code(),
            StatusCode::kFailedPrecondition);
  // The segments migrated before the cancel are rebuilt back.
  MigrationStatus after = WaitForMigration(*c, "cancelled");
  EXPECT_EQ(after.segments_total, 5u);
  std::vector<float> q = MigrationPoint(rng);
  ExpectSegmentsSearchedBy(*c, q, "hnsw");
  EXPECT_EQ(c->Count().value(), 7500u);
}

TEST(MigrationTest, RefusalsAndNoOps) {
  TempDir tmp;
  std::mt19937 rng(5);
  auto db = OpenMigrationDb(tmp.path());
  auto c = db->CreateCollection(StandardConfig()).value();
  Fill(*c, rng, 1, 300);
  EXPECT_EQ(c->CancelMigration().status().code(),
            StatusCode::kFailedPrecondition);
  // A target a create would refuse, with its message.
  LayoutSettings bad;
  bad.index.algorithm = "ivf";  // needs storage_strategy custom
  auto r = c->Migrate(bad);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("custom"), std::string::npos)
      << r.status().ToString();
  EXPECT_EQ(c->GetMigration().status().code(), StatusCode::kNotFound);
  // The layout it has already: done at once.
  auto same = c->Migrate(StandardConfig().layout());
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->record.state, "done");
  // Another one at once (most likely the same millisecond): another id.
  auto again = c->Migrate(StandardConfig().layout());
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->record.id, same->record.id);
}

TEST(MigrationTest, ToAFlatLayoutDropsTheIndexFiles) {
  TempDir tmp;
  std::mt19937 rng(6);
  auto db = OpenMigrationDb(tmp.path());
  auto c = db->CreateCollection(StandardConfig()).value();
  Fill(*c, rng, 2, 800);
  WaitForGraphs(*c);
  auto sidecars = [&] { return testing::IndexFiles(tmp.path()).size(); };
  EXPECT_EQ(sidecars(), 2u);
  LayoutSettings flat;
  flat.index.algorithm = "flat";
  ASSERT_TRUE(c->Migrate(flat).ok());
  WaitForMigration(*c, "done");
  EXPECT_EQ(sidecars(), 0u);
  std::vector<float> q = MigrationPoint(rng);
  for (const std::string& s : SegmentStrategies(*c, q)) {
    EXPECT_EQ(s, "exact_scan");
  }
  // And back: built again.
  ASSERT_TRUE(c->Migrate(StandardConfig().layout()).ok());
  WaitForMigration(*c, "done");
  EXPECT_EQ(sidecars(), 2u);
}

// Within index kind ivf, a change of quantization alone is a migration:
// every segment's IVF file is rebuilt with the new codes (the file's
// quantization field, docs/FORMATS.md "IVF file": 1 int8, 3 pq, 2 binary).
TEST(MigrationTest, IvfQuantizationChangeRebuildsEverySegment) {
  TempDir tmp;
  std::mt19937 rng(8);
  auto db = OpenMigrationDb(tmp.path());
  CollectionConfig cfg = StandardConfig();
  cfg.set_layout(IvfLayout());
  auto c = db->CreateCollection(cfg).value();
  Fill(*c, rng, 2, 800);
  ExpectSegmentsSearchedBy(*c, MigrationPoint(rng), "ivf");
  auto kinds = [&] {
    std::multiset<uint32_t> out;
    for (const std::string& f : testing::IndexFiles(tmp.path())) {
      std::ifstream in(f, std::ios::binary);
      char b[36];
      in.read(b, sizeof(b));
      out.insert(DecodeFixed32(b + 32));
    }
    return out;
  };
  EXPECT_EQ(kinds(), (std::multiset<uint32_t>{1, 1}));
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 30; ++i) queries.push_back(MigrationPoint(rng));
  for (const auto& [q, field] :
       {std::pair<const char*, uint32_t>{"pq", 3}, {"binary", 2}}) {
    LayoutSettings to = IvfLayout();
    to.index.quantization = q;
    ASSERT_TRUE(c->Migrate(to).ok()) << q;
    WaitForMigration(*c, "done");
    EXPECT_EQ(kinds(), (std::multiset<uint32_t>{field, field})) << q;
    EXPECT_EQ(c->config().index.quantization, q);
    EXPECT_EQ(c->Count({}).value(), 1600u);
    // Measured 0.999 for both: 800-row segments, so the re-scored
    // shortlist (8 or 32 x k) is a large share of the probed rows.
    EXPECT_GE(testing::SearchRecall(*c, queries, {}, std::nullopt), 0.95) << q;
  }
}

// A layout whose graph takes about 30 s to build over kSlowRows rows in an
// optimised build (m 128, ef_construction 4096; 8,000 rows took 10 s): a
// build that runs to its end cannot hide inside the tests' bounds below.
constexpr int kSlowRows = 24000;
LayoutSettings SlowGraphLayout() {
  LayoutSettings l = StandardConfig().layout();
  l.index.m = 128;
  l.index.ef_construction = 4096;
  return l;
}

// A collection of SlowGraphLayout with one flushed segment of kSlowRows
// rows, whose graph build has just started.
std::shared_ptr<Collection> SlowCollection(DB& db, std::mt19937& rng) {
  CollectionConfig cfg = StandardConfig();
  cfg.set_layout(SlowGraphLayout());
  auto c = db.CreateCollection(cfg).value();
  Fill(*c, rng, 1, kSlowRows);
  return c;
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

// A shutdown does not wait for a running graph build (index::BuildStop):
// the build stops at its next row and saves nothing; the next start builds
// it again, and its shutdown stops that build as well.
TEST(BuildStopTest, ClosingTheDatabaseStopsARunningGraphBuild) {
  TempDir tmp;
  std::mt19937 rng(9);
  CollectionConfig cfg = StandardConfig();
  cfg.set_layout(SlowGraphLayout());
  for (int start = 0; start < 2; ++start) {
    auto db = OpenMigrationDb(tmp.path());
    auto c = start == 0 ? db->CreateCollection(cfg).value()
                        : db->GetCollection("m").value();
    if (start == 0) Fill(*c, rng, 1, kSlowRows);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::vector<SegmentInfo> segments = c->ListSegments().value();
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_FALSE(segments[0].graph_loaded) << "start " << start;
    EXPECT_EQ(c->Count().value(), uint64_t{kSlowRows});
    c.reset();
    const auto closing = std::chrono::steady_clock::now();
    db.reset();
    EXPECT_LT(SecondsSince(closing), 3.0) << "start " << start;
    EXPECT_EQ(testing::IndexFiles(tmp.path()).size(), 0u)
        << "a stopped build saves nothing";
  }
}

// A compaction stops the running build of its input (retired: the build
// would serve nobody), so the build of its small output runs at once
// instead of after about 30 s.
TEST(BuildStopTest, ACompactionStopsTheBuildOfItsInput) {
  TempDir tmp;
  std::mt19937 rng(11);
  auto db = OpenMigrationDb(tmp.path());
  auto c = SlowCollection(*db, rng);
  std::vector<std::string> gone;
  for (int i = 200; i < kSlowRows; ++i) gone.push_back("p" + std::to_string(i));
  ASSERT_EQ(c->Delete(gone).value(), gone.size());
  ASSERT_TRUE(c->Flush().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->Compact().ok());
  std::vector<SegmentInfo> segments = c->ListSegments().value();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].points, 200u);
  while (!segments[0].graph_loaded && SecondsSince(started) < 60) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    segments = c->ListSegments().value();
  }
  EXPECT_TRUE(segments[0].graph_loaded);
  EXPECT_LT(SecondsSince(started), 10.0);
  EXPECT_EQ(c->Count().value(), 200u);
}

// A migration committed while a background build for the old layout runs
// stops that build: the migration ends at once instead of after it.
TEST(BuildStopTest, AMigrationStopsTheBuildOfTheOldLayout) {
  TempDir tmp;
  std::mt19937 rng(12);
  auto db = OpenMigrationDb(tmp.path());
  auto c = SlowCollection(*db, rng);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->Migrate(IvfLayout()).ok());
  MigrationStatus done = WaitForMigration(*c, "done");
  EXPECT_EQ(done.segments_total, 1u);
  EXPECT_LT(SecondsSince(started), 10.0);
  EXPECT_EQ(c->Count().value(), uint64_t{kSlowRows});
  ExpectSegmentsSearchedBy(*c, MigrationPoint(rng), "ivf");
}

// A cancel stops the migration's running build of the layout given up: a
// migration started right after it runs at once instead of waiting for
// that build to end.
TEST(BuildStopTest, ACancelStopsTheMigrationsRunningBuild) {
  TempDir tmp;
  std::mt19937 rng(10);
  auto db = OpenMigrationDb(tmp.path());
  CollectionConfig cfg = StandardConfig();
  cfg.index.algorithm = "flat";  // nothing to build before the migration
  auto c = db->CreateCollection(cfg).value();
  Fill(*c, rng, 1, kSlowRows);
  ASSERT_TRUE(c->Migrate(SlowGraphLayout()).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(c->CancelMigration().ok());
  const auto cancelled = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->Migrate(IvfLayout()).ok());
  MigrationStatus done = WaitForMigration(*c, "done");
  EXPECT_EQ(done.segments_total, 1u);
  EXPECT_LT(SecondsSince(cancelled), 10.0);
  EXPECT_EQ(c->Count().value(), uint64_t{kSlowRows});
  ExpectSegmentsSearchedBy(*c, MigrationPoint(rng), "ivf");
}

}  // namespace
}  // namespace proximadb
