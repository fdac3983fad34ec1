// Operations against the real server binary: /metrics after REST and gRPC
// traffic, [monitoring] metrics_enabled = false, API keys on both transports,
// slow clients cut off after request_timeout_ms, and a real Prometheus
// server scraping us (skipped when Debian's prometheus is not installed).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "integration/http_client.h"
#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::testing {
namespace {

namespace pb = ::proximadb::v1;
namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_ops_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    if (HasFailure() && server_) std::cerr << server_->log();
    server_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  ServerProcess* Start(const std::vector<std::string>& env = {}) {
    server_ = std::make_unique<ServerProcess>();
    std::vector<std::string> args = {"--rest-port",   "0",      "--data-dir",
                                     root_ + "/data", "--bind", "127.0.0.1"};
    bool ok =
        server_->Start(PDB_SERVER_BINARY, args, root_ + "/server.log", env);
    return ok ? server_.get() : nullptr;
  }

  std::unique_ptr<pb::ProximaDB::Stub> Stub() {
    return pb::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  std::string root_;
  std::unique_ptr<ServerProcess> server_;
};

// The value of the sample whose line starts with `series` (name and labels
// exactly as rendered), or -1.
double Value(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::atof(text.c_str() + at + series.size() + 2);
}

std::string Req(const std::string& proto, const std::string& op,
                const std::string& code) {
  return "proximadb_requests_total{protocol=\"" + proto + "\",operation=\"" +
         op + "\",code=\"" + code + "\"}";
}

// REST: create "docs" and upsert 3 points; gRPC: upsert 2 more and search.
void MakeTraffic(HttpClient& http, pb::ProximaDB::Stub& stub) {
  ASSERT_EQ(http.Post("/api/v1/collections",
                      std::string(R"({"name":"docs","dimension":2})"))
                .status,
            201u);
  ASSERT_EQ(http.Request("PUT", "/api/v1/collections/docs/vectors",
                         R"({"vectors":[{"id":"a","vector":[1,0]},
                            {"id":"b","vector":[0,1]},
                            {"id":"c","vector":[1,1]}]})")
                .status,
            200u);
  ASSERT_EQ(http.Request("POST", "/api/v1/collections/docs/search",
                         R"({"vector":[1,0],"k":2})")
                .status,
            200u);
  ASSERT_EQ(http.Get("/api/v1/collections/nope").status, 404u);
  grpc::ClientContext c1;
  pb::BatchUpsertRequest up;
  up.set_collection("docs");
  for (const char* id : {"d", "e"}) {
    pb::Point* p = up.add_points();
    p->set_id(id);
    p->add_vector(0.5f);
    p->add_vector(0.5f);
  }
  pb::BatchUpsertResponse up_out;
  ASSERT_TRUE(stub.BatchUpsert(&c1, up, &up_out).ok());
  grpc::ClientContext c2;
  pb::SearchRequest s;
  s.set_collection("docs");
  s.add_vector(1);
  s.add_vector(0);
  pb::SearchResponse s_out;
  ASSERT_TRUE(stub.Search(&c2, s, &s_out).ok());
}

