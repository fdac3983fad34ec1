// A model of a collection's points for tests that restore a past state
// (snapshots, point-in-time restore): the acknowledged writes with their
// sequence numbers, the state they make at any sequence, and a collection's
// whole content read back for a bit-exact comparison.
#pragma once

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proximadb/db.h"

namespace proximadb::testing {

// A point as the model and the restored collection compare it.
struct Rec {
  std::vector<float> vec;
  nlohmann::json meta;
  uint64_t version = 0;
  bool operator==(const Rec& o) const {
    return vec.size() == o.vec.size() &&
           std::memcmp(vec.data(), o.vec.data(), vec.size() * 4) == 0 &&
           meta == o.meta && version == o.version;
  }
};
using State = std::map<std::string, Rec>;

// One acknowledged write and its sequence number.
struct Op {
  uint64_t seq;
  enum Kind { kUpsert, kDelete, kMeta } kind;
  std::string id;
  std::vector<float> vec;
  nlohmann::json meta;
  uint64_t time = 0;  // the write's time (point-in-time tests)
};

inline State ModelAt(const std::vector<Op>& ops, uint64_t seq,
                     const State& base) {
  State s = base;
  for (const Op& op : ops) {
    if (op.seq > seq) break;
    switch (op.kind) {
      case Op::kUpsert:
        s[op.id] = Rec{op.vec, op.meta, op.seq};
        break;
      case Op::kDelete:
        s.erase(op.id);
        break;
      case Op::kMeta:
        s[op.id].meta = op.meta;
        s[op.id].version = op.seq;
        break;
    }
  }
  return s;
}

inline State ReadState(Collection* c) {
  State out;
  ScrollRequest req;
  req.limit = 1000;
  req.include_vector = true;
  while (true) {
    auto page = c->Scroll(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    for (const StoredPoint& p : page->points) {
      out[p.id] = Rec{p.vector, p.metadata, p.version};
    }
    if (page->next_after_id.empty()) break;
    req.after_id = page->next_after_id;
  }
  return out;
}

}  // namespace proximadb::testing
