#include "filter/geo.h"

#include <algorithm>
#include <cmath>

namespace proximadb::filter {
namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

}  // namespace

bool GeoPointOf(const nlohmann::json& v, GeoPoint* out) {
  if (!v.is_object()) return false;
  auto lat = v.find("lat");
  auto lon = v.find("lon");
  if (lat == v.end() || lon == v.end() || !lat->is_number() ||
      !lon->is_number()) {
    return false;
  }
  const GeoPoint p{lat->get<double>(), lon->get<double>()};
  if (!ValidLat(p.lat) || !ValidLon(p.lon)) return false;
  *out = p;
  return true;
}

double HaversineMeters(GeoPoint a, GeoPoint b) {
  const double p1 = a.lat * kDegToRad, p2 = b.lat * kDegToRad;
  const double dp = p2 - p1, dl = (b.lon - a.lon) * kDegToRad;
  const double s1 = std::sin(dp / 2), s2 = std::sin(dl / 2);
  const double h = s1 * s1 + std::cos(p1) * std::cos(p2) * s2 * s2;
  return 2 * kEarthRadiusMeters * std::asin(std::sqrt(std::min(1.0, h)));
}

bool GeoContains(const GeoShape& s, GeoPoint p) {
  if (s.kind == GeoShape::Kind::kRadius) {
    return HaversineMeters(s.center, p) <= s.meters;
  }
  if (p.lat > s.top || p.lat < s.bottom) return false;
  if (s.left <= s.right) return p.lon >= s.left && p.lon <= s.right;
  return p.lon >= s.left || p.lon <= s.right;  // across the antimeridian
}

void GeoLatBand(const GeoShape& s, double* lo, double* hi) {
  if (s.kind == GeoShape::Kind::kBox) {
    *lo = s.bottom;
    *hi = s.top;
    return;
  }
  // A great-circle path is at least as long as the meridian arc between its
  // latitudes, so |dlat| <= meters / R. The margin (~1 m) absorbs rounding
  // in HaversineMeters, whose worst case (nearly antipodal points, where
  // asin(sqrt(h)) is ill-conditioned) is about 0.1 m.
  const double dlat = s.meters / kEarthRadiusMeters / kDegToRad + 1e-5;
  *lo = std::max(-90.0, s.center.lat - dlat);
  *hi = std::min(90.0, s.center.lat + dlat);
}

}  // namespace proximadb::filter
