// Cluster mode in one process: two ClusterNodes (each with its own engine,
// data directory and internal API port) on a real etcd (each test starts its
// own, tests/cluster/etcd_fixture.sh) and the fixture's NATS JetStream, used
// through ClusterDB as the service uses it.
#include "cluster/cluster_db.h"
#include "service/query.h"
#include "service/recommend.h"
#include "service/search_groups.h"

#include "cluster_etcd/etcd_test_env.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace proximadb::cluster {
namespace {

std::map<std::string, std::string> EnvFile(const char* var) {
  const char* file = std::getenv(var);
  if (file == nullptr) return {};
  return etcd_test::ReadEnvFile(file);
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ClusterNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = EnvFile("PDB_NATS_ENV_FILE");
    if (nats.count("NATS_SKIP") && !std::getenv("PDB_REQUIRE_NATS")) {
      GTEST_SKIP() << nats["NATS_SKIP"];
    }
    ASSERT_TRUE(nats.count("NATS_URLS"))
        << "run through ctest (`ctest -L nats`: the fixture starts NATS)";
    urls_ = Split(nats["NATS_URLS"]);
    ASSERT_TRUE(own_etcd_.Start()) << "cannot start etcd (etcd_fixture.sh)";
    etcd_ = own_etcd_.endpoint();
    std::random_device rd;
    ns_ =
        "t" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 100000);
    root_ = std::filesystem::temp_directory_path() / ("pdb-cluster-" + ns_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    dbs_.clear();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  ClusterOptions Options(const std::string& id) {
    ClusterOptions o;
    o.enabled = true;
    o.node_id = id;
    o.advertise_address = "127.0.0.1:" + std::to_string(FreePort());
    o.etcd_endpoints = {etcd_};
    o.nats_urls = urls_;
    o.cluster_namespace = ns_;
    o.default_shards = 2;
    o.default_replication_factor = 2;
    o.internal_token = token_;
    o.snapshot_interval_entries = snapshot_interval_;
    o.stream_retain_entries = retain_;
    return o;
  }

  Result<std::unique_ptr<ClusterDB>> Start(const std::string& id,
                                           const std::string& dir_name) {
    const std::string dir = (root_ / dir_name).string();
    DBOptions dbo;
    dbo.background_threads = false;
    // The object store every node shares (shard snapshots), when a test
    // asks for one.
    if (shared_objects_) {
      dbo.tiering.local_object_directory = (root_ / "objects").string();
    }
    PDB_ASSIGN_OR_RETURN(auto engine, DB::Open(dbo, dir));
    PDB_ASSIGN_OR_RETURN(auto node,
                         ClusterNode::Start(Options(id), std::move(engine),
                                            Env::Default(), dir));
    return std::make_unique<ClusterDB>(std::move(node));
  }

  bool shared_objects_ = false;
  std::string token_;  // [cluster] internal_token of the nodes started next
  uint64_t snapshot_interval_ = 10000;
  uint64_t retain_ = 10000;
  etcd_test::OwnEtcd own_etcd_;
  std::vector<std::string> urls_;
  std::string etcd_;
  std::string ns_;
  std::filesystem::path root_;
  std::vector<std::unique_ptr<ClusterDB>> dbs_;
};

std::vector<float> Vec(int i) {
  return {1.0f + i, 0.5f * i, -1.0f, 0.25f * (i % 7)};
}

// Collection "docs" of 4-dimension euclidean vectors; shards and
// replication factor 0: the nodes' defaults.
CollectionConfig Docs(uint32_t shards = 0, uint32_t rf = 0) {
  CollectionConfig cfg;
  cfg.name = "docs";
  cfg.dimension = 4;
  cfg.metric = Metric::kEuclidean;
  cfg.shard_count = shards;
  cfg.replication_factor = rf;
  return cfg;
}

// Waits (up to 60 s) until `pred` holds for the cluster as `db` sees it.
bool WaitForCluster(ClusterDB* db,
                    const std::function<bool(const ClusterInfo&)>& pred) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = db->GetClusterInfo();
    if (info.ok() && pred(*info)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(ClusterNodeTest, TwoNodesServeOneShardedCollection) {
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();

  CollectionConfig cfg = Docs();
  cfg.sparse_vectors = {"kw"};
  cfg.vectors = {NamedVectorConfig{"pos", 2, Metric::kEuclidean, false},
                 NamedVectorConfig{"tok", 2, Metric::kDotProduct, true}};
  auto created = (*a)->CreateCollection(cfg);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)->config().shard_count, 2u);
  EXPECT_EQ((*created)->config().replication_factor, 2u);
  EXPECT_EQ((*b)->CreateCollection(cfg).status().code(),
            StatusCode::kAlreadyExists);

