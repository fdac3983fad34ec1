// Datetime ranges and geo shapes (docs/FILTERS.md, "Datetimes" and "Geo
// points"), checked through both evaluators like filter_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "filter/filter.h"
#include "filter/geo.h"
#include "json_literal.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;
using proximadb::json_literal::J;

struct TgCase {
  json filter, metadata;
  bool match;
};

void ExpectTgCases(const std::vector<TgCase>& cases) {
  for (const auto& c : cases) {
    auto f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter << ": " << f.status().ToString();
    EXPECT_EQ(f->Matches(c.metadata), c.match)
        << c.filter << " vs " << c.metadata;
    EXPECT_EQ(f->MatchesText(c.metadata.dump()), c.match)
        << "text: " << c.filter << " vs " << c.metadata;
  }
}

TEST(FilterTimeTest, RangesCompareInstants) {
  const json gte = J(R"({"ts": {"$gte": "2026-01-01T00:00:00Z"}})");
  ExpectTgCases({
      {gte, J(R"({"ts": "2026-01-01T00:00:00Z"})"), true},
      // The same instant in another zone; bytewise it would be smaller.
      {gte, J(R"({"ts": "2025-12-31T19:00:00-05:00"})"), true},
      {gte, J(R"({"ts": "2026-01-01T00:59:59+01:00"})"), false},
      {gte, J(R"({"ts": "2026-01-01t00:00:00.000001z"})"), true},
      {gte, J(R"({"ts": "2025-12-31T23:59:59.999999Z"})"), false},
      // Not an RFC 3339 time, though bytewise greater: no match.
      {gte, J(R"({"ts": "2026-12-31"})"), false},
      {gte, J(R"({"ts": "zzz"})"), false},
      {gte, J(R"({"ts": 20260101})"), false},
      {gte, J(R"({"ts": ["x", "2027-01-01T00:00:00Z"]})"), true},
      {gte, J(R"({"ts": {"t": "2027-01-01T00:00:00Z"}})"), false},
      {gte, J(R"({})"), false},
      {J(R"({"ts": {"$gt": "2026-01-01T01:00:00+01:00"}})"),
       J(R"({"ts": "2026-01-01T00:00:00Z"})"), false},
      {J(R"({"ts": {"$lte": "2026-01-01T01:00:00+01:00"}})"),
       J(R"({"ts": "2026-01-01T00:00:00Z"})"), true},
      {J(R"({"ts": {"$lt": "2026-01-01T00:00:00.0000009Z"}})"),
       J(R"({"ts": "2026-01-01T00:00:00Z"})"), false},  // truncated to us
      {J(R"({"ts": {"$lt": "1969-07-20T20:17:40Z"}})"),
       J(R"({"ts": "1900-01-01T00:00:00Z"})"), true},  // before 1970
      // An operand that is not a time keeps bytewise string order.
      {J(R"({"ts": {"$gte": "2026-01"}})"),
       J(R"({"ts": "2026-01-01T00:00:00Z"})"), true},
      {J(R"({"ts": {"$gte": "2026-01"}})"), J(R"({"ts": "2026-"})"), false},
      // $eq stays exact string equality.
      {J(R"({"ts": "2026-01-01T00:00:00Z"})"),
       J(R"({"ts": "2026-01-01T01:00:00+01:00"})"), false},
      {J(R"({"ts": {"$ne": "2026-01-01T00:00:00Z"}})"),
       J(R"({"ts": "2026-01-01T00:00:00Z"})"), false},
  });
}

