// The payload-index bounds' promise, checked on thousands of random filters
// over random documents: the estimate is never below the number of matching
// documents and the candidate rows always include every matching document. The
// index here is a deliberately naive one built in the test (every value a path
// reaches, looked up by scanning), so a wrong answer comes from the bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "filter/filter.h"
#include "filter/index_plan.h"
#include "filter/text.h"
#include "filter/value.h"
#include "util/time_format.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

// Indexes "k" (strings), "n" and "a.b" (numbers), "t" (booleans), "d"
// (RFC 3339 instants, as a datetime index), "g" (geo points) and "x" (the
// words of strings, as a text index).
class NaiveIndex : public RowIndex {
 public:
  explicit NaiveIndex(const std::vector<json>& docs) {
    for (uint32_t r = 0; r < docs.size(); ++r) {
      ForEachScalarAtPath(docs[r], {"d"}, [&](const Value& v) {
        int64_t t;
        if (v.type == Value::Type::kString && ParseRfc3339Instant(v.s, &t)) {
          times_.push_back({t, r});
        }
      });
      ForEachGeoPointAtPath(docs[r], {"g"}, [&](const GeoPoint& p) {
        points_.push_back({p, r});
      });
      ForEachScalarAtPath(docs[r], {"x"}, [&](const Value& v) {
        if (v.type != Value::Type::kString) return;
        for (const auto& w : Words(v.s)) words_.push_back({w, r});
      });
    }
    for (const char* f : {"k", "n", "a.b", "t"}) {
      auto& vals = values_[f];
      for (uint32_t r = 0; r < docs.size(); ++r) {
        ForEachScalarAtPath(docs[r], SplitPath(f), [&](const Value& v) {
          if (v.type == Value::Type::kString) {
            vals.push_back({json(std::string(v.s)), r});
          } else if (v.type == Value::Type::kBool) {
            vals.push_back({json(v.b), r});
          } else if (v.is_number()) {
            vals.push_back({json(Num(v)), r});
          }
        });
      }
    }
  }
  static double Num(const Value& v) {
    return v.type == Value::Type::kInt    ? double(v.i)
           : v.type == Value::Type::kUint ? double(v.u)
                                          : v.d;
  }
  bool Answers(std::string_view field, const Value& v) const {
    if (field == "k") return v.type == Value::Type::kString;
    if (field == "t") return v.type == Value::Type::kBool;
    if (field == "n" || field == "a.b") return v.is_number();
    return false;
  }
  std::optional<uint64_t> CountEq(std::string_view field,
                                  const Value& v) const override {
    std::vector<uint32_t> rows;
    if (!RowsEq(field, v, &rows)) return std::nullopt;
    return rows.size();
  }
  bool RowsEq(std::string_view field, const Value& v,
              std::vector<uint32_t>* out) const override {
    int64_t t;
    if (field == "d" && v.type == Value::Type::kString &&
        ParseRfc3339Instant(v.s, &t)) {
      return RowsTimeRange(field, {true, t}, {true, t}, out);
    }
    if (!Answers(field, v)) return false;
    for (const auto& [val, row] : values_.at(std::string(field))) {
      if (v.is_number() ? val.is_number() && val.get<double>() == Num(v)
                        : val == (v.type == Value::Type::kBool
                                      ? json(v.b)
                                      : json(std::string(v.s)))) {
        out->push_back(row);
      }
    }
    return true;
  }
  std::optional<uint64_t> CountRange(std::string_view field, NumBound lo,
                                     NumBound hi) const override {
    std::vector<uint32_t> rows;
    if (!RowsRange(field, lo, hi, &rows)) return std::nullopt;
    return rows.size();
  }
  bool RowsRange(std::string_view field, NumBound lo, NumBound hi,
                 std::vector<uint32_t>* out) const override {
    if (field != "n" && field != "a.b") return false;
    for (const auto& [val, row] : values_.at(std::string(field))) {
      if (!val.is_number()) continue;
      const double d = val.get<double>();
      if ((!lo.set || d >= lo.value) && (!hi.set || d <= hi.value)) {
        out->push_back(row);
      }
    }
    return true;
  }
  std::optional<uint64_t> CountTimeRange(std::string_view field, TimeBound lo,
                                         TimeBound hi) const override {
    std::vector<uint32_t> rows;
    if (!RowsTimeRange(field, lo, hi, &rows)) return std::nullopt;
    return rows.size();
  }
  bool RowsTimeRange(std::string_view field, TimeBound lo, TimeBound hi,
                     std::vector<uint32_t>* out) const override {
    if (field != "d") return false;
    for (const auto& [t, row] : times_) {
      if ((!lo.set || t >= lo.value) && (!hi.set || t <= hi.value)) {
        out->push_back(row);
      }
    }
    return true;
  }
  std::optional<uint64_t> CountGeo(std::string_view field,
                                   const GeoShape& shape) const override {
    std::vector<uint32_t> rows;
    if (!RowsGeo(field, shape, &rows)) return std::nullopt;
    return rows.size();
  }
  bool RowsGeo(std::string_view field, const GeoShape& shape,
               std::vector<uint32_t>* out) const override {
    if (field != "g") return false;
    for (const auto& [p, row] : points_) {
      if (GeoContains(shape, p)) out->push_back(row);
    }
    return true;
  }

