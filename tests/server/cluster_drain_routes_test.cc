// Drain a node over both transports (docs/API.md, "Drain a node"), in
// process against a DB that plays a cluster (FakeClusterDB below; the real
// one needs etcd and NATS): POST / DELETE /api/v1/cluster/nodes/{id}/drain
// and the DrainNode RPC answer {node_id, draining} alike, reach
// DB::SetNodeDraining with the node and the direction, show in the cluster
// status (draining, replicas), map an unknown node to 404 / NOT_FOUND,
// refuse a malformed id before the DB is asked, and need a read-write key.
// Single-node mode's refusal is in integration.ParityTest.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/grpc/grpc_server.h"
#include "api/rest/router.h"
#include "proximadb/db.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "service/auth.h"
#include "util/service_fixture.h"

namespace proximadb::rest {
namespace {

using nlohmann::json;
namespace pb = ::proximadb::v1;

// A real single-node engine that answers the cluster calls as a cluster of
// two live nodes (n1, n2) would, and remembers the drains it was asked for.
// Like ClusterNode::SetDraining, a drain of a node it does not know is
// kNotFound; a cancel of one is not an error.
class FakeClusterDB final : public DB {
 public:
  explicit FakeClusterDB(std::unique_ptr<DB> engine)
      : engine_(std::move(engine)) {}

  // The drains asked for, in order: (node, draining).
  const std::vector<std::pair<std::string, bool>>& calls() const {
    return calls_;
  }

  Result<ClusterInfo> GetClusterInfo() override {
    ClusterInfo info;
    info.enabled = true;
    info.node_id = "n1";
    for (const auto& [id, replicas] : replicas_) {
      ClusterNodeInfo n;
      n.node_id = id;
      n.rest_address = id + ":8080";
      n.rest_url = "http://" + id + ":8080";
      n.grpc_address = id + ":5678";
      n.alive = true;
      n.draining = draining_.count(id) > 0;
      n.replicas = replicas;
      info.nodes.push_back(n);
    }
    return info;
  }
  Status SetNodeDraining(const std::string& node_id, bool draining) override {
    calls_.emplace_back(node_id, draining);
    if (replicas_.count(node_id) == 0 && draining) {
      return Status::NotFound("node '" + node_id +
                              "' is neither live nor holds a replica");
    }
    if (draining) {
      draining_[node_id] = true;
    } else {
      draining_.erase(node_id);
    }
    return Status::OK();
  }

  // --- everything else: the engine ---
  Result<std::shared_ptr<Collection>> CreateCollection(
      const CollectionConfig& config) override {
    return engine_->CreateCollection(config);
  }
  Result<std::shared_ptr<Collection>> GetCollection(
      const std::string& name) override {
    return engine_->GetCollection(name);
  }
  std::vector<CollectionInfo> ListCollections() override {
    return engine_->ListCollections();
  }
  Status DropCollection(const std::string& name) override {
    return engine_->DropCollection(name);
  }
  Status UpdateAliases(const std::vector<AliasAction>& actions) override {
    return engine_->UpdateAliases(actions);
  }
  std::vector<AliasInfo> ListAliases() override {
    return engine_->ListAliases();
  }
  Status FlushAll() override { return engine_->FlushAll(); }
  Result<std::vector<QuarantineEntry>> ListQuarantine() override {
    return engine_->ListQuarantine();
  }
  Result<uint64_t> ClearQuarantine(const std::string& id) override {
    return engine_->ClearQuarantine(id);
  }
  Result<SnapshotInfo> CreateSnapshot(const std::string& collection,
                                      SnapshotTarget target) override {
    return engine_->CreateSnapshot(collection, target);
  }
  Result<std::vector<SnapshotInfo>> ListSnapshots(
      const std::string& collection) override {
    return engine_->ListSnapshots(collection);
  }
  Result<SnapshotInfo> GetSnapshot(const std::string& collection,
                                   const std::string& id) override {
    return engine_->GetSnapshot(collection, id);
  }
  Status DeleteSnapshot(const std::string& collection,
                        const std::string& id) override {
    return engine_->DeleteSnapshot(collection, id);
  }
  Result<RestoreResult> RestoreSnapshot(
      const std::string& collection, const std::string& id,
      const RestoreOptions& options) override {
    return engine_->RestoreSnapshot(collection, id, options);
  }
  Result<RestoreResult> RestorePointInTime(
      const std::string& collection,
      const PointInTimeOptions& options) override {
    return engine_->RestorePointInTime(collection, options);
  }
  Result<SnapshotInfo> CreateDatabaseSnapshot(SnapshotTarget target) override {
    return engine_->CreateDatabaseSnapshot(target);
  }

