// Property test: thousands of random filters on random metadata, checked
// against a reference evaluator written here from docs/FILTERS.md alone. The
// reference is deliberately naive (it collects every value a path reaches
// into a vector and compares with nlohmann's own operators) so that it shares
// no code and no cleverness with src/filter.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "filter/filter.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

// ---- reference evaluator ---------------------------------------------------

std::vector<std::string> Split(const std::string& key) {
  std::vector<std::string> out(1);
  for (char c : key) {
    if (c == '.') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// Every value `path` reaches: arrays along the way stand for their object
// elements.
void Reach(const json& v, const std::vector<std::string>& path, size_t i,
           std::vector<json>* out) {
  if (i == path.size()) {
    out->push_back(v);
  } else if (v.is_object()) {
    if (v.contains(path[i])) Reach(v.at(path[i]), path, i + 1, out);
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object()) Reach(e, path, i, out);
    }
  }
}

bool RefEqual(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a == b;
  if (a.is_string() && b.is_string()) return a == b;
  if (a.is_boolean() && b.is_boolean()) return a == b;
  return a.is_null() && b.is_null();
}

// -1, 0, 1, or 2 when the two do not compare.
int RefOrder(const json& a, const json& b) {
  bool comparable =
      (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
  if (!comparable) return 2;
  if (a < b) return -1;
  if (b < a) return 1;
  return 0;
}

bool RefCondition(const std::string& op, const json& operand,
                  const std::vector<json>& reached) {
  if (op == "$exists") return !reached.empty() == operand.get<bool>();
  if (op == "$ne") return !RefCondition("$eq", operand, reached);
  if (op == "$nin") return !RefCondition("$in", operand, reached);
  std::vector<json> candidates;  // a reached array stands for its elements
  for (const auto& r : reached) {
    if (r.is_array()) {
      for (const auto& e : r) candidates.push_back(e);
    } else {
      candidates.push_back(r);
    }
  }
  for (const auto& c : candidates) {
    if (c.is_object() || c.is_array()) continue;
    if (op == "$eq" && RefEqual(c, operand)) return true;
    if (op == "$in") {
      for (const auto& o : operand) {
        if (RefEqual(c, o)) return true;
      }
    }
    const int ord = RefOrder(c, operand);
    if (ord == 2) continue;
    if ((op == "$gt" && ord > 0) || (op == "$gte" && ord >= 0) ||
        (op == "$lt" && ord < 0) || (op == "$lte" && ord <= 0)) {
      return true;
    }
  }
  return false;
}

bool RefMatches(const json& filter, const json& doc) {
  for (const auto& [key, value] : filter.items()) {
    bool ok = true;
    if (key == "$and") {
      for (const auto& f : value) ok = ok && RefMatches(f, doc);
    } else if (key == "$or") {
      ok = false;
      for (const auto& f : value) ok = ok || RefMatches(f, doc);
    } else if (key == "$not") {
      ok = !RefMatches(value, doc);
    } else {
      std::vector<json> reached;
      if (doc.is_object()) Reach(doc, Split(key), 0, &reached);
      if (!value.is_object()) {
        ok = RefCondition("$eq", value, reached);
      } else {
        for (const auto& [op, operand] : value.items()) {
          ok = ok && RefCondition(op, operand, reached);
        }
      }
    }
    if (!ok) return false;
  }
  return true;
}

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