  std::optional<uint64_t> CountText(
      std::string_view field,
      const std::vector<std::string>& words) const override {
    std::vector<uint32_t> rows;
    if (!RowsText(field, words, &rows)) return std::nullopt;
    return rows.size();
  }
  // Rows holding every word somewhere under "x" (a superset of "one string
  // holds them all").
  bool RowsText(std::string_view field, const std::vector<std::string>& words,
                std::vector<uint32_t>* out) const override {
    if (field != "x") return false;
    std::map<uint32_t, std::set<std::string>> by_row;
    for (const auto& [w, r] : words_) by_row[r].insert(w);
    for (const auto& [r, have] : by_row) {
      if (std::all_of(words.begin(), words.end(),
                      [&](const std::string& w) { return have.count(w); })) {
        out->push_back(r);
      }
    }
    return true;
  }

 private:
  std::vector<std::pair<std::string, uint32_t>> words_;
  std::map<std::string, std::vector<std::pair<json, uint32_t>>> values_;
  std::vector<std::pair<int64_t, uint32_t>> times_;
  std::vector<std::pair<GeoPoint, uint32_t>> points_;
};

json RandomScalar(std::mt19937& rng) {
  switch (rng() % 6) {
    case 0:
      return "s" + std::to_string(rng() % 5);
    case 1:
      return static_cast<int>(rng() % 10) - 3;
    case 2:
      return (rng() % 20) / 4.0;
    case 3:
      return rng() % 2 == 0;
    case 4:
      return nullptr;
    default:
      return static_cast<int64_t>((1LL << 53) + rng() % 4);  // beyond 2^53
  }
}

json RandomTime(std::mt19937& rng) {
  static const char* kTimes[] = {"2026-01-01T00:00:00Z",
                                 "2026-01-01T01:00:00+01:00",
                                 "2026-01-01T00:00:00.5Z",
                                 "2025-12-31T23:59:59Z",
                                 "2026-01-02T00:00:00-05:00",
                                 "not a time",
                                 "2026-01-01"};
  return kTimes[rng() % 7];
}

json RandomPoint(std::mt19937& rng) {
  if (rng() % 8 == 0) return json{{"lat", "x"}, {"lon", 1}};
  return json{
      {"lat", static_cast<int>(rng() % 21) - 10},
      {"lon", static_cast<int>(rng() % 21) - 10 + (rng() % 4 == 0 ? 175 : 0)}};
}

