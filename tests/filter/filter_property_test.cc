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
      default: {
        static const char* kStrings[] = {"", "a", "ab", "b", "B", "\xc3\xa9"};
        return kStrings[Int(0, 5)];
      }
    }
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
    json s;  // ranges: a number or a string
    do s = Scalar();
    while (!s.is_number() && !s.is_string());
    return s;
  }

  json Condition() {
    if (Coin(30)) return Scalar();  // shorthand equality
    static const char* kOps[] = {"$eq",  "$ne", "$gt",  "$gte",   "$lt",
                                 "$lte", "$in", "$nin", "$exists"};
    json ops = json::object();
    const int n = Int(1, 2);
    for (int i = 0; i < n; ++i) {
      const std::string op = kOps[Int(0, 8)];
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

}  // namespace
}  // namespace proximadb::filter
