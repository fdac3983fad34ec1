// Reads by a metadata field's value: scroll with order_by (paged with the
// (value, id) cursor) and facet counts, over memtable, frozen-free flushed
// segments, deletes and overwrites, with filters, before and after a
// restart, against a reference computed from the points written.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "collection/field_values.h"
#include "collection/test_util.h"
#include "proximadb/db.h"
#include "util/limits.h"

namespace proximadb {
namespace {

using nlohmann::json;
using testing::MakeConfig;
using testing::TempDir;

DBOptions FieldReadOptions() {
  DBOptions o;
  o.background_threads = false;
  return o;
}

// Metadata with every shape order_by and facet must handle: a number, an
// array of numbers, a string, nothing; a color, a tag list, a flag.
json FieldMetadata(std::mt19937& rng) {
  json m = json::object();
  switch (rng() % 6) {
    case 0:
      break;  // no price
    case 1:
      m["price"] = "cheap";  // not a number: not listed by order_by
      break;
    case 2:
      m["price"] = json::array({int(rng() % 20), int(rng() % 20) - 5});
      break;
    case 3:
      m["price"] = (rng() % 200) / 8.0;
      break;
    default:
      m["price"] = int(rng() % 20);  // many ties
  }
  static const char* kColors[] = {"red", "green", "blue", "black"};
  if (rng() % 5 != 0) m["color"] = kColors[rng() % 4];
  json tags = json::array();
  for (int i = 0; i < int(rng() % 3); ++i) tags.push_back(int(rng() % 4));
  tags.push_back(int(rng() % 4));  // duplicates count once
  m["tags"] = tags;
  m["flag"] = rng() % 2 == 0;
  m["group"] = int(rng() % 3);
  return m;
}

struct FieldModel {
  std::map<std::string, json> points;  // id -> metadata

  std::vector<std::string> Ordered(const std::string& key, bool desc,
                                   const std::optional<int>& group) const {
    std::vector<std::pair<double, std::string>> v;
    for (const auto& [id, m] : points) {
      if (group && m.value("group", -1) != *group) continue;
      std::optional<double> s = SortValue(m, {key}, desc);
      if (s) v.push_back({*s, id});
    }
    std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first)
        return desc ? a.first > b.first : a.first < b.first;
      return a.second < b.second;
    });
    std::vector<std::string> out;
    for (auto& e : v) out.push_back(e.second);
    return out;
  }

  std::map<json, uint64_t> Facet(const std::string& key,
                                 const std::optional<int>& group) const {
    std::map<json, uint64_t> counts;
    for (const auto& [id, m] : points) {
      if (group && m.value("group", -1) != *group) continue;
      if (!m.contains(key)) continue;
      std::set<json> seen;
      const json& v = m[key];
      if (v.is_array()) {
        for (const auto& e : v) seen.insert(e);
      } else {
        seen.insert(v);
      }
      for (const auto& e : seen) ++counts[e];
    }
    return counts;
  }
};