json RandomDoc(std::mt19937& rng) {
  json d = json::object();
  for (const char* f : {"k", "n", "t", "u"}) {
    switch (rng() % 4) {
      case 0:
        break;
      case 1:
        d[f] = json::array({RandomScalar(rng), RandomScalar(rng)});
        break;
      default:
        d[f] = RandomScalar(rng);
    }
  }
  switch (rng() % 4) {
    case 0:
      break;
    case 1:
      d["d"] = json::array({RandomTime(rng), RandomTime(rng)});
      break;
    default:
      d["d"] = RandomTime(rng);
  }
  switch (rng() % 4) {
    case 0:
      break;
    case 1:
      d["g"] = json::array({RandomPoint(rng), RandomPoint(rng)});
      break;
    default:
      d["g"] = RandomPoint(rng);
  }
  static const char* kTexts[] = {"red fox", "Red, green", "fox-red green",
                                 "blue", "FOX"};
  switch (rng() % 4) {
    case 0:
      break;
    case 1:
      d["x"] = json::array({kTexts[rng() % 5], kTexts[rng() % 5]});
      break;
    default:
      d["x"] = kTexts[rng() % 5];
  }
  if (rng() % 2) {
    d["a"] = rng() % 3 == 0 ? json::array({{{"b", RandomScalar(rng)}},
                                           {{"b", RandomScalar(rng)}}})
                            : json{{"b", RandomScalar(rng)}};
  }
  return d;
}

json RandomFilter(std::mt19937& rng, int depth) {
  static const char* kFields[] = {"k", "n", "t", "u", "a.b"};
  static const char* kOps[] = {"$eq",  "$ne", "$gt",  "$gte",   "$lt",
                               "$lte", "$in", "$nin", "$exists"};
  if (depth < 3 && rng() % 3 == 0) {
    const char* logic[] = {"$and", "$or", "$not"};
    const char* op = logic[rng() % 3];
    if (std::string(op) == "$not") return {{op, RandomFilter(rng, depth + 1)}};
    return {{op, {RandomFilter(rng, depth + 1), RandomFilter(rng, depth + 1)}}};
  }
  if (rng() % 6 == 0) {  // full-text conditions, on the index or not
    static const char* kQueries[] = {"fox", "red FOX", "green", "purple",
                                     "fox fox blue"};
    return {{rng() % 4 == 0 ? "k" : "x", {{"$text", kQueries[rng() % 5]}}}};
  }
  if (rng() % 4 == 0) {  // datetime and geo conditions
    switch (rng() % 4) {
      case 0:
        return {{"d", {{kOps[2 + rng() % 4], RandomTime(rng)}}}};
      case 1:
        return {{"d", {{"$eq", RandomTime(rng)}}}};
      case 2:
        return {{"g",
                 {{"$geo_radius",
                   {{"lat", static_cast<int>(rng() % 21) - 10},
                    {"lon", static_cast<int>(rng() % 361) - 180},
                    {"meters", static_cast<double>(rng() % 1500) * 1000}}}}}};
      default: {
        const int top = static_cast<int>(rng() % 21) - 10;
        const int left = static_cast<int>(rng() % 361) - 180;
        return {{"g",
                 {{"$geo_box",
                   {{"top_left", {{"lat", top}, {"lon", left}}},
                    {"bottom_right",
                     {{"lat", top - static_cast<int>(rng() % 10)},
                      {"lon", static_cast<int>(rng() % 361) - 180}}}}}}}};
      }
    }
  }
  const std::string field = kFields[rng() % 5];
  const std::string op = kOps[rng() % 9];
  json operand;
  if (op == "$in" || op == "$nin") {
    operand = json::array({RandomScalar(rng), RandomScalar(rng)});
  } else if (op == "$exists") {
    operand = rng() % 2 == 0;
  } else {
    operand = RandomScalar(rng);
    if (op != "$eq" && op != "$ne" && !operand.is_number() &&
        !operand.is_string()) {
      operand = 1;
    }
  }
  return {{field, {{op, operand}}}};
}