TEST_F(OpsTest, MetricsAfterRestAndGrpcCalls) {
  ASSERT_NE(Start(), nullptr);
  HttpClient http(server_->port());
  auto stub = Stub();
  MakeTraffic(http, *stub);

  HttpReply r = http.Get("/metrics");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string t = "\n" + r.body;
  EXPECT_EQ(Value(t, Req("rest", "CreateCollection", "ok")), 1);
  EXPECT_EQ(Value(t, Req("rest", "BatchUpsert", "ok")), 1);
  EXPECT_EQ(Value(t, Req("rest", "Search", "ok")), 1);
  EXPECT_EQ(Value(t, Req("rest", "GetCollection", "not_found")), 1);
  EXPECT_EQ(Value(t, Req("grpc", "BatchUpsert", "ok")), 1);
  EXPECT_EQ(Value(t, Req("grpc", "Search", "ok")), 1);
  EXPECT_EQ(Value(t,
                  "proximadb_request_duration_seconds_count{protocol=\"grpc\","
                  "operation=\"Search\"}"),
            1);
  EXPECT_EQ(Value(t,
                  "proximadb_request_duration_seconds_bucket{protocol="
                  "\"rest\",operation=\"Search\",le=\"+Inf\"}"),
            1);
  EXPECT_EQ(Value(t, "proximadb_collection_points{collection=\"docs\"}"), 5);
  EXPECT_EQ(Value(t, "proximadb_collections"), 1);
  EXPECT_GT(Value(t, "proximadb_collection_wal_bytes{collection=\"docs\"}"), 0);
  EXPECT_GE(Value(t,
                  "proximadb_collection_oldest_unflushed_age_seconds{"
                  "collection=\"docs\"}"),
            0);
  EXPECT_EQ(Value(t, "proximadb_collection_segments{collection=\"docs\"}"), 0);
  EXPECT_GT(Value(t, "process_resident_memory_bytes"), 1 << 20);

  // After a flush the points are in a segment and the WAL is drained.
  ASSERT_EQ(http.Request("POST", "/api/v1/collections/docs/flush").status,
            200u);
  const std::string t2 = "\n" + http.Get("/metrics").body;
  EXPECT_EQ(Value(t2, "proximadb_collection_segments{collection=\"docs\"}"), 1);
  EXPECT_EQ(
      Value(t2, "proximadb_collection_memtable_points{collection=\"docs\"}"),
      0);
  EXPECT_EQ(Value(t2, Req("rest", "Flush", "ok")), 1);
}

TEST_F(OpsTest, MetricsCanBeDisabled) {
  ASSERT_NE(Start({"PROXIMADB_MONITORING__METRICS_ENABLED=false"}), nullptr);
  HttpClient http(server_->port());
  EXPECT_EQ(http.Get("/metrics").status, 404u);
  EXPECT_EQ(http.Get("/health").status, 200u);
}

