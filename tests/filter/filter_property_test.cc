// Property test: thousands of random filters on random metadata, checked
// against the reference evaluator of filter_reference.h (written from
// docs/FILTERS.md alone, sharing no code with src/filter).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "filter/filter.h"
#include "filter/filter_reference.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

using reference::RefMatches;

// ---- random generators -----------------------------------------------------

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Coin(int percent) { return Int(1, 100) <= percent; }

  // Few distinct scalars, so that equality and ranges hit often; numbers mix
  // integers, unsigned, and doubles that equal integers.
  json Scalar() {
    switch (Int(0, 9)) {
      case 0:
        return nullptr;
      case 1:
        return Coin(50);
      case 2:
      case 3:
        return Int(-2, 3);
      case 4:
        return static_cast<uint64_t>(Int(0, 3));
      case 5:
        return Int(-4, 6) / 2.0;
      case 6:
        return Time();
      default: {
        static const char* kStrings[] = {
            "",        "a",    "ab",
            "b",       "B",    "\xc3\xa9",
            "a b",     "Ab-a", "b, \xc3\xa9t\xc3\xa9",
            "AB  b\tx"};
        return kStrings[Int(0, 9)];
      }
    }
  }

  // Few distinct instants written several ways, and near misses that are
  // not RFC 3339 (they compare bytewise, or not at all against a time).
  json Time() {
    static const char* kTimes[] = {"2026-01-01T00:00:00Z",
                                   "2026-01-01T01:00:00+01:00",
                                   "2025-12-31T19:00:00-05:00",
                                   "2026-01-01t00:00:00.5z",
                                   "2026-01-01T00:00:00.500000001Z",
                                   "2026-01-02T00:00:00Z",
                                   "1969-12-31T23:59:59Z",
                                   "2026-02-29T00:00:00Z",
                                   "2026-01-01",
                                   "2026-01-01T00:00:00"};
    return kTimes[Int(0, 9)];
  }

  // Geo points on a small grid (so shapes hit often), sometimes invalid.
  json Point() {
    if (Coin(10)) return {{"lat", "1"}, {"lon", 1}};
    if (Coin(5)) return {{"lat", 91}, {"lon", 0}};
    json p = {{"lat", Int(-3, 3) * 0.5}, {"lon", Int(-3, 3) * 0.5}};
    if (Coin(20)) p["lon"] = 179.5 + Int(0, 1) * 0.5 - Int(0, 1) * 359.5;
    if (Coin(10)) p["x"] = 1;
    return p;
  }

  std::string Key() {
    static const char* kKeys[] = {"a", "b", "c", "d"};
    return kKeys[Int(0, 3)];
  }

  json Doc(int depth) {
    json o = json::object();
    const int n = Int(0, 4);
    for (int i = 0; i < n; ++i) o[Key()] = Any(depth);
    return o;
  }

  json Any(int depth) {
    const int r = Int(0, 9);
    if (Coin(10)) return Point();
    if (depth <= 0 || r < 5) return Scalar();
    if (r < 8) {
      json a = json::array();
      const int n = Int(0, 3);
      for (int i = 0; i < n; ++i) a.push_back(Any(depth - 1));
      return a;
    }
    return Doc(depth - 1);
  }

  std::string Path() {
    std::string p = Key();
    const int extra = Int(0, 2);
    for (int i = 0; i < extra; ++i) p += "." + Key();
    return p;
  }

  json Operand(const std::string& op) {
    if (op == "$exists") return Coin(50);
    if (op == "$in" || op == "$nin") {
      json a = json::array();
      const int n = Int(0, 3);
      for (int i = 0; i < n; ++i) a.push_back(Scalar());
      return a;
    }
    if (op == "$eq" || op == "$ne") return Scalar();
    if (op == "$text") {
      static const char* kWords[] = {
          "a", "AB", "b a", "x", "\xc3\xa9t\xc3\xa9", "b.ab"};
      return kWords[Int(0, 5)];
    }
    if (op == "$geo_radius") {
      return {{"lat", Int(-3, 3) * 0.5},
              {"lon", Coin(80) ? Int(-3, 3) * 0.5 : 180.0},
              {"meters", Int(0, 4) * 50000.0}};
    }
    if (op == "$geo_box") {
      const double top = Int(-2, 3) * 0.5;
      return {{"top_left",
               {{"lat", top},
                {"lon", Coin(20) ? 179 + Int(0, 2) * 0.5 : Int(-3, 3) * 0.5}}},
              {"bottom_right",
               {{"lat", top - Int(0, 4) * 0.5}, {"lon", Int(-3, 3) * 0.5}}}};
    }
    if (Coin(20)) return Time();
    json s;  // ranges: a number or a string
    do s = Scalar();
    while (!s.is_number() && !s.is_string());
    return s;
  }

  json Condition() {
    if (Coin(30)) return Scalar();  // shorthand equality
    static const char* kOps[] = {"$eq",     "$ne",         "$gt",      "$gte",
                                 "$lt",     "$lte",        "$in",      "$nin",
                                 "$exists", "$geo_radius", "$geo_box", "$text"};
    json ops = json::object();
    const int n = Int(1, 2);
    for (int i = 0; i < n; ++i) {
      const std::string op = kOps[Int(0, 11)];
      ops[op] = Operand(op);
    }
    return ops;
  }

  json Filter(int depth) {
    json f = json::object();
    const int n = Int(1, 3);
    for (int i = 0; i < n; ++i) {
      const int r = Int(0, 9);
      if (depth <= 0 || r < 6) {
        f[Path()] = Condition();
      } else if (r < 8) {
        json kids = json::array();
        const int k = Int(1, 3);
        for (int j = 0; j < k; ++j) kids.push_back(Filter(depth - 1));
        f[r == 6 ? "$and" : "$or"] = kids;
      } else {
        f["$not"] = Filter(depth - 1);
      }
    }
    return f;
  }

 private:
  std::mt19937 rng_;
};