TEST(IndexPlanTest, EstimateAndCandidatesNeverMissAMatch) {
  std::mt19937 rng(7);
  int bounded = 0;
  for (int round = 0; round < 40; ++round) {
    std::vector<json> docs;
    for (int i = 0; i < 60; ++i) docs.push_back(RandomDoc(rng));
    NaiveIndex idx(docs);
    for (int i = 0; i < 100; ++i) {
      const json spec = RandomFilter(rng, 0);
      auto f = Filter::Parse(spec);
      ASSERT_TRUE(f.ok()) << spec.dump() << f.status().ToString();
      std::vector<uint32_t> matching;
      for (uint32_t r = 0; r < docs.size(); ++r) {
        if (f->Matches(docs[r])) matching.push_back(r);
      }
      const uint64_t est = EstimateMatches(*f, idx, docs.size());
      EXPECT_GE(est, matching.size()) << spec.dump();
      EXPECT_LE(est, docs.size());
      auto rows = CandidateRows(*f, idx);
      // The search planner relies on this: a bound means listable rows.
      auto bound = BoundMatches(*f, idx, docs.size());
      EXPECT_EQ(bound.has_value(), rows.has_value()) << spec.dump();
      if (!rows) continue;
      ++bounded;
      EXPECT_EQ(*bound, est) << spec.dump();
      EXPECT_TRUE(std::is_sorted(rows->begin(), rows->end()));
      EXPECT_TRUE(std::includes(rows->begin(), rows->end(), matching.begin(),
                                matching.end()))
          << spec.dump();
      EXPECT_LE(rows->size(), est) << spec.dump();
    }
  }
  EXPECT_GT(bounded, 500);  // the indexes really answered many filters
}

TEST(IndexPlanTest, ExactForSingleIndexedConditions) {
  std::vector<json> docs = {{{"k", "x"}, {"n", 1}},
                            {{"k", "y"}, {"n", 2}},
                            {{"k", json::array({"x", "z"})}, {"n", 3.5}},
                            {{"n", "3"}}};
  NaiveIndex idx(docs);
  auto est = [&](const json& spec) {
    return EstimateMatches(Filter::Parse(spec).value(), idx, docs.size());
  };
  EXPECT_EQ(est({{"k", "x"}}), 2u);
  EXPECT_EQ(est({{"k", {{"$in", {"y", "z"}}}}}), 2u);
  EXPECT_EQ(est({{"n", {{"$gt", 1}}}}), 2u);  // strict bound honoured
  EXPECT_EQ(est({{"n", {{"$lte", 2}}}}), 2u);
  EXPECT_EQ(est({{"n", {{"$lt", "9"}}}}), 4u);  // string range: unindexed
  EXPECT_EQ(est({{"k", {{"$ne", "x"}}}}), 4u);
  EXPECT_EQ(est({{"$or", {{{"k", "y"}}, {{"n", 3.5}}}}}), 2u);
  EXPECT_EQ(est({{"$or", {{{"k", "y"}}, {{"u", 1}}}}}), 4u);
  EXPECT_EQ(est({{"k", "x"}, {"n", {{"$gte", 3}}}}), 1u);  // min of 2 and 1
  EXPECT_EQ(
      *CandidateRows(
          Filter::Parse(json{{"k", "x"}, {"n", {{"$lt", 2}}}}).value(), idx),
      std::vector<uint32_t>{0});
  EXPECT_FALSE(CandidateRows(Filter::Parse(json{{"u", 1}}).value(), idx));
  EXPECT_FALSE(CandidateRows(Filter(), idx));
  EXPECT_EQ(BoundMatches(Filter::Parse(json{{"k", "x"}}).value(), idx, 1),
            1u);  // clamped to the rows
  EXPECT_FALSE(BoundMatches(Filter::Parse(json{{"u", 1}}).value(), idx, 4));
  EXPECT_FALSE(BoundMatches(Filter(), idx, 4));
}

