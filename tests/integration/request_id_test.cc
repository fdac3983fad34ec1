// Request ids against the real server: REST echoes a valid X-Request-Id (or
// makes one), gRPC returns x-request-id in its initial and trailing
// metadata, and every request leaves one access-log line with its id on the
// server's stderr — errors included, with their code and message.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "integration/raw_http.h"
#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::testing {
namespace {

namespace pb = ::proximadb::v1;
namespace fs = std::filesystem;

class RequestIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_reqid_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_TRUE(server_.Start(PDB_SERVER_BINARY,
                              {"--rest-port", "0", "--data-dir",
                               root_ + "/data", "--bind", "127.0.0.1"},
                              root_ + "/server.log"))
        << server_.log();
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << server_.log();
    server_.Stop();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  // Waits (briefly) until the server's log holds `needle`.
  bool LogHas(const std::string& needle) {
    for (int i = 0; i < 200; ++i) {
      if (server_.log().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::unique_ptr<pb::ProximaDB::Stub> Stub() {
    return pb::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  std::string root_;
  ServerProcess server_;
};

TEST_F(RequestIdTest, RestEchoesValidIdAndLogsIt) {
  RawReply r = RawRequest(server_.port(), "GET", "/health", "",
                          {{"X-Request-Id", "client-id-42"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("x-request-id"), "client-id-42");
  EXPECT_TRUE(
      LogHas("access request_id=client-id-42 protocol=rest "
             "operation=Health method=GET target=/health status=200 "
             "code=ok"));
}

TEST_F(RequestIdTest, RestMakesIdWhenMissingOrUnsafe) {
  RawReply none = RawRequest(server_.port(), "GET", "/api/v1/collections");
  ASSERT_EQ(none.status, 200u) << none.body;
  const std::string made = none.header("x-request-id");
  EXPECT_EQ(made.size(), 32u) << made;
  EXPECT_TRUE(LogHas("request_id=" + made +
                     " protocol=rest "
                     "operation=ListCollections"));

  RawReply unsafe = RawRequest(server_.port(), "GET", "/health", "",
                               {{"X-Request-Id", "has space\"quote"}});
  ASSERT_EQ(unsafe.status, 200u);
  EXPECT_EQ(unsafe.header("x-request-id").size(), 32u);
  EXPECT_EQ(server_.log().find("has space"), std::string::npos);
}

TEST_F(RequestIdTest, RestErrorIsLoggedWithIdCodeAndMessage) {
  RawReply r = RawRequest(server_.port(), "GET", "/api/v1/collections/nope", "",
                          {{"X-Request-Id", "err-1"}});
  ASSERT_EQ(r.status, 404u);
  EXPECT_EQ(r.header("x-request-id"), "err-1");
  EXPECT_TRUE(
      LogHas("access request_id=err-1 protocol=rest "
             "operation=GetCollection method=GET "
             "target=/api/v1/collections/nope status=404 "
             "code=not_found"));
  EXPECT_TRUE(LogHas("request_id=err-1"));
  const std::string log = server_.log();
  const size_t line = log.find("request_id=err-1");
  EXPECT_NE(log.find("message=", line), std::string::npos);
}

TEST_F(RequestIdTest, GrpcReturnsIdInMetadataAndLogsIt) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", "grpc-id-7");
    pb::HealthResponse out;
    grpc::Status s = stub->Health(&ctx, pb::HealthRequest(), &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    auto initial = ctx.GetServerInitialMetadata();
    auto it = initial.find("x-request-id");
    ASSERT_NE(it, initial.end());
    EXPECT_EQ(std::string(it->second.data(), it->second.size()), "grpc-id-7");
    auto trailing = ctx.GetServerTrailingMetadata();
    it = trailing.find("x-request-id");
    ASSERT_NE(it, trailing.end());
    EXPECT_EQ(std::string(it->second.data(), it->second.size()), "grpc-id-7");
    EXPECT_TRUE(
        LogHas("access request_id=grpc-id-7 protocol=grpc "
               "operation=Health status=0 code=ok"));
  }
  {
    // A failed RPC: the id still comes back and the line has the code.
    grpc::ClientContext ctx;
    pb::GetCollectionRequest req;
    req.set_name("nope");
    pb::CollectionInfo out;
    grpc::Status s = stub->GetCollection(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    auto trailing = ctx.GetServerTrailingMetadata();
    auto it = trailing.find("x-request-id");
    ASSERT_NE(it, trailing.end());
    const std::string id(it->second.data(), it->second.size());
    EXPECT_EQ(id.size(), 32u);
    EXPECT_TRUE(LogHas("access request_id=" + id +
                       " protocol=grpc operation=GetCollection status=5 "
                       "code=not_found"));
  }
}

TEST_F(RequestIdTest, AccessLogCanBeTurnedOff) {
  ServerProcess quiet;
  ASSERT_TRUE(quiet.Start(PDB_SERVER_BINARY,
                          {"--rest-port", "0", "--data-dir", root_ + "/data2",
                           "--bind", "127.0.0.1"},
                          root_ + "/quiet.log",
                          {"PROXIMADB_MONITORING__ACCESS_LOG=false"}))
      << quiet.log();
  RawReply r = RawRequest(quiet.port(), "GET", "/health", "",
                          {{"X-Request-Id", "silent-1"}});
  ASSERT_EQ(r.status, 200u);
  // The id is still echoed; only the log line is gone.
  EXPECT_EQ(r.header("x-request-id"), "silent-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(quiet.log().find("silent-1"), std::string::npos) << quiet.log();
  quiet.Stop();
}

}  // namespace
}  // namespace proximadb::testing