  auto on_b = (*b)->GetCollection("docs");
  ASSERT_TRUE(on_b.ok()) << on_b.status().ToString();
  std::vector<Point> points;
  // Texts for BM25: "red fox" (i % 5 == 0), else "red" (odd i) or
  // "blue fox fox" (even i).
  auto text_of = [](int i) -> std::string {
    return i % 5 == 0 ? "red fox" : i % 2 ? "red" : "blue fox fox";
  };
  // Sparse "kw": dimension i % 3 with weight 1 and dimension 10 + i % 7
  // with weight i / 4 (points with i % 6 == 5 carry none).
  auto sparse_of = [](int i) {
    SparseVectors v;
    if (i % 6 != 5) {
      v["kw"] = SparseVector{
          {static_cast<uint32_t>(i % 3), static_cast<uint32_t>(10 + i % 7)},
          {1.0f, static_cast<float>(i) / 4}};
    }
    return v;
  };
  for (int i = 0; i < 40; ++i) {
    points.push_back(
        {"p" + std::to_string(i), Vec(i), {{"i", i % 4}, {"t", text_of(i)}}});
    points.back().sparse_vectors = sparse_of(i);
    // Named: "pos" = (i, 0) for every point but i % 7 == 3; "tok" = the
    // rows (1, 0), (0, i % 5) for even i.
    if (i % 7 != 3) {
      points.back().named_vectors["pos"] =
          NamedVector{{static_cast<float>(i), 0}, 1, false};
    }
    if (i % 2 == 0) {
      points.back().named_vectors["tok"] =
          NamedVector{{1, 0, 0, static_cast<float>(i % 5)}, 2, true};
    }
  }
  auto ids = (*on_b)->Upsert(points);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  // A bad point is refused before anything enters a log.
  EXPECT_EQ((*on_b)->Upsert({{"bad", {1, 2}, {}}}).status().code(),
            StatusCode::kDimensionMismatch);

