#include "cluster/rebalance.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace proximadb::cluster {

namespace {

bool Holds(const ShardedCollection& c, uint32_t shard,
           const std::string& node) {
  const auto& p = c.placement[shard];
  if (std::find(p.begin(), p.end(), node) != p.end()) return true;
  for (const auto& m : c.moves) {
    if (m.shard == shard && m.to == node) return true;
  }
  return false;
}

bool Moving(const ShardedCollection& c, uint32_t shard) {
  for (const auto& m : c.moves) {
    if (m.shard == shard) return true;
  }
  return false;
}

}  // namespace

std::map<std::string, size_t> ReplicaLoad(
    const std::vector<ShardedCollection>& collections) {
  std::map<std::string, size_t> load;
  for (const auto& c : collections) {
    for (const auto& nodes : c.placement) {
      for (const auto& n : nodes) ++load[n];
    }
    for (const auto& m : c.moves) {
      --load[m.from];
      ++load[m.to];
    }
  }
  return load;
}

std::vector<PlannedMove> PlanMoves(const RebalanceInput& in) {
  std::vector<PlannedMove> out;
  // Copies that the planned moves are added to, so that later choices see
  // the earlier ones.
  std::vector<ShardedCollection> cols = in.collections;
  size_t in_flight = 0;
  for (const auto& c : cols) in_flight += c.moves.size();
  if (in_flight >= in.max_in_flight) return out;
  size_t budget = in.max_in_flight - in_flight;

  std::vector<std::string> targets;  // live and not draining, sorted
  for (const auto& n : in.live) {
    if (in.draining.count(n) == 0) targets.push_back(n);
  }
  if (targets.empty()) return out;
  std::map<std::string, size_t> load;
  for (const auto& n : targets) load[n] = 0;
  for (const auto& [n, l] : ReplicaLoad(cols)) {
    if (load.count(n) != 0) load[n] = l;
  }
  auto add = [&](size_t ci, uint32_t shard, const std::string& from,
                 const std::string& to) {
    ShardMove m;
    m.shard = shard;
    m.from = from;
    m.to = to;
    cols[ci].moves.push_back(m);
    out.push_back({ci, m});
    if (load.count(from) != 0) --load[from];
    ++load[to];
    --budget;
  };
  // The least loaded target that does not hold the shard ("" if none).
  auto least = [&](const ShardedCollection& c, uint32_t shard) {
    std::string best;
    size_t best_load = std::numeric_limits<size_t>::max();
    for (const auto& n : targets) {
      if (!Holds(c, shard, n) && load[n] < best_load) {
        best = n;
        best_load = load[n];
      }
    }
    return best;
  };

  // 1. Drains.
  for (size_t ci = 0; ci < cols.size() && budget > 0; ++ci) {
    for (uint32_t k = 0; k < cols[ci].placement.size() && budget > 0; ++k) {
      if (Moving(cols[ci], k)) continue;
      for (const auto& n : cols[ci].placement[k]) {
        if (in.draining.count(n) == 0) continue;
        const std::string to = least(cols[ci], k);
        if (!to.empty()) add(ci, k, n, to);
        break;  // one move per shard
      }
    }
  }

  // 2. Balance.
  while (budget > 0) {
    std::vector<std::string> by_load = targets;
    std::stable_sort(by_load.begin(), by_load.end(),
                     [&](const std::string& a, const std::string& b) {
                       return load[a] < load[b];
                     });
    const std::string& heavy = by_load.back();
    bool moved = false;
    for (const auto& light : by_load) {
      if (load[heavy] < load[light] + 2) break;
      // A shard on `heavy` that `light` lacks; a non-primary one first.
      std::pair<size_t, uint32_t> pick{cols.size(), 0};
      bool pick_is_primary = true;
      for (size_t ci = 0; ci < cols.size(); ++ci) {
        for (uint32_t k = 0; k < cols[ci].placement.size(); ++k) {
          const auto& p = cols[ci].placement[k];
          if (Moving(cols[ci], k) ||
              std::find(p.begin(), p.end(), heavy) == p.end() ||
              Holds(cols[ci], k, light)) {
            continue;
          }
          auto it = in.primaries.find(cols[ci].uid + "/" + std::to_string(k));
          const bool primary = it != in.primaries.end() && it->second == heavy;
          if (pick.first == cols.size() || (pick_is_primary && !primary)) {
            pick = {ci, k};
            pick_is_primary = primary;
          }
        }
      }
      if (pick.first != cols.size()) {
        add(pick.first, pick.second, heavy, light);
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  return out;
}

std::vector<PlannedHandoff> PlanHandoffs(const RebalanceInput& in) {
  std::map<std::string, size_t> led;  // live, non-draining nodes
  for (const auto& n : in.live) {
    if (in.draining.count(n) == 0) led[n] = 0;
  }
  if (led.size() < 2) return {};
  for (const auto& [shard, node] : in.primaries) {
    if (auto it = led.find(node); it != led.end()) ++it->second;
  }
  auto most = std::max_element(
      led.begin(), led.end(),
      [](const auto& a, const auto& b) { return a.second < b.second; });
  // The nodes that lead at least two fewer, fewest first (then by id).
  std::vector<std::pair<size_t, std::string>> takers;
  for (const auto& [n, count] : led) {
    if (count + 2 <= most->second) takers.emplace_back(count, n);
  }
  std::sort(takers.begin(), takers.end());
  for (const auto& [count, to] : takers) {
    for (size_t ci = 0; ci < in.collections.size(); ++ci) {
      const ShardedCollection& c = in.collections[ci];
      for (uint32_t k = 0; k < c.shard_count(); ++k) {
        auto p = in.primaries.find(c.uid + "/" + std::to_string(k));
        if (p == in.primaries.end() || p->second != most->first) continue;
        const auto& nodes = c.placement[k];
        const bool moving =
            std::any_of(c.moves.begin(), c.moves.end(),
                        [&](const ShardMove& m) { return m.shard == k; });
        if (!moving &&
            std::find(nodes.begin(), nodes.end(), to) != nodes.end()) {
          return {{ci, k, most->first, to}};
        }
      }
    }
  }
  return {};
}

}  // namespace proximadb::cluster
