#include "filter/index_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "filter/program.h"

namespace proximadb::filter {
namespace {

std::string JoinPath(const std::vector<std::string>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out += '.';
    out += path[i];
  }
  return out;
}

// The positive form of a range leaf as inclusive double bounds. Integers
// are rounded to double (monotonic, so this only widens the set) and the
// filter is re-checked on every listed row anyway.
bool RangeOf(const Leaf& leaf, NumBound* lo, NumBound* hi) {
  const Value v = Value::Of(leaf.operand);
  if (!v.is_number()) return false;  // string ranges: not indexed
  const double d = v.as_double();
  if (d != d) return false;  // NaN matches nothing; leave it to the filter
  // A strict bound can step to the next double only where every integer is
  // exact: beyond 2^53 two different integers may round to the operand.
  const bool exact = std::fabs(d) < 9007199254740992.0;
  switch (leaf.op) {
    case Op::kGt:
      *lo = {true, exact ? std::nextafter(d, HUGE_VAL) : d};
      return true;
    case Op::kGte:
      *lo = {true, d};
      return true;
    case Op::kLt:
      *hi = {true, exact ? std::nextafter(d, -HUGE_VAL) : d};
      return true;
    case Op::kLte:
      *hi = {true, d};
      return true;
    default:
      return false;
  }
}

// The positive form of a datetime range leaf as inclusive instant bounds
// (exact: instants are integers).
void TimeRangeOf(const Leaf& leaf, TimeBound* lo, TimeBound* hi) {
  const int64_t t = leaf.time_us;  // within years 0000..9999: no overflow
  switch (leaf.op) {
    case Op::kGt:
      *lo = {true, t + 1};
      break;
    case Op::kGte:
      *lo = {true, t};
      break;
    case Op::kLt:
      *hi = {true, t - 1};
      break;
    default:
      *hi = {true, t};
  }
}

// Answers a filter program from payload indexes alone: an upper bound on
// its matches (Estimate) and a superset of the matching rows (Rows). Rows is
// set exactly when Estimate is, node by node.
class CandidateBounder {
 public:
  CandidateBounder(const Program& p, const RowIndex& idx) : p_(p), idx_(idx) {}

  // nullopt: unbounded (every row).
  std::optional<uint64_t> Estimate(uint32_t n) const {
    const Node& node = p_.nodes[n];
    switch (node.op) {
      case Op::kTrue:
      case Op::kNot:
        return std::nullopt;
      case Op::kAnd: {
        std::optional<uint64_t> best;
        for (uint32_t i = 0; i < node.count; ++i) {
          auto c = Estimate(p_.children[node.first + i]);
          if (c && (!best || *c < *best)) best = c;
        }
        return best;
      }
      case Op::kOr: {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < node.count; ++i) {
          auto c = Estimate(p_.children[node.first + i]);
          if (!c) return std::nullopt;
          sum += *c;
        }
        return sum;
      }
      default:
        return EstimateLeaf(p_.leaves[node.first]);
    }
  }

  std::optional<std::vector<uint32_t>> Rows(uint32_t n) const {
    const Node& node = p_.nodes[n];
    switch (node.op) {
      case Op::kTrue:
      case Op::kNot:
        return std::nullopt;
      case Op::kAnd: {
        // Smallest known child first: the intersection never grows.
        std::vector<std::pair<uint64_t, uint32_t>> known;
        for (uint32_t i = 0; i < node.count; ++i) {
          const uint32_t c = p_.children[node.first + i];
          if (auto e = Estimate(c)) known.push_back({*e, c});
        }
        if (known.empty()) return std::nullopt;
        std::sort(known.begin(), known.end());
        std::optional<std::vector<uint32_t>> acc;
        for (const auto& [est, c] : known) {
          auto rows = Rows(c);
          if (!rows) continue;
          if (!acc) {
            acc = std::move(rows);
          } else {
            std::vector<uint32_t> both;
            std::set_intersection(acc->begin(), acc->end(), rows->begin(),
                                  rows->end(), std::back_inserter(both));
            acc = std::move(both);
          }
          if (acc->empty()) break;
        }
        return acc;
      }
      case Op::kOr: {
        std::vector<uint32_t> all;
        for (uint32_t i = 0; i < node.count; ++i) {
          auto rows = Rows(p_.children[node.first + i]);
          if (!rows) return std::nullopt;
          all.insert(all.end(), rows->begin(), rows->end());
        }
        Normalize(&all);
        return all;
      }
      default:
        return RowsLeaf(p_.leaves[node.first]);
    }
  }