  auto on_a = (*a)->GetCollection("docs");
  ASSERT_TRUE(on_a.ok());
  auto n = (*on_a)->Count({});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 40u);
  n = (*on_a)->Count({{"i", 1}});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10u);

  SearchRequest q;
  q.vector = Vec(13);
  q.k = 3;
  q.exact = true;
  q.consistency = ReadConsistency::kStrong;
  auto r = (*on_a)->Search(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->hits.size(), 3u);
  EXPECT_EQ(r->hits[0].id, "p13");
  EXPECT_LE(r->hits[0].score, r->hits[1].score);  // euclidean: lower first

  ScrollRequest s;
  s.limit = 15;
  // Strong: every point written above, whichever replica answers (an
  // eventual scroll may read a replica that has not applied them yet).
  s.consistency = ReadConsistency::kStrong;
  std::vector<std::string> seen;
  while (true) {
    auto page = (*on_b)->Scroll(s);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& p : page->points) seen.push_back(p.id);
    if (page->next_after_id.empty()) break;
    s.after_id = page->next_after_id;
  }
  std::vector<std::string> want;
  for (const auto& p : points) want.push_back(p.id);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);

  // Ordered by "i" (0..3, ten points each) descending, ties by id, paged
  // across both shards with the (value, id) cursor.
  ScrollRequest ordered;
  ordered.limit = 7;
  ordered.consistency = ReadConsistency::kStrong;
  ordered.order_by = ScrollOrder{"i", true};
  std::vector<std::string> by_i;
  while (true) {
    auto page = (*on_a)->Scroll(ordered);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& p : page->points) by_i.push_back(p.id);
    if (page->next_after_id.empty()) break;
    ordered.after_id = page->next_after_id;
    ordered.after_value = page->next_after_value;
  }
  std::vector<std::pair<int, std::string>> keyed;
  for (int i = 0; i < 40; ++i)
    keyed.push_back({-(i % 4), "p" + std::to_string(i)});
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> want_by_i;
  for (auto& [k, id] : keyed) want_by_i.push_back(id);
  EXPECT_EQ(by_i, want_by_i);
  // Facet counts summed over both shards.
  FacetRequest facet;
  facet.key = "i";
  facet.limit = 3;
  facet.filter = {{"i", {{"$lte", 2}}}};
  facet.consistency = ReadConsistency::kStrong;
  auto counts = (*on_b)->Facet(facet);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->values,
            (std::vector<FacetValue>{{0, 10}, {1, 10}, {2, 10}}));

  // BM25 over both shards scores with the whole collection's statistics
  // (the coordinator sums them first): every score is the formula's with
  // N = 40 and the collection's df and mean length.
  TextSearchRequest text;
  text.field = "t";
  text.query = "the fox";  // "the": a stop word
  text.k = 40;
  text.consistency = ReadConsistency::kStrong;
  auto stats = (*on_b)->TextStats(text);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  double words = 0, df = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string t = text_of(i);
    words += t == "red" ? 1 : t == "red fox" ? 2 : 3;
    df += t != "red";
  }
  EXPECT_EQ(stats->docs, 40u);
  EXPECT_EQ(stats->words, static_cast<uint64_t>(words));
  EXPECT_EQ(stats->doc_freq, std::vector<uint64_t>{static_cast<uint64_t>(df)});
  auto ranked = (*on_a)->TextSearch(text);
  ASSERT_TRUE(ranked.ok()) << ranked.status().ToString();
  ASSERT_EQ(ranked->hits.size(), static_cast<size_t>(df));
  const double idf = std::log(1 + (40 - df + 0.5) / (df + 0.5));
  for (size_t h = 0; h < ranked->hits.size(); ++h) {
    const int i = std::stoi(ranked->hits[h].id.substr(1));
    const double tf = text_of(i) == "red fox" ? 1 : 2;
    const double len = text_of(i) == "red fox" ? 2 : 3;
    const double want =
        idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / (words / 40)));
    EXPECT_NEAR(ranked->hits[h].score, want, 1e-5) << ranked->hits[h].id;
    if (h > 0) {
      EXPECT_LE(ranked->hits[h].score, ranked->hits[h - 1].score);
    }
  }
  // A hybrid query over the cluster: the text list alone is its ranking.
  service::QueryRequest hybrid;
  service::QueryPrefetch by_text;
  by_text.kind = service::QueryPrefetch::Kind::kText;
  by_text.text = "fox";
  by_text.using_ = "t";
  hybrid.prefetch = {by_text};
  hybrid.limit = 3;
  hybrid.consistency = ReadConsistency::kStrong;
  auto fused = service::Query(**on_a, hybrid);
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  ASSERT_EQ(fused->hits.size(), 3u);
  for (size_t h = 0; h < 3; ++h) {
    EXPECT_EQ(fused->hits[h].id, ranked->hits[h].id);
  }

  // Exact sparse search over both shards: each shard's best k, merged by
  // score then id, equals the dot products over all 40 points.
  SparseSearchRequest sq;
  sq.name = "kw";
  sq.vector = SparseVector{{1, 12}, {2.0f, 1.0f}};
  sq.k = 6;
  sq.filter = {{"i", {{"$lte", 2}}}};
  sq.consistency = ReadConsistency::kStrong;
  std::vector<std::pair<double, std::string>> dots;
  for (int i = 0; i < 40; ++i) {
    if (i % 6 == 5 || i % 4 > 2) continue;
    const SparseVector v = sparse_of(i).at("kw");
    double dot = 0;
    bool shared = false;
    for (size_t d = 0; d < v.indices.size(); ++d) {
      for (size_t e = 0; e < sq.vector.indices.size(); ++e) {
        if (v.indices[d] != sq.vector.indices[e]) continue;
        dot += double{v.values[d]} * sq.vector.values[e];
        shared = true;
      }
    }
    if (shared) dots.push_back({-dot, "p" + std::to_string(i)});
  }
  std::sort(dots.begin(), dots.end());
  auto by_sparse = (*on_a)->SparseSearch(sq);
  ASSERT_TRUE(by_sparse.ok()) << by_sparse.status().ToString();
  ASSERT_EQ(by_sparse->hits.size(), 6u);
  for (size_t h = 0; h < 6; ++h) {
    EXPECT_EQ(by_sparse->hits[h].id, dots[h].second) << h;
    EXPECT_FLOAT_EQ(by_sparse->hits[h].score, -dots[h].first) << h;
  }
  sq.name = "other";
  EXPECT_EQ((*on_b)->SparseSearch(sq).status().code(),
            StatusCode::kInvalidArgument);

  // Named vectors over both shards: exact, each shard's best k merged.
  // "pos" from (20.4, 0), filtered to i % 4 <= 2: 20 (0.4), 21 (0.6),
  // 22 (1.6), 18 (2.4), 16 (4.4); 19 and 23 fail the filter, 17 and 24
  // (i % 7 == 3) hold no "pos".
  SearchRequest nq;
  nq.using_vector = "pos";
  nq.vector = {20.4f, 0};
  nq.k = 5;
  nq.filter = {{"i", {{"$lte", 2}}}};
  nq.consistency = ReadConsistency::kStrong;
  auto by_pos = (*on_a)->Search(nq);
  ASSERT_TRUE(by_pos.ok()) << by_pos.status().ToString();
  std::vector<std::string> pos_ids;
  for (const auto& h : by_pos->hits) pos_ids.push_back(h.id);
  EXPECT_EQ(pos_ids,
            (std::vector<std::string>{"p20", "p21", "p22", "p18", "p16"}));
  EXPECT_NEAR(by_pos->hits[0].score, 0.4f, 1e-5);
  // MaxSim over "tok" with the query rows (0, 1): max(0, i % 5) for even
  // i: 4 for p4, p14, p24, p34, ties by id.
  nq = SearchRequest{};
  nq.using_vector = "tok";
  nq.vector = {0, 1};
  nq.vector_rows = 1;
  nq.k = 4;
  // Strong: a replica on b may not have applied the last writes yet (the
  // fresh machine once saw p24 missing from a lagging replica's answer).
  nq.consistency = ReadConsistency::kStrong;
  auto by_tok = (*on_b)->Search(nq);
  ASSERT_TRUE(by_tok.ok()) << by_tok.status().ToString();
  std::vector<std::string> tok_ids;
  for (const auto& h : by_tok->hits) tok_ids.push_back(h.id);
  EXPECT_EQ(tok_ids, (std::vector<std::string>{"p14", "p24", "p34", "p4"}));
  auto got = (*on_b)->Get("p4");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->named_vectors.at("tok").values,
            (std::vector<float>{1, 0, 0, 4}));
  nq.using_vector = "nope";
  EXPECT_EQ((*on_a)->Search(nq).status().code(), StatusCode::kInvalidArgument);

  // Grouping and recommending sit above Collection: over both shards.
  SearchRequest grouped = q;
  grouped.k = 4;
  grouped.group_by = "i";
  grouped.group_size = 2;
  auto groups = service::GroupedSearch(**on_a, grouped);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_TRUE(groups->groups.has_value());
  ASSERT_EQ(groups->groups->size(), 4u);
  EXPECT_EQ((*groups->groups)[0].id, 1);
  EXPECT_EQ((*groups->groups)[0].hits[0].id, "p13");
  for (const SearchGroup& g : *groups->groups) {
    ASSERT_EQ(g.hits.size(), 2u);
    for (const SearchHit& h : g.hits) EXPECT_EQ(h.metadata["i"], g.id);
  }
  RecommendRequest rec;
  rec.positive = {{"p13", {}}};
  rec.query = q;
  rec.query.vector.clear();
  rec.query.k = 2;
  for (auto strategy :
       {RecommendStrategy::kAverage, RecommendStrategy::kBestScore}) {
    rec.strategy = strategy;
    auto liked = service::Recommend(**on_b, rec);
    ASSERT_TRUE(liked.ok()) << liked.status().ToString();
    ASSERT_EQ(liked->hits.size(), 2u);
    for (const SearchHit& h : liked->hits) {
      EXPECT_TRUE(h.id == "p12" || h.id == "p14") << h.id;
    }
  }

  ASSERT_TRUE((*on_a)->UpdateMetadata("p7", {{"i", 99}}).ok());
  auto p7 = (*on_b)->Get("p7");
  ASSERT_TRUE(p7.ok()) << p7.status().ToString();
  EXPECT_EQ(p7->metadata, nlohmann::json({{"i", 99}}));
  EXPECT_EQ(p7->vector, Vec(7));
  EXPECT_EQ((*on_a)->UpdateMetadata("nope", {}).code(), StatusCode::kNotFound);
  // A partial update over both shards: the primaries resolve the points.
  MetadataPatch patch;
  patch.set = {{"tag", "t"}};
  patch.unset = {"i", "t"};
  std::vector<std::string> patched;
  for (int i = 20; i < 30; ++i) patched.push_back("p" + std::to_string(i));
  patched.push_back("nope");
  auto pr = (*on_b)->PatchMetadata(patched, patch);
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  EXPECT_EQ(pr->updated, 10u);
  EXPECT_EQ(pr->not_found, std::vector<std::string>{"nope"});
  n = (*on_a)->Count({{"tag", "t"}});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 10u);
  auto p25 = (*on_a)->Get("p25");
  ASSERT_TRUE(p25.ok()) << p25.status().ToString();
  EXPECT_EQ(p25->metadata, nlohmann::json({{"tag", "t"}}));
  EXPECT_EQ(p25->vector, Vec(25));
  patch.unset = {"tag"};  // in both
  EXPECT_EQ((*on_b)->PatchMetadata({"p20"}, patch).status().code(),
            StatusCode::kInvalidArgument);

  auto deleted = (*on_b)->Delete({"p1", "p2", "nope"});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ((*on_a)->Get("p1").status().code(), StatusCode::kNotFound);

  // Expiry over the cluster: the time travels in the shard log; a point
  // past it is invisible wherever it is read, one before it keeps its time
  // (through a metadata update too).
  Point gone{"gone", Vec(3), {{"i", 3}}};
  gone.expires_at_micros = 1;  // 1970
  Point later{"later", Vec(4), {{"i", 0}}};
  const uint64_t at = Clock::Real()->NowMicros() + 3600ull * 1000000;
  later.expires_at_micros = at;
  ASSERT_TRUE((*on_b)->Upsert({gone, later}).ok());
  EXPECT_EQ((*on_a)->Get("gone").status().code(), StatusCode::kNotFound);
  auto kept = (*on_a)->Get("later");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->expires_at_micros, at);
  ASSERT_TRUE((*on_b)->UpdateMetadata("later", {{"i", 0}, {"x", 1}}).ok());
  kept = (*on_a)->Get("later");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->expires_at_micros, at);
  EXPECT_EQ((*on_b)->Delete({"gone", "later"}).value(), 1u);

  ASSERT_TRUE(
      (*on_a)->CreatePayloadIndex({"i", PayloadIndexType::kInteger}).ok());
  EXPECT_EQ((*on_b)->Info().payload_indexes.size(), 1u);
  EXPECT_EQ((*on_b)->Info().point_count, 38u);

  ASSERT_TRUE(
      (*a)->UpdateAliases({{AliasAction::Kind::kCreate, "prod", "docs"}}).ok());
  auto via_alias = (*b)->GetCollection("prod");
  ASSERT_TRUE(via_alias.ok());
  EXPECT_EQ((*via_alias)->config().name, "docs");

  // The rebalancer may be handing a primary over from one node to the other
  // (a moment with no primary), and a replica's report may miss one round
  // on a loaded machine: the checks below are of the settled state.
  ASSERT_TRUE(WaitForCluster(b->get(), [](const ClusterInfo& i) {
    for (const auto& shard : i.shards) {
      if (shard.primary.empty()) return false;
      for (const auto& rep : shard.replicas) {
        if (!rep.reported) return false;
      }
    }
    return i.shards.size() == 2;
  }));
  auto info = (*b)->GetClusterInfo();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->enabled);
  EXPECT_EQ(info->nodes.size(), 2u);
  ASSERT_EQ(info->shards.size(), 2u);
  for (const auto& shard : info->shards) {
    EXPECT_FALSE(shard.primary.empty());
    EXPECT_GT(shard.fencing_token, 0u);
    ASSERT_EQ(shard.replicas.size(), 2u);
    for (const auto& rep : shard.replicas) EXPECT_TRUE(rep.reported);
  }

  EXPECT_EQ(
      (*a)->CreateSnapshot("docs", SnapshotTarget::kLocal).status().code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ((*b)->DropCollection("prod").code(),
            StatusCode::kFailedPrecondition);  // an alias
  ASSERT_TRUE((*b)->DropCollection("docs").ok());
  EXPECT_EQ((*a)->GetCollection("docs").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*on_a)->Count({}).status().code(), StatusCode::kNotFound);
}

