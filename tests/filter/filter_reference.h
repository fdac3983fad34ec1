// A reference evaluator of the filter language, written from
// docs/FILTERS.md alone. It is deliberately naive (it collects every value a
// path reaches into a vector and compares with nlohmann's own operators) so
// that it shares no code and no cleverness with src/filter. Used by the
// property test and by the filter fuzz target (tests/fuzz/filter_fuzz.cc).
//
// Only meaningful for filters that Filter::Parse accepted.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace proximadb::filter::reference {

using nlohmann::json;

inline std::vector<std::string> Split(const std::string& key) {
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
inline void Reach(const json& v, const std::vector<std::string>& path, size_t i,
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

inline bool RefEqual(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a == b;
  if (a.is_string() && b.is_string()) return a == b;
  if (a.is_boolean() && b.is_boolean()) return a == b;
  return a.is_null() && b.is_null();
}

// An RFC 3339 time as unix microseconds (docs/FILTERS.md, "Datetimes"),
// by regular expression and timegm.
inline std::optional<int64_t> RefTime(const json& j) {
  if (!j.is_string()) return std::nullopt;
  static const std::regex kRe(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?)"
      R"(([Zz]|[+-]\d{2}:\d{2})$)");
  std::smatch m;
  const std::string& s = j.get_ref<const std::string&>();
  if (!std::regex_match(s, m, kRe)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 59) {
    return std::nullopt;
  }
  std::tm check = tm;
  const int64_t secs = timegm(&check);
  if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon) {
    return std::nullopt;  // e.g. February 30th, normalised by timegm
  }
  int64_t micros = 0;
  if (m[7].matched) {
    std::string frac = m[7].str().substr(1) + "000000";
    micros = std::stoll(frac.substr(0, 6));
  }
  int64_t offset = 0;
  const std::string zone = m[8];
  if (zone != "Z" && zone != "z") {
    const int h = std::stoi(zone.substr(1, 2)), mi = std::stoi(zone.substr(4));
    if (h > 23 || mi > 59) return std::nullopt;
    offset = (h * 60 + mi) * 60 * (zone[0] == '-' ? -1 : 1);
  }
  return (secs - offset) * 1000000 + micros;
}

// A geo point: an object with numbers "lat" in [-90, 90], "lon" in
// [-180, 180].
inline bool RefPoint(const json& v, double* lat, double* lon) {
  if (!v.is_object() || !v.contains("lat") || !v.contains("lon")) return false;
  if (!v["lat"].is_number() || !v["lon"].is_number()) return false;
  *lat = v["lat"].get<double>();
  *lon = v["lon"].get<double>();
  return *lat >= -90 && *lat <= 90 && *lon >= -180 && *lon <= 180;
}

inline bool RefInShape(const std::string& op, const json& o, double lat,
                       double lon) {
  if (op == "$geo_radius") {
    // Haversine on a sphere of 6371008.8 m.
    const double r = 3.14159265358979323846 / 180.0;
    const double p1 = o["lat"].get<double>() * r, p2 = lat * r;
    const double dp = p2 - p1, dl = (lon - o["lon"].get<double>()) * r;
    const double s1 = std::sin(dp / 2), s2 = std::sin(dl / 2);
    const double h = s1 * s1 + std::cos(p1) * std::cos(p2) * s2 * s2;
    const double d = 2 * 6371008.8 * std::asin(std::sqrt(std::min(1.0, h)));
    return d <= o["meters"].get<double>();
  }
  const double top = o["top_left"]["lat"].get<double>();
  const double left = o["top_left"]["lon"].get<double>();
  const double bottom = o["bottom_right"]["lat"].get<double>();
  const double right = o["bottom_right"]["lon"].get<double>();
  if (lat > top || lat < bottom) return false;
  return left <= right ? lon >= left && lon <= right
                       : lon >= left || lon <= right;
}

// The words of a text under the documented rules, for ASCII text: runs of
// letters and digits, lower-cased (bytes from 0x80 up count as letters, which
// is right for accented letters written lower-case; callers compare against
// src/filter only where text holds no other non-ASCII).
inline std::vector<std::string> RefWords(const std::string& s) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      w += static_cast<char>(std::tolower(c));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(w);
  return out;
}

// "Some string at the path contains every word of the operand."
inline bool RefContainsWords(const json& c, const json& operand) {
  if (!c.is_string()) return false;
  const std::vector<std::string> have = RefWords(c.get<std::string>());
  for (const auto& want : RefWords(operand.get<std::string>())) {
    if (std::find(have.begin(), have.end(), want) == have.end()) return false;
  }
  return true;
}

// -1, 0, 1, or 2 when the two do not compare.
inline int RefOrder(const json& a, const json& b) {
  if (auto tb = RefTime(b)) {  // a datetime range compares instants
    auto ta = RefTime(a);
    if (!ta) return 2;
    return *ta < *tb ? -1 : *ta > *tb ? 1 : 0;
  }
  bool comparable =
      (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
  if (!comparable) return 2;
  if (a < b) return -1;
  if (b < a) return 1;
  return 0;
}

inline bool RefCondition(const std::string& op, const json& operand,
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
    double lat, lon;
    if ((op == "$geo_radius" || op == "$geo_box") && RefPoint(c, &lat, &lon) &&
        RefInShape(op, operand, lat, lon)) {
      return true;
    }
    if (c.is_object() || c.is_array()) continue;
    if (op == "$text") {
      if (RefContainsWords(c, operand)) return true;
      continue;
    }
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

inline bool RefMatches(const json& filter, const json& doc) {
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

}  // namespace proximadb::filter::reference