 private:
  std::unique_ptr<DB> engine_;
  const std::map<std::string, uint32_t> replicas_ = {{"n1", 3}, {"n2", 2}};
  std::map<std::string, bool> draining_;
  std::vector<std::pair<std::string, bool>> calls_;
};

class ClusterDrainRoutesTest : public test_util::ServiceFixture {
 protected:
  // The fixture's set-up with the engine wrapped in FakeClusterDB.
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty()) << "cannot create a temporary directory";
    const DBOptions options = Options();
    auto engine = DB::Open(options, tmp_.path() + "/db");
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    auto db = std::make_unique<FakeClusterDB>(std::move(engine).value());
    db_ = db.get();
    svc_ = std::make_unique<service::VectorService>(std::move(db),
                                                    options.flush_defaults);
  }
  void TearDown() override {
    grpc_.reset();
    ServiceFixture::TearDown();
  }

  RestResponse Do(const char* method, const std::string& target,
                  const service::ApiKeys* keys = nullptr,
                  std::string_view key = "") {
    RequestContext ctx;
    ctx.api_keys = keys;
    ctx.presented_key = key;
    return HandleRequest(*svc_, method, target, "", ctx);
  }
  static std::string Drain(const std::string& node) {
    return "/api/v1/cluster/nodes/" + node + "/drain";
  }
  // The cluster status's entry of `node` (null when it is not listed).
  json NodeStatus(const std::string& node) {
    RestResponse r = Do("GET", "/api/v1/cluster");
    EXPECT_EQ(r.status, 200u) << r.body;
    const json status = json::parse(r.body);
    for (const json& n : status["nodes"]) {
      if (n["node_id"] == node) return n;
    }
    return nullptr;
  }

  // A gRPC server over svc_ with `gates`, and a client of it.
  void StartGrpc(service::AdmissionGates gates = {}) {
    grpc_api::GrpcOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.access_log = false;
    o.gates = gates;
    auto server = grpc_api::GrpcServer::Start(o, svc_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    grpc_ = std::move(server).value();
    stub_ = pb::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_->port()),
                            grpc::InsecureChannelCredentials()));
  }
  grpc::Status GrpcDrain(const std::string& node, bool cancel,
                         pb::DrainNodeReply* out, std::string_view key = "") {
    grpc::ClientContext ctx;
    if (!key.empty()) {
      ctx.AddMetadata("authorization", "Bearer " + std::string(key));
    }
    pb::DrainNodeRequest req;
    req.set_node_id(node);
    req.set_cancel(cancel);
    return stub_->DrainNode(&ctx, req, out);
  }

  FakeClusterDB* db_ = nullptr;
  std::unique_ptr<grpc_api::GrpcServer> grpc_;
  std::unique_ptr<pb::ProximaDB::Stub> stub_;
};

TEST_F(ClusterDrainRoutesTest, StartAndCancelOverRest) {
  EXPECT_EQ(NodeStatus("n2"), json::parse(R"({"id": "n2", "node_id": "n2",
      "rest_url": "http://n2:8080", "rest_address": "n2:8080", "grpc_address": "n2:5678", "alive": true,
      "draining": false, "replicas": 2})"));

  RestResponse r = Do("POST", Drain("n2"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"node_id": "n2", "draining": true})"));
  EXPECT_EQ(NodeStatus("n2")["draining"], true);
  EXPECT_EQ(NodeStatus("n1")["draining"], false);
  // Starting again changes nothing and answers the same.
  r = Do("POST", Drain("n2"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["draining"], true);

  r = Do("DELETE", Drain("n2"));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"node_id": "n2", "draining": false})"));
  EXPECT_EQ(NodeStatus("n2")["draining"], false);

  const std::vector<std::pair<std::string, bool>> want = {
      {"n2", true}, {"n2", true}, {"n2", false}};
  EXPECT_EQ(db_->calls(), want);
}

TEST_F(ClusterDrainRoutesTest, RefusalsOverRest) {
  // A node the cluster does not know.
  RestResponse r = Do("POST", Drain("n9"));
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(r.error, "not_found");
  EXPECT_EQ(r.message, "node 'n9' is neither live nor holds a replica");
  EXPECT_TRUE(NodeStatus("n9").is_null());
  const size_t asked = db_->calls().size();
  EXPECT_EQ(asked, 1u);

  // A malformed id (percent-decoded first) never reaches the DB.
  for (const std::string& bad : std::vector<std::string>{
           "n.2", "n%202", "n%2F2", std::string(129, 'n')}) {
    for (const char* method : {"POST", "DELETE"}) {
      r = Do(method, Drain(bad));
      EXPECT_EQ(r.status, 400u) << method << " " << bad << ": " << r.body;
      EXPECT_EQ(r.error, "invalid_argument") << bad;
      EXPECT_EQ(r.message.rfind("node_id must be 1..128 characters of "
                                "[A-Za-z0-9_-], got '",
                                0),
                0u)
          << r.message;
    }
  }
  EXPECT_EQ(r.message,
            "node_id must be 1..128 characters of [A-Za-z0-9_-], "
            "got '" +
                std::string(129, 'n') + "'");
  EXPECT_EQ(db_->calls().size(), asked);

  // Other methods, and the path without a node.
  r = Do("GET", Drain("n2"));
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "POST, DELETE");
  EXPECT_EQ(Do("PUT", Drain("n2")).status, 405u);
  EXPECT_EQ(Do("POST", "/api/v1/cluster/nodes//drain").status, 404u);
  EXPECT_EQ(Do("POST", "/api/v1/cluster/nodes/n2").status, 404u);
  EXPECT_EQ(db_->calls().size(), asked);
}

