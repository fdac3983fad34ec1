// Payload indexes and the filtered-search planner: definitions (create,
// drop, persisted), per-segment indexes kept through upsert, delete, flush,
// compaction and restart, and a planner whose answers always equal a
// brute-force filtered search; each strategy is picked where it should be,
// and filtered HNSW keeps recall against the exact filtered top k.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "collection/test_util.h"
#include "filter/filter.h"
#include "index/distance.h"

namespace proximadb {
namespace {

using nlohmann::json;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kIndexDim = 8;

std::unique_ptr<DB> OpenIndexedDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // index and graph builds run inline
  return DB::Open(o, dir).value();
}

CollectionConfig Config(const std::string& algorithm) {
  CollectionConfig c;
  c.name = "p";
  c.dimension = kIndexDim;
  c.metric = Metric::kEuclidean;
  c.index.algorithm = algorithm;
  return c;
}

void CreateIndexes(Collection& c) {
  for (auto [field, type] :
       std::vector<std::pair<std::string, PayloadIndexType>>{
           {"color", PayloadIndexType::kKeyword},
           {"n", PayloadIndexType::kInteger},
           {"f", PayloadIndexType::kFloat},
           {"flag", PayloadIndexType::kBool},
           {"tags", PayloadIndexType::kKeyword},
           {"a.b", PayloadIndexType::kInteger}}) {
    ASSERT_TRUE(c.CreatePayloadIndex({field, type}).ok()) << field;
  }
}

// Metadata with missing fields, type mismatches, arrays and nesting, so
// every rule the index must mirror is exercised.
json RandomMetadata(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  json m = json::object();
  if (pick(10) != 0) m["color"] = "c" + std::to_string(pick(30));
  if (pick(20) == 0) m["color"] = pick(5);  // a number in a keyword field
  switch (pick(10)) {
    case 0:
      break;  // missing
    case 1:
      m["n"] = std::to_string(pick(100));  // a string in a numeric field
      break;
    case 2:
      m["n"] = json::array({pick(1000), pick(1000)});
      break;
    case 3:
      m["n"] = pick(1000) + 0.5;
      break;
    default:
      m["n"] = pick(1000);
  }
  m["f"] = std::uniform_real_distribution<double>(0, 1)(rng);
  if (pick(3) != 0) m["flag"] = pick(2) == 1;
  json tags = json::array();
  for (int i = pick(4); i > 0; --i)
    tags.push_back("t" + std::to_string(pick(12)));
  m["tags"] = tags;
  if (pick(4) != 0) {
    m["a"] = pick(5) == 0 ? json::array({{{"b", pick(50)}}, {{"b", pick(50)}}})
                          : json{{"b", pick(50)}};
  }
  m["u"] = pick(7);  // never indexed
  return m;
}

json RandomLeaf(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const int lo = pick(1000);
  switch (pick(14)) {
    case 0:
      return {{"color", "c" + std::to_string(pick(30))}};
    case 1:
      return {{"color",
               {{"$in",
                 {"c" + std::to_string(pick(30)),
                  "c" + std::to_string(pick(30)), pick(5)}}}}};
    case 2:
      return {{"n", {{"$gte", lo}, {"$lt", lo + pick(200)}}}};
    case 3:
      return {{"n", {{"$gt", lo}}}};
    case 4:
      return {{"n", lo % 100}};
    case 5:
      return {{"f", {{"$lte", pick(100) / 1000.0}}}};
    case 6:
      return {{"flag", pick(2) == 1}};
    case 7:
      return {{"tags", "t" + std::to_string(pick(12))}};
    case 8:
      return {{"a.b", {{"$lt", pick(10)}}}};
    case 9:
      return {{"color", {{"$ne", "c1"}}}};  // negative: not indexed
    case 10:
      return {{"u", pick(7)}};  // unindexed field
    case 11:
      return {{"n", std::to_string(pick(100))}};  // string on numeric index
    case 12:
      return {{"color", {{"$exists", pick(2) == 1}}}};
    default:
      return {{"n", {{"$in", {lo % 100, lo % 50 + 0.5}}}}};
  }
}

json RandomFilter(std::mt19937& rng, int depth = 0) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  if (depth >= 3 || pick(3) == 0) return RandomLeaf(rng);
  switch (pick(3)) {
    case 0:
      return {{"$and",
               {RandomFilter(rng, depth + 1), RandomFilter(rng, depth + 1)}}};
    case 1:
      return {{"$or",
               {RandomFilter(rng, depth + 1), RandomFilter(rng, depth + 1)}}};
    default:
      return {{"$not", RandomFilter(rng, depth + 1)}};
  }
}