TEST(FilterGeoTest, Radius) {
  // Paris - London is about 343.5 km.
  const json paris = J(R"({"lat": 48.8566, "lon": 2.3522})");
  const json london = J(R"({"lat": 51.5074, "lon": -0.1278})");
  const double d = HaversineMeters({48.8566, 2.3522}, {51.5074, -0.1278});
  EXPECT_NEAR(d, 343.5e3, 1e3);
  auto radius = [&](double meters) {
    return json{{"loc",
                 {{"$geo_radius",
                   {{"lat", 48.8566}, {"lon", 2.3522}, {"meters", meters}}}}}};
  };
  ExpectTgCases({
      {radius(d), {{"loc", london}}, true},  // inclusive
      {radius(d - 1), {{"loc", london}}, false},
      {radius(0), {{"loc", paris}}, true},
      {radius(d),
       {{"loc", json::array({J(R"({"lat": 0, "lon": 0})"), london})}},
       true},
      {radius(d), {{"loc", json::array({json::array({london})})}}, false},
      {radius(d), {{"loc", {{"lat", 51.5074}}}}, false},
      {radius(d), {{"loc", {{"lat", "51.5"}, {"lon", -0.1278}}}}, false},
      {radius(d), {{"loc", {{"lat", 91}, {"lon", 0}}}}, false},
      {radius(1e9), {{"loc", {{"lat", 91}, {"lon", 0}}}}, false},
      {radius(1e9), {{"loc", {{"lat", -90}, {"lon", 180}}}}, true},
      {radius(d), {{"loc", "48.8566,2.3522"}}, false},
      {radius(d),
       {{"loc", {{"lat", 51.5074}, {"lon", -0.1278}, {"x", 1}}}},
       true},
      // Along a path through arrays of objects.
      {J(R"({"a.loc": {"$geo_radius": {"lat": 0, "lon": 0, "meters": 1}}})"),
       J(R"({"a": [{"loc": {"lat": 1, "lon": 1}}, {"loc": {"lat": 0, "lon": 0}}]})"),
       true},
      // Across the antimeridian: 179.9 and -179.9 are ~22 km apart.
      {J(R"({"loc": {"$geo_radius": {"lat": 0, "lon": 179.9, "meters": 30000}}})"),
       J(R"({"loc": {"lat": 0, "lon": -179.9}})"), true},
      // Negation: no point inside (a missing field matches $not).
      {J(R"({"$not": {"loc": {"$geo_radius": {"lat": 0, "lon": 0, "meters": 1}}}})"),
       J(R"({})"), true},
  });
}

TEST(FilterGeoTest, Box) {
  const json box = J(R"({"loc": {"$geo_box": {
      "top_left": {"lat": 52, "lon": -1}, "bottom_right": {"lat": 48, "lon": 3}}}})");
  const json wrap = J(R"({"loc": {"$geo_box": {
      "top_left": {"lat": 10, "lon": 170}, "bottom_right": {"lat": -10, "lon": -170}}}})");
  ExpectTgCases({
      {box, J(R"({"loc": {"lat": 48.8566, "lon": 2.3522}})"), true},
      {box, J(R"({"loc": {"lat": 52, "lon": -1}})"), true},  // corner
      {box, J(R"({"loc": {"lat": 48, "lon": 3}})"), true},
      {box, J(R"({"loc": {"lat": 52.0001, "lon": 0}})"), false},
      {box, J(R"({"loc": {"lat": 50, "lon": 3.0001}})"), false},
      {box, J(R"({"loc": {"lat": 50, "lon": 179}})"), false},
      {wrap, J(R"({"loc": {"lat": 0, "lon": 175}})"), true},
      {wrap, J(R"({"loc": {"lat": 0, "lon": -175}})"), true},
      {wrap, J(R"({"loc": {"lat": 0, "lon": 180}})"), true},
      {wrap, J(R"({"loc": {"lat": 0, "lon": 0}})"), false},
      {wrap, J(R"({"loc": {"lat": 11, "lon": 175}})"), false},
      // Both a geo condition and a nested path under the same field.
      {J(R"({"loc": {"$geo_box": {"top_left": {"lat": 52, "lon": -1},
             "bottom_right": {"lat": 48, "lon": 3}}}, "loc.lat": {"$gt": 50}})"),
       J(R"({"loc": {"lat": 51, "lon": 0}})"), true},
      {J(R"({"loc": {"$geo_box": {"top_left": {"lat": 52, "lon": -1},
             "bottom_right": {"lat": 48, "lon": 3}}}, "loc.lat": {"$gt": 50}})"),
       J(R"({"loc": {"lat": 49, "lon": 0}})"), false},
      // The last of duplicate keys wins, in text as in a parsed document.
      {box, J(R"({"loc": {"lat": 0, "lon": 0, "extra": {"lat": 50}}})"), false},
  });
  auto f = Filter::Parse(box).value();
  EXPECT_TRUE(f.MatchesText(R"({"loc":{"lat":0,"lon":0,"lat":50}})"));
  EXPECT_FALSE(f.MatchesText(R"({"loc":{"lat":50,"lon":0,"lat":"x"}})"));
  EXPECT_TRUE(f.MatchesText(R"({"loc":{"l\u0061t":50,"lon":0}})"));
}

}  // namespace
}  // namespace proximadb::filter
