// Full-text filters end to end (docs/FILTERS.md, "Full text: $text"): count
// and filtered search with $text conditions, with and without a text
// payload index, over memtable and segments (with overwrites and deletes),
// across a restart; every answer equals a brute-force check written here
// (ASCII words split by hand, not by src/filter). And the .pidx file of a
// text field: round trip, answers, version rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "collection/payload_index.h"
#include "collection/search_check.h"
#include "collection/test_util.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb {
namespace {

using nlohmann::json;
using testing::RandomVector;
using testing::TempDir;

constexpr uint32_t kTextDim = 8;

std::unique_ptr<DB> OpenTextDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // index and graph builds run inline
  return DB::Open(o, dir).value();
}

const char* const kVocabulary[] = {"Vector", "database", "search", "HNSW",
                                   "graph",  "filter",   "index",  "recall",
                                   "disk",   "memory",   "write",  "ahead"};

// The strings stored at "body" (a string, an array of them, or a number).
std::vector<std::string> RandomBody(std::mt19937& rng, json* out) {
  auto sentence = [&] {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) {
      if (i > 0) s += rng() % 3 == 0 ? ", " : (rng() % 2 ? " " : "-");
      std::string w = kVocabulary[rng() % 12];
      if (rng() % 4 == 0) {
        for (char& c : w) c = static_cast<char>(std::toupper(c));
      }
      s += w;
    }
    return s + (rng() % 2 ? "." : "");
  };
  switch (rng() % 6) {
    case 0:
      *out = 42;
      return {};
    case 1: {
      std::vector<std::string> parts = {sentence(), sentence()};
      *out = parts;
      return parts;
    }
    default: {
      std::string s = sentence();
      *out = s;
      return {s};
    }
  }
}

struct TextCondition {
  json filter;
  std::function<bool(const std::vector<std::string>&, const std::string&)>
      holds;  // (strings at body, kind)
};

bool SomeStringHasAll(const std::vector<std::string>& strings,
                      const std::vector<std::string>& words) {
  for (const auto& s : strings) {
    const auto words_of_s = testing::AsciiWords(s);
    const std::set<std::string> have(words_of_s.begin(), words_of_s.end());
    if (std::all_of(words.begin(), words.end(),
                    [&](const std::string& w) { return have.count(w); })) {
      return true;
    }
  }
  return false;
}

std::vector<TextCondition> TextConditions() {
  std::vector<TextCondition> out;
  auto text = [&](const std::string& query, std::vector<std::string> words) {
    out.push_back({json{{"body", {{"$text", query}}}},
                   [=](const auto& strings, const std::string&) {
                     return SomeStringHasAll(strings, words);
                   }});
  };
  text("hnsw", {"hnsw"});
  text("Vector SEARCH", {"vector", "search"});
  text("write-ahead disk", {"write", "ahead", "disk"});
  text("recall recall", {"recall"});
  out.push_back({json{{"body", {{"$text", "graph"}}}, {"kind", "a"}},
                 [](const auto& strings, const std::string& kind) {
                   return kind == "a" && SomeStringHasAll(strings, {"graph"});
                 }});
  out.push_back({json{{"$not", {{"body", {{"$text", "memory"}}}}}},
                 [](const auto& strings, const std::string&) {
                   return !SomeStringHasAll(strings, {"memory"});
                 }});
  out.push_back({json{{"$or",
                       {{{"body", {{"$text", "index filter"}}}},
                        {{"body", {{"$text", "database"}}}}}}},
                 [](const auto& strings, const std::string&) {
                   return SomeStringHasAll(strings, {"index", "filter"}) ||
                          SomeStringHasAll(strings, {"database"});
                 }});
  return out;
}

class TextCollectionTest : public ::testing::TestWithParam<bool> {};

