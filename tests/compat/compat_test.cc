// Data written by earlier releases opens with the current code: every
// directory under tests/data/ (written by tests/compat/make_compat_data, see
// scripts/make-compat-data.sh) is copied to a temporary directory, opened,
// and must hold exactly what the script of compat_data.h wrote: the ids,
// vectors and metadata (segments, the compaction result, the WAL replayed),
// deletes gone, the payload indexes loaded from their files and used, the
// graphs loaded from theirs, the same search results; then it must take new
// writes and reopen. A format change that cannot read these files fails here.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "collection/recovery_util.h"
#include "compat/compat_data.h"
#include "proximadb/db.h"

namespace proximadb::compat {
namespace {

namespace fs = std::filesystem;

// The checked-in data directories ("v0.1.0", ...), in name order.
std::vector<std::string> DataDirs() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator(fs::path(PDB_SOURCE_DIR) / "tests/data", ec)) {
    if (e.is_directory() && e.path().filename().string().starts_with("v")) {
      out.push_back(e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Relative path -> bytes of every segment, graph and payload index file.
std::map<std::string, std::string> SegmentFiles(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = e.path().extension().string();
    if (ext == ".pdb" || ext == ".hnsw" || ext == ".pidx") {
      out[fs::relative(e.path(), dir).string()] =
          testing::ReadAll(e.path().string());
    }
  }
  return out;
}

// Warnings and errors the engine logs while the test runs: reading old data
// must need no repair (a graph or payload index file it cannot read is
// rebuilt with a warning, which would hide a format break).
class LoggedProblems {
 public:
  LoggedProblems() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("compat", sink);
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
  }
  ~LoggedProblems() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

DBOptions Options() {
  DBOptions o;
  o.background_threads = false;
  return o;
}

float Distance(const std::vector<float>& a, const std::vector<float>& b,
               Metric m) {
  double dot = 0, na = 0, nb = 0, l2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
    l2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  switch (m) {
    case Metric::kEuclidean:
      return static_cast<float>(l2);  // same order as the L2 distance
    case Metric::kCosine:
      return static_cast<float>(-dot / std::sqrt(na * nb));
    case Metric::kDotProduct:
      return static_cast<float>(-dot);
  }
  return 0;
}

// The k ids nearest to `q` among `model` (matching `tag` if not empty).
std::vector<std::string> BruteForce(const std::map<std::string, Point>& model,
                                    const std::vector<float>& q, Metric m,
                                    size_t k, const std::string& tag = "") {
  std::vector<std::pair<float, std::string>> all;
  for (const auto& [id, p] : model) {
    if (!tag.empty() && p.metadata.value("tag", "") != tag) continue;
    all.emplace_back(Distance(p.vector, q, m), id);
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < std::min(k, all.size()); ++i) {
    out.push_back(all[i].second);
  }
  return out;
}

std::vector<std::string> Ids(const SearchResult& r) {
  std::vector<std::string> out;
  for (const SearchHit& h : r.hits) out.push_back(h.id);
  return out;
}

// Every live point, by id, through Scroll.
std::map<std::string, StoredPoint> AllPoints(Collection& c) {
  std::map<std::string, StoredPoint> out;
  ScrollRequest req;
  req.limit = 1000;
  req.include_vector = true;
  auto page = c.Scroll(req);
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  if (!page.ok()) return out;
  EXPECT_TRUE(page->next_after_id.empty());
  for (StoredPoint& p : page->points) out[p.id] = std::move(p);
  return out;
}

// `c` holds exactly `model`.
void ExpectContent(Collection& c, const std::map<std::string, Point>& model) {
  auto count = c.Count();
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, model.size());
  std::map<std::string, StoredPoint> stored = AllPoints(c);
  ASSERT_EQ(stored.size(), model.size());
  for (const auto& [id, p] : model) {
    auto it = stored.find(id);
    ASSERT_NE(it, stored.end()) << id << " is missing";
    EXPECT_EQ(it->second.vector, p.vector) << id;
    EXPECT_EQ(it->second.metadata, p.metadata) << id;
    auto got = c.Get(id);
    ASSERT_TRUE(got.ok()) << id << ": " << got.status().ToString();
    EXPECT_EQ(got->vector, p.vector) << id;
    EXPECT_EQ(got->metadata, p.metadata) << id;
  }
}

// Searches: unfiltered (HNSW on the segments of an HNSW collection) and
// filtered on an indexed field; both equal brute force over the model.
void ExpectSearches(Collection& c, const CompatCollection& cc,
                    const std::map<std::string, Point>& model) {
  const std::vector<float> q = VectorOf("query", cc.config.dimension);
  SearchRequest req;
  req.vector = q;
  req.k = 5;
  req.explain = true;
  auto r = c.Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(*r), BruteForce(model, q, cc.config.metric, 5));
  bool graph_used = false;
  for (const SourcePlan& p : r->explain) {
    graph_used = graph_used || p.strategy == "hnsw";
  }
  EXPECT_EQ(graph_used, cc.config.index.algorithm == "hnsw");

  req.filter = {{"tag", "t1"}};
  r = c.Search(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(*r), BruteForce(model, q, cc.config.metric, 5, "t1"));
  // The keyword index answered for every segment: its estimate is the
  // rows that carry "t1", not every row.
  int segments = 0;
  for (const SourcePlan& p : r->explain) {
    if (p.source != "segment") continue;
    ++segments;
    EXPECT_LT(p.estimated_matches, p.rows) << "segment " << p.segment_id;
  }
  EXPECT_EQ(segments, 3);

  auto n = c.Count(nlohmann::json{{"n", {{"$gte", 25}}}});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  uint64_t expected = 0;
  for (const auto& [id, p] : model) {
    const auto& v = p.metadata.value("n", nlohmann::json());
    expected += v.is_number() && v.get<double>() >= 25;
  }
  EXPECT_EQ(*n, expected);
}

class CompatTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    source_ = fs::path(PDB_SOURCE_DIR) / "tests/data" / GetParam();
    dir_ = tmp_.path() + "/data";
    fs::copy(source_, dir_, fs::copy_options::recursive);
  }

  fs::path source_;
  testing::TempDir tmp_;
  std::string dir_;
};

