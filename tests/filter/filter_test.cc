// The filter language, operator by operator (docs/FILTERS.md). Every case is
// checked through both evaluators: Matches (DOM) and MatchesText (streamed).
#include "filter/filter.h"

#include <gtest/gtest.h>

#include <string>
#include "json_literal.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

struct Case {
  json filter, metadata;
  bool match;
};

void ExpectCases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    auto f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter << ": " << f.status().ToString();
    EXPECT_EQ(f->Matches(c.metadata), c.match)
        << c.filter << " vs " << c.metadata;
    EXPECT_EQ(f->MatchesText(c.metadata.dump()), c.match)
        << "text: " << c.filter << " vs " << c.metadata;
  }
}

using proximadb::json_literal::J;

TEST(FilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Filter::Parse(json()).value().empty());
  EXPECT_TRUE(Filter::Parse(json::object()).value().empty());
  EXPECT_TRUE(Filter::Parse(json()).value().Matches(json::object()));
  EXPECT_TRUE(Filter::Parse(json::object()).value().Matches({{"a", 1}}));
  EXPECT_TRUE(Filter().MatchesText("not json"));
  // A nested empty filter is "true", but the filter as a whole is not empty.
  auto f = Filter::Parse(J(R"({"$and": [{}]})"));
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->empty());
  EXPECT_TRUE(f->MatchesText("{}"));
}

// The seed's equality map: its semantics must not change.
TEST(FilterTest, EqualityTable) {
  ExpectCases({
      {{{"user", "alice"}}, {{"user", "alice"}}, true},
      {{{"user", "alice"}}, {{"user", "bob"}}, false},
      {{{"user", "alice"}}, json::object(), false},
      {{{"user", "alice"}}, {{"user", "alice"}, {"x", 1}}, true},
      {{{"user", "alice"}, {"x", 1}}, {{"user", "alice"}, {"x", 2}}, false},
      {{{"x", 1}}, {{"x", 1.0}}, true},   // numbers as numbers
      {{{"x", 1}}, {{"x", "1"}}, false},  // type mismatch: no match
      {{{"x", true}}, {{"x", 1}}, false},
      {{{"x", nullptr}}, {{"x", nullptr}}, true},
      {{{"x", nullptr}}, json::object(), false},  // null is not "missing"
      {{{"t", "a"}}, {{"t", {"b", "a"}}}, true},  // any array element
      {{{"t", "c"}}, {{"t", {"b", "a"}}}, false},
  });
}

TEST(FilterTest, ComparisonTable) {
  const json m = J(R"({"n": 5, "f": 2.5, "s": "banana", "b": true,
                       "z": null, "arr": [1, 10], "obj": {"k": 1}})");
  ExpectCases({
      {J(R"({"n": {"$eq": 5}})"), m, true},
      {J(R"({"n": {"$eq": 5.0}})"), m, true},
      {J(R"({"n": {"$ne": 5}})"), m, false},
      {J(R"({"n": {"$ne": 6}})"), m, true},
      {J(R"({"n": {"$ne": "5"}})"), m, true},  // "5" is not equal to 5
      {J(R"({"n": {"$gt": 4}})"), m, true},
      {J(R"({"n": {"$gt": 5}})"), m, false},
      {J(R"({"n": {"$gte": 5}})"), m, true},
      {J(R"({"n": {"$lt": 5.5}})"), m, true},
      {J(R"({"n": {"$lte": 4.99}})"), m, false},
      {J(R"({"f": {"$gt": 2, "$lt": 3}})"), m, true},  // ops are ANDed
      {J(R"({"f": {"$gt": 2, "$lt": 2.5}})"), m, false},
      {J(R"({"s": {"$gt": "apple"}})"), m, true},  // strings bytewise
      {J(R"({"s": {"$lt": "Banana"}})"), m, false},
      {J(R"({"s": {"$gte": "banana", "$lte": "banana"}})"), m, true},
      // A type mismatch matches nothing, in either direction.
      {J(R"({"s": {"$gt": 1}})"), m, false},
      {J(R"({"s": {"$lt": 1}})"), m, false},
      {J(R"({"n": {"$gt": "1"}})"), m, false},
      {J(R"({"b": {"$gt": 0}})"), m, false},
      {J(R"({"z": {"$lt": 1}})"), m, false},
      {J(R"({"obj": {"$gt": 0}})"), m, false},
      {J(R"({"missing": {"$gt": 0}})"), m, false},
      // Arrays: any element satisfies the operator...
      {J(R"({"arr": {"$gt": 5}})"), m, true},
      {J(R"({"arr": {"$lt": 0}})"), m, false},
      // Each operator may be satisfied by a different element (10 > 1,
      // 1 < 10), as in MongoDB: there is no $elemMatch.
      {J(R"({"arr": {"$gt": 1, "$lt": 10}})"), m, true},
      {J(R"({"arr": {"$gt": 10, "$lt": 10}})"), m, false},
      {J(R"({"arr": {"$eq": 10}})"), m, true},
      // ...and $ne matches only when no element is equal.
      {J(R"({"arr": {"$ne": 10}})"), m, false},
      {J(R"({"arr": {"$ne": 2}})"), m, true},
      // Missing fields: $ne and $nin match (as in MongoDB), the rest do not.
      {J(R"({"missing": {"$ne": 1}})"), m, true},
      {J(R"({"missing": {"$eq": null}})"), m, false},
      {J(R"({"z": {"$eq": null}})"), m, true},
      {J(R"({"z": {"$ne": null}})"), m, false},
      {J(R"({"b": {"$eq": true}})"), m, true},
      {J(R"({"b": {"$ne": 1}})"), m, true},  // bool is not a number
  });
}