std::vector<std::string> OrderedIds(Collection& c, const std::string& key,
                                    bool desc, uint32_t limit,
                                    const std::optional<int>& group) {
  ScrollRequest req;
  req.limit = limit;
  req.order_by = ScrollOrder{key, desc};
  if (group) req.filter = {{"group", *group}};
  std::vector<std::string> got;
  for (int pages = 0; pages < 10000; ++pages) {
    auto page = c.Scroll(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (auto& p : page->points) got.push_back(p.id);
    if (page->next_after_id.empty()) {
      EXPECT_FALSE(page->next_after_value.has_value());
      break;
    }
    EXPECT_TRUE(page->next_after_value.has_value());
    req.after_id = page->next_after_id;
    req.after_value = page->next_after_value;
  }
  return got;
}

void ExpectFieldReadsMatch(Collection& c, const FieldModel& model) {
  for (bool desc : {false, true}) {
    for (uint32_t limit : {1u, 7u, 1000u}) {
      for (std::optional<int> group :
           {std::optional<int>(), std::optional<int>(1)}) {
        EXPECT_EQ(OrderedIds(c, "price", desc, limit, group),
                  model.Ordered("price", desc, group))
            << "desc " << desc << " limit " << limit;
      }
    }
  }
  for (const char* key : {"color", "tags", "flag"}) {
    for (std::optional<int> group :
         {std::optional<int>(), std::optional<int>(2)}) {
      FacetRequest req;
      req.key = key;
      req.limit = 0;
      if (group) req.filter = {{"group", *group}};
      auto r = c.Facet(req);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      std::map<json, uint64_t> got;
      for (const auto& v : r->values) got[v.value] = v.count;
      EXPECT_EQ(got, model.Facet(key, group)) << key;
      // Ranked: count descending.
      for (size_t i = 1; i < r->values.size(); ++i) {
        EXPECT_GE(r->values[i - 1].count, r->values[i].count);
      }
      req.limit = 2;
      auto top = c.Facet(req);
      ASSERT_TRUE(top.ok());
      ASSERT_EQ(top->values.size(), std::min<size_t>(2, r->values.size()));
      for (size_t i = 0; i < top->values.size(); ++i) {
        EXPECT_EQ(top->values[i], r->values[i]);
      }
    }
  }
}

TEST(FieldReadsTest, OrderByAndFacetMatchAReferenceAcrossSourcesAndRestart) {
  TempDir tmp;
  std::mt19937 rng(7);
  FieldModel model;
  {
    auto db = DB::Open(FieldReadOptions(), tmp.path()).value();
    auto c = db->CreateCollection(MakeConfig("f", 2)).value();
    int next = 0;
    for (int part = 0; part < 3; ++part) {
      std::vector<Point> batch;
      for (int i = 0; i < 120; ++i) {
        // Some ids overwrite earlier points (in segments) with new metadata.
        const int n = (part > 0 && i % 5 == 0) ? int(rng() % next) : next++;
        const std::string id = "p" + std::to_string(n);
        json m = FieldMetadata(rng);
        batch.push_back({id, {float(n), 1}, m});
        model.points[id] = m;
      }
      ASSERT_TRUE(c->Upsert(batch).ok());
      if (part < 2) {
        ASSERT_TRUE(c->Flush().ok());
      }
    }
    std::vector<std::string> gone;
    for (int i = 0; i < next; i += 9) gone.push_back("p" + std::to_string(i));
    ASSERT_TRUE(c->Delete(gone).ok());
    for (const auto& id : gone) model.points.erase(id);
    ExpectFieldReadsMatch(*c, model);
  }
  auto db = DB::Open(FieldReadOptions(), tmp.path()).value();
  auto c = db->GetCollection("f").value();
  ExpectFieldReadsMatch(*c, model);
  ASSERT_TRUE(c->Compact().ok());
  ExpectFieldReadsMatch(*c, model);
}

TEST(FieldReadsTest, OrderedScrollCursorStartsAtAValue) {
  TempDir tmp;
  auto db = DB::Open(FieldReadOptions(), tmp.path()).value();
  auto c = db->CreateCollection(MakeConfig("f", 2)).value();
  ASSERT_TRUE(c->Upsert({{"a", {1, 1}, {{"t", 3}}},
                         {"b", {1, 1}, {{"t", 1}}},
                         {"c", {1, 1}, {{"t", 2}}},
                         {"d", {1, 1}, {{"t", 2}}},
                         {"e", {1, 1}, {{"t", 2.5}}}})
                  .ok());
  ScrollRequest req;
  req.order_by = ScrollOrder{"t", false};
  req.after_value = 2;  // after_id empty: from value 2 on, inclusive
  auto page = c->Scroll(req).value();
  std::vector<std::string> ids;
  for (auto& p : page.points) ids.push_back(p.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"c", "d", "e", "a"}));
  EXPECT_TRUE(page.next_after_id.empty());
  req.order_by->descending = true;
  req.after_value = 2;
  req.after_id = "c";  // after (2, "c") going down: d, then below 2
  page = c->Scroll(req).value();
  ids.clear();
  for (auto& p : page.points) ids.push_back(p.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"d", "b"}));
}

