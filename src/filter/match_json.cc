// Filter::Matches over an already-parsed metadata DOM.
#include "filter/filter.h"
#include "filter/program.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;
using Seg = std::vector<std::string>::const_iterator;

// Calls visit(v) for every value the path reaches, stopping at the first
// true. An array met along the path stands for its elements: each element
// that is an object is searched for the rest of the path (elements that are
// themselves arrays are not flattened further, as in MongoDB).
template <typename Visit>
bool AnyAtPath(const json& v, Seg seg, Seg end, const Visit& visit) {
  if (seg == end) return visit(v);
  if (v.is_object()) {
    auto it = v.find(*seg);
    return it != v.end() && AnyAtPath(*it, seg + 1, end, visit);
  }
  if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object() && AnyAtPath(e, seg, end, visit)) return true;
    }
  }
  return false;
}

bool EvalLeaf(const Leaf& leaf, const json& doc) {
  const Seg begin = leaf.path.begin(), end = leaf.path.end();
  if (leaf.op == Op::kExists) {
    const bool exists =
        AnyAtPath(doc, begin, end, [](const json&) { return true; });
    return LeafResult(leaf, exists, false);
  }
  if (IsGeo(leaf.op)) {
    // A geo point is an object; a terminal array stands for its elements.
    auto test = [&](const json& t) {
      GeoPoint pt;
      return GeoPointOf(t, &pt) && GeoContains(leaf.geo, pt);
    };
    const bool any = AnyAtPath(doc, begin, end, [&](const json& t) {
      if (!t.is_array()) return test(t);
      for (const auto& e : t) {
        if (test(e)) return true;
      }
      return false;
    });
    return LeafResult(leaf, any, any);
  }
  // A terminal array matches if any (scalar) element does; objects and
  // nested arrays are never equal to, or ordered against, a scalar operand.
  const bool any = AnyAtPath(doc, begin, end, [&](const json& t) {
    if (!t.is_array()) return PositiveTest(leaf, Value::Of(t));
    for (const auto& e : t) {
      if (PositiveTest(leaf, Value::Of(e))) return true;
    }
    return false;
  });
  return LeafResult(leaf, /*exists=*/any, any);
}

}  // namespace

bool Filter::Matches(const nlohmann::json& metadata) const {
  if (!program_) return true;
  const Program& p = *program_;
  // Non-object metadata has no fields; searching it like one would let
  // "a.b" wander into a top-level array.
  static const json kNoFields = json::object();
  const json& doc = metadata.is_object() ? metadata : kNoFields;
  return EvalNode(p, p.root,
                  [&](uint32_t leaf) { return EvalLeaf(p.leaves[leaf], doc); });
}

}  // namespace proximadb::filter