TEST_F(ClusterNodeTest,
       ANodeIdIsTakenOnceAndADataDirectoryBelongsToOneCluster) {
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto dup = Start("a", "a2");
  ASSERT_EQ(dup.status().code(), StatusCode::kFailedPrecondition)
      << dup.status().ToString();
  EXPECT_NE(dup.status().message().find("unique"), std::string::npos);
  a->reset();
  // The directory of node a, pointed at another namespace (another
  // cluster), does not start.
  ns_ += "_other";
  auto other = Start("a", "a");
  ASSERT_EQ(other.status().code(), StatusCode::kFailedPrecondition)
      << other.status().ToString();
  EXPECT_NE(other.status().message().find("belongs to cluster"),
            std::string::npos);
}

TEST_F(ClusterNodeTest, ReplicationFactorNeedsLiveNodes) {
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  CollectionConfig cfg;
  cfg.name = "docs";
  cfg.dimension = 4;
  cfg.replication_factor = 2;
  auto c = (*a)->CreateCollection(cfg);
  ASSERT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("live nodes"), std::string::npos);
  cfg.replication_factor = 1;
  cfg.shard_count = 3;
  c = (*a)->CreateCollection(cfg);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto ids = (*c)->Upsert({{"", Vec(1), {}}, {"", Vec(2), {}}});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), 2u);
  EXPECT_EQ(*(*c)->Count({}), 2u);
  ASSERT_TRUE((*c)->Flush().ok());
  // One segment per shard that holds a point.
  const size_t shards_used =
      ShardOf((*ids)[0], 3) == ShardOf((*ids)[1], 3) ? 1 : 2;
  EXPECT_EQ((*c)->Info().segment_count, shards_used);
  ASSERT_TRUE((*a)->DropCollection("docs").ok());
}