TEST(FilterTest, SetAndExistsTable) {
  const json m = J(R"({"tag": "red", "tags": ["a", "b"], "n": 3, "z": null,
                       "e": [], "o": {}})");
  ExpectCases({
      {J(R"({"tag": {"$in": ["blue", "red"]}})"), m, true},
      {J(R"({"tag": {"$in": ["blue"]}})"), m, false},
      {J(R"({"tag": {"$in": []}})"), m, false},
      {J(R"({"tag": {"$nin": []}})"), m, true},
      {J(R"({"tag": {"$nin": ["red"]}})"), m, false},
      {J(R"({"tag": {"$nin": ["blue"]}})"), m, true},
      {J(R"({"tags": {"$in": ["x", "b"]}})"), m, true},
      {J(R"({"tags": {"$nin": ["x", "b"]}})"), m, false},
      {J(R"({"tags": {"$nin": ["x", "y"]}})"), m, true},
      {J(R"({"n": {"$in": [1, 3.0]}})"), m, true},
      {J(R"({"n": {"$in": ["3", true]}})"), m, false},
      {J(R"({"z": {"$in": [null]}})"), m, true},
      {J(R"({"missing": {"$in": [null]}})"), m, false},
      {J(R"({"missing": {"$nin": [1]}})"), m, true},
      {J(R"({"tag": {"$exists": true}})"), m, true},
      {J(R"({"z": {"$exists": true}})"), m, true},  // null exists
      {J(R"({"e": {"$exists": true}})"), m, true},  // so does []
      {J(R"({"o": {"$exists": true}})"), m, true},
      {J(R"({"missing": {"$exists": true}})"), m, false},
      {J(R"({"missing": {"$exists": false}})"), m, true},
      {J(R"({"tag": {"$exists": false}})"), m, false},
      {J(R"({"e": {"$eq": 1}})"), m, false},
      {J(R"({"e": {"$ne": 1}})"), m, true},
  });
}

TEST(FilterTest, LogicalTable) {
  const json m = J(R"({"a": 1, "b": "x", "c": true})");
  ExpectCases({
      {J(R"({"$and": [{"a": 1}, {"b": "x"}]})"), m, true},
      {J(R"({"$and": [{"a": 1}, {"b": "y"}]})"), m, false},
      {J(R"({"$or": [{"a": 2}, {"b": "x"}]})"), m, true},
      {J(R"({"$or": [{"a": 2}, {"b": "y"}]})"), m, false},
      {J(R"({"$not": {"a": 1}})"), m, false},
      {J(R"({"$not": {"a": 2}})"), m, true},
      {J(R"({"$not": {"missing": 1}})"), m, true},
      {J(R"({"$not": {}})"), m, false},  // not(true)
      {J(R"({"$not": {"$not": {"a": 1}}})"), m, true},
      // Mixing field keys and logical keys at one level: all are ANDed.
      {J(R"({"a": 1, "$or": [{"b": "y"}, {"c": true}]})"), m, true},
      {J(R"({"a": 2, "$or": [{"b": "y"}, {"c": true}]})"), m, false},
      {J(R"({"a": 1, "$not": {"c": true}})"), m, false},
      {J(R"({"$and": [{"$or": [{"a": 5}, {"$and": [{"b": "x"},
           {"c": {"$ne": false}}]}]}, {"$not": {"a": {"$gt": 1}}}]})"),
       m, true},
      // Equivalences the semantics promise.
      {J(R"({"$not": {"a": {"$eq": 1}}})"), m, false},
      {J(R"({"a": {"$ne": 1}})"), m, false},
  });
}

