// Datetime and geo payloads end to end (docs/FILTERS.md, "Datetimes" and
// "Geo points"): filtered search and count with datetime ranges and geo
// radius/box filters, with and without datetime/geo payload indexes, over
// memtable and segments, across a restart; every answer equals a brute-force
// check written here from the documented rules (not src/filter).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

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

constexpr uint32_t kDim = 8;

std::unique_ptr<DB> OpenDb(const std::string& dir) {
  DBOptions o;
  o.background_threads = false;  // index and graph builds run inline
  return DB::Open(o, dir).value();
}

// Seconds since 2026-01-01T00:00:00Z written as RFC 3339 in one of several
// zones, so bytewise order differs from time order.
std::string Time(int64_t secs, int zone_hours) {
  const int64_t t = 1767225600 + secs + zone_hours * 3600;
  const int64_t days = t / 86400, rem = t % 86400;
  // 2026 is not a leap year; the test stays inside January..March.
  static const int kMonth[] = {31, 28, 31};
  int64_t d = days - 20454;  // days since 2026-01-01
  int month = 0;
  while (d >= kMonth[month]) d -= kMonth[month++];
  char buf[64];
  if (zone_hours == 0) {
    std::snprintf(buf, sizeof(buf), "2026-%02d-%02dT%02d:%02d:%02dZ", month + 1,
                  static_cast<int>(d + 1), static_cast<int>(rem / 3600),
                  static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "2026-%02d-%02dT%02d:%02d:%02d%c%02d:00",
                  month + 1, static_cast<int>(d + 1),
                  static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                  static_cast<int>(rem % 60), zone_hours < 0 ? '-' : '+',
                  std::abs(zone_hours));
  }
  return buf;
}

struct Truth {
  std::vector<int64_t> secs;  // instants at "ts" (seconds since 2026)
  std::vector<std::pair<double, double>> points;  // valid points at "loc"
};

json Metadata(std::mt19937& rng, Truth* truth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  json m = json::object();
  auto time = [&] {
    const int64_t s = 86400 + pick(59 * 86400);  // zones stay in 2026
    truth->secs.push_back(s);
    return Time(s, pick(3) == 0 ? pick(25) - 12 : 0);
  };
  switch (pick(8)) {
    case 0:
      break;
    case 1:
      m["ts"] = json::array({time(), time()});
      break;
    case 2:
      m["ts"] = "2026-02-30T00:00:00Z";  // not a time: never matches a range
      break;
    case 3:
      m["ts"] = 1767225600;  // a number: not a datetime
      break;
    default:
      m["ts"] = time();
  }
  auto point = [&] {
    const double lat = 40 + pick(20000) / 1000.0;
    const double lon = (pick(10) == 0 ? 170 : -10) + pick(20000) / 1000.0;
    const double wrapped = lon > 180 ? lon - 360 : lon;
    truth->points.push_back({lat, wrapped});
    return json{{"lat", lat}, {"lon", wrapped}};
  };
  switch (pick(8)) {
    case 0:
      break;
    case 1:
      m["loc"] = json::array({point(), point()});
      break;
    case 2:
      m["loc"] = {{"lat", 91}, {"lon", 0}};  // out of range: not a point
      break;
    case 3:
      m["loc"] = "48.85,2.35";
      break;
    default:
      m["loc"] = point();
  }
  m["n"] = pick(100);
  return m;
}

double Haversine(double lat1, double lon1, double lat2, double lon2) {
  const double r = 3.14159265358979323846 / 180;
  const double a = std::pow(std::sin((lat2 - lat1) * r / 2), 2) +
                   std::cos(lat1 * r) * std::cos(lat2 * r) *
                       std::pow(std::sin((lon2 - lon1) * r / 2), 2);
  return 2 * 6371008.8 * std::asin(std::sqrt(std::min(1.0, a)));
}

// One condition and its brute-force predicate over a point's Truth.
struct Condition {
  json filter;
  std::function<bool(const Truth&)> holds;
};

