// Hostile input against the real server (issue 10, parts B and D): JSON or
// Structs nested tens of thousands deep (used to overflow the stack and
// kill the server), and gRPC requests that cannot be decoded (used to get
// INTERNAL with no message and an error-level log line each).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <gtest/gtest.h>

#include "grpc/wire_bytes.h"
#include "integration/http_client.h"
#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "util/limits.h"

namespace proximadb::testing {
namespace {

using nlohmann::json;
namespace pb = ::proximadb::v1;

const std::string kColl = "/api/v1/collections/c";

// 60,000 levels: the issue's depth.
std::string NestedStruct(size_t depth) { return NestedStructBytes(depth); }

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_hostile_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    if (HasFailure() && server_) {
      std::cerr << "---- server log (tail) ----\n"
                << Tail(server_->log()) << "--------------------\n";
    }
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  static std::string Tail(const std::string& log) {
    return log.size() > 20000 ? log.substr(log.size() - 20000) : log;
  }

  void Start(const std::vector<std::string>& env = {}) {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(
        server_->Start(PDB_SERVER_BINARY,
                       {"--rest-port", "0", "--grpc-port", "0", "--data-dir",
                        root_ + "/data", "--bind", "127.0.0.1"},
                       root_ + "/server.log", env))
        << server_->log();
    http_ = std::make_unique<HttpClient>(server_->port());
    channel_ =
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                            grpc::InsecureChannelCredentials());
  }

  // Sends `bytes` as the request message of `method`, as a client with its
  // own (or a broken) encoder would.
  grpc::Status Raw(const std::string& method, const std::string& bytes,
                   const std::string& api_key = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(60));
    if (!api_key.empty()) ctx.AddMetadata("api-key", api_key);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer req(&slice, 1), resp;
    const std::string path = "/proximadb.v1.ProximaDB/" + method;
    grpc::internal::RpcMethod rpc(path.c_str(),
                                  grpc::internal::RpcMethod::NORMAL_RPC);
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer,
                                             grpc::ByteBuffer>(
        channel_.get(), rpc, &ctx, req, &resp);
  }

  void ExpectAlive() {
    HttpClient fresh(server_->port());
    EXPECT_EQ(fresh.Get("/health").status, 200u);
    ASSERT_TRUE(server_->running());
  }

  std::string root_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> http_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The issue's requests, each of which killed the server (segfault in
// nlohmann's recursive copy of the parsed body).
TEST_F(HostileInputTest, DeepJsonIsRefusedAndTheServerLives) {
  Start();
  ASSERT_EQ(
      http_->Post("/api/v1/collections", json{{"name", "c"}, {"dimension", 2}})
          .status,
      201u);
  ASSERT_EQ(
      http_->Post(kColl + "/vectors", json{{"id", "p"}, {"vector", {1, 2}}})
          .status,
      201u);
  struct Case {
    std::string method, target, prefix, open, leaf, close, suffix;
  };
  const std::vector<Case> cases = {
      {"POST", kColl + "/vectors", R"({"id":"q","vector":[1,2],"metadata":)",
       R"({"a":)", "1", "}", "}"},
      {"POST", kColl + "/vectors/batch",
       R"({"vectors":[{"id":"q","vector":[1,2],"metadata":)", R"({"a":)", "1",
       "}", "}]}"},
      {"PATCH", kColl + "/vectors/p", R"({"metadata":)", R"({"a":)", "1", "}",
       "}"},
      {"POST", kColl + "/search", R"({"vector":[1,2],"filter":)", R"({"$not":)",
       R"({"a":1})", "}", "}"},
      {"POST", kColl + "/count", R"({"filter":)", R"({"$and":[)", R"({"a":1})",
       "]}", "}"},
      {"DELETE", kColl + "/vectors", R"({"filter":)", R"({"$or":[)",
       R"({"a":1})", "]}", "}"},
      // Nesting in a field nobody reads is refused as well: the limit is on
      // the body, checked before anything is parsed.
      {"POST", kColl + "/vectors", R"({"id":"q","vector":[1,2],"zzz":)",
       R"({"a":)", "1", "}", "}"},
  };
  for (const Case& c : cases) {
    for (size_t depth : {size_t{60000}, size_t{200000}}) {
      SCOPED_TRACE(c.method + " " + c.target + " " + std::to_string(depth));
      const std::string body = c.prefix + Repeat(c.open, depth) + c.leaf +
                               Repeat(c.close, depth) + c.suffix;
      HttpReply r = http_->Request(c.method, c.target, body);
      ASSERT_EQ(r.status, 400u) << r.body.substr(0, 300);
      EXPECT_EQ(r.error(), "invalid_argument");
      EXPECT_EQ(r.json()["message"], RequestTooDeepMessage());
      ExpectAlive();
    }
  }
  EXPECT_EQ(http_->Post(kColl + "/count", std::string("{}")).json()["count"],
            1);
}

