// Malformed filters and limits: each is InvalidArgument whose message names
// the problem and the place (docs/FILTERS.md, "Errors").
#include <gtest/gtest.h>

#include <string>

#include "filter/filter.h"
#include "json_literal.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

using proximadb::json_literal::J;

void ExpectError(const json& spec, const std::string& message) {
  auto f = Filter::Parse(spec);
  ASSERT_FALSE(f.ok()) << spec;
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << spec;
  EXPECT_EQ(f.status().message(), message) << spec;
}

TEST(FilterErrorsTest, MalformedTable) {
  struct Case {
    json spec;
    const char* message;
  } cases[] = {
      {json::array(), "filter: a filter must be a JSON object, got an array"},
      {json("x"), "filter: a filter must be a JSON object, got a string"},
      {json(1), "filter: a filter must be a JSON object, got a number"},
      {J(R"({"": 1})"), "filter: field names must not be empty"},
      {J(R"({"a..b": 1})"), "filter.a..b: empty segment in dotted path"},
      {J(R"({".a": 1})"), "filter..a: empty segment in dotted path"},
      {J(R"({"a.": 1})"), "filter.a.: empty segment in dotted path"},
      {J(R"({"a": [1, 2]})"),
       "filter.a: an array is not a value to compare with; use "
       "{\"$in\": [...]} to match any of several values"},
      {J(R"({"a": {}})"),
       "filter.a: empty operator object; expected e.g. {\"$eq\": 1}"},
      {J(R"({"a": {"b": 1}})"),
       "filter.a: 'b' is not an operator; to match a nested field use the "
       "dotted path \"a.b\""},
      {J(R"({"a": {"$gt": 1, "b": 1}})"),
       "filter.a: 'b' is not an operator; to match a nested field use the "
       "dotted path \"a.b\""},
      {J(R"({"$foo": 1})"),
       "filter.$foo: unknown operator; logical operators are $and, $or and "
       "$not, and field operators go inside a field: {\"field\": {\"$gt\": "
       "1}}"},
      {J(R"({"$gt": 1})"),
       "filter.$gt: unknown operator; logical operators are $and, $or and "
       "$not, and field operators go inside a field: {\"field\": {\"$gt\": "
       "1}}"},
      {J(R"({"a": {"$regex": "x"}})"),
       "filter.a: unknown operator $regex; field operators are $eq $ne $gt "
       "$gte $lt $lte $in $nin $exists $geo_radius $geo_box $text ($and $or "
       "$not "
       "go outside the field)"},
      {J(R"({"a": {"$not": {"$gt": 1}}})"),
       "filter.a: unknown operator $not; field operators are $eq $ne $gt "
       "$gte $lt $lte $in $nin $exists $geo_radius $geo_box $text ($and $or "
       "$not "
       "go outside the field)"},
      {J(R"({"$and": []})"),
       "filter.$and: $and needs a non-empty array of filters"},
      {J(R"({"loc": {"$geo_radius": [1, 2]}})"),
       "filter.loc: $geo_radius needs an object {\"lat\": .., \"lon\": .., "
       "\"meters\": ..}, got an array"},
      {J(R"({"loc": {"$geo_radius": {"lat": 1, "lon": 2}}})"),
       "filter.loc: $geo_radius needs a member 'meters'"},
      {J(R"({"loc": {"$geo_radius": {"lat": 1, "lon": 2, "meters": 3, "r": 1}}})"),
       "filter.loc: $geo_radius has an unknown member 'r'; expected lat, "
       "lon, meters"},
      {J(R"({"loc": {"$geo_radius": {"lat": 91, "lon": 2, "meters": 3}}})"),
       "filter.loc: $geo_radius.lat must be a number in [-90, 90], got 91"},
      {J(R"({"loc": {"$geo_radius": {"lat": 1, "lon": "2", "meters": 3}}})"),
       "filter.loc: $geo_radius.lon must be a number in [-180, 180], got a "
       "string"},
      {J(R"({"loc": {"$geo_radius": {"lat": 1, "lon": 2, "meters": -1}}})"),
       "filter.loc: $geo_radius.meters must be a non-negative number, got "
       "-1"},
      {J(R"({"loc": {"$geo_box": "x"}})"),
       "filter.loc: $geo_box needs an object {\"top_left\": {\"lat\": .., "
       "\"lon\": ..}, \"bottom_right\": {\"lat\": .., \"lon\": ..}}, got a "
       "string"},
      {J(R"({"loc": {"$geo_box": {"top_left": {"lat": 1, "lon": 2}}}})"),
       "filter.loc: $geo_box needs a member 'bottom_right'"},
      {J(R"({"loc": {"$geo_box": {"top_left": [1, 2], "bottom_right": {}}}})"),
       "filter.loc: $geo_box.top_left must be an object {\"lat\": .., "
       "\"lon\": ..}, got an array"},
      {J(R"({"loc": {"$geo_box": {"top_left": {"lat": 1, "lon": 2},
                                   "bottom_right": {"lat": 0, "lon": 181}}}})"),
       "filter.loc: $geo_box.bottom_right.lon must be a number in [-180, "
       "180], got 181"},
      {J(R"({"loc": {"$geo_box": {"top_left": {"lat": 1, "lon": 2},
                                   "bottom_right": {"lat": 5, "lon": 3}}}})"),
       "filter.loc: $geo_box.top_left.lat must not be below "
       "$geo_box.bottom_right.lat (a box with left > right crosses the "
       "antimeridian; north and south do not wrap)"},
      {J(R"({"$or": {"a": 1}})"),
       "filter.$or: $or needs a non-empty array of filters"},
      {J(R"({"$and": [{"a": 1}, 3]})"),
       "filter.$and[1]: a filter must be a JSON object, got a number"},
      {J(R"({"$not": [{"a": 1}]})"),
       "filter.$not: $not needs a filter object, got an array"},
      {J(R"({"$and": [{"a": 1}, {"price": {"$gt": true}}]})"),
       "filter.$and[1].price: $gt needs a number or string operand, got a "
       "boolean"},
      {J(R"({"p": {"$lte": null}})"),
       "filter.p: $lte needs a number or string operand, got null"},
      {J(R"({"p": {"$lt": [1]}})"),
       "filter.p: $lt needs a number or string operand, got an array"},
      {J(R"({"p": {"$eq": {"x": 1}}})"),
       "filter.p: $eq needs a string, number, boolean or null operand, got "
       "an object"},
      {J(R"({"p": {"$ne": [1]}})"),
       "filter.p: $ne needs a string, number, boolean or null operand, got "
       "an array"},
      {J(R"({"p": {"$in": 1}})"),
       "filter.p: $in needs an array of scalars, got a number"},
      {J(R"({"p": {"$nin": [1, [2]]}})"),
       "filter.p: $nin[1] must be a string, number, boolean or null, got an "
       "array"},
      {J(R"({"p": {"$exists": 1}})"),
       "filter.p: $exists needs true or false, got a number"},
      {J(R"({"$or": [{"$not": {"a.b": {"$in": [{}]}}}]})"),
       "filter.$or[0].$not.a.b: $in[0] must be a string, number, boolean or "
       "null, got an object"},
  };
  for (const auto& c : cases) ExpectError(c.spec, c.message);
}