TEST_P(CompatTest, OpensWithExactContentAndTakesNewWrites) {
  LoggedProblems log;
  const std::map<std::string, std::string> files_before = SegmentFiles(dir_);
  {
    auto db = DB::Open(Options(), dir_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto quarantine = (*db)->ListQuarantine();
    ASSERT_TRUE(quarantine.ok());
    EXPECT_TRUE(quarantine->empty()) << quarantine->front().original_path
                                     << ": " << quarantine->front().reason;
    ASSERT_EQ((*db)->ListCollections().size(), DataSet().size());
    for (const CompatCollection& cc : DataSet()) {
      SCOPED_TRACE(cc.config.name);
      auto c = (*db)->GetCollection(cc.config.name);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      const CollectionInfo info = (*c)->Info();
      EXPECT_EQ(info.config.dimension, cc.config.dimension);
      EXPECT_EQ(info.config.metric, cc.config.metric);
      EXPECT_EQ(info.config.wal_format, cc.config.wal_format);
      EXPECT_EQ(info.config.index.algorithm, cc.config.index.algorithm);
      EXPECT_EQ(info.config.index.quantization, cc.config.index.quantization);
      EXPECT_EQ(info.config.index.m, cc.config.index.m);
      EXPECT_EQ(info.config.flush.max_vector_count,
                cc.config.flush.max_vector_count);
      EXPECT_EQ(info.config.flush.flush_priority,
                cc.config.flush.flush_priority);
      EXPECT_EQ(info.payload_indexes, Indexes(cc.steps));
      // The compaction result and two flushes; the rest is in the WAL.
      EXPECT_EQ(info.segment_count, 3u);
      EXPECT_GT(info.memtable_points, 0u);
      const auto model = Model(cc.steps);
      ExpectContent(**c, model);
      ExpectSearches(**c, cc, model);
    }
  }
  // Nothing was rebuilt or rewritten: the old segment, graph and payload
  // index files were read as they are.
  const std::map<std::string, std::string> files_after = SegmentFiles(dir_);
  EXPECT_TRUE(files_after == files_before)
      << "rebuilt or rewritten:" << testing::Diff(files_before, files_after);
  EXPECT_EQ(log.text(), "");

  // New writes on old data, a flush, a compaction, and a reopen.
  {
    auto db = DB::Open(Options(), dir_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (const CompatCollection& cc : DataSet()) {
      auto c = (*db)->GetCollection(cc.config.name).value();
      ASSERT_TRUE(c->Upsert({MakePoint("new", 1, cc.config.dimension)}).ok());
      ASSERT_TRUE(c->Delete({"b00"}).ok());
      ASSERT_TRUE(c->Flush().ok());
      ASSERT_TRUE(c->Compact().ok());
      ASSERT_TRUE(c->Upsert({MakePoint("new", 2, cc.config.dimension)}).ok());
    }
  }
  auto db = DB::Open(Options(), dir_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (const CompatCollection& cc : DataSet()) {
    SCOPED_TRACE(cc.config.name);
    auto c = (*db)->GetCollection(cc.config.name).value();
    auto model = Model(cc.steps);
    model.erase("b00");
    for (int i : {1, 2}) {
      Point p = MakePoint("new", i, cc.config.dimension);
      model[p.id] = p;
    }
    ExpectContent(*c, model);
    EXPECT_EQ(c->Info().segment_count, 1u);
  }
  EXPECT_EQ(log.text(), "");
}

INSTANTIATE_TEST_SUITE_P(Releases, CompatTest, ::testing::ValuesIn(DataDirs()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

// The data directories are there (an empty list would pass vacuously).
TEST(CompatDataTest, AtLeastTheFirstReleaseIsCheckedIn) {
  std::vector<std::string> dirs = DataDirs();
  EXPECT_NE(std::find(dirs.begin(), dirs.end(), "v0.1.0"), dirs.end());
}

}  // namespace
}  // namespace proximadb::compat