std::vector<Condition> Conditions() {
  std::vector<Condition> out;
  for (int64_t from :
       {int64_t{86400}, int64_t{86400 * 10}, int64_t{86400 * 59}}) {
    for (int64_t width : {int64_t{3600}, int64_t{86400}, int64_t{86400 * 20}}) {
      json range = json::object();
      range["$gte"] = Time(from, 0);
      range["$lt"] = Time(from + width, 5);
      json f = json::object();
      f["ts"] = range;
      out.push_back({f, [=](const Truth& t) {
                       // Several operators may be met by different elements.
                       bool lo = false, hi = false;
                       for (int64_t s : t.secs) {
                         lo = lo || s >= from;
                         hi = hi || s < from + width;
                       }
                       return lo && hi;
                     }});
    }
  }
  for (double meters : {60000.0, 150000.0, 600000.0}) {
    json f = json::parse(
        R"({"loc": {"$geo_radius": {"lat": 48.8566, "lon": 2.3522}}})");
    f["loc"]["$geo_radius"]["meters"] = meters;
    out.push_back({f, [=](const Truth& t) {
                     for (auto [lat, lon] : t.points) {
                       if (Haversine(48.8566, 2.3522, lat, lon) <= meters) {
                         return true;
                       }
                     }
                     return false;
                   }});
  }
  out.push_back({json::parse(R"({"loc": {"$geo_box": {
                     "top_left": {"lat": 52, "lon": -1},
                     "bottom_right": {"lat": 48, "lon": 3}}}})"),
                 [](const Truth& t) {
                   for (auto [lat, lon] : t.points) {
                     if (lat <= 52 && lat >= 48 && lon >= -1 && lon <= 3) {
                       return true;
                     }
                   }
                   return false;
                 }});
  out.push_back({json::parse(R"({"loc": {"$geo_box": {
                     "top_left": {"lat": 60, "lon": 175},
                     "bottom_right": {"lat": 45, "lon": -175}}}})"),
                 [](const Truth& t) {  // across the antimeridian
                   for (auto [lat, lon] : t.points) {
                     if (lat <= 60 && lat >= 45 &&
                         (lon >= 175 || lon <= -175)) {
                       return true;
                     }
                   }
                   return false;
                 }});
  return out;
}

class GeoTimeCollectionTest : public ::testing::TestWithParam<bool> {};