// Every live point, read back through scroll.
std::vector<StoredPoint> AllPoints(Collection& c) {
  std::vector<StoredPoint> out;
  ScrollRequest req;
  req.limit = 10000;
  req.include_vector = true;
  while (true) {
    auto page = c.Scroll(req).value();
    for (auto& p : page.points) out.push_back(std::move(p));
    if (page.next_after_id.empty()) break;
    req.after_id = page.next_after_id;
  }
  return out;
}

// The true filtered top k by brute force.
std::vector<std::string> BruteForce(const std::vector<StoredPoint>& all,
                                    const std::vector<float>& q,
                                    const json& spec, size_t k) {
  auto f = filter::Filter::Parse(spec).value();
  std::vector<std::pair<float, std::string>> scored;
  for (const auto& p : all) {
    if (!f.Matches(p.metadata)) continue;
    scored.push_back(
        {index::L2Sqr(q.data(), p.vector.data(), kIndexDim), p.id});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < k; ++i)
    out.push_back(scored[i].second);
  return out;
}

// Checks exact filtered searches against brute force for many random
// filters; returns how many of them the planner answered from the indexes.
int CheckAgainstBruteForce(Collection& c, std::mt19937& rng, int filters) {
  const auto all = AllPoints(c);
  int index_scans = 0;
  for (int i = 0; i < filters; ++i) {
    const json spec = RandomFilter(rng);
    SearchRequest req;
    req.vector = RandomVector(rng, kIndexDim);
    req.k = 50;
    req.filter = spec;
    req.exact = true;  // the planner still picks index_scan when it can
    req.explain = true;
    auto res = c.Search(req);
    EXPECT_TRUE(res.ok()) << spec.dump();
    if (!res.ok()) continue;
    std::vector<std::string> got;
    for (const auto& h : res->hits) got.push_back(h.id);
    EXPECT_EQ(got, BruteForce(all, req.vector, spec, req.k)) << spec.dump();
    for (const auto& p : res->explain) {
      if (p.strategy == "index_scan") {
        ++index_scans;
        EXPECT_LE(p.matches, p.candidates) << spec.dump();
        EXPECT_LE(p.candidates, p.estimated_matches) << spec.dump();
      }
    }
  }
  return index_scans;
}

std::vector<std::string> PayloadFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".pidx") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PayloadIndexTest, DefinitionsCreateDropAndPersist) {
  TempDir tmp;
  {
    auto db = OpenIndexedDb(tmp.path());
    auto c = db->CreateCollection(Config("flat")).value();
    ASSERT_TRUE(
        c->CreatePayloadIndex({"color", PayloadIndexType::kKeyword}).ok());
    // Same type again: a no-op. Another type: a conflict.
    EXPECT_TRUE(
        c->CreatePayloadIndex({"color", PayloadIndexType::kKeyword}).ok());
    EXPECT_EQ(
        c->CreatePayloadIndex({"color", PayloadIndexType::kInteger}).code(),
        StatusCode::kAlreadyExists);
    ASSERT_TRUE(c->CreatePayloadIndex({"a.b", PayloadIndexType::kFloat}).ok());
    for (const char* bad : {"", ".a", "a.", "a..b", "$and"}) {
      EXPECT_EQ(c->CreatePayloadIndex({bad, PayloadIndexType::kBool}).code(),
                StatusCode::kInvalidArgument)
          << bad;
    }
    EXPECT_EQ(c->DropPayloadIndex("nope").code(), StatusCode::kNotFound);
    ASSERT_TRUE(c->CreatePayloadIndex({"gone", PayloadIndexType::kBool}).ok());
    ASSERT_TRUE(c->DropPayloadIndex("gone").ok());
    auto info = c->Info();
    ASSERT_EQ(info.payload_indexes.size(), 2u);
    EXPECT_EQ(info.payload_indexes[0],
              (PayloadIndexDef{"a.b", PayloadIndexType::kFloat}));
    EXPECT_EQ(info.payload_indexes[1],
              (PayloadIndexDef{"color", PayloadIndexType::kKeyword}));
  }
  auto db = OpenIndexedDb(tmp.path());
  auto info = db->GetCollection("p").value()->Info();
  ASSERT_EQ(info.payload_indexes.size(), 2u);
  EXPECT_EQ(info.payload_indexes[1].field, "color");
  EXPECT_EQ(ParsePayloadIndexType("fulltext").status().code(),
            StatusCode::kInvalidArgument);
}

