// PlanMoves (cluster/rebalance.h) and the moves in a collection's
// descriptor (cluster_catalog.h).
#include "cluster/rebalance.h"

#include <gtest/gtest.h>

#include "cluster/cluster_catalog.h"

namespace proximadb::cluster {
namespace {

ShardedCollection Col(const std::string& name, const std::string& uid,
                      std::vector<std::vector<std::string>> placement) {
  ShardedCollection c;
  c.def.config.name = name;
  c.def.config.dimension = 4;
  c.def.config.shard_count = static_cast<uint32_t>(placement.size());
  c.def.config.replication_factor =
      static_cast<uint32_t>(placement.front().size());
  c.uid = uid;
  c.created_at_unix_ms = 1;
  c.placement = std::move(placement);
  return c;
}

// Applies every planned move as if its new replica had caught up.
void Finish(RebalanceInput* in, const std::vector<PlannedMove>& planned) {
  for (const auto& p : planned) {
    auto& nodes = in->collections[p.collection].placement[p.move.shard];
    std::replace(nodes.begin(), nodes.end(), p.move.from, p.move.to);
  }
}

TEST(ShardMoveTest, MovesRoundTripAndAreChecked) {
  ShardedCollection c = Col("docs", "0123456789abcdef",
                            {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}});
  auto plain = EncodeShardedCollection(c);
  EXPECT_EQ(plain.find("moves"), std::string::npos)
      << "no moves: the encoding is the one without the field";
  c.moves.push_back({1, "n2", "n4", 1764460800000});
  auto back = DecodeShardedCollection(EncodeShardedCollection(c), "docs");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->moves, c.moves);

  // A move must take a node of the shard's placement to one outside it,
  // one move per shard.
  for (const ShardMove& bad :
       {ShardMove{1, "n1", "n4", 1}, ShardMove{1, "n2", "n3", 1},
        ShardMove{3, "n2", "n4", 1}}) {
    ShardedCollection d = c;
    d.moves = {bad};
    auto r = DecodeShardedCollection(EncodeShardedCollection(d), "docs");
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption)
        << bad.from << "->" << bad.to;
  }
  ShardedCollection twice = c;
  twice.moves.push_back({1, "n3", "n5", 1});
  EXPECT_EQ(DecodeShardedCollection(EncodeShardedCollection(twice), "docs")
                .status()
                .code(),
            StatusCode::kCorruption);
}

TEST(PlanMovesTest, ABalancedClusterMovesNothingEvenWithANodeDown) {
  RebalanceInput in;
  in.collections = {Col("a", "u1", {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}})};
  in.live = {"n1", "n2", "n3"};
  EXPECT_TRUE(PlanMoves(in).empty());
  in.live = {"n1", "n3"};  // n2 died: nothing moves (it may come back)
  EXPECT_TRUE(PlanMoves(in).empty());
}

TEST(PlanMovesTest, ANewNodeReceivesReplicasUntilBalanced) {
  RebalanceInput in;
  in.collections = {Col("a", "u1", {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}}),
                    Col("b", "u2", {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}})};
  in.live = {"n1", "n2", "n3", "n4"};
  in.max_in_flight = 100;
  // Primaries: n1 leads shard 0 of "a"; a primary is moved last.
  in.primaries = {{"u1/0", "n1"}};
  for (int round = 0; round < 10; ++round) {
    auto planned = PlanMoves(in);
    if (planned.empty()) break;
    for (const auto& p : planned) {
      EXPECT_EQ(p.move.to, "n4");
      const auto& nodes = in.collections[p.collection].placement[p.move.shard];
      EXPECT_NE(std::find(nodes.begin(), nodes.end(), p.move.from),
                nodes.end());
      EXPECT_FALSE(p.collection == 0 && p.move.shard == 0 &&
                   p.move.from == "n1")
          << "the primary's replica stays while others can move";
    }
    Finish(&in, planned);
  }
  auto load = ReplicaLoad(in.collections);
  EXPECT_EQ(load["n4"], 3u);  // 12 replicas over 4 nodes
  for (const auto& [n, l] : load) EXPECT_EQ(l, 3u) << n;
  for (const auto& c : in.collections) {
    for (const auto& nodes : c.placement) {
      EXPECT_EQ(std::set<std::string>(nodes.begin(), nodes.end()).size(),
                nodes.size())
          << "a node holds a shard once";
    }
  }
}

TEST(PlanMovesTest, MovesInFlightCountAgainstTheLimitAndBlockTheirShard) {
  RebalanceInput in;
  in.collections = {Col("a", "u1", {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}})};
  in.collections[0].moves.push_back({0, "n1", "n4", 1});
  in.live = {"n1", "n2", "n3", "n4"};
  in.max_in_flight = 1;
  EXPECT_TRUE(PlanMoves(in).empty());
  in.max_in_flight = 5;
  // n4 counts the replica it is receiving: 1 against 2, 2, 1 (n1 gives
  // one away): balanced, nothing more.
  EXPECT_TRUE(PlanMoves(in).empty());
}

