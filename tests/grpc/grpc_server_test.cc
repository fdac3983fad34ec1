// GrpcServer in process over a real DB: binding, error trailers, the message
// size limit, and shutdown. The full operation-by-operation comparison with
// REST is tests/integration/parity_test.cc.
#include "api/grpc/grpc_server.h"

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_status.h"
#include "grpc/grpc_fixture.h"
#include "proximadb/db.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::grpc_api {
namespace {

class GrpcServerTest : public GrpcFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    GrpcOptions o;
    o.max_message_bytes = 64 << 10;
    StartGrpc(o);
    if (HasFatalFailure()) return;
    ASSERT_NE(server_->port(), 0);
  }
};

std::string Trailer(const grpc::ClientContext& ctx) {
  auto md = ctx.GetServerTrailingMetadata();
  auto it = md.find(kErrorMetadataKey);
  return it == md.end() ? ""
                        : std::string(it->second.data(), it->second.size());
}

TEST_F(GrpcServerTest, HealthAndErrorTrailer) {
  grpc::ClientContext ctx;
  v1::HealthResponse h;
  ASSERT_TRUE(stub_->Health(&ctx, v1::HealthRequest(), &h).ok());
  EXPECT_EQ(h.status(), "healthy");

  grpc::ClientContext ctx2;
  v1::GetCollectionRequest req;
  req.set_name("nope");
  v1::CollectionInfo info;
  grpc::Status s = stub_->GetCollection(&ctx2, req, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("nope"), std::string::npos);
  EXPECT_EQ(Trailer(ctx2), "not_found");

  grpc::ClientContext ctx3;
  v1::CreateCollectionRequest create;
  create.set_name("c");
  create.set_dimension(0);
  s = stub_->CreateCollection(&ctx3, create, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Trailer(ctx3), "invalid_argument");
}

TEST_F(GrpcServerTest, OversizeMessageIsResourceExhausted) {
  grpc::ClientContext c0;
  v1::CreateCollectionRequest create;
  create.set_name("c");
  create.set_dimension(4);
  v1::CollectionInfo info;
  ASSERT_TRUE(stub_->CreateCollection(&c0, create, &info).ok());

  v1::BatchUpsertRequest big;
  big.set_collection("c");
  for (int i = 0; i < 10000; ++i) {
    v1::Point* p = big.add_points();
    p->set_id("p" + std::to_string(i));
    for (int d = 0; d < 4; ++d) p->add_vector(1.0f);
  }
  grpc::ClientContext ctx;
  v1::BatchUpsertResponse out;
  grpc::Status s = stub_->BatchUpsert(&ctx, big, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(svc_->GetCollection("c")->point_count, 0u);
}

TEST_F(GrpcServerTest, PortInUseIsUnavailable) {
  GrpcOptions o;
  o.bind_address = "127.0.0.1";
  o.port = server_->port();
  auto second = GrpcServer::Start(o, svc_.get());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  server_->Stop();
  server_->Stop();  // idempotent
}

}  // namespace
}  // namespace proximadb::grpc_api