// The randomized end-to-end check: the planner's answer equals brute force
// after every kind of change, with indexes created before and after data.
TEST(PayloadIndexTest, SameResultsAsBruteForceThroughLifecycle) {
  TempDir tmp;
  std::mt19937 rng(11);
  auto db = OpenIndexedDb(tmp.path());
  auto c = db->CreateCollection(Config("hnsw")).value();
  auto upsert = [&](int from, int count) {
    std::vector<Point> batch;
    for (int i = from; i < from + count; ++i) {
      batch.push_back({"id" + std::to_string(i), RandomVector(rng, kIndexDim),
                       RandomMetadata(rng)});
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
  };
  upsert(0, 1500);
  ASSERT_TRUE(c->Flush().ok());
  // Created after the first segment exists: that one is indexed by a
  // (here inline) background build.
  CreateIndexes(*c);
  EXPECT_EQ(PayloadFiles(tmp.path()).size(), 1u);
  upsert(1500, 1500);
  upsert(0, 300);  // overwrites: old copies die in segment 1
  std::vector<std::string> del;
  for (int i = 2000; i < 2300; ++i) del.push_back("id" + std::to_string(i));
  ASSERT_TRUE(c->Delete(del).ok());
  int scans = CheckAgainstBruteForce(*c, rng, 60);  // memtable + segment
  ASSERT_TRUE(c->Flush().ok());
  upsert(3000, 200);  // stays in the memtable
  scans += CheckAgainstBruteForce(*c, rng, 60);
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(PayloadFiles(tmp.path()).size(), 1u);  // inputs' files removed
  scans += CheckAgainstBruteForce(*c, rng, 60);
  EXPECT_GT(scans, 20);  // the indexes really answered many of them
  c.reset();
  db.reset();

  // Restart: indexes loaded from their files.
  db = OpenIndexedDb(tmp.path());
  c = db->GetCollection("p").value();
  EXPECT_GT(CheckAgainstBruteForce(*c, rng, 60), 5);

  // A damaged file is rebuilt (derived data), results unchanged.
  auto files = PayloadFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x5a');
  }
  c.reset();
  db.reset();
  db = OpenIndexedDb(tmp.path());
  c = db->GetCollection("p").value();
  EXPECT_GT(CheckAgainstBruteForce(*c, rng, 60), 5);

  // Dropping every index removes the files at the next rebuild.
  for (const auto& d : c->Info().payload_indexes) {
    ASSERT_TRUE(c->DropPayloadIndex(d.field).ok());
  }
  EXPECT_TRUE(PayloadFiles(tmp.path()).empty());
  EXPECT_EQ(CheckAgainstBruteForce(*c, rng, 30), 0);
}

// One hnsw segment of 20000 points with a keyword field whose values match
// 50 %, 10 %, 1 % of them and an integer field spread over 0..999.
class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenIndexedDb(tmp_.path());
    c_ = db_->CreateCollection(Config("hnsw")).value();
    ASSERT_TRUE(c_->CreatePayloadIndex({"g", PayloadIndexType::kKeyword}).ok());
    ASSERT_TRUE(c_->CreatePayloadIndex({"r", PayloadIndexType::kInteger}).ok());
    std::mt19937 rng(3);
    std::vector<Point> batch;
    for (int i = 0; i < 20000; ++i) {
      std::string g = i % 2 ? "half" : i % 10 == 0 ? "tenth" : "other";
      if (i % 100 == 2) g = "hundredth";
      batch.push_back({"p" + std::to_string(i),
                       RandomVector(rng, kIndexDim),
                       {{"g", g}, {"r", i % 1000}, {"u", i % 100}}});
    }
    ASSERT_TRUE(c_->Upsert(batch).ok());
    ASSERT_TRUE(c_->Flush().ok());
    for (int i = 0; i < 30; ++i)
      queries_.push_back(RandomVector(rng, kIndexDim));
  }

  SourcePlan PlanOf(const json& filter, bool exact = false, uint32_t k = 10) {
    SearchRequest req;
    req.vector = queries_[0];
    req.k = k;
    req.filter = filter;
    req.exact = exact;
    req.explain = true;
    auto res = c_->Search(req).value();
    for (const auto& p : res.explain) {
      if (p.source == "segment") return p;
    }
    ADD_FAILURE() << "no segment in explain";
    return {};
  }

  double Recall(const json& filter) {
    return testing::SearchRecall(*c_, queries_, filter);
  }

  TempDir tmp_;
  std::unique_ptr<DB> db_;
  std::shared_ptr<Collection> c_;
  std::vector<std::vector<float>> queries_;
};