// Replicas of `node` in the placements (a move's new replica excluded), and
// whether no move is under way with every replica caught up.
size_t Holds(const ClusterInfo& c, const std::string& node) {
  size_t n = 0;
  for (const auto& s : c.shards) {
    for (const auto& r : s.replicas) {
      if (r.node_id == node && r.state != "joining") ++n;
    }
  }
  return n;
}
bool Settled(const ClusterInfo& c, size_t rf) {
  for (const auto& s : c.shards) {
    if (s.replicas.size() != rf || s.primary.empty()) return false;
    for (const auto& r : s.replicas) {
      if (!r.reported || r.lag != 0) return false;
    }
  }
  return true;
}

TEST_F(ClusterNodeTest, AJoiningNodeReceivesReplicasAndADrainMovesThemAway) {
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = (*a)->CreateCollection(Docs(4, 1));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::vector<Point> points;
  for (int i = 0; i < 200; ++i) {
    points.push_back({"p" + std::to_string(i), Vec(i), {{"i", i}}});
  }
  ASSERT_TRUE((*c)->Upsert(points).ok());

  // Node c joins: the rebalancer (on node a, the smallest id) moves one
  // replica of each of a and b to it... until the counts are within one.
  auto joined = Start("c", "c");
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  ASSERT_TRUE(WaitForCluster(a->get(), [](const ClusterInfo& i) {
    return Holds(i, "c") >= 1 && Settled(i, 1);
  }));
  auto info = (*b)->GetClusterInfo();
  ASSERT_TRUE(info.ok());
  EXPECT_GE(Holds(*info, "c"), 1u);
  EXPECT_LE(Holds(*info, "a"), 2u);
  EXPECT_LE(Holds(*info, "b"), 2u);
  for (const auto& n : info->nodes) {
    EXPECT_TRUE(n.alive) << n.node_id;
    EXPECT_FALSE(n.draining) << n.node_id;
    EXPECT_EQ(n.replicas, Holds(*info, n.node_id)) << n.node_id;
  }
  auto on_c = (*joined)->GetCollection("docs");
  ASSERT_TRUE(on_c.ok());
  auto count = (*on_c)->Count({});
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 200u);

  // Draining node a moves every replica it holds to b and c.
  EXPECT_EQ((*b)->SetNodeDraining("nobody", true).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE((*b)->SetNodeDraining("a", true).ok());
  ASSERT_TRUE(WaitForCluster(b->get(), [](const ClusterInfo& i) {
    return Holds(i, "a") == 0 && Settled(i, 1);
  }));
  info = (*joined)->GetClusterInfo();
  ASSERT_TRUE(info.ok());
  for (const auto& n : info->nodes) {
    EXPECT_EQ(n.draining, n.node_id == "a") << n.node_id;
  }
  // Nothing was lost on the way, and node a dropped its local copies.
  count = (*on_c)->Count({});
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 200u);
  auto on_a = (*a)->GetCollection("docs");
  ASSERT_TRUE(on_a.ok());
  SearchRequest q;
  q.vector = Vec(77);
  q.k = 1;
  q.exact = true;
  auto r = (*on_a)->Search(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->hits.size(), 1u);
  EXPECT_EQ(r->hits[0].id, "p77");
  const bool a_drops = WaitForCluster(a->get(), [&](const ClusterInfo&) {
    for (const auto& col : (*a)->node()->engine()->ListCollections()) {
      if (col.config.name.rfind("c", 0) == 0) return false;
    }
    return true;
  });
  EXPECT_TRUE(a_drops) << "node a still holds local shard collections";
  ASSERT_TRUE((*b)->SetNodeDraining("a", false).ok());
  ASSERT_TRUE((*joined)->DropCollection("docs").ok());
}

