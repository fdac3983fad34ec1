// The compiled form of a filter. Internal to src/filter.
//
// Nodes form a tree stored flat (children are index ranges into `children`),
// so evaluation is a walk over a few contiguous vectors. Every field
// condition is a Leaf; leaves that read the same dotted path share a node of
// a path trie, which lets the text evaluator route each streamed metadata
// value straight to the leaves that care about it and skip everything else.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/geo.h"
#include "filter/text.h"
#include "filter/value.h"
#include "util/time_format.h"

namespace proximadb::filter {

enum class Op : uint8_t {
  // logical
  kAnd,
  kOr,
  kNot,
  kTrue,  // an empty filter object nested inside a logical operator
  // field
  kEq,
  kNe,
  kGt,
  kGte,
  kLt,
  kLte,
  kIn,
  kNin,
  kExists,
  kGeoRadius,
  kGeoBox,
  kText,
};

struct Node {
  Op op;
  uint32_t first = 0;  // logical: children[first, first+count); leaf: index
  uint32_t count = 0;
};

// One field condition. What it tests is split in two so that both evaluators
// can share the final step (LeafResult): whether the path reached any value,
// and whether any scalar reached satisfies the positive form of the operator
// ($ne is "no value $eq", $nin is "no value $in").
struct Leaf {
  Op op;
  uint32_t trie_node = 0;
  std::vector<std::string> path;  // dotted path split on '.'
  nlohmann::json operand;         // $eq $ne $gt $gte $lt $lte
  ValueSet set;                   // $in $nin
  bool exists = true;             // $exists
  // A range whose operand is an RFC 3339 string compares instants (parsed
  // once here); any other string operand compares bytewise.
  bool time = false;
  int64_t time_us = 0;             // unix microseconds
  GeoShape geo;                    // $geo_radius $geo_box
  std::vector<std::string> words;  // $text: distinct, sorted (filter/text.h)
};

inline bool IsGeo(Op op) { return op == Op::kGeoRadius || op == Op::kGeoBox; }

// A datetime range's order of stored value `v` against the leaf's instant:
// only strings that parse as RFC 3339 are ordered.
inline std::partial_ordering TimeOrder(const Leaf& leaf, const Value& v) {
  int64_t t;
  if (v.type != Value::Type::kString || !ParseRfc3339Instant(v.s, &t)) {
    return std::partial_ordering::unordered;
  }
  return t <=> leaf.time_us;
}

inline std::partial_ordering RangeOrder(const Leaf& leaf, const Value& v) {
  return leaf.time ? TimeOrder(leaf, v) : Compare(v, Value::Of(leaf.operand));
}

struct TrieNode {
  std::vector<std::pair<std::string, uint32_t>> children;  // few: linear
  std::vector<uint32_t> leaves;  // leaves whose path ends here
  bool geo = false;  // some leaf here is a geo leaf: objects here are read
};

struct Program {
  std::vector<Node> nodes;
  std::vector<uint32_t> children;
  std::vector<Leaf> leaves;
  std::vector<TrieNode> trie;  // trie[0] is the document root
  uint32_t root = 0;
};

// Does scalar `v` satisfy the positive form of the leaf's operator?
inline bool PositiveTest(const Leaf& leaf, const Value& v) {
  switch (leaf.op) {
    case Op::kEq:
    case Op::kNe:
      return Equal(v, Value::Of(leaf.operand));
    case Op::kGt:
      return RangeOrder(leaf, v) > 0;
    case Op::kGte:
      return RangeOrder(leaf, v) >= 0;
    case Op::kLt:
      return RangeOrder(leaf, v) < 0;
    case Op::kLte:
      return RangeOrder(leaf, v) <= 0;
    case Op::kIn:
    case Op::kNin:
      return leaf.set.Contains(v);
    case Op::kText:
      return v.type == Value::Type::kString &&
             ContainsAllWords(v.s, leaf.words);
    default:
      return false;  // geo leaves test points (GeoContains), not scalars
  }
}

inline bool LeafResult(const Leaf& leaf, bool exists, bool any_positive) {
  switch (leaf.op) {
    case Op::kNe:
    case Op::kNin:
      return !any_positive;  // so a missing field matches, as in MongoDB
    case Op::kExists:
      return exists == leaf.exists;
    default:
      return any_positive;
  }
}

// Evaluates node `n`; `leaf_fn(leaf_index)` gives each leaf's result, and is
// only called for leaves that short-circuiting does not skip. Recursion depth
// is bounded by kMaxDepth (times a small constant for implicit ANDs).
template <typename LeafFn>
bool EvalNode(const Program& p, uint32_t n, const LeafFn& leaf_fn) {
  const Node& node = p.nodes[n];
  switch (node.op) {
    case Op::kTrue:
      return true;
    case Op::kAnd:
      for (uint32_t i = 0; i < node.count; ++i) {
        if (!EvalNode(p, p.children[node.first + i], leaf_fn)) return false;
      }
      return true;
    case Op::kOr:
      for (uint32_t i = 0; i < node.count; ++i) {
        if (EvalNode(p, p.children[node.first + i], leaf_fn)) return true;
      }
      return false;
    case Op::kNot:
      return !EvalNode(p, p.children[node.first], leaf_fn);
    default:
      return leaf_fn(node.first);
  }
}

}  // namespace proximadb::filter
