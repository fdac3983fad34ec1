#include "service/json_points_fast.h"

#include <cmath>
#include <string>
#include <unordered_set>

#include <simdjson.h>

#include "service/json_codec.h"
#include "util/json_depth.h"
#include "util/limits.h"

namespace proximadb::service {

namespace {

namespace dom = simdjson::dom;
using nlohmann::json;

// simdjson -> nlohmann for metadata, typed as nlohmann's own parser would
// type the same text (non-negative integers are unsigned). Later duplicate
// keys win, as in nlohmann. Recursion is bounded by kMaxRequestDepth,
// checked on the text before simdjson parses it.
json ToNlohmann(dom::element e) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      json out = json::object();
      for (dom::key_value_pair kv : dom::object(e)) {
        out[std::string(kv.key)] = ToNlohmann(kv.value);
      }
      return out;
    }
    case dom::element_type::ARRAY: {
      json out = json::array();
      for (dom::element child : dom::array(e)) {
        out.push_back(ToNlohmann(child));
      }
      return out;
    }
    case dom::element_type::INT64: {
      int64_t v = int64_t(e);
      if (v >= 0) return json(static_cast<uint64_t>(v));
      return json(v);
    }
    case dom::element_type::UINT64:
      return json(uint64_t(e));
    case dom::element_type::DOUBLE:
      return json(double(e));
    case dom::element_type::STRING:
      return json(std::string(std::string_view(e)));
    case dom::element_type::BOOL:
      return json(bool(e));
    case dom::element_type::NULL_VALUE:
      return json(nullptr);
  }
  return json(nullptr);
}

std::optional<Point> PointFast(dom::element item) {
  dom::object obj;
  if (item.get(obj) != simdjson::SUCCESS) return std::nullopt;
  Point p;
  bool seen_id = false, seen_vector = false, seen_metadata = false;
  for (dom::key_value_pair kv : obj) {
    bool* seen = nullptr;
    if (kv.key == "id") {
      seen = &seen_id;
    } else if (kv.key == "vector") {
      seen = &seen_vector;
    } else if (kv.key == "metadata") {
      seen = &seen_metadata;
    } else {
      return std::nullopt;  // unknown: the DOM path names it
    }
    if (*seen) return std::nullopt;  // duplicate: let nlohmann decide
    *seen = true;
    if (kv.value.is_null()) {
      // null = absent: fine for id and metadata, a missing vector for
      // "vector" (the DOM path words that error).
      if (kv.key == "vector") return std::nullopt;
      continue;
    }
    if (kv.key == "id") {
      std::string_view id;
      if (kv.value.get(id) != simdjson::SUCCESS) return std::nullopt;
      if (!ValidatePointId(id).ok()) return std::nullopt;
      p.id = std::string(id);
    } else if (kv.key == "vector") {
      dom::array arr;
      if (kv.value.get(arr) != simdjson::SUCCESS) return std::nullopt;
      p.vector.reserve(arr.size());
      for (dom::element x : arr) {
        double d;
        // get_double accepts integers too, as nlohmann's get<double> does.
        if (x.get(d) != simdjson::SUCCESS) return std::nullopt;
        float f = static_cast<float>(d);
        if (!std::isfinite(f)) return std::nullopt;
        p.vector.push_back(f);
      }
      if (p.vector.empty()) return std::nullopt;
    } else {
      if (!kv.value.is_object()) return std::nullopt;
      p.metadata = ToNlohmann(kv.value);
    }
  }
  if (!seen_vector) return std::nullopt;
  return p;
}

}  // namespace

std::optional<std::vector<Point>> ParseBatchPointsFast(std::string_view body) {
  if (body.empty()) return std::nullopt;
  // Too deep: the DOM path refuses it with the message (util/limits.h).
  if (JsonTextDeeperThan(body, kMaxRequestDepth)) return std::nullopt;
  // A parser per call: a thread-local one would keep the capacity of the
  // largest body ever seen (up to max_request_size_mb) on every thread.
  dom::parser parser;
  dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return std::nullopt;
  dom::array items;
  bool seen = false;
  for (dom::key_value_pair kv : obj) {
    if (kv.key != "vectors") return std::nullopt;  // unknown: as above
    if (seen) return std::nullopt;
    seen = true;
    if (kv.value.get(items) != simdjson::SUCCESS) return std::nullopt;
  }
  if (!seen || items.size() == 0) return std::nullopt;
  std::vector<Point> points;
  points.reserve(items.size());
  for (dom::element item : items) {
    std::optional<Point> p = PointFast(item);
    if (!p) return std::nullopt;
    points.push_back(std::move(*p));
  }
  return points;
}

Result<nlohmann::json> BatchUpsertFromBody(VectorService& svc,
                                           const std::string& collection,
                                           std::string_view body) {
  std::optional<std::vector<Point>> points = ParseBatchPointsFast(body);
  if (points) {
    // The body is valid JSON with valid points; what is left (the
    // collection, each point's dimension) is checked by the one batch
    // upsert of the service, with the DOM path's messages.
    return svc.BatchUpsertJson(collection, std::move(*points));
  }
  PDB_ASSIGN_OR_RETURN(nlohmann::json parsed, ParseJsonBody(body));
  return svc.BatchUpsertJson(collection, parsed);
}

}  // namespace proximadb::service
