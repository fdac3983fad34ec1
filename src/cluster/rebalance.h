// Rebalancing and draining (docs/CLUSTER.md "Moving replicas"): which
// replicas to move next. Pure: the node that runs the rebalancer
// (ClusterNode, the live node with the smallest id) gathers the state,
// asks PlanMoves, and records each move in its collection's descriptor
// with a guarded update; the nodes then carry it out (the new replica
// follows the log as a learner, and replaces the old one in the placement
// once it has caught up).
//
// The rules, in order:
// 1. Drains: every replica on a draining node moves to the live,
//    non-draining node with the fewest replicas that does not hold that
//    shard yet.
// 2. Balance: while the live, non-draining node with the most replicas
//    holds at least two more than the one with the fewest, one replica
//    moves from the first to the second, preferably of a shard the first
//    is not the primary of (a primary that moves costs a re-election).
//    Nodes that are down are left alone: a node that dies and comes back
//    moves nothing, a node that joins receives replicas.
// A shard has at most one move at a time, the cluster at most
// `max_in_flight` (each new replica reads the shard's whole log).
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cluster/cluster_catalog.h"

namespace proximadb::cluster {

struct RebalanceInput {
  std::vector<ShardedCollection> collections;  // with their moves
  std::set<std::string> live;                  // nodes with a lease
  std::set<std::string> draining;              // drain/<id> keys
  // The primary of each shard: "<uid>/<shard>" -> node id.
  std::map<std::string, std::string> primaries;
  size_t max_in_flight = 2;
};

struct PlannedMove {
  size_t collection = 0;  // index into RebalanceInput::collections
  ShardMove move;         // started_unix_ms is left 0
};

std::vector<PlannedMove> PlanMoves(const RebalanceInput& in);

// Balancing primaries (docs/CLUSTER.md "Balancing primaries"): when the
// live, non-draining node leading the most shards leads at least two more
// than the one leading the fewest, the primary of one shard the first
// leads and the second holds a replica of (no move under way) is handed
// over to the second. At most one hand-over at a time.
struct PlannedHandoff {
  size_t collection = 0;  // index into RebalanceInput::collections
  uint32_t shard = 0;
  std::string from;  // the primary now
  std::string to;    // a replica of the shard
};
std::vector<PlannedHandoff> PlanHandoffs(const RebalanceInput& in);

// Replicas each node holds once the moves under way are done (placement
// entries, minus moves away, plus moves in), over every node named.
std::map<std::string, size_t> ReplicaLoad(
    const std::vector<ShardedCollection>& collections);

}  // namespace proximadb::cluster
