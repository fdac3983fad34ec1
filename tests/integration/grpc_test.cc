// gRPC against the real server beyond parity: graceful SIGTERM under gRPC
// write load (every acknowledged write survives, in-flight RPCs finish) and
// the gRPC port flag and environment override.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::testing {
namespace {

namespace pb = ::proximadb::v1;
namespace fs = std::filesystem;

class GrpcIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_grpc_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& s : servers_) std::cerr << s->log();
    }
    servers_.clear();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  ServerProcess* Start(const std::vector<std::string>& extra = {},
                       const std::vector<std::string>& env = {}) {
    auto s = std::make_unique<ServerProcess>();
    std::vector<std::string> args = {"--rest-port",   "0",      "--data-dir",
                                     root_ + "/data", "--bind", "127.0.0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    bool ok = s->Start(PDB_SERVER_BINARY, args, root_ + "/server.log", env);
    servers_.push_back(std::move(s));
    return ok ? servers_.back().get() : nullptr;
  }

  static std::unique_ptr<pb::ProximaDB::Stub> Stub(uint16_t port) {
    return pb::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
  }

  std::string root_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

TEST_F(GrpcIntegrationTest, AcknowledgedWritesSurviveSigtermUnderLoad) {
  ServerProcess* s = Start({"--grpc-port", "0"});
  ASSERT_NE(s, nullptr);
  ASSERT_NE(s->grpc_port(), 0);
  {
    auto stub = Stub(s->grpc_port());
    grpc::ClientContext ctx;
    pb::CreateCollectionRequest req;
    req.set_name("conc");
    req.set_dimension(3);
    pb::CollectionInfo info;
    ASSERT_TRUE(stub->CreateCollection(&ctx, req, &info).ok());
  }
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  const uint16_t port = s->grpc_port();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto stub = Stub(port);
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        pb::BatchUpsertRequest req;
        req.set_collection("conc");
        std::vector<std::string> ids;
        for (int j = 0; j < 10; ++j) {
          std::string id = "t" + std::to_string(t) + "_" + std::to_string(i) +
                           "_" + std::to_string(j);
          pb::Point* p = req.add_points();
          p->set_id(id);
          for (float f : {1.0f, static_cast<float>(t), static_cast<float>(i)}) {
            p->add_vector(f);
          }
          ids.push_back(id);
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
        pb::BatchUpsertResponse out;
        grpc::Status st = stub->BatchUpsert(&ctx, req, &out);
        if (st.ok()) {
          std::lock_guard<std::mutex> l(mu);
          acked.insert(acked.end(), ids.begin(), ids.end());
        } else if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
                   st.error_code() != grpc::StatusCode::CANCELLED) {
          // Shutting down may refuse or cut calls; nothing else may fail.
          unexpected.fetch_add(1);
        }
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard<std::mutex> l(mu);
    if (acked.size() >= 2000) break;
  }
  int status = s->Stop(SIGTERM);
  stop.store(true);
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(unexpected.load(), 0);

  ServerProcess* again = Start({"--grpc-port", "0"});
  ASSERT_NE(again, nullptr);
  auto stub = Stub(again->grpc_port());
  for (const std::string& id : acked) {
    grpc::ClientContext ctx;
    pb::GetRequest req;
    req.set_collection("conc");
    req.set_id(id);
    pb::Point p;
    ASSERT_TRUE(stub->Get(&ctx, req, &p).ok()) << id;
  }
}

TEST_F(GrpcIntegrationTest, PortFromEnvironmentAndPortInUse) {
  ServerProcess* first = Start({"--grpc-port", "0"});
  ASSERT_NE(first, nullptr);
  // The environment override is read (flags would win over it).
  const std::string taken = std::to_string(first->grpc_port());
  ServerProcess second;
  EXPECT_FALSE(second.Start(PDB_SERVER_BINARY,
                            {"--rest-port", "0", "--data-dir", root_ + "/other",
                             "--bind", "127.0.0.1"},
                            root_ + "/second.log",
                            {"PROXIMADB_API__GRPC_PORT=" + taken}));
  EXPECT_TRUE(WIFEXITED(second.exit_status()));
  EXPECT_EQ(WEXITSTATUS(second.exit_status()), 1) << second.log();
  EXPECT_NE(second.log().find("gRPC"), std::string::npos) << second.log();
}

}  // namespace
}  // namespace proximadb::testing