// One shard's info as `db` sees it.
ClusterShardInfo ShardInfo(ClusterDB* db, uint32_t shard) {
  auto info = db->GetClusterInfo();
  if (!info.ok()) return {};
  for (const auto& s : info->shards) {
    if (s.shard == shard) return s;
  }
  return {};
}

// Upserts points lo..hi-1 of collection `c`, one write (one log entry) each
// `batch` points.
void Write(Collection* c, int lo, int hi, int batch) {
  for (int i = lo; i < hi; i += batch) {
    std::vector<Point> points;
    for (int j = i; j < std::min(hi, i + batch); ++j) {
      points.push_back({"p" + std::to_string(j), Vec(j), {{"i", j}}});
    }
    auto r = c->Upsert(points);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

// How many points the local replica of node `db` holds (its own engine,
// not the cluster's routing).
uint64_t LocalCount(ClusterDB* db) {
  uint64_t n = 0;
  for (const auto& col : db->node()->engine()->ListCollections()) {
    if (col.config.name.rfind("c", 0) == 0) n += col.point_count;
  }
  return n;
}

TEST_F(ClusterNodeTest, PrimariesSpreadOverTheNodes) {
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = Start("c", "c");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto col = (*a)->CreateCollection(Docs(6, 3));
  ASSERT_TRUE(col.ok()) << col.status().ToString();
  auto led = [](const ClusterInfo& i) {
    std::map<std::string, int> n;
    for (const auto& s : i.shards) ++n[s.primary];
    return n;
  };
  auto first = (*a)->GetClusterInfo();
  ASSERT_TRUE(first.ok());
  std::string at_start;
  for (const auto& [node, n] : led(*first)) {
    at_start += node + ":" + std::to_string(n) + " ";
  }
  // Writes go on while primaries are handed over; each node ends up
  // leading two of the six shards.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0}, failed{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      auto r = (*col)->Upsert({{"w" + std::to_string(i), Vec(i), {}}});
      (r.ok() ? acked : failed).fetch_add(1);
    }
  });
  const bool balanced = WaitForCluster(a->get(), [&](const ClusterInfo& i) {
    auto n = led(i);
    return n.size() == 3 && n.count("") == 0 && n["a"] == 2 && n["b"] == 2 &&
           n["c"] == 2;
  });
  stop = true;
  writer.join();
  EXPECT_TRUE(balanced) << "primaries at the start: " << at_start;
  EXPECT_GT(acked.load(), 0);
  auto count = (*col)->Count({});
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_GE(*count, static_cast<uint64_t>(acked.load()));
  EXPECT_LE(*count, static_cast<uint64_t>(acked.load() + failed.load()));
  std::cout << "primaries at the start: " << at_start << "; " << acked.load()
            << " writes acknowledged, " << failed.load()
            << " refused while they moved\n";
}