TEST(PlanMovesTest, ADrainMovesEveryReplicaOffTheNodeLiveOrDead) {
  RebalanceInput in;
  in.collections = {Col("a", "u1", {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}})};
  in.live = {"n1", "n2", "n3", "n4"};
  in.draining = {"n2"};
  in.max_in_flight = 100;
  for (int round = 0; round < 10; ++round) {
    auto planned = PlanMoves(in);
    if (planned.empty()) break;
    for (const auto& p : planned) {
      EXPECT_NE(p.move.to, "n2");
      EXPECT_TRUE(in.live.count(p.move.to));
    }
    Finish(&in, planned);
  }
  auto load = ReplicaLoad(in.collections);
  EXPECT_EQ(load["n2"], 0u);
  EXPECT_EQ(load["n1"] + load["n3"] + load["n4"], 6u);

  // A dead node is drained the same way: its replicas are rebuilt from the
  // logs on the others.
  RebalanceInput dead;
  dead.collections = {
      Col("a", "u1", {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}})};
  dead.live = {"n1", "n3", "n4"};
  dead.draining = {"n2"};
  dead.max_in_flight = 100;
  auto planned = PlanMoves(dead);
  ASSERT_EQ(planned.size(), 2u);
  for (const auto& p : planned) {
    EXPECT_EQ(p.move.from, "n2");
    EXPECT_EQ(p.move.to, "n4") << "the node with the fewest replicas";
  }
}

TEST(PlanMovesTest, ADrainWithNowhereToGoWaits) {
  RebalanceInput in;  // replication factor 3 on 3 nodes
  in.collections = {Col("a", "u1", {{"n1", "n2", "n3"}})};
  in.live = {"n1", "n2", "n3"};
  in.draining = {"n3"};
  EXPECT_TRUE(PlanMoves(in).empty());
  in.live.insert("n4");
  auto planned = PlanMoves(in);
  ASSERT_EQ(planned.size(), 1u);
  EXPECT_EQ(planned[0].move.from, "n3");
  EXPECT_EQ(planned[0].move.to, "n4");
}

TEST(PlanHandoffsTest, PrimariesSpreadOverTheReplicasOneAtATime) {
  RebalanceInput in;
  in.live = {"n1", "n2", "n3"};
  in.collections.push_back(
      Col("docs", "u1",
          {{"n1", "n2", "n3"}, {"n2", "n3", "n1"}, {"n3", "n1", "n2"}}));
  // n1 leads all three shards (it created the collection).
  in.primaries = {{"u1/0", "n1"}, {"u1/1", "n1"}, {"u1/2", "n1"}};
  auto h = PlanHandoffs(in);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].from, "n1");
  EXPECT_EQ(h[0].to, "n2") << "fewest primaries, then the smallest id";
  in.primaries["u1/" + std::to_string(h[0].shard)] = h[0].to;
  h = PlanHandoffs(in);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].to, "n3");
  in.primaries["u1/" + std::to_string(h[0].shard)] = h[0].to;
  EXPECT_TRUE(PlanHandoffs(in).empty()) << "one each: balanced";

  // 2 against 0 is not balanced; 2 against 1 is (n3 down).
  in.primaries = {{"u1/0", "n1"}, {"u1/1", "n1"}, {"u1/2", "n2"}};
  h = PlanHandoffs(in);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].to, "n3");
  in.live = {"n1", "n2"};
  EXPECT_TRUE(PlanHandoffs(in).empty());
  // A dead or draining node takes none.
  in.primaries = {{"u1/0", "n1"}, {"u1/1", "n1"}, {"u1/2", "n1"}};
  in.draining = {"n2"};
  EXPECT_TRUE(PlanHandoffs(in).empty());
}

TEST(PlanHandoffsTest, OnlyToAReplicaAndNeverDuringAMove) {
  RebalanceInput in;
  in.live = {"n1", "n2", "n3"};
  // n2 holds no replica of the shards n1 leads.
  in.collections.push_back(Col("a", "u1", {{"n1", "n3"}, {"n1", "n3"}}));
  in.primaries = {{"u1/0", "n1"}, {"u1/1", "n1"}};
  auto h = PlanHandoffs(in);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].to, "n3") << "n2 leads as few but holds no replica";
  // Both of n1's shards are moving: nothing is handed over.
  in.collections[0].moves = {{0, "n3", "n2", 1}, {1, "n3", "n2", 1}};
  EXPECT_TRUE(PlanHandoffs(in).empty());
}

}  // namespace
}  // namespace proximadb::cluster
