// GrpcServer connection limits in process: a connection without RPCs is
// closed after idle_timeout_ms (the client sees its channel leave READY and
// reconnects transparently on the next call), one that is in use is not.

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_server.h"
#include "proximadb/db.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "util/service_fixture.h"

namespace proximadb::grpc_api {
namespace {

class GrpcLimitsTest : public test_util::ServiceFixture {
 protected:
  void TearDown() override {
    server_.reset();
    ServiceFixture::TearDown();
  }
  std::shared_ptr<grpc::Channel> StartServer(uint32_t idle_ms) {
    GrpcOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.idle_timeout_ms = idle_ms;
    o.access_log = false;
    auto server = GrpcServer::Start(o, svc_.get());
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (!server.ok()) return nullptr;
    server_ = std::move(server).value();
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                               grpc::InsecureChannelCredentials());
  }
  static bool Healthy(const std::shared_ptr<grpc::Channel>& ch) {
    auto stub = v1::ProximaDB::NewStub(ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    v1::HealthResponse out;
    return stub->Health(&ctx, v1::HealthRequest(), &out).ok();
  }

  std::unique_ptr<GrpcServer> server_;
};

TEST_F(GrpcLimitsTest, IdleConnectionIsClosed) {
  auto ch = StartServer(/*idle_ms=*/1000);
  ASSERT_NE(ch, nullptr);
  ASSERT_TRUE(Healthy(ch));
  ASSERT_EQ(ch->GetState(false), GRPC_CHANNEL_READY);
  const auto start = std::chrono::steady_clock::now();
  // The server's GOAWAY moves the channel out of READY.
  ASSERT_TRUE(ch->WaitForStateChange(
      GRPC_CHANNEL_READY,
      std::chrono::system_clock::now() + std::chrono::seconds(10)));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(800));
  EXPECT_NE(ch->GetState(false), GRPC_CHANNEL_READY);
  // The next call reconnects.
  EXPECT_TRUE(Healthy(ch));
}

TEST_F(GrpcLimitsTest, ConnectionWithinIdleTimeoutStays) {
  auto ch = StartServer(/*idle_ms=*/60000);
  ASSERT_NE(ch, nullptr);
  ASSERT_TRUE(Healthy(ch));
  EXPECT_FALSE(ch->WaitForStateChange(
      GRPC_CHANNEL_READY,
      std::chrono::system_clock::now() + std::chrono::milliseconds(2000)));
  EXPECT_EQ(ch->GetState(false), GRPC_CHANNEL_READY);
}

}  // namespace
}  // namespace proximadb::grpc_api
