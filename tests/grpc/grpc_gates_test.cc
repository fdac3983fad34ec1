// GrpcServer with API keys, an in-flight bound and metrics: metadata keys
// (authorization: Bearer / api-key), UNAUTHENTICATED / PERMISSION_DENIED,
// Health open, UNAVAILABLE when the bound is full, per-RPC counters.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_server.h"
#include "api/grpc/grpc_status.h"
#include "proximadb/db.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::grpc_api {
namespace {

using service::Operation;
using service::Protocol;

class GrpcGatesTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_grpc_gates_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    DBOptions options;
    options.background_threads = false;
    auto db = DB::Open(options, dir_ + "/db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    svc_ = std::make_unique<service::VectorService>(std::move(db).value(),
                                                    options.flush_defaults);
    auto keys = service::ApiKeys::Parse({"ro:reader-key-1", "rw:writer-key-1"});
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(keys).value();
    GrpcOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.gates = {&keys_, &inflight_, &metrics_};
    auto server = GrpcServer::Start(o, svc_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    stub_ = v1::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                            grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_.reset();
    svc_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  grpc::Status List(const std::string& header, const std::string& value) {
    grpc::ClientContext ctx;
    if (!header.empty()) ctx.AddMetadata(header, value);
    v1::ListCollectionsResponse out;
    return stub_->ListCollections(&ctx, v1::ListCollectionsRequest(), &out);
  }
  grpc::Status Create(const std::string& header, const std::string& value,
                      std::string* trailer = nullptr) {
    grpc::ClientContext ctx;
    if (!header.empty()) ctx.AddMetadata(header, value);
    v1::CreateCollectionRequest req;
    req.set_name("docs");
    req.set_dimension(2);
    v1::CollectionInfo out;
    grpc::Status s = stub_->CreateCollection(&ctx, req, &out);
    if (trailer != nullptr) {
      auto md = ctx.GetServerTrailingMetadata();
      auto it = md.find(kErrorMetadataKey);
      *trailer = it == md.end()
                     ? ""
                     : std::string(it->second.data(), it->second.size());
    }
    return s;
  }

  std::string dir_;
  std::unique_ptr<service::VectorService> svc_;
  service::ApiKeys keys_;
  service::InflightLimit inflight_{4};
  service::Metrics metrics_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::ProximaDB::Stub> stub_;
};

TEST_F(GrpcGatesTest, ApiKeysInMetadata) {
  EXPECT_EQ(List("", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(List("authorization", "Bearer wrong-key-99").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(List("authorization", "Bearer reader-key-1").ok());
  EXPECT_TRUE(List("api-key", "reader-key-1").ok());
  std::string trailer;
  EXPECT_EQ(Create("api-key", "reader-key-1", &trailer).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(trailer, "permission_denied");
  EXPECT_TRUE(Create("authorization", "Bearer writer-key-1").ok());

  grpc::ClientContext hctx;
  v1::HealthResponse h;
  EXPECT_TRUE(stub_->Health(&hctx, v1::HealthRequest(), &h).ok());

  EXPECT_EQ(metrics_.Count(Protocol::kGrpc, Operation::kListCollections,
                           service::kCodeUnauthenticated),
            2u);
  EXPECT_EQ(metrics_.Count(Protocol::kGrpc, Operation::kListCollections, 0),
            2u);
  EXPECT_EQ(metrics_.Count(Protocol::kGrpc, Operation::kCreateCollection,
                           service::kCodePermissionDenied),
            1u);
  EXPECT_EQ(metrics_.Count(Protocol::kGrpc, Operation::kHealth, 0), 1u);
}

TEST_F(GrpcGatesTest, InflightBound) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(inflight_.TryAcquire());
  grpc::Status busy = List("api-key", "reader-key-1");
  EXPECT_EQ(busy.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(busy.error_message().find("in flight"), std::string::npos);
  grpc::ClientContext hctx;
  v1::HealthResponse h;
  EXPECT_TRUE(stub_->Health(&hctx, v1::HealthRequest(), &h).ok());
  for (int i = 0; i < 4; ++i) inflight_.Release();
  EXPECT_TRUE(List("api-key", "reader-key-1").ok());
  EXPECT_EQ(inflight_.current(), 0);
  EXPECT_EQ(metrics_.Count(Protocol::kGrpc, Operation::kListCollections,
                           service::CodeIndex(StatusCode::kUnavailable)),
            1u);
}

}  // namespace
}  // namespace proximadb::grpc_api