TEST_P(TextCollectionTest, SearchAndCountEqualBruteForce) {
  const bool indexed = GetParam();
  TempDir tmp;
  std::mt19937 rng(17);
  struct Truth {
    std::vector<float> vector;
    std::vector<std::string> strings;
    std::string kind;
  };
  std::map<std::string, Truth> points;
  {
    auto db = OpenTextDb(tmp.path());
    CollectionConfig cfg =
        testing::MakeConfig("t", kTextDim, Metric::kEuclidean);
    auto c = db->CreateCollection(cfg).value();
    auto upsert = [&](int from, int count) {
      std::vector<Point> batch;
      for (int i = from; i < from + count; ++i) {
        json body;
        Truth t;
        t.strings = RandomBody(rng, &body);
        t.kind = rng() % 2 ? "a" : "b";
        t.vector = RandomVector(rng, kTextDim);
        Point p{"id" + std::to_string(i), t.vector,
                json{{"body", body}, {"kind", t.kind}}};
        points[p.id] = t;
        batch.push_back(std::move(p));
      }
      ASSERT_TRUE(c->Upsert(batch).ok());
    };
    upsert(0, 1000);
    ASSERT_TRUE(c->Flush().ok());
    if (indexed) {  // built over the existing segment, then kept by flushes
      ASSERT_TRUE(
          c->CreatePayloadIndex({"body", PayloadIndexType::kText}).ok());
      ASSERT_TRUE(
          c->CreatePayloadIndex({"kind", PayloadIndexType::kKeyword}).ok());
    }
    upsert(1000, 700);
    upsert(0, 150);  // overwrites: old copies die in the segment
    ASSERT_TRUE(c->Delete({"id3", "id1001"}).ok());
    points.erase("id3");
    points.erase("id1001");
    ASSERT_TRUE(c->Flush().ok());
    upsert(1700, 250);  // stays in the memtable
  }
  auto db = OpenTextDb(tmp.path());  // restart: WAL replay, indexes from files
  auto c = db->GetCollection("t").value();
  EXPECT_EQ(c->Info().payload_indexes.size(), indexed ? 2u : 0u);
  int index_scans = 0;
  for (const auto& cond : TextConditions()) {
    uint64_t want_count = 0;
    for (const auto& [id, t] : points) {
      want_count += cond.holds(t.strings, t.kind);
    }
    EXPECT_EQ(c->Count(cond.filter).value(), want_count) << cond.filter;
    EXPECT_GT(want_count, 0u) << cond.filter;

    std::vector<std::pair<std::string, const std::vector<float>*>> matching;
    for (const auto& [id, t] : points) {
      if (cond.holds(t.strings, t.kind)) matching.push_back({id, &t.vector});
    }
    index_scans += testing::CheckExactFilteredSearch(
        *c, RandomVector(rng, kTextDim), cond.filter, matching);
  }
  if (indexed) {
    EXPECT_GT(index_scans, 2);  // the text index answered selective filters
  } else {
    EXPECT_EQ(index_scans, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutIndex, TextCollectionTest,
                         ::testing::Bool());

// seg-<id>.pidx with a text field: version 3, the same answers after a
// reload, and the version rules (lowest version that holds the fields).
TEST(TextPayloadFileTest, RoundTripAnswersAndVersion) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirIfMissing("/s").ok());
  const std::vector<std::string> meta = {
      R"({"body":"The quick brown FOX","k":"a"})",
      R"({"body":["quick","fox jumps"],"k":"b"})",
      R"({"body":"Écoute le renard: quick, quick!"})", R"({"body":7})"};
  const float v = 1;
  ASSERT_TRUE(segment::WriteSegment(
                  env.get(), "/s/a.pdb", {1, 1, Metric::kEuclidean},
                  meta.size(),
                  [&](size_t i) {
                    static const char* kIds[] = {"0", "1", "2", "3"};
                    return segment::SegmentRow{kIds[i], &v, meta[i], 1};
                  },
                  [](size_t) { return false; })
                  .ok());
  auto seg = segment::Segment::Open(env.get(), "/s/a.pdb").value();
  auto built = SegmentPayloadIndex::Build(
      *seg,
      {{"body", PayloadIndexType::kText}, {"k", PayloadIndexType::kKeyword}});
  ASSERT_TRUE(built->Save(env.get(), "/s/a.pidx").ok());
  EXPECT_EQ(DecodeFixed32(env->ReadFileToString("/s/a.pidx")->data() + 8), 3u);
  auto loaded = SegmentPayloadIndex::Load(env.get(), "/s/a.pidx", 4);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (const auto& idx : {built, *loaded}) {
    using W = std::vector<std::string>;
    std::vector<uint32_t> rows;
    ASSERT_TRUE(idx->RowsText("body", W{"fox", "quick"}, &rows));
    EXPECT_EQ(rows, (std::vector<uint32_t>{0, 1}));  // row 1: over 2 strings
    rows.clear();
    ASSERT_TRUE(idx->RowsText("body", W{"quick"}, &rows));
    EXPECT_EQ(rows, (std::vector<uint32_t>{0, 1, 2}));  // row 2 once
    rows.clear();
    ASSERT_TRUE(idx->RowsText("body", W{"écoute"}, &rows));
    EXPECT_EQ(rows, (std::vector<uint32_t>{2}));
    rows.clear();
    ASSERT_TRUE(idx->RowsText("body", W{"fox", "wolf"}, &rows));
    EXPECT_TRUE(rows.empty());
    EXPECT_EQ(idx->CountText("body", W{"fox", "jumps"}), 1u);  // shortest
    EXPECT_EQ(idx->CountText("body", W{"fox", "wolf"}), 0u);
    EXPECT_FALSE(idx->CountText("k", W{"a"}));  // a keyword index
    EXPECT_FALSE(idx->RowsText("k", W{"a"}, &rows));
    EXPECT_FALSE(idx->CountEq("body", filter::Value::String("quick")));
    EXPECT_EQ(idx->CountEq("k", filter::Value::String("b")), 1u);
  }
  auto reseal = [](std::string* f) {
    const size_t body = f->size() - 4;
    EncodeFixed32(f->data() + body,
                  crc32c::Mask(crc32c::Value(f->data(), body)));
  };
  // Row lengths must equal the sum of the row's word counts: the last u32
  // before the checksum is row 3's length (0: it holds a number).
  {
    auto only =
        SegmentPayloadIndex::Build(*seg, {{"body", PayloadIndexType::kText}});
    ASSERT_TRUE(only->Save(env.get(), "/s/body.pidx").ok());
    std::string f = env->ReadFileToString("/s/body.pidx").value();
    ASSERT_EQ(DecodeFixed32(f.data() + f.size() - 8), 0u);
    ASSERT_EQ(DecodeFixed32(f.data() + f.size() - 12), 5u);  // row 2's words
    EncodeFixed32(f.data() + f.size() - 8, 1);
    reseal(&f);
    ASSERT_TRUE(env->WriteFileAtomically("/s/len.pidx", f).ok());
    EXPECT_TRUE(SegmentPayloadIndex::Load(env.get(), "/s/len.pidx", 4)
                    .status()
                    .IsCorruption());
  }
  // A text field needs version 3: the same bytes marked 2 are damage.
  for (uint32_t version : {1u, 2u, 4u}) {
    std::string f = env->ReadFileToString("/s/a.pidx").value();
    EncodeFixed32(f.data() + 8, version);
    reseal(&f);
    ASSERT_TRUE(env->WriteFileAtomically("/s/bad.pidx", f).ok());
    EXPECT_TRUE(SegmentPayloadIndex::Load(env.get(), "/s/bad.pidx", 4)
                    .status()
                    .IsCorruption())
        << version;
  }
  // Without a text field the file keeps the lowest version that holds it.
  auto keyword =
      SegmentPayloadIndex::Build(*seg, {{"k", PayloadIndexType::kKeyword}});
  ASSERT_TRUE(keyword->Save(env.get(), "/s/k.pidx").ok());
  EXPECT_EQ(DecodeFixed32(env->ReadFileToString("/s/k.pidx")->data() + 8), 1u);
  std::string f = env->ReadFileToString("/s/k.pidx").value();
  EncodeFixed32(f.data() + 8, 3);
  reseal(&f);
  ASSERT_TRUE(env->WriteFileAtomically("/s/k3.pidx", f).ok());
  EXPECT_TRUE(SegmentPayloadIndex::Load(env.get(), "/s/k3.pidx", 4)
                  .status()
                  .IsCorruption());
}

}  // namespace
}  // namespace proximadb