TEST_P(GeoTimeCollectionTest, SearchAndCountEqualBruteForce) {
  const bool indexed = GetParam();
  TempDir tmp;
  std::mt19937 rng(16);
  std::map<std::string, std::pair<std::vector<float>, Truth>> points;
  {
    auto db = OpenDb(tmp.path());
    CollectionConfig cfg = testing::MakeConfig("g", kDim, Metric::kEuclidean);
    auto c = db->CreateCollection(cfg).value();
    if (indexed) {
      ASSERT_TRUE(
          c->CreatePayloadIndex({"ts", PayloadIndexType::kDatetime}).ok());
      ASSERT_TRUE(c->CreatePayloadIndex({"loc", PayloadIndexType::kGeo}).ok());
    }
    auto upsert = [&](int from, int count) {
      std::vector<Point> batch;
      for (int i = from; i < from + count; ++i) {
        Truth t;
        Point p{"id" + std::to_string(i), RandomVector(rng, kDim),
                Metadata(rng, &t)};
        points[p.id] = {p.vector, t};
        batch.push_back(std::move(p));
      }
      ASSERT_TRUE(c->Upsert(batch).ok());
    };
    upsert(0, 1200);
    ASSERT_TRUE(c->Flush().ok());
    upsert(1200, 800);
    upsert(0, 100);  // overwrites: old copies die in the segment
    ASSERT_TRUE(c->Flush().ok());
    upsert(2000, 300);  // stays in the memtable
  }
  auto db = OpenDb(tmp.path());  // restart: WAL replay, indexes from files
  auto c = db->GetCollection("g").value();
  EXPECT_EQ(c->Info().payload_indexes.size(), indexed ? 2u : 0u);
  int index_scans = 0;
  for (const auto& cond : Conditions()) {
    uint64_t want_count = 0;
    for (const auto& [id, p] : points) want_count += cond.holds(p.second);
    EXPECT_EQ(c->Count(cond.filter).value(), want_count) << cond.filter;
    EXPECT_GT(want_count, 0u) << cond.filter;

    std::vector<std::pair<std::string, const std::vector<float>*>> matching;
    for (const auto& [id, p] : points) {
      if (cond.holds(p.second)) matching.push_back({id, &p.first});
    }
    index_scans += testing::CheckExactFilteredSearch(
        *c, RandomVector(rng, kDim), cond.filter, matching);
  }
  if (indexed) {
    EXPECT_GT(index_scans, 6);  // the new indexes answered selective filters
  } else {
    EXPECT_EQ(index_scans, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutIndexes, GeoTimeCollectionTest,
                         ::testing::Bool());

// Past 8192 points in a shape's latitude band the count is the band's size
// (an upper bound); below it, exact. The rows are exact either way.
TEST(GeoTimePayloadFileTest, WideBandsAreBoundedByTheirSize) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirIfMissing("/s").ok());
  const size_t n = 10000;
  const float v = 1;
  std::vector<std::string> meta(n), ids(n);
  for (size_t i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "%05zu", i);  // ascending, as segments are
    ids[i] = id;
    // Latitudes in [0, 10), longitudes alternating near 0 and near 100.
    meta[i] = "{\"loc\":{\"lat\":" + std::to_string(i * 10.0 / n) +
              ",\"lon\":" + (i % 2 ? "100" : "0.5") + "}}";
  }
  ASSERT_TRUE(segment::WriteSegment(
                  env.get(), "/s/w.pdb", {1, 1, Metric::kEuclidean}, n,
                  [&](size_t i) {
                    return segment::SegmentRow{ids[i], &v, meta[i], 1};
                  },
                  [](size_t) { return false; })
                  .ok());
  auto seg = segment::Segment::Open(env.get(), "/s/w.pdb").value();
  auto idx =
      SegmentPayloadIndex::Build(*seg, {{"loc", PayloadIndexType::kGeo}});
  filter::GeoShape box;
  box.kind = filter::GeoShape::Kind::kBox;
  box.top = 20;
  box.bottom = -1;
  box.left = -1;
  box.right = 1;
  std::vector<uint32_t> rows;
  ASSERT_TRUE(idx->RowsGeo("loc", box, &rows));
  EXPECT_EQ(rows.size(), n / 2);
  EXPECT_EQ(idx->CountGeo("loc", box), n);  // the band: every point
  box.top = 5;  // 5000 points in the band: counted exactly
  EXPECT_EQ(idx->CountGeo("loc", box), 2501u);
}