json NestNot(int depth) {
  json f = {{"a", 1}};
  for (int i = 0; i < depth; ++i) f = {{"$not", f}};
  return f;
}

TEST(FilterErrorsTest, DepthLimit) {
  ASSERT_TRUE(Filter::Parse(NestNot(kMaxDepth)).ok());
  auto f = Filter::Parse(NestNot(kMaxDepth + 1));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("filter nests deeper than 32 levels"),
            std::string::npos)
      << f.status().message();
  EXPECT_EQ(f.status().message().rfind("filter.$not.$not.", 0), 0u);
  // Even 32 levels deep the filter still evaluates: 32 $nots cancel out.
  EXPECT_TRUE(Filter::Parse(NestNot(kMaxDepth))->MatchesText(R"({"a":1})"));

  json ands = {{"a", 1}};
  for (int i = 0; i <= kMaxDepth; ++i) ands = {{"$and", {ands}}};
  EXPECT_EQ(Filter::Parse(ands).status().code(), StatusCode::kInvalidArgument);
}

TEST(FilterErrorsTest, DeeplyNestedJsonIsRejectedWithoutRecursing) {
  // Far deeper than any call stack allows for naive recursion; the operand
  // check rejects it without looking inside.
  json deep = json::array();
  for (int i = 0; i < 100000; ++i) {
    json outer = json::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  json spec = json::object();
  spec["a"]["$in"] = std::move(deep);  // moved: copies recurse
  auto f = Filter::Parse(spec);
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
}

TEST(FilterErrorsTest, ConditionLimit) {
  auto with = [](int n) {
    json ors = json::array();
    for (int i = 0; i < n - 1; ++i) ors.push_back({{"a", i}});  // n-1 leaves
    return json{{"$or", ors}};                                  // +1 for $or
  };
  ASSERT_TRUE(Filter::Parse(with(kMaxConditions)).ok());
  auto f = Filter::Parse(with(kMaxConditions + 1));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "filter.$or[1023].a: more than 1024 conditions in one filter");
  // The text evaluator keeps one bit per condition: the last one works.
  json last = with(kMaxConditions);
  EXPECT_TRUE(Filter::Parse(last)->MatchesText(R"({"a":1022})"));
  EXPECT_FALSE(Filter::Parse(last)->MatchesText(R"({"a":1023})"));
}

TEST(FilterErrorsTest, SizeLimit) {
  // {"a":{"$in":["xxxx…"]}}: 18 bytes of structure around the string.
  auto with_bytes = [](size_t n) {
    return json{{"a", {{"$in", {std::string(n - 18, 'x')}}}}};
  };
  ASSERT_EQ(with_bytes(100).dump().size(), 100u);
  EXPECT_TRUE(Filter::Parse(with_bytes(kMaxFilterBytes)).ok());
  auto f = Filter::Parse(with_bytes(kMaxFilterBytes + 1));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "filter: larger than 65536 bytes of JSON");
  // A huge $in list is rejected by size before anything else looks at it.
  json many = json::array();
  for (int i = 0; i < 100000; ++i) many.push_back(i);
  EXPECT_EQ(Filter::Parse({{"a", {{"$in", many}}}}).status().message(),
            "filter: larger than 65536 bytes of JSON");
}

TEST(FilterErrorsTest, PathSegmentLimit) {
  std::string path = "a";
  for (int i = 1; i < kMaxPathSegments; ++i) path += ".a";
  ASSERT_TRUE(Filter::Parse({{path, 1}}).ok());
  auto f = Filter::Parse({{path + ".a", 1}});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("path has more than 32 segments"),
            std::string::npos);
  // The deepest allowed path evaluates through arrays at every level.
  json doc = 1;
  for (int i = 0; i < kMaxPathSegments; ++i) {
    doc = json::array({json::object({{"a", doc}})});
  }
  EXPECT_TRUE(Filter::Parse({{path, 1}})->MatchesText(doc[0].dump()));
  EXPECT_TRUE(Filter::Parse({{path, 1}})->Matches(doc[0]));
}

}  // namespace
}  // namespace proximadb::filter
