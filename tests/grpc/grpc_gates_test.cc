// GrpcServer with API keys, an in-flight bound and metrics: metadata keys
// (authorization: Bearer / api-key), UNAUTHENTICATED / PERMISSION_DENIED,
// Health open, UNAVAILABLE when the bound is full, per-RPC counters.

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_server.h"
#include "api/grpc/grpc_status.h"
#include "grpc/grpc_fixture.h"
#include "proximadb/db.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::grpc_api {
namespace {

using service::Operation;
using service::Protocol;

class GrpcGatesTest : public GrpcFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    auto keys = service::ApiKeys::Parse({"ro:reader-key-1", "rw:writer-key-1"});
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(keys).value();
    GrpcOptions o;
    o.gates = {&keys_, &inflight_, &metrics_};
    StartGrpc(o);
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

  service::ApiKeys keys_;
  service::InflightLimit inflight_{4};
  service::Metrics metrics_;
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