// seg-<id>.pidx with datetime and geo fields reads back with the same
// answers; a version 1 file (keyword/integer/float/bool only) still loads.
TEST(GeoTimePayloadFileTest, RoundTripAndVersionOne) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirIfMissing("/s").ok());
  const std::vector<std::string> meta = {
      R"({"ts":"2026-01-01T00:00:00Z","loc":{"lat":48.85,"lon":2.35},"k":"a"})",
      R"({"ts":["x","2026-01-01T02:00:00+01:00"],"loc":[{"lat":-33.9,"lon":151.2},{"lat":0,"lon":179.9}]})",
      R"({"ts":"2026-03-01","loc":{"lat":91,"lon":0},"k":"b"})"};
  const float v = 1;
  ASSERT_TRUE(segment::WriteSegment(
                  env.get(), "/s/a.pdb", {1, 1, Metric::kEuclidean}, 3,
                  [&](size_t i) {
                    static const char* kIds[] = {"0", "1", "2"};
                    return segment::SegmentRow{kIds[i], &v, meta[i], 1};
                  },
                  [](size_t) { return false; })
                  .ok());
  auto seg = segment::Segment::Open(env.get(), "/s/a.pdb").value();
  auto built =
      SegmentPayloadIndex::Build(*seg, {{"ts", PayloadIndexType::kDatetime},
                                        {"loc", PayloadIndexType::kGeo},
                                        {"k", PayloadIndexType::kKeyword}});
  ASSERT_TRUE(built->Save(env.get(), "/s/a.pidx").ok());
  auto loaded = SegmentPayloadIndex::Load(env.get(), "/s/a.pidx", 3);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (const SegmentPayloadIndex* idx : {built.get(), loaded->get()}) {
    EXPECT_EQ(idx->defs(), built->defs());
    const int64_t t0 = 1767225600LL * 1000000;
    EXPECT_EQ(idx->CountTimeRange("ts", {true, t0}, {}), 2u);
    EXPECT_EQ(idx->CountTimeRange("ts", {true, t0 + 1}, {}), 1u);
    std::vector<uint32_t> rows;
    ASSERT_TRUE(idx->RowsTimeRange("ts", {}, {true, t0}, &rows));
    EXPECT_EQ(rows, std::vector<uint32_t>{0});
    EXPECT_EQ(idx->CountEq("ts", filter::Value::String("2026-01-01T00:00:00Z")),
              1u);
    EXPECT_FALSE(idx->CountEq("ts", filter::Value::String("2026-03-01")));
    EXPECT_FALSE(idx->CountRange("ts", {true, 0}, {}));  // not numeric
    filter::GeoShape box;
    box.kind = filter::GeoShape::Kind::kBox;
    box.top = 10;
    box.bottom = -40;
    box.left = 150;
    box.right = -170;
    rows.clear();
    ASSERT_TRUE(idx->RowsGeo("loc", box, &rows));
    EXPECT_EQ(rows, (std::vector<uint32_t>{1, 1}));  // two points of row 1
    filter::GeoShape near;
    near.center = {48.85, 2.35};
    near.meters = 1;
    EXPECT_EQ(idx->CountGeo("loc", near), 1u);
    EXPECT_FALSE(idx->CountGeo("ts", near));
    EXPECT_FALSE(idx->CountTimeRange("loc", {}, {}));
    EXPECT_EQ(idx->CountEq("k", filter::Value::String("b")), 1u);
  }

  // Without datetime or geo fields the file stays version 1 (what older
  // builds write and read); with them it is version 2.
  auto v1 =
      SegmentPayloadIndex::Build(*seg, {{"k", PayloadIndexType::kKeyword}});
  ASSERT_TRUE(v1->Save(env.get(), "/s/v1.pidx").ok());
  EXPECT_EQ(DecodeFixed32(env->ReadFileToString("/s/v1.pidx")->data() + 8), 1u);
  EXPECT_EQ(DecodeFixed32(env->ReadFileToString("/s/a.pidx")->data() + 8), 2u);
  auto old = SegmentPayloadIndex::Load(env.get(), "/s/v1.pidx", 3);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ((*old)->CountEq("k", filter::Value::String("a")), 1u);
  auto reseal = [](std::string* f) {
    const size_t body = f->size() - 4;
    EncodeFixed32(f->data() + body,
                  crc32c::Mask(crc32c::Value(f->data(), body)));
  };
  // Version 2 without a new kind is not how Save writes it: refused.
  std::string v2 = env->ReadFileToString("/s/v1.pidx").value();
  EncodeFixed32(v2.data() + 8, 2);
  reseal(&v2);
  ASSERT_TRUE(env->WriteFileAtomically("/s/v2.pidx", v2).ok());
  EXPECT_TRUE(SegmentPayloadIndex::Load(env.get(), "/s/v2.pidx", 3)
                  .status()
                  .IsCorruption());
  // A version 1 file cannot hold the new kinds: type 4 in it is damage.
  std::string with_time = env->ReadFileToString("/s/a.pidx").value();
  EncodeFixed32(with_time.data() + 8, 1);
  reseal(&with_time);
  ASSERT_TRUE(env->WriteFileAtomically("/s/bad.pidx", with_time).ok());
  EXPECT_TRUE(SegmentPayloadIndex::Load(env.get(), "/s/bad.pidx", 3)
                  .status()
                  .IsCorruption());
  // Damaged geo values are refused: an unsorted latitude.
  std::string geo = env->ReadFileToString("/s/a.pidx").value();
  const size_t at = geo.find("loc") + 3 + 4;  // after the name and count
  uint64_t big;
  const double lat = 89.5;
  std::memcpy(&big, &lat, 8);
  EncodeFixed64(geo.data() + at, big);  // first (smallest) latitude
  reseal(&geo);
  ASSERT_TRUE(env->WriteFileAtomically("/s/bad2.pidx", geo).ok());
  EXPECT_TRUE(SegmentPayloadIndex::Load(env.get(), "/s/bad2.pidx", 3)
                  .status()
                  .IsCorruption());
}

}  // namespace
}  // namespace proximadb