TEST_F(ClusterNodeTest, NodesRefuseInternalCallsWithoutTheClusterToken) {
  token_ = "s3cret";
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = (*a)->CreateCollection(Docs(2, 1));  // shard 0 on a, shard 1 on b
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // Ids of each shard.
  std::string on0, on1, more1;
  for (int i = 0; on0.empty() || on1.empty() || more1.empty(); ++i) {
    const std::string id = "p" + std::to_string(i);
    if (ShardOf(id, 2) == 0) {
      on0 = id;
    } else {
      (on1.empty() ? on1 : more1) = id;
    }
  }
  // The same token: a's writes reach b's shard.
  ASSERT_TRUE((*c)->Upsert({{on0, Vec(0), {}}, {on1, Vec(1), {}}}).ok());
  EXPECT_EQ(*(*c)->Count({}), 2u);

  // Node b started again with another token: a's calls to it are refused
  // before anything is done, and say why.
  b->reset();
  token_ = "other";
  b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Status s;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {  // until b leads its shard again
    s = (*c)->Upsert({{more1, Vec(2), {}}}).status();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (s.code() == StatusCode::kUnavailable &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("internal_token"), std::string::npos)
      << s.ToString();
  // Reads routed to b are refused too; a's own shard still serves.
  EXPECT_EQ((*c)->Get(on1).status().code(), StatusCode::kFailedPrecondition);
  auto got = (*c)->Get(on0);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  // Nothing of the refused write was stored: b's replica holds one point.
  EXPECT_EQ(LocalCount(b->get()), 1u);
}

TEST_F(ClusterNodeTest, AReplicaTheTrimmedLogNoLongerServesRestoresASnapshot) {
  shared_objects_ = true;
  snapshot_interval_ = 20;
  retain_ = 5;
  auto a = Start("a", "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = (*a)->CreateCollection(Docs(1, 2));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Write(c->get(), 0, 300, 10);  // 30 log entries

  // The primary snapshots its replica once 20 entries were written, then
  // trims the stream to the 5 entries before the snapshot's position.
  ASSERT_TRUE(WaitForCluster(a->get(), [](const ClusterInfo& i) {
    return i.shards.size() == 1 && i.shards[0].snapshot_seq >= 20;
  }));
  ClusterShardInfo s = ShardInfo(a->get(), 0);
  EXPECT_FALSE(s.snapshot_id.empty());
  EXPECT_FALSE(s.snapshot_node.empty());
  EXPECT_GT(s.snapshot_unix_ms, 0u);
  EXPECT_EQ(s.first_seq, s.snapshot_seq - 4) << "5 entries kept before it";
  EXPECT_EQ(s.last_seq, 30u);

  // Node b stops; 60 more entries are written and two more snapshots
  // taken; the stream no longer holds the entries b needs.
  const std::string primary = s.primary;
  ASSERT_FALSE(primary.empty());
  b->reset();
  auto on_a = (*a)->GetCollection("docs");
  ASSERT_TRUE(on_a.ok());
  Write(on_a->get(), 300, 900, 10);
  ASSERT_TRUE(WaitForCluster(a->get(), [](const ClusterInfo& i) {
    return i.shards.size() == 1 && i.shards[0].first_seq > 31;
  }));

  // b comes back: its replica is behind the log's first entry, so it
  // restores the shard's snapshot and follows the log from there.
  b = Start("b", "b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(WaitForCluster(a->get(), [](const ClusterInfo& i) {
    return Settled(i, 2);
  })) << "b's replica did not catch up";
  EXPECT_EQ(LocalCount(b->get()), 900u);
  auto on_b = (*b)->GetCollection("docs");
  ASSERT_TRUE(on_b.ok());
  auto got = (*on_b)->Get("p877");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->vector, Vec(877));

  // A node that joins and receives the replica of a drained node starts
  // from the snapshot too (the log lost its beginning long ago).
  auto joined = Start("c", "c");
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  ASSERT_TRUE((*a)->SetNodeDraining("b", true).ok());
  ASSERT_TRUE(WaitForCluster(a->get(), [](const ClusterInfo& i) {
    if (!Settled(i, 2)) return false;
    for (const auto& r : i.shards[0].replicas) {
      if (r.node_id == "b") return false;
    }
    return true;
  })) << "the replica did not move from b to c";
  EXPECT_EQ(LocalCount(joined->get()), 900u);
  // Writes go on; every replica has them.
  Write(on_a->get(), 900, 1000, 10);
  ASSERT_TRUE(WaitForCluster(a->get(), [](const ClusterInfo& i) {
    return Settled(i, 2) && i.shards[0].last_seq == 100;
  }));
  EXPECT_EQ(LocalCount(joined->get()), 1000u);
  EXPECT_EQ(LocalCount(a->get()), 1000u);

  // Dropping the collection removes its snapshot records; each node then
  // deletes its own snapshots (it looks every 30 s).
  ASSERT_TRUE((*a)->SetNodeDraining("b", false).ok());
  ASSERT_TRUE((*a)->DropCollection("docs").ok());
  auto manifests = [&] {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             root_ / "objects", ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->path().extension() == ".snapshot") ++n;
    }
    return n;
  };
  EXPECT_GE(manifests(), 1u);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(45);
  while (manifests() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(manifests(), 0u) << "the dropped collection's snapshots stay";
}

}  // namespace
}  // namespace proximadb::cluster