TEST(FilterTest, DottedPathTable) {
  const json m = J(R"({
    "a": {"b": 1, "c": {"d": "deep"}},
    "list": [{"x": 1}, {"x": 2, "y": [5, 6]}, 7, [{"x": 3}]],
    "dotted.key": 1
  })");
  ExpectCases({
      {J(R"({"a.b": 1})"), m, true},
      {J(R"({"a.c.d": "deep"})"), m, true},
      {J(R"({"a.c.d": {"$gte": "d"}})"), m, true},
      {J(R"({"a.b.c": {"$exists": true}})"), m, false},  // through a scalar
      {J(R"({"a.c": {"$exists": true}})"), m, true},
      {J(R"({"a": {"$eq": 1}})"), m, false},  // an object equals no scalar
      // Arrays along the path: any element (object) may continue it.
      {J(R"({"list.x": 2})"), m, true},
      {J(R"({"list.x": {"$gt": 1}})"), m, true},
      {J(R"({"list.x": {"$ne": 2}})"), m, false},
      {J(R"({"list.y": 6})"), m, true},
      {J(R"({"list.y": {"$exists": true}})"), m, true},
      {J(R"({"list.z": {"$exists": true}})"), m, false},
      {J(R"({"list": 7})"), m, true},
      // Nested arrays are not flattened: [{"x": 3}] inside "list" is not
      // searched, as in MongoDB.
      {J(R"({"list.x": 3})"), m, false},
      // A dot always means nesting: a key that contains a dot cannot be
      // addressed (see docs/FILTERS.md).
      {J(R"({"dotted.key": 1})"), m, false},
  });
}

TEST(FilterTest, NumbersCompareExactly) {
  const json m = J(R"({"big": 9007199254740993, "u": 18446744073709551615,
                       "neg": -1})");
  ExpectCases({
      {J(R"({"big": 9007199254740993})"), m, true},
      {J(R"({"big": 9007199254740992})"), m, false},  // equal as doubles
      {J(R"({"u": 18446744073709551615})"), m, true},
      {J(R"({"u": {"$gt": 9223372036854775807}})"), m, true},
      {J(R"({"neg": {"$lt": 18446744073709551615}})"), m, true},
      {J(R"({"neg": {"$gt": -1.5}})"), m, true},
  });
}

TEST(FilterTest, MetadataThatIsNotAnObjectHasNoFields) {
  auto pos = Filter::Parse(J(R"({"a": 1})")).value();
  auto neg = Filter::Parse(J(R"({"$not": {"a": 1}})")).value();
  auto path = Filter::Parse(J(R"({"a": {"$exists": true}})")).value();
  for (const json& m : {json(nullptr), json(1), J(R"([{"a": 1}])")}) {
    EXPECT_FALSE(pos.Matches(m)) << m;
    EXPECT_TRUE(neg.Matches(m)) << m;
    EXPECT_FALSE(path.Matches(m)) << m;
    EXPECT_FALSE(pos.MatchesText(m.dump())) << m;
    EXPECT_TRUE(neg.MatchesText(m.dump())) << m;
    EXPECT_FALSE(path.MatchesText(m.dump())) << m;
  }
}

TEST(FilterTest, UnparsableTextMatchesNothing) {
  auto neg = Filter::Parse(J(R"({"$not": {"a": 1}})")).value();
  for (const char* text : {"", "not json", "{\"a\": 1", "{} {}", "{\"a\":}"}) {
    EXPECT_FALSE(neg.MatchesText(text)) << text;
  }
  EXPECT_TRUE(neg.MatchesText("{\"b\":[1,{\"c\":[]}],\"a\":2}"));
}

TEST(FilterTest, StringEscapesInText) {
  auto f = Filter::Parse(J(R"({"k\"ey": "a\u00e9\n"})")).value();
  EXPECT_TRUE(f.MatchesText(R"({"k\"ey":"a\u00e9\n"})"));
  EXPECT_TRUE(f.MatchesText("{\"k\\\"ey\":\"a\xc3\xa9\\n\"}"));
  EXPECT_FALSE(f.MatchesText(R"({"k\"ey":"a\u00e9"})"));
}

// Past the text reader's depth limit the evaluation falls back to a parser
// without one; the answer must not change.
TEST(FilterTest, DeeplyNestedMetadata) {
  for (size_t depth : {10, 255, 256, 257, 5000}) {
    // Built as text: nlohmann's dump() and copies recurse per level.
    const std::string text = R"({"a":1,"deep":)" + std::string(depth, '[') +
                             "1" + std::string(depth, ']') + R"(,"z":"last"})";
    EXPECT_TRUE(Filter::Parse(J(R"({"a": 1, "z": "last"})"))->MatchesText(text))
        << depth;
    EXPECT_TRUE(
        Filter::Parse(J(R"({"deep": {"$exists": true}})"))->MatchesText(text));
    EXPECT_FALSE(Filter::Parse(J(R"({"deep": 1})"))->MatchesText(text));
    EXPECT_FALSE(Filter::Parse(J(R"({"a": 1})"))->MatchesText(text + "]"));
  }
}

TEST(FilterTest, CopiesShareOneCompiledFilter) {
  Filter a = Filter::Parse(J(R"({"a": {"$in": [1, 2]}})")).value();
  Filter b = a;
  EXPECT_TRUE(b.MatchesText(R"({"a":2})"));
  EXPECT_FALSE(a.MatchesText(R"({"a":3})"));
}

}  // namespace
}  // namespace proximadb::filter