TEST(FieldReadsTest, OrderByADatetimeFieldOrdersByInstant) {
  TempDir tmp;
  auto db = DB::Open(FieldReadOptions(), tmp.path()).value();
  auto c = db->CreateCollection(MakeConfig("f", 2)).value();
  // Bytewise, "2026-01-01T01:30:00+02:00" would sort after "...T00:00:00Z";
  // as instants it is 23:30 the day before.
  ASSERT_TRUE(c->Upsert({{"a", {1, 1}, {{"ts", "2026-01-01T00:00:00Z"}}},
                         {"b", {1, 1}, {{"ts", "2026-01-01T01:30:00+02:00"}}},
                         {"c", {1, 1}, {{"ts", "2025-12-31T23:59:59.5Z"}}},
                         {"d", {1, 1}, {{"ts", "not a time"}}},
                         {"e", {1, 1}, {{"ts", "1969-07-20T20:17:40Z"}}}})
                  .ok());
  ScrollRequest req;
  req.limit = 2;
  req.order_by = ScrollOrder{"ts", false};
  std::vector<std::string> ids;
  for (;;) {
    auto page = c->Scroll(req).value();
    for (auto& p : page.points) ids.push_back(p.id);
    if (page.next_after_id.empty()) break;
    req.after_id = page.next_after_id;
    req.after_value = page.next_after_value;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"e", "b", "c", "a"}));
}

TEST(FieldReadsTest, BadRequestsAreRefused) {
  TempDir tmp;
  auto db = DB::Open(FieldReadOptions(), tmp.path()).value();
  auto c = db->CreateCollection(MakeConfig("f", 2)).value();
  ScrollRequest s;
  s.after_value = 1;
  auto r = c->Scroll(s);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("after_value needs order_by"),
            std::string::npos);
  s = ScrollRequest{};
  s.order_by = ScrollOrder{"a..b", false};
  r = c->Scroll(s);
  EXPECT_NE(r.status().message().find("order_by.key"), std::string::npos)
      << r.status().ToString();
  s.order_by = ScrollOrder{"a", false};
  s.after_id = "x";
  r = c->Scroll(s);
  EXPECT_NE(r.status().message().find("needs after_value"), std::string::npos)
      << r.status().ToString();

  FacetRequest f;
  auto fr = c->Facet(f);
  EXPECT_EQ(fr.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fr.status().message().find("key"), std::string::npos);
  f.key = "$a";
  EXPECT_FALSE(c->Facet(f).ok());
  f.key = "a";
  f.limit = kMaxFacetLimit + 1;
  EXPECT_FALSE(c->Facet(f).ok());
  f.limit = 10;
  f.filter = {{"a", {{"$bogus", 1}}}};
  EXPECT_FALSE(c->Facet(f).ok());
}

TEST(FacetCountsTest, RanksByCountThenValueAndCapsDistinctValues) {
  FacetCounts counts;
  for (const char* doc :
       {R"({"k": "b"})", R"({"k": ["b", "b", "a"]})", R"({"k": -12})",
        R"({"k": 3.0})", R"({"k": -5})", R"({"k": true})", R"({"k": false})",
        R"({"k": 2.5})", R"({"k": null})", R"({"k": {"x": 1}})",
        R"({"k": [[1]]})", R"({"k": 18446744073709551615})"}) {
    ASSERT_TRUE(counts.AddPoint(doc, {"k"}).ok());
  }
  FacetResult r = counts.Top(0);
  std::vector<FacetValue> want = {{"b", 2},
                                  {false, 1},
                                  {true, 1},
                                  {-12, 1},
                                  {-5, 1},
                                  {3, 1},
                                  {18446744073709551615ull, 1},
                                  {"a", 1}};
  EXPECT_EQ(r.values, want);
  EXPECT_EQ(counts.Top(2).values.size(), 2u);
  EXPECT_FALSE(counts.Add(json::array(), 1).ok());

  FacetCounts many;
  Status st;
  for (size_t i = 0; i <= kMaxFacetDistinctValues && st.ok(); ++i) {
    st = many.Add(json(i), 1);
  }
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("distinct values"), std::string::npos);
}

}  // namespace
}  // namespace proximadb