TEST_F(ClusterDrainRoutesTest, NeedsAReadWriteKey) {
  auto keys = service::ApiKeys::Parse({"ro:reader-key-1", "rw:writer-key-1"});
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  for (const char* method : {"POST", "DELETE"}) {
    EXPECT_EQ(Do(method, Drain("n2"), &*keys).status, 401u) << method;
    RestResponse r = Do(method, Drain("n2"), &*keys, "reader-key-1");
    EXPECT_EQ(r.status, 403u) << method;
    EXPECT_EQ(r.error, "permission_denied");
  }
  EXPECT_TRUE(db_->calls().empty());
  // The status stays a read.
  EXPECT_EQ(Do("GET", "/api/v1/cluster", &*keys, "reader-key-1").status, 200u);
  EXPECT_EQ(Do("POST", Drain("n2"), &*keys, "writer-key-1").status, 200u);
  EXPECT_EQ(Do("DELETE", Drain("n2"), &*keys, "writer-key-1").status, 200u);
  EXPECT_EQ(db_->calls().size(), 2u);

  StartGrpc({&*keys, nullptr, nullptr});
  pb::DrainNodeReply g;
  EXPECT_EQ(GrpcDrain("n2", false, &g).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcDrain("n2", false, &g, "reader-key-1").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(db_->calls().size(), 2u);
  EXPECT_TRUE(GrpcDrain("n2", true, &g, "writer-key-1").ok());
  EXPECT_EQ(db_->calls().size(), 3u);
}

// The RPC answers what the routes answer, field for field, and the cluster
// status carries draining and replicas on both.
TEST_F(ClusterDrainRoutesTest, GrpcAnswersAsRest) {
  StartGrpc();
  for (bool cancel : {false, true}) {
    pb::DrainNodeReply g;
    grpc::Status s = GrpcDrain("n1", cancel, &g);
    ASSERT_TRUE(s.ok()) << s.error_message();
    RestResponse r = Do(cancel ? "DELETE" : "POST", Drain("n1"));
    ASSERT_EQ(r.status, 200u) << r.body;
    const json rj = json::parse(r.body);
    EXPECT_EQ(rj.size(), 2u);
    EXPECT_EQ(rj["node_id"], g.node_id());
    EXPECT_EQ(rj["draining"], g.draining());
    EXPECT_EQ(g.node_id(), "n1");
    EXPECT_EQ(g.draining(), !cancel);

    grpc::ClientContext ctx;
    pb::ClusterInfo info;
    ASSERT_TRUE(stub_->GetCluster(&ctx, pb::GetClusterRequest(), &info).ok());
    const json nodes = json::parse(Do("GET", "/api/v1/cluster").body)["nodes"];
    ASSERT_EQ(nodes.size(), size_t(info.nodes_size()));
    for (int i = 0; i < info.nodes_size(); ++i) {
      EXPECT_EQ(nodes[i]["node_id"], info.nodes(i).node_id());
      EXPECT_EQ(nodes[i]["draining"], info.nodes(i).draining());
      EXPECT_EQ(nodes[i]["replicas"], info.nodes(i).replicas());
    }
    EXPECT_EQ(info.nodes(0).draining(), !cancel);
    EXPECT_EQ(info.nodes(0).replicas(), 3u);
  }
  const std::vector<std::pair<std::string, bool>> want = {
      {"n1", true}, {"n1", true}, {"n1", false}, {"n1", false}};
  EXPECT_EQ(db_->calls(), want);

  // The refusals map as REST's.
  pb::DrainNodeReply g;
  grpc::Status s = GrpcDrain("n9", false, &g);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), Do("POST", Drain("n9")).message);
  s = GrpcDrain("", false, &g);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "node_id must be 1..128 characters of [A-Za-z0-9_-], got ''");
  s = GrpcDrain("n/1", true, &g);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), Do("DELETE", Drain("n%2F1")).message);
  EXPECT_EQ(db_->calls().size(), want.size() + 2);  // n9 over both
}

}  // namespace
}  // namespace proximadb::rest