TEST(IndexPlanTest, DatetimeAndGeoConditions) {
  std::vector<json> docs = {
      {{"d", "2026-01-01T00:00:00Z"},
       {"g", {{"lat", 48.8566}, {"lon", 2.3522}}}},
      {{"d", "2026-01-01T01:00:00+01:00"},  // the same instant
       {"g", {{"lat", 51.5074}, {"lon", -0.1278}}}},
      {{"d", json::array({"2026-03-01T00:00:00Z", "x"})},
       {"g", json::array({{{"lat", -33.8688}, {"lon", 151.2093}},
                          {{"lat", 0}, {"lon", 179.5}}})}},
      {{"d", "2025-06-01"}, {"g", {{"lat", 95}, {"lon", 0}}}}};
  NaiveIndex idx(docs);
  auto est = [&](const json& spec) {
    return EstimateMatches(Filter::Parse(spec).value(), idx, docs.size());
  };
  EXPECT_EQ(est({{"d", {{"$gte", "2026-01-01T00:00:00Z"}}}}), 3u);
  EXPECT_EQ(est({{"d", {{"$gt", "2026-01-01T00:00:00Z"}}}}), 1u);  // exact
  EXPECT_EQ(est({{"d", {{"$lt", "2026-01-01T00:00:00.000001Z"}}}}), 2u);
  // A string that is not a time compares bytewise: the index cannot answer.
  EXPECT_EQ(est({{"d", {{"$gte", "2026"}}}}), 4u);
  EXPECT_FALSE(CandidateRows(
      Filter::Parse(json{{"d", {{"$gte", "2026"}}}}).value(), idx));
  // $eq is string equality; the index answers with the same instant.
  EXPECT_EQ(est({{"d", "2026-01-01T00:00:00Z"}}), 2u);
  EXPECT_EQ(est({{"d", "2025-06-01"}}), 4u);
  const json paris_500km = {
      {"g",
       {{"$geo_radius",
         {{"lat", 48.8566}, {"lon", 2.3522}, {"meters", 500000}}}}}};
  EXPECT_EQ(est(paris_500km), 2u);  // Paris and London (~344 km)
  EXPECT_EQ(*CandidateRows(Filter::Parse(paris_500km).value(), idx),
            (std::vector<uint32_t>{0, 1}));
  const json across = {{"g",
                        {{"$geo_box",
                          {{"top_left", {{"lat", 10}, {"lon", 170}}},
                           {"bottom_right", {{"lat", -40}, {"lon", -170}}}}}}}};
  EXPECT_EQ(*CandidateRows(Filter::Parse(across).value(), idx),
            (std::vector<uint32_t>{2}));
  EXPECT_EQ(est({{"g",
                  {{"$geo_box",
                    {{"top_left", {{"lat", 60}, {"lon", -10}}},
                     {"bottom_right", {{"lat", 40}, {"lon", 10}}}}}}}}),
            2u);
}

TEST(IndexPlanTest, TextConditions) {
  std::vector<json> docs = {{{"x", "The red fox"}},
                            {{"x", json::array({"red", "fox"})}},
                            {{"x", "Red-green"}},
                            {{"x", 7}}};
  NaiveIndex idx(docs);
  auto rows = [&](const json& spec) {
    return *CandidateRows(Filter::Parse(spec).value(), idx);
  };
  // The index answers "the row holds every word"; the filter then checks
  // that one string does (row 1 splits them over two strings).
  EXPECT_EQ(rows({{"x", {{"$text", "FOX red"}}}}),
            (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(Filter::Parse(json{{"x", {{"$text", "FOX red"}}}})
                  .value()
                  .Matches(docs[0]));
  EXPECT_FALSE(Filter::Parse(json{{"x", {{"$text", "FOX red"}}}})
                   .value()
                   .Matches(docs[1]));
  EXPECT_EQ(rows({{"x", {{"$text", "red"}}}}),
            (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(rows({{"x", {{"$text", "purple red"}}}}), std::vector<uint32_t>{});
  EXPECT_EQ(
      EstimateMatches(Filter::Parse(json{{"x", {{"$text", "green"}}}}).value(),
                      idx, docs.size()),
      1u);
  // $text on an unindexed field, or under $not, bounds nothing.
  EXPECT_FALSE(CandidateRows(
      Filter::Parse(json{{"k", {{"$text", "red"}}}}).value(), idx));
  EXPECT_FALSE(CandidateRows(
      Filter::Parse(json{{"$not", {{"x", {{"$text", "red"}}}}}}).value(), idx));
}

}  // namespace
}  // namespace proximadb::filter