TEST_F(HostileInputTest, DeepStructsOverGrpcGetTheSameAnswer) {
  Start();
  ASSERT_EQ(
      http_->Post("/api/v1/collections", json{{"name", "c"}, {"dimension", 2}})
          .status,
      201u);
  const std::string deep = NestedStruct(60000);
  pb::Point p;
  p.set_id("q");
  p.add_vector(1);
  p.add_vector(2);
  const std::string point = p.SerializeAsString() + Field(3, deep);
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"Upsert", Field(1, "c") + Field(2, point)},
      {"BatchUpsert", Field(1, "c") + Field(2, point)},
      {"UpdateMetadata", Field(1, "c") + Field(2, "q") + Field(3, deep)},
      {"Search", Field(1, "c") + Field(4, deep)},
      {"Count", Field(1, "c") + Field(2, deep)},
      {"DeleteByFilter", Field(1, "c") + Field(2, deep)},
  };
  for (const auto& [method, bytes] : calls) {
    grpc::Status s = Raw(method, bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_EQ(s.error_message(), RequestTooDeepMessage()) << method;
  }
  ExpectAlive();
}

TEST_F(HostileInputTest, UndecodableGrpcRequestsAreInvalidArgument) {
  Start();
  ASSERT_EQ(
      http_->Post("/api/v1/collections", json{{"name", "c"}, {"dimension", 2}})
          .status,
      201u);
  pb::UpsertRequest ok;
  ok.set_collection("c");
  ok.mutable_point()->set_id("p");
  ok.mutable_point()->add_vector(1);
  ok.mutable_point()->add_vector(2);
  const std::string good = ok.SerializeAsString();
  const std::string bad = "p\xff";
  struct Case {
    std::string method, bytes, message;
  };
  const std::vector<Case> cases = {
      {"Upsert", std::string(16, '\xff'),
       "request is not a valid proximadb.v1.UpsertRequest message: malformed "
       "field tag at byte 0"},
      {"Upsert", good.substr(0, good.size() - 2),
       "request is not a valid proximadb.v1.UpsertRequest message: truncated "
       "length-delimited field at byte 3"},
      {"Get", Field(1, "c") + Field(2, bad), "field 'id' is not valid UTF-8"},
      {"GetCollection", Field(1, bad), "field 'name' is not valid UTF-8"},
      {"Upsert", Field(1, "c") + Field(2, Field(1, bad)),
       "field 'point.id' is not valid UTF-8"},
      {"Count",
       Field(1, "c") + Field(2, Field(1, Field(1, bad) + Field(2, "\x20\x01"))),
       "a key or string value in 'filter' is not valid UTF-8"},
      {"UpdateMetadata",
       Field(1, "c") + Field(2, "p") +
           Field(3, Field(1, Field(1, "k") + Field(2, Field(3, bad)))),
       "a key or string value in 'metadata' is not valid UTF-8"},
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (const Case& c : cases) {
    grpc::Status s = Raw(c.method, c.bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_EQ(s.error_message(), c.message);
  }
  EXPECT_TRUE(Raw("Upsert", good).ok());  // the same path still works

  // A flood of garbage: at most one warning line per second, never an
  // error-level line, and the next line says how many were dropped.
  for (int i = 0; i < 200; ++i) Raw("Flush", std::string(8, '\xff'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Raw("Flush", std::string(8, '\xff'));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  const std::string log = server_->log();
  size_t lines = 0, pos = 0;
  while ((pos = log.find("protocol=grpc", pos)) != std::string::npos) {
    const size_t eol = log.find('\n', pos);
    if (log.substr(pos, eol - pos).find(" status=3 ") != std::string::npos) {
      ++lines;
    }
    pos = eol;
  }
  // 208 refusals; the last, a second after the others, says how many of
  // those were not logged.
  EXPECT_GE(lines, 2u);
  EXPECT_LE(lines, static_cast<size_t>(seconds) + 2) << seconds;
  const size_t last = log.rfind("operation=Flush status=3");
  ASSERT_NE(last, std::string::npos);
  EXPECT_NE(log.find("suppressed=", last), std::string::npos)
      << log.substr(last, 400);
  EXPECT_EQ(log.find("[error]"), std::string::npos) << Tail(log);
  // The marker that routes those lines is never sent to clients.
  grpc::ClientContext ctx;
  pb::GetCollectionRequest req;
  req.set_name("c");
  pb::CollectionInfo info;
  std::unique_ptr<pb::ProximaDB::Stub> stub = pb::ProximaDB::NewStub(channel_);
  ASSERT_TRUE(stub->GetCollection(&ctx, req, &info).ok());
  grpc::ClientContext ctx2;
  grpc::Slice slice(std::string(4, '\xff'));
  grpc::ByteBuffer garbage(&slice, 1), out;
  grpc::internal::RpcMethod rpc("/proximadb.v1.ProximaDB/GetCollection",
                                grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel_.get(), rpc, &ctx2, garbage, &out);
  EXPECT_EQ(ctx2.GetServerTrailingMetadata().count("x-proximadb-undecodable"),
            0u);
  EXPECT_EQ(ctx2.GetServerTrailingMetadata().count("x-proximadb-error"), 1u);
}

// With API keys on, a garbage request without a valid key is refused for
// the key first (UNAUTHENTICATED), not decoded.
TEST_F(HostileInputTest, WrongKeyComesBeforeDecoding) {
  Start({"PROXIMADB_API__API_KEYS=rw:writer-key-1"});
  const std::string garbage(16, '\xff');
  EXPECT_EQ(Raw("Upsert", garbage).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Raw("Upsert", garbage, "wrong-key-1").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status s = Raw("Upsert", garbage, "writer-key-1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("malformed field tag"), std::string::npos);
  EXPECT_EQ(server_->log().find("[error]"), std::string::npos);
}

}  // namespace
}  // namespace proximadb::testing
