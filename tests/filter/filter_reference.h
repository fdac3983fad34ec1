// A reference evaluator of the filter language, written from
// docs/FILTERS.md alone. It is deliberately naive (it collects every value a
// path reaches into a vector and compares with nlohmann's own operators) so
// that it shares no code and no cleverness with src/filter. Used by the
// property test and by the filter fuzz target (tests/fuzz/filter_fuzz.cc).
//
// Only meaningful for filters that Filter::Parse accepted.
#pragma once

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

// -1, 0, 1, or 2 when the two do not compare.
inline int RefOrder(const json& a, const json& b) {
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