TEST_F(OpsTest, ApiKeysOnBothTransports) {
  ASSERT_NE(Start({"PROXIMADB_API__API_KEYS=ro:reader-key-1, rw:writer-key-1"}),
            nullptr);
  HttpClient http(server_->port());
  const std::string create = R"({"name":"docs","dimension":2})";
  EXPECT_EQ(http.Get("/api/v1/collections").status, 401u);
  EXPECT_EQ(http.Request("GET", "/api/v1/collections", "",
                         {{"Authorization", "Bearer wrong-key-000"}})
                .status,
            401u);
  EXPECT_EQ(http.Request("GET", "/api/v1/collections", "",
                         {{"api-key", "reader-key-1"}})
                .status,
            200u);
  HttpReply denied = http.Request("POST", "/api/v1/collections", create,
                                  {{"Authorization", "Bearer reader-key-1"}});
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(denied.error(), "permission_denied");
  EXPECT_EQ(http.Request("POST", "/api/v1/collections", create,
                         {{"Authorization", "Bearer writer-key-1"}})
                .status,
            201u);
  EXPECT_EQ(http.Get("/health").status, 200u);
  EXPECT_EQ(http.Get("/health/ready").status, 200u);
  EXPECT_EQ(http.Get("/metrics").status, 200u);

  auto stub = Stub();
  auto count = [&](const std::string& key, const std::string& value) {
    grpc::ClientContext ctx;
    if (!key.empty()) ctx.AddMetadata(key, value);
    pb::CountRequest req;
    req.set_collection("docs");
    pb::CountResponse out;
    return stub->Count(&ctx, req, &out).error_code();
  };
  EXPECT_EQ(count("", ""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(count("api-key", "nope-nope-nope"),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(count("authorization", "Bearer reader-key-1"),
            grpc::StatusCode::OK);
  grpc::ClientContext fctx;
  fctx.AddMetadata("api-key", "reader-key-1");
  pb::FlushRequest freq;
  freq.set_collection("docs");
  pb::FlushResponse fout;
  EXPECT_EQ(stub->Flush(&fctx, freq, &fout).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext f2;
  f2.AddMetadata("authorization", "Bearer writer-key-1");
  EXPECT_TRUE(stub->Flush(&f2, freq, &fout).ok());
  grpc::ClientContext hctx;
  pb::HealthResponse h;
  EXPECT_TRUE(stub->Health(&hctx, pb::HealthRequest(), &h).ok());

  const std::string t = "\n" + http.Get("/metrics").body;
  EXPECT_EQ(Value(t, Req("rest", "CreateCollection", "permission_denied")), 1);
  EXPECT_EQ(Value(t, Req("grpc", "Count", "unauthenticated")), 2);
  EXPECT_EQ(Value(t,
                  "proximadb_requests_rejected_total{protocol=\"rest\","
                  "reason=\"unauthenticated\"}"),
            2);
}

TEST_F(OpsTest, BadApiKeyConfigStopsStartup) {
  EXPECT_EQ(Start({"PROXIMADB_API__API_KEYS=short"}), nullptr);
  EXPECT_NE(server_->log().find("api_keys"), std::string::npos)
      << server_->log();
}

// Connects, sends `partial` and returns how long the server took to close
// the connection (or -1 after 10 s).
double SecondsUntilClosed(uint16_t port, const std::string& partial) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -2;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto start = std::chrono::steady_clock::now();
  (void)!send(fd, partial.data(), partial.size(), 0);
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  close(fd);
  // 0 = orderly close, <0 with ECONNRESET = reset: both are "closed".
  return n > 0 || s >= 9.5 ? -1 : s;
}

TEST_F(OpsTest, SlowClientsAreDisconnected) {
  ASSERT_NE(Start({"PROXIMADB_API__REQUEST_TIMEOUT_MS=500"}), nullptr);
  // Half a header, then silence.
  double headers = SecondsUntilClosed(
      server_->port(), "POST /api/v1/collections HTTP/1.1\r\nHost: x\r\n");
  EXPECT_GE(headers, 0.4);
  EXPECT_LT(headers, 3.0);
  // Full headers, half the announced body.
  double body = SecondsUntilClosed(server_->port(),
                                   "POST /api/v1/collections HTTP/1.1\r\n"
                                   "Host: x\r\nContent-Length: 100\r\n\r\n{");
  EXPECT_GE(body, 0.4);
  EXPECT_LT(body, 3.0);
  // The server still serves others.
  HttpClient http(server_->port());
  EXPECT_EQ(http.Get("/health").status, 200u);
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Debian's prometheus scrapes /metrics every second; the value comes back
// through its query API.
TEST_F(OpsTest, PrometheusScrapesMetrics) {
  const std::string prom = "/usr/bin/prometheus";
  if (access(prom.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "prometheus is not installed (apt-get install prometheus)";
  }
  ASSERT_NE(Start(), nullptr);
  HttpClient http(server_->port());
  auto stub = Stub();
  MakeTraffic(http, *stub);

  const uint16_t prom_port = FreePort();
  const std::string config = root_ + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n"
                           "scrape_configs:\n  - job_name: proximadb\n"
                           "    static_configs:\n      - targets: ['127.0.0.1:"
                        << server_->port() << "']\n";
  const std::string log = root_ + "/prometheus.log";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::string a1 = "--config.file=" + config;
    std::string a2 = "--storage.tsdb.path=" + root_ + "/tsdb";
    std::string a3 =
        "--web.listen-address=127.0.0.1:" + std::to_string(prom_port);
    execl(prom.c_str(), prom.c_str(), a1.c_str(), a2.c_str(), a3.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
  } reaper{pid};

  HttpClient prometheus(prom_port);
  nlohmann::json sample;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    HttpReply q =
        prometheus.Get("/api/v1/query?query=proximadb_collection_points");
    nlohmann::json j = q.json();
    if (q.status == 200 && j.is_object() && j["status"] == "success" &&
        !j["data"]["result"].empty()) {
      sample = j["data"]["result"][0];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (sample.is_null()) {
    std::ifstream in(log);
    std::cerr << in.rdbuf();
  }
  ASSERT_FALSE(sample.is_null()) << "prometheus never returned the metric";
  EXPECT_EQ(sample["metric"]["collection"], "docs");
  EXPECT_EQ(sample["metric"]["job"], "proximadb");
  EXPECT_EQ(sample["value"][1], "5");
}

}  // namespace
}  // namespace proximadb::testing