TEST(FilterPropertyTest, RandomFiltersAgreeWithReference) {
  Gen gen(20240605);
  std::vector<json> docs;
  for (int i = 0; i < 64; ++i) docs.push_back(gen.Doc(3));
  int matched = 0, total = 0;
  for (int i = 0; i < 5000; ++i) {
    const json spec = gen.Filter(4);
    auto f = Filter::Parse(spec);
    ASSERT_TRUE(f.ok()) << spec << ": " << f.status().ToString();
    for (int j = 0; j < 8; ++j) {
      const json& doc = docs[gen.Int(0, static_cast<int>(docs.size()) - 1)];
      const bool want = RefMatches(spec, doc);
      ASSERT_EQ(f->Matches(doc), want) << spec << "\non " << doc;
      ASSERT_EQ(f->MatchesText(doc.dump()), want)
          << "text: " << spec << "\non " << doc.dump();
      matched += want;
      ++total;
    }
  }
  // The generator must produce both outcomes often, or the test proves
  // little.
  EXPECT_GT(matched, total / 10);
  EXPECT_LT(matched, total * 9 / 10);
}

// The same property for single conditions on one field, where every
// operator meets every kind of value (deep trees rarely isolate one).
TEST(FilterPropertyTest, SingleConditionsAgreeWithReference) {
  Gen gen(7);
  for (int i = 0; i < 20000; ++i) {
    json doc = json::object();
    if (gen.Coin(85)) doc["a"] = gen.Any(2);
    json spec = {{gen.Coin(80) ? "a" : "a.b", gen.Condition()}};
    auto f = Filter::Parse(spec);
    ASSERT_TRUE(f.ok()) << spec;
    const bool want = RefMatches(spec, doc);
    ASSERT_EQ(f->Matches(doc), want) << spec << "\non " << doc;
    ASSERT_EQ(f->MatchesText(doc.dump()), want) << spec << "\non " << doc;
  }
}

// Datetime ranges and geo shapes alone, on documents where the field holds
// times, points, arrays of them or other values, so that both outcomes are
// frequent for each operator.
TEST(FilterPropertyTest, TimeAndGeoConditionsAgreeWithReference) {
  Gen gen(16);
  int matched = 0, total = 0;
  for (int i = 0; i < 20000; ++i) {
    json doc = json::object();
    switch (gen.Int(0, 4)) {
      case 0:
        doc["a"] = gen.Time();
        break;
      case 1:
        doc["a"] = gen.Point();
        break;
      case 2:
        doc["a"] = json::array({gen.Point(), gen.Time(), gen.Point()});
        break;
      case 3:
        doc["a"] = json::array({json{{"a", gen.Point()}}});
        break;
      default:
        doc["a"] = gen.Any(2);
    }
    static const char* kOps[] = {"$gt",  "$gte",        "$lt",
                                 "$lte", "$geo_radius", "$geo_box"};
    const std::string op = kOps[gen.Int(0, 5)];
    json operand = gen.Operand(op);
    if (op[1] != 'g' && gen.Coin(70)) operand = gen.Time();
    const json spec = {{gen.Coin(80) ? "a" : "a.a", {{op, operand}}}};
    auto f = Filter::Parse(spec);
    ASSERT_TRUE(f.ok()) << spec << f.status().ToString();
    const bool want = RefMatches(spec, doc);
    ASSERT_EQ(f->Matches(doc), want) << spec << "\non " << doc;
    ASSERT_EQ(f->MatchesText(doc.dump()), want) << spec << "\non " << doc;
    matched += want;
    ++total;
  }
  EXPECT_GT(matched, total / 20);
  EXPECT_LT(matched, total * 9 / 10);
}

}  // namespace
}  // namespace proximadb::filter