TEST_F(PlannerTest, PicksEachStrategy) {
  SourcePlan p = PlanOf({});
  EXPECT_EQ(p.strategy, "hnsw");
  EXPECT_EQ(p.rows, 20000u);
  EXPECT_EQ(p.ef, 64u);

  p = PlanOf({{"g", "hundredth"}});  // 1 %: scan the posting list
  EXPECT_EQ(p.strategy, "index_scan");
  EXPECT_EQ(p.estimated_matches, 200u);
  EXPECT_EQ(p.candidates, 200u);
  EXPECT_EQ(p.matches, 200u);
  EXPECT_EQ(p.distances_computed, 200u);

  p = PlanOf({{"g", "half"}});  // 50 %: the graph, filter in traversal
  EXPECT_EQ(p.strategy, "hnsw_filtered");
  EXPECT_EQ(p.estimated_matches, 10000u);
  EXPECT_EQ(p.ef, 64u);
  EXPECT_LT(p.distances_computed, 10000u);

  // 25 %: above the scan threshold (4096 rows); with k = 20 the beam is widened
  // to k / selectivity = 80.
  p = PlanOf({{"r", {{"$lt", 250}}}}, false, 20);
  EXPECT_EQ(p.strategy, "hnsw_filtered");
  EXPECT_EQ(p.estimated_matches, 5000u);
  EXPECT_EQ(p.ef, 80u);
  EXPECT_EQ(PlanOf({{"r", {{"$lt", 250}}}}).ef, 64u);  // k 10: 40 < 64

  p = PlanOf({{"g", "tenth"}});  // 10 %, 2000 rows: under 4096, scanned
  EXPECT_EQ(p.strategy, "index_scan");

  // A conjunction is intersected: estimated from the smaller side, exact
  // candidates after the intersection.
  p = PlanOf({{"g", "half"}, {"r", {{"$lt", 20}}}});
  EXPECT_EQ(p.strategy, "index_scan");
  EXPECT_EQ(p.estimated_matches, 400u);
  EXPECT_EQ(p.candidates, 200u);
  EXPECT_EQ(p.matches, 200u);

  // $or sums, $not and $ne bound nothing.
  EXPECT_EQ(
      PlanOf({{"$or", {{{"g", "hundredth"}}, {{"r", 5}}}}}).estimated_matches,
      220u);
  EXPECT_EQ(PlanOf({{"$not", {{"g", "half"}}}}).estimated_matches, 20000u);
  EXPECT_EQ(PlanOf({{"g", {{"$ne", "half"}}}}).estimated_matches, 20000u);

  // Unindexed field: nothing to estimate from.
  p = PlanOf({{"u", 7}});
  EXPECT_EQ(p.strategy, "hnsw_filtered");
  EXPECT_EQ(p.estimated_matches, 20000u);
  EXPECT_EQ(p.ef, 64u);
  p = PlanOf({{"u", 7}}, /*exact=*/true);
  EXPECT_EQ(p.strategy, "exact_scan");

  // The memtable is always scanned.
  ASSERT_TRUE(c_->Upsert({{"m", queries_[1], {{"g", "half"}}}}).ok());
  SearchRequest req;
  req.vector = queries_[0];
  req.filter = {{"g", "half"}};
  req.explain = true;
  auto res = c_->Search(req).value();
  ASSERT_EQ(res.explain.size(), 2u);
  EXPECT_EQ(res.explain[0].source, "memtable");
  EXPECT_EQ(res.explain[0].strategy, "exact_scan");
  req.explain = false;
  EXPECT_TRUE(c_->Search(req)->explain.empty());
}

TEST_F(PlannerTest, FilteredRecallAtEverySelectivity) {
  for (const json& f : {json{{"g", "half"}}, json{{"g", "tenth"}},
                        json{{"r", {{"$lt", 300}}}},  // 30 %
                        json{{"r", {{"$lt", 230}}}},  // 23 %: graph
                        json{{"g", "hundredth"}}, json{{"u", 3}}}) {
    EXPECT_GE(Recall(f), 0.95) << f.dump();
  }
}

}  // namespace
}  // namespace proximadb
