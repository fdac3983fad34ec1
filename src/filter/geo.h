// Geo points and the two geo shapes of the filter language ($geo_radius,
// $geo_box; docs/FILTERS.md, "Geo points"). One place for what counts as a
// point and for the geometry, shared by both evaluators and by the geo
// payload index, so that all three agree bit for bit.
#pragma once

#include <nlohmann/json.hpp>

namespace proximadb::filter {

// The mean Earth radius (IUGG R1) in meters; distances are great-circle
// distances on a sphere of this radius.
inline constexpr double kEarthRadiusMeters = 6371008.8;

struct GeoPoint {
  double lat = 0;  // degrees, [-90, 90]
  double lon = 0;  // degrees, [-180, 180]
};

// True for finite numbers in range.
inline bool ValidLat(double lat) { return lat >= -90 && lat <= 90; }
inline bool ValidLon(double lon) { return lon >= -180 && lon <= 180; }

// A metadata value is a geo point when it is an object whose "lat" and
// "lon" members are numbers in range (other members are ignored).
bool GeoPointOf(const nlohmann::json& v, GeoPoint* out);

struct GeoShape {
  enum class Kind : uint8_t { kRadius, kBox };
  Kind kind = Kind::kRadius;
  GeoPoint center;                                  // kRadius
  double meters = 0;                                // kRadius: inclusive
  double top = 0, left = 0, bottom = 0, right = 0;  // kBox: inclusive;
  // left > right means the box crosses the antimeridian.
};

// Haversine distance in meters.
double HaversineMeters(GeoPoint a, GeoPoint b);

// Is `p` inside `shape` (boundaries included)?
bool GeoContains(const GeoShape& shape, GeoPoint p);

// Latitudes every point inside `shape` lies within (a superset band, for
// the geo payload index): [*lo, *hi].
void GeoLatBand(const GeoShape& shape, double* lo, double* hi);

}  // namespace proximadb::filter
