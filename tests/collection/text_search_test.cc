// BM25 text search (Collection::TextSearch, TextStats) against a reference
// written here from the documented formula (docs/API.md, "Hybrid queries")
// with its own ASCII word split: the same ranking and scores from memtable
// rows, segments with and without a text index, after a restart; deleted
// points never listed; filters, include_vector, refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "collection/test_util.h"

namespace proximadb {
namespace {

using nlohmann::json;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kBmDim = 4;

std::unique_ptr<DB> OpenBmDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;
  return DB::Open(o, dir).value();
}

using testing::AsciiWords;

// BM25 (k1 1.2, b 0.75, idf ln(1 + (N - df + 0.5) / (df + 0.5))) over the
// documents' words; the query's distinct words without English stop words.
std::vector<std::pair<std::string, double>> ReferenceBm25(
    const std::map<std::string, std::string>& docs, const std::string& query,
    size_t k, const std::set<std::string>& allowed = {}) {
  static const std::set<std::string> kStop = {
      "a",    "an",   "and",  "are",  "as",   "at",    "be",   "but",   "by",
      "for",  "if",   "in",   "into", "is",   "it",    "no",   "not",   "of",
      "on",   "or",   "such", "that", "the",  "their", "then", "there", "these",
      "they", "this", "to",   "was",  "will", "with"};
  std::set<std::string> words;
  for (const auto& w : AsciiWords(query)) {
    if (!kStop.count(w)) words.insert(w);
  }
  double n = 0, total = 0;
  std::map<std::string, double> df;
  for (const auto& [id, text] : docs) {
    const auto ws = AsciiWords(text);
    if (ws.empty()) continue;
    ++n;
    total += ws.size();
    std::set<std::string> seen(ws.begin(), ws.end());
    for (const auto& w : words) df[w] += seen.count(w);
  }
  std::vector<std::pair<std::string, double>> scored;
  for (const auto& [id, text] : docs) {
    if (!allowed.empty() && !allowed.count(id)) continue;
    const auto ws = AsciiWords(text);
    double score = 0;
    bool any = false;
    for (const auto& w : words) {
      const double tf = std::count(ws.begin(), ws.end(), w);
      if (tf == 0) continue;
      any = true;
      const double idf = std::log(1 + (n - df[w] + 0.5) / (df[w] + 0.5));
      score += idf * tf * 2.2 /
               (tf + 1.2 * (1 - 0.75 + 0.75 * ws.size() / (total / n)));
    }
    if (any) scored.push_back({id, score});
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  if (scored.size() > k) scored.resize(k);
  return scored;
}

const char* const kWords[] = {"wal",    "segment", "graph", "search", "vector",
                              "filter", "index",   "flush", "disk",   "memory",
                              "recall", "the",     "a",     "of"};

std::string RandomText(std::mt19937& rng) {
  std::string s;
  const int n = 1 + static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) {
    // Skewed: early words are common, late ones rare.
    const size_t w = std::min<size_t>(rng() % 14, rng() % 14);
    s += std::string(i ? (rng() % 5 ? " " : ", ") : "") + kWords[w];
  }
  return rng() % 7 == 0 ? "" : s;
}

void ExpectSameRanking(const SearchResult& got,
                       const std::vector<std::pair<std::string, double>>& want,
                       const std::string& what) {
  ASSERT_EQ(got.hits.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got.hits[i].score, want[i].second, 1e-4 * want[i].second + 1e-6)
        << what << " #" << i;
    // Equal scores may order by id; otherwise the ids agree.
    if (i + 1 < want.size() &&
        std::abs(want[i].second - want[i + 1].second) > 1e-5 &&
        (i == 0 || std::abs(want[i].second - want[i - 1].second) > 1e-5)) {
      EXPECT_EQ(got.hits[i].id, want[i].first) << what << " #" << i;
    }
  }
}

class TextSearchTest : public ::testing::TestWithParam<bool> {};