 private:
  static void Normalize(std::vector<uint32_t>* v) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }

  std::optional<uint64_t> EstimateLeaf(const Leaf& leaf) const {
    const std::string field = JoinPath(leaf.path);
    switch (leaf.op) {
      case Op::kEq: {
        const Value v = Value::Of(leaf.operand);
        if (v.type == Value::Type::kNull) return std::nullopt;
        return idx_.CountEq(field, v);
      }
      case Op::kIn: {
        uint64_t sum = 0;
        bool ok = true;
        leaf.set.ForEach([&](const Value& v) {
          if (!ok) return;
          std::optional<uint64_t> c;
          if (v.type != Value::Type::kNull) c = idx_.CountEq(field, v);
          if (c) {
            sum += *c;
          } else {
            ok = false;
          }
        });
        if (!ok) return std::nullopt;
        return sum;
      }
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte: {
        if (leaf.time) {
          TimeBound lo, hi;
          TimeRangeOf(leaf, &lo, &hi);
          return idx_.CountTimeRange(field, lo, hi);
        }
        NumBound lo, hi;
        if (!RangeOf(leaf, &lo, &hi)) return std::nullopt;
        return idx_.CountRange(field, lo, hi);
      }
      case Op::kGeoRadius:
      case Op::kGeoBox:
        return idx_.CountGeo(field, leaf.geo);
      case Op::kText:
        return idx_.CountText(field, leaf.words);
      default:
        return std::nullopt;  // $ne $nin $exists: negative forms
    }
  }

  std::optional<std::vector<uint32_t>> RowsLeaf(const Leaf& leaf) const {
    if (!EstimateLeaf(leaf)) return std::nullopt;
    const std::string field = JoinPath(leaf.path);
    std::vector<uint32_t> out;
    switch (leaf.op) {
      case Op::kEq:
        idx_.RowsEq(field, Value::Of(leaf.operand), &out);
        break;
      case Op::kIn:
        leaf.set.ForEach([&](const Value& v) { idx_.RowsEq(field, v, &out); });
        break;
      case Op::kGeoRadius:
      case Op::kGeoBox:
        idx_.RowsGeo(field, leaf.geo, &out);
        break;
      case Op::kText:
        idx_.RowsText(field, leaf.words, &out);
        break;
      default: {
        if (leaf.time) {
          TimeBound lo, hi;
          TimeRangeOf(leaf, &lo, &hi);
          idx_.RowsTimeRange(field, lo, hi, &out);
          break;
        }
        NumBound lo, hi;
        RangeOf(leaf, &lo, &hi);
        idx_.RowsRange(field, lo, hi, &out);
      }
    }
    Normalize(&out);
    return out;
  }

  const Program& p_;
  const RowIndex& idx_;
};

// PartitionMask's walk: nullopt stands for "every partition".
class PartitionPruner {
 public:
  using Mask = std::optional<std::vector<uint8_t>>;
  PartitionPruner(const Program& p, const PartitionStats& stats)
      : p_(p), stats_(stats) {}

  Mask Eval(uint32_t n) const {
    const Node& node = p_.nodes[n];
    switch (node.op) {
      case Op::kTrue:
      case Op::kNot:
        return std::nullopt;
      case Op::kAnd: {
        Mask acc;
        for (uint32_t i = 0; i < node.count; ++i) {
          Mask m = Eval(p_.children[node.first + i]);
          if (!m) continue;
          if (!acc) {
            acc = std::move(m);
          } else {
            for (size_t j = 0; j < acc->size(); ++j) (*acc)[j] &= (*m)[j];
          }
        }
        return acc;
      }
      case Op::kOr: {
        std::vector<uint8_t> acc(stats_.partitions(), 0);
        for (uint32_t i = 0; i < node.count; ++i) {
          Mask m = Eval(p_.children[node.first + i]);
          if (!m) return std::nullopt;
          for (size_t j = 0; j < acc.size(); ++j) acc[j] |= (*m)[j];
        }
        return acc;
      }
      default:
        return Leaf(p_.leaves[node.first]);
    }
  }

 private:
  Mask Leaf(const struct Leaf& leaf) const {
    const std::string field = JoinPath(leaf.path);
    std::vector<uint8_t> out(stats_.partitions(), 0);
    switch (leaf.op) {
      case Op::kEq: {
        const Value v = Value::Of(leaf.operand);
        if (v.type == Value::Type::kNull || !stats_.MayEq(field, v, &out)) {
          return std::nullopt;
        }
        return out;
      }
      case Op::kIn: {
        bool known = true;
        std::vector<uint8_t> one(out.size());
        leaf.set.ForEach([&](const Value& v) {
          if (!known) return;
          if (v.type == Value::Type::kNull || !stats_.MayEq(field, v, &one)) {
            known = false;
            return;
          }
          for (size_t j = 0; j < out.size(); ++j) out[j] |= one[j];
        });
        if (!known) return std::nullopt;
        return out;
      }
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte: {
        if (leaf.time) {
          TimeBound lo, hi;
          TimeRangeOf(leaf, &lo, &hi);
          if (!stats_.MayTimeRange(field, lo, hi, &out)) return std::nullopt;
          return out;
        }
        NumBound lo, hi;
        if (!RangeOf(leaf, &lo, &hi) || !stats_.MayRange(field, lo, hi, &out)) {
          return std::nullopt;
        }
        return out;
      }
      default:
        return std::nullopt;  // $ne $nin $exists, geo, text
    }
  }

  const Program& p_;
  const PartitionStats& stats_;
};

using Seg = std::vector<std::string>::const_iterator;

void Visit(const nlohmann::json& v, Seg seg, Seg end,
           const std::function<void(const Value&)>& fn) {
  if (seg == end) {
    if (v.is_array()) {
      for (const auto& e : v) {
        if (!e.is_array() && !e.is_object()) fn(Value::Of(e));
      }
    } else if (!v.is_object()) {
      fn(Value::Of(v));
    }
    return;
  }
  if (v.is_object()) {
    auto it = v.find(*seg);
    if (it != v.end()) Visit(*it, seg + 1, end, fn);
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object()) Visit(e, seg, end, fn);
    }
  }
}

void VisitGeo(const nlohmann::json& v, Seg seg, Seg end,
              const std::function<void(const GeoPoint&)>& fn) {
  GeoPoint p;
  if (seg == end) {
    if (v.is_array()) {
      for (const auto& e : v) {
        if (GeoPointOf(e, &p)) fn(p);
      }
    } else if (GeoPointOf(v, &p)) {
      fn(p);
    }
    return;
  }
  if (v.is_object()) {
    auto it = v.find(*seg);
    if (it != v.end()) VisitGeo(*it, seg + 1, end, fn);
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object()) VisitGeo(e, seg, end, fn);
    }
  }
}

}  // namespace

std::optional<uint64_t> BoundMatches(const Filter& f, const RowIndex& idx,
                                     uint64_t total) {
  const Program* p = f.program();
  if (p == nullptr) return std::nullopt;
  auto e = CandidateBounder(*p, idx).Estimate(p->root);
  if (!e) return std::nullopt;
  return std::min(*e, total);
}

std::vector<uint8_t> PartitionMask(const Filter& f,
                                   const PartitionStats& stats) {
  const Program* p = f.program();
  if (p == nullptr || stats.partitions() == 0) return {};
  auto m = PartitionPruner(*p, stats).Eval(p->root);
  if (!m || std::all_of(m->begin(), m->end(), [](uint8_t b) { return b; })) {
    return {};
  }
  return std::move(m).value();
}

uint64_t EstimateMatches(const Filter& f, const RowIndex& idx, uint64_t total) {
  return BoundMatches(f, idx, total).value_or(total);
}

std::optional<std::vector<uint32_t>> CandidateRows(const Filter& f,
                                                   const RowIndex& idx) {
  const Program* p = f.program();
  if (p == nullptr) return std::nullopt;
  return CandidateBounder(*p, idx).Rows(p->root);
}

void ForEachScalarAtPath(const nlohmann::json& doc,
                         const std::vector<std::string>& path,
                         const std::function<void(const Value&)>& fn) {
  if (!doc.is_object()) return;  // as in matching: no fields
  Visit(doc, path.begin(), path.end(), fn);
}

void ForEachGeoPointAtPath(const nlohmann::json& doc,
                           const std::vector<std::string>& path,
                           const std::function<void(const GeoPoint&)>& fn) {
  if (!doc.is_object()) return;
  VisitGeo(doc, path.begin(), path.end(), fn);
}

std::vector<std::string> SplitPath(std::string_view field) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = field.find('.', start);
    out.emplace_back(field.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace proximadb::filter