TEST_P(TextSearchTest, EqualsReferenceBm25) {
  const bool indexed = GetParam();
  TempDir tmp;
  std::mt19937 rng(99);
  std::map<std::string, std::string> docs;
  std::map<std::string, int> group;
  {
    auto db = OpenBmDb(tmp.path());
    auto c = db->CreateCollection(testing::MakeConfig("t", kBmDim)).value();
    if (indexed) {
      ASSERT_TRUE(
          c->CreatePayloadIndex({"body", PayloadIndexType::kText}).ok());
    }
    auto add = [&](int from, int to) {
      std::vector<Point> batch;
      for (int i = from; i < to; ++i) {
        const std::string id = "d" + std::to_string(1000 + i);
        docs[id] = RandomText(rng);
        group[id] = i % 3;
        json body = docs[id];
        if (i % 11 == 0) body = json::array({docs[id], ""});  // one string
        batch.push_back(Point{id, RandomVector(rng, kBmDim),
                              json{{"body", body}, {"g", i % 3}}});
      }
      ASSERT_TRUE(c->Upsert(batch).ok());
    };
    add(0, 400);
    ASSERT_TRUE(c->Flush().ok());
    add(400, 700);
    ASSERT_TRUE(c->Flush().ok());
    add(700, 800);  // memtable
    for (const char* q : {"wal segment", "recall", "the index of memory"}) {
      TextSearchRequest r;
      r.field = "body";
      r.query = q;
      r.k = 15;
      auto res = c->TextSearch(r);
      ASSERT_TRUE(res.ok()) << res.status().ToString();
      ExpectSameRanking(*res, ReferenceBm25(docs, q, 15), q);
    }
  }
  auto db = OpenBmDb(tmp.path());  // restart: WAL replay, indexes from files
  auto c = db->GetCollection("t").value();
  for (const char* q : {"flush disk", "graph", "vector search filter"}) {
    TextSearchRequest r;
    r.field = "body";
    r.query = q;
    r.k = 1000;  // every point holding a word
    auto res = c->TextSearch(r);
    ASSERT_TRUE(res.ok());
    ExpectSameRanking(*res, ReferenceBm25(docs, q, 1000), q);
    // The filter narrows the ranking, not the statistics.
    r.filter = json{{"g", 1}};
    r.k = 7;
    std::set<std::string> allowed;
    for (const auto& [id, g] : group) {
      if (g == 1) allowed.insert(id);
    }
    res = c->TextSearch(r);
    ASSERT_TRUE(res.ok());
    ExpectSameRanking(*res, ReferenceBm25(docs, q, 7, allowed), q);
  }
  // The statistics: rows with words, words in all, rows per query word.
  TextSearchRequest r;
  r.field = "body";
  r.query = "wal the WAL recall";  // "the" is a stop word: left out
  auto stats = c->TextStats(r);
  ASSERT_TRUE(stats.ok());
  uint64_t n = 0, total = 0, df_recall = 0, df_wal = 0;
  for (const auto& [id, text] : docs) {
    const auto ws = AsciiWords(text);
    n += !ws.empty();
    total += ws.size();
    df_recall += std::count(ws.begin(), ws.end(), "recall") > 0;
    df_wal += std::count(ws.begin(), ws.end(), "wal") > 0;
  }
  EXPECT_EQ(stats->docs, n);
  EXPECT_EQ(stats->words, total);
  EXPECT_EQ(stats->doc_freq, (std::vector<uint64_t>{df_recall, df_wal}));
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutIndex, TextSearchTest,
                         ::testing::Bool());

TEST(TextSearchEdgeTest, DeletedPointsAreNeverListedAndCompactionDropsThem) {
  TempDir tmp;
  auto db = OpenBmDb(tmp.path());
  auto c = db->CreateCollection(testing::MakeConfig("t", kBmDim)).value();
  ASSERT_TRUE(c->CreatePayloadIndex({"body", PayloadIndexType::kText}).ok());
  std::map<std::string, std::string> docs = {{"a", "red fox"},
                                             {"b", "red red dog"},
                                             {"c", "blue fox"},
                                             {"d", "green"}};
  std::vector<Point> batch;
  for (const auto& [id, text] : docs) {
    batch.push_back(Point{id, {1, 2, 3, 4}, json{{"body", text}}});
  }
  ASSERT_TRUE(c->Upsert(batch).ok());
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Delete({"b"}).ok());
  // Overwritten in the memtable: the segment copy is dead, the new one live.
  ASSERT_TRUE(
      c->Upsert({Point{"c", {1, 2, 3, 4}, json{{"body", "red cat"}}}}).ok());
  TextSearchRequest r;
  r.field = "body";
  r.query = "red";
  r.k = 10;
  r.include_vector = true;
  auto res = c->TextSearch(r);
  ASSERT_TRUE(res.ok());
  std::vector<std::string> ids;
  for (const auto& h : res->hits) {
    ids.push_back(h.id);
    EXPECT_EQ(h.vector, (std::vector<float>{1, 2, 3, 4}));
    EXPECT_TRUE(h.metadata.contains("body"));
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "c"}));
  // Until compaction the dead copies still count in the statistics (5
  // stored rows hold words); after it, only the live points.
  EXPECT_EQ(c->TextStats(r)->docs, 5u);
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(c->TextStats(r)->docs, 3u);
  docs.erase("b");
  docs["c"] = "red cat";
  res = c->TextSearch(r);
  ASSERT_TRUE(res.ok());
  ExpectSameRanking(*res, ReferenceBm25(docs, "red", 10), "after compaction");
}

TEST(TextSearchEdgeTest, Refusals) {
  TempDir tmp;
  auto db = OpenBmDb(tmp.path());
  auto c = db->CreateCollection(testing::MakeConfig("t", kBmDim)).value();
  auto err = [&](TextSearchRequest r) {
    auto res = c->TextSearch(r);
    return res.ok() ? std::string("ok") : res.status().message();
  };
  TextSearchRequest r;
  r.field = "body";
  r.query = "fox";
  EXPECT_EQ(err(r), "ok");  // an empty collection: no hits
  r.query = " -- ";
  EXPECT_NE(err(r).find("at least one word"), std::string::npos);
  r.query = "fox";
  r.k = 0;
  EXPECT_NE(err(r).find("limit must be in 1..10000"), std::string::npos);
  r.k = 10;
  r.field = "a..b";
  EXPECT_NE(err(r).find("field"), std::string::npos);
  r.field = "body";
  r.filter = json{{"x", {{"$bad", 1}}}};
  EXPECT_NE(err(r).find("unknown operator"), std::string::npos);
}

}  // namespace
}  // namespace proximadb
