// End-to-end tests of proximadb-server over HTTP: the seed README's curl
// examples, CRUD + search order, refusal of bad input, and durability across
// SIGTERM and SIGKILL restarts.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "integration/http_client.h"
#include "integration/server_process.h"

namespace proximadb::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_rest_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    data_dir_ = root_ + "/data";
  }

  void TearDown() override {
    if (HasFailure()) {
      std::string log;
      for (auto& s : servers_) log += s->log();
      std::cerr << "---- server log ----\n" << log << "--------------------\n";
    }
    servers_.clear();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Starts a server on a free port over data_dir_; nullptr when it failed.
  ServerProcess* StartServer(const std::vector<std::string>& extra_args = {},
                             const std::vector<std::string>& env = {}) {
    auto s = std::make_unique<ServerProcess>();
    std::vector<std::string> args = {"--rest-port", "0",      "--data-dir",
                                     data_dir_,     "--bind", "127.0.0.1"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    bool ok = s->Start(PDB_SERVER_BINARY, args, root_ + "/server.log", env);
    servers_.push_back(std::move(s));
    if (!ok) return nullptr;
    client_ = std::make_unique<HttpClient>(servers_.back()->port());
    return servers_.back().get();
  }

  HttpClient& c() { return *client_; }

  void CreateCollection(const std::string& name, int dim,
                        const std::string& metric = "cosine") {
    HttpReply r = c().Post(
        "/api/v1/collections",
        json{{"name", name}, {"dimension", dim}, {"distance_metric", metric}});
    ASSERT_EQ(r.status, 201u) << r.body;
  }

  std::string root_;
  std::string data_dir_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(RestTest, Health) {
  ASSERT_NE(StartServer(), nullptr);
  HttpReply r = c().Get("/health");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["status"], "healthy");
  EXPECT_TRUE(r.json().contains("version"));
  EXPECT_EQ(c().Get("/health/ready").status, 200u);
  EXPECT_EQ(c().Get("/health/live").status, 200u);
}

// The README's three curl commands, verbatim bodies.
TEST_F(RestTest, SeedCurlExamples) {
  ASSERT_NE(StartServer(), nullptr);
  HttpReply r = c().Post("/api/v1/collections", std::string(R"({
    "name": "embeddings",
    "dimension": 768,
    "distance_metric": "cosine",
    "max_wal_age_hours": 0.5,
    "max_wal_size_mb": 32
  })"));
  ASSERT_EQ(r.status, 201u) << r.body;
  json col = r.json();
  EXPECT_EQ(col["name"], "embeddings");
  EXPECT_EQ(col["dimension"], 768);
  EXPECT_EQ(col["distance_metric"], "cosine");
  EXPECT_EQ(col["flush_policy"]["max_wal_age_hours"], 0.5);
  EXPECT_EQ(col["flush_policy"]["max_wal_size_mb"], 32.0);
  EXPECT_EQ(col["flush_policy"]["max_vector_count"], 1000000);

  const std::string insert = R"({
    "id": "user_123",
    "vector": [0.1, 0.2, 0.3],
    "metadata": {"user": "alice"}
  })";
  r = c().Post("/api/v1/collections/embeddings/vectors", insert);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.error(), "dimension_mismatch");
  EXPECT_NE(r.json()["message"].get<std::string>().find(
                "vector has 3 values but collection 'embeddings' has "
                "dimension 768"),
            std::string::npos)
      << r.body;
  // Nothing was stored.
  EXPECT_EQ(c().Get("/api/v1/collections/embeddings/vectors/user_123").status,
            404u);
  EXPECT_EQ(c().Get("/api/v1/collections/embeddings").json()["point_count"], 0);

  const std::string search = R"({
    "vector": [0.1, 0.2, 0.3],
    "k": 10,
    "filter": {"user": "alice"}
  })";
  r = c().Post("/api/v1/collections/embeddings/search", search);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.error(), "dimension_mismatch");

  // The same flow on a 3-dimensional collection works.
  CreateCollection("embeddings3", 3);
  r = c().Post("/api/v1/collections/embeddings3/vectors", insert);
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(r.json()["id"], "user_123");
  EXPECT_EQ(r.json()["status"], "ok");
  // A closer point that the filter must exclude.
  r = c().Post("/api/v1/collections/embeddings3/vectors",
               std::string(R"({"id": "user_456", "vector": [0.1, 0.2, 0.3],
                               "metadata": {"user": "bob"}})"));
  ASSERT_EQ(r.status, 201u) << r.body;
  r = c().Post("/api/v1/collections/embeddings3/search", search);
  ASSERT_EQ(r.status, 200u) << r.body;
  json res = r.json();
  ASSERT_EQ(res["total_count"], 1) << r.body;
  EXPECT_EQ(res["matches"][0]["id"], "user_123");
  EXPECT_EQ(res["matches"][0]["metadata"]["user"], "alice");
  EXPECT_NEAR(res["matches"][0]["score"].get<double>(), 1.0, 1e-5);
  EXPECT_FALSE(res["matches"][0].contains("vector"));
}

TEST_F(RestTest, BatchGetDeleteAndSearchOrder) {
  ASSERT_NE(StartServer(), nullptr);
  for (std::string metric : {"cosine", "euclidean", "dot_product"}) {
    SCOPED_TRACE(metric);
    std::string name = "c_" + metric;
    CreateCollection(name, 2, metric);
    // Query [1, 0]: p0 is best under every metric, then p1, p2, p3.
    json batch = {{"vectors",
                   {{{"id", "p0"}, {"vector", {1.0, 0.0}}},
                    {{"id", "p1"}, {"vector", {0.9, 0.3}}},
                    {{"id", "p2"}, {"vector", {0.5, 0.8}}},
                    {{"id", "p3"},
                     {"vector", {-0.8, 0.1}},
                     {"metadata", {{"tag", "far"}}}}}}};
    HttpReply r =
        c().Post("/api/v1/collections/" + name + "/vectors/batch", batch);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.json()["total_count"], 4);
    EXPECT_EQ(r.json()["inserted_ids"], json({"p0", "p1", "p2", "p3"}));

    r = c().Get("/api/v1/collections/" + name + "/vectors/p3");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.json()["id"], "p3");
    EXPECT_EQ(r.json()["vector"], json({-0.8, 0.1}));
    EXPECT_EQ(r.json()["metadata"]["tag"], "far");

    json q = {{"vector", {1.0, 0.0}}, {"k", 10}, {"include_vector", true}};
    r = c().Post("/api/v1/collections/" + name + "/search", q);
    ASSERT_EQ(r.status, 200u) << r.body;
    json m = r.json()["matches"];
    ASSERT_EQ(m.size(), 4u) << r.body;
    EXPECT_EQ(r.json()["total_count"], 4);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(m[i]["id"], "p" + std::to_string(i)) << r.body;
    }
    EXPECT_EQ(m[0]["vector"], json({1.0, 0.0}));
    // k limits the answer.
    q["k"] = 2;
    EXPECT_EQ(c().Post("/api/v1/collections/" + name + "/search", q)
                  .json()["total_count"],
              2);

    r = c().Delete("/api/v1/collections/" + name + "/vectors/p0");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(c().Get("/api/v1/collections/" + name + "/vectors/p0").status,
              404u);
    EXPECT_EQ(c().Delete("/api/v1/collections/" + name + "/vectors/p0").status,
              404u);
    r = c().Post("/api/v1/collections/" + name + "/search", q);
    ASSERT_EQ(r.status, 200u);
    EXPECT_EQ(r.json()["matches"][0]["id"], "p1") << r.body;

    // Upsert replaces.
    r = c().Post("/api/v1/collections/" + name + "/vectors",
                 json{{"id", "p3"}, {"vector", {1.0, 0.0}}});
    ASSERT_EQ(r.status, 201u);
    r = c().Post("/api/v1/collections/" + name + "/search", q);
    EXPECT_EQ(r.json()["matches"][0]["id"], "p3") << r.body;
    EXPECT_EQ(c().Get("/api/v1/collections/" + name).json()["point_count"], 3);
  }
  HttpReply list = c().Get("/api/v1/collections");
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.json()["total_count"], 3);
  EXPECT_EQ(c().Delete("/api/v1/collections/c_cosine").status, 200u);
  EXPECT_EQ(c().Get("/api/v1/collections/c_cosine").status, 404u);
  EXPECT_EQ(c().Get("/api/v1/collections").json()["total_count"], 2);
}

TEST_F(RestTest, GeneratedAndEncodedIds) {
  ASSERT_NE(StartServer(), nullptr);
  CreateCollection("ids", 2);
  HttpReply r =
      c().Post("/api/v1/collections/ids/vectors", json{{"vector", {1.0, 2.0}}});
  ASSERT_EQ(r.status, 201u) << r.body;
  std::string generated = r.json()["id"];
  EXPECT_FALSE(generated.empty());
  EXPECT_EQ(c().Get("/api/v1/collections/ids/vectors/" + generated).status,
            200u);

  r = c().Post("/api/v1/collections/ids/vectors",
               json{{"id", "a/b c%?"}, {"vector", {1.0, 2.0}}});
  ASSERT_EQ(r.status, 201u) << r.body;
  r = c().Get("/api/v1/collections/ids/vectors/a%2Fb%20c%25%3F");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["id"], "a/b c%?");
  EXPECT_EQ(c().Get("/api/v1/collections/ids/vectors/bad%zz").status, 400u);
}

struct BadRequest {
  const char* method;
  const char* target;
  const char* body;
  unsigned status;
  const char* error;
};

TEST_F(RestTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_NE(StartServer(), nullptr);
  CreateCollection("c", 3);
  ASSERT_EQ(c().Post("/api/v1/collections/c/vectors",
                     json{{"id", "keep"}, {"vector", {1.0, 0.0, 0.0}}})
                .status,
            201u);
  const BadRequest cases[] = {
      {"POST", "/api/v1/collections/c/vectors",
       R"({"id": "x", "vector": [1, 2]})", 400, "dimension_mismatch"},
      {"POST", "/api/v1/collections/c/vectors",
       R"({"id": "x", "vector": [1e999, 0, 0]})", 400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors",
       R"({"id": "x", "vector": ["NaN", 0, 0]})", 400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors",
       R"({"id": "x", "vector": [1e300, 0, 0]})", 400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors", R"({"id": "x", "vector": []})",
       400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors", R"({"id": "x"})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors",
       R"({"id": "x", "vector": [1, 2, 3], "metadata": [1]})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors", R"({"id": "x", "vector": [1,)",
       400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors", "", 400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/vectors/batch",
       R"({"vectors": [{"id": "x", "vector": [1, 2, 3]},
                       {"id": "y", "vector": [1, 2]}]})",
       400, "dimension_mismatch"},
      {"POST", "/api/v1/collections/c/vectors/batch", R"({"vectors": []})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections/c/search",
       R"({"vector": [1, 2, 3], "k": 0})", 400, "invalid_argument"},
      {"POST", "/api/v1/collections/c/search", R"({"k": 3})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections/c/search",
       R"({"vector": [1, 2, 3], "filter": "x"})", 400, "invalid_argument"},
      {"POST", "/api/v1/collections",
       R"({"name": "m", "dimension": 3, "distance_metric": "hamming"})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections", R"({"name": "m"})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections", R"({"dimension": 3})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections", R"({"name": "m", "dimension": 0})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/collections", R"({"name": "m", "dimension": 70000})",
       400, "invalid_argument"},
      {"POST", "/api/v1/collections", R"({"name": "c", "dimension": 3})", 409,
       "already_exists"},
      {"POST", "/api/v1/collections", R"({"name": "m" "dimension": 3})", 400,
       "invalid_argument"},
      {"GET", "/api/v1/collections/nope", "", 404, "not_found"},
      {"DELETE", "/api/v1/collections/nope", "", 404, "not_found"},
      {"POST", "/api/v1/collections/nope/vectors",
       R"({"id": "x", "vector": [1, 2, 3]})", 404, "not_found"},
      {"POST", "/api/v1/collections/nope/search", R"({"vector": [1, 2, 3]})",
       404, "not_found"},
      {"GET", "/api/v1/collections/c/vectors/missing", "", 404, "not_found"},
      {"GET", "/api/v2/whatever", "", 404, "not_found"},
      {"PUT", "/api/v1/collections", "", 405, "method_not_allowed"},
      {"GET", "/api/v1/collections/c/search", "", 405, "method_not_allowed"},
  };
  for (const BadRequest& b : cases) {
    HttpReply r = c().Request(b.method, b.target, b.body);
    EXPECT_EQ(r.status, b.status)
        << b.method << " " << b.target << " " << b.body << " -> " << r.body;
    EXPECT_EQ(r.error(), b.error)
        << b.method << " " << b.target << " -> " << r.body;
    EXPECT_TRUE(r.json().contains("message")) << r.body;
  }
  // Malformed JSON names the position.
  HttpReply r = c().Post("/api/v1/collections", std::string("{\"name\": }"));
  EXPECT_NE(r.body.find("byte"), std::string::npos) << r.body;
  // Only the one good point is there; no failed write leaked through.
  EXPECT_EQ(c().Get("/api/v1/collections/c").json()["point_count"], 1);
  EXPECT_EQ(c().Get("/api/v1/collections/c/vectors/x").status, 404u);
  EXPECT_EQ(c().Get("/api/v1/collections/c/vectors/y").status, 404u);
  EXPECT_EQ(c().Get("/api/v1/collections/m").status, 404u);
}

TEST_F(RestTest, OversizeBodyIs413) {
  ASSERT_NE(StartServer({}, {"PROXIMADB_API__MAX_REQUEST_SIZE_MB=1"}), nullptr);
  CreateCollection("c", 3);
  std::string big =
      R"({"id": "x", "vector": [1, 2, 3], "metadata": {"pad": ")" +
      std::string(2 << 20, 'a') + "\"}}";
  HttpReply r = c().Post("/api/v1/collections/c/vectors", big);
  EXPECT_EQ(r.status, 413u) << r.body.substr(0, 200);
  EXPECT_EQ(r.error(), "payload_too_large");
  // The server is fine afterwards, and nothing was written.
  EXPECT_EQ(c().Get("/health").status, 200u);
  EXPECT_EQ(c().Get("/api/v1/collections/c/vectors/x").status, 404u);
  // The flag works as well.
  ServerProcess* s = servers_.back().get();
  s->Stop();
  ASSERT_NE(StartServer({"--max-request-size-mb", "1"}), nullptr);
  EXPECT_EQ(c().Post("/api/v1/collections/c/vectors", big).status, 413u);
}

TEST_F(RestTest, KeepAliveConnectionIsReused) {
  ASSERT_NE(StartServer(), nullptr);
  for (int i = 0; i < 20; ++i) {
    HttpReply r = c().Get("/health");
    ASSERT_EQ(r.status, 200u);
    EXPECT_TRUE(r.keep_alive);
  }
}

TEST_F(RestTest, RestartAfterSigtermKeepsData) {
  ServerProcess* s = StartServer();
  ASSERT_NE(s, nullptr);
  CreateCollection("durable", 3, "euclidean");
  json batch = {{"vectors", json::array()}};
  for (int i = 0; i < 50; ++i) {
    batch["vectors"].push_back({{"id", "v" + std::to_string(i)},
                                {"vector", {i * 1.0, 0.5, -1.0}},
                                {"metadata", {{"i", i}}}});
  }
  ASSERT_EQ(c().Post("/api/v1/collections/durable/vectors/batch", batch).status,
            200u);
  int status = s->Stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);

  ASSERT_NE(StartServer(), nullptr);
  HttpReply r = c().Get("/api/v1/collections/durable");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["point_count"], 50);
  EXPECT_EQ(r.json()["distance_metric"], "euclidean");
  r = c().Get("/api/v1/collections/durable/vectors/v7");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["vector"], json({7.0, 0.5, -1.0}));
  EXPECT_EQ(r.json()["metadata"]["i"], 7);
  r = c().Post("/api/v1/collections/durable/search",
               json{{"vector", {7.0, 0.5, -1.0}}, {"k", 1}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["matches"][0]["id"], "v7");
}

TEST_F(RestTest, EveryAcknowledgedWriteSurvivesSigkill) {
  ServerProcess* s = StartServer();
  ASSERT_NE(s, nullptr);
  CreateCollection("crash", 4);
  std::vector<std::string> acked;
  for (int i = 0; i < 200; ++i) {
    std::string id = "k" + std::to_string(i);
    HttpReply r = c().Post("/api/v1/collections/crash/vectors",
                           json{{"id", id},
                                {"vector", {1.0, i * 0.01, 0.0, -1.0}},
                                {"metadata", {{"n", i}}}});
    if (r.status == 201) acked.push_back(id);
  }
  ASSERT_EQ(acked.size(), 200u);
  ASSERT_EQ(c().Delete("/api/v1/collections/crash/vectors/k0").status, 200u);
  s->Kill(SIGKILL);

  ASSERT_NE(StartServer(), nullptr);
  for (size_t i = 1; i < acked.size(); ++i) {
    HttpReply r = c().Get("/api/v1/collections/crash/vectors/" + acked[i]);
    ASSERT_EQ(r.status, 200u) << acked[i] << ": " << r.body;
    EXPECT_EQ(r.json()["metadata"]["n"], static_cast<int>(i));
  }
  EXPECT_EQ(c().Get("/api/v1/collections/crash/vectors/k0").status, 404u);
  EXPECT_EQ(c().Get("/api/v1/collections/crash").json()["point_count"], 199);
}

// Issue 10 A: an acknowledged metadata update of a flushed point, then a
// compaction, then kill -9 — the point must come back with its new metadata.
TEST_F(RestTest, MetadataUpdateSurvivesCompactionAndSigkill) {
  ServerProcess* s = StartServer();
  ASSERT_NE(s, nullptr);
  CreateCollection("c", 2, "euclidean");
  const std::string c_path = "/api/v1/collections/c";
  HttpReply r =
      c().Post(c_path + "/vectors",
               json{{"id", "p"}, {"vector", {1, 2}}, {"metadata", {{"v", 1}}}});
  ASSERT_EQ(r.status, 201u) << r.body;
  ASSERT_EQ(c().Post(c_path + "/flush", std::string()).status, 200u);
  r = c().Request("PATCH", c_path + "/vectors/p",
                  json{{"metadata", {{"v", 2}}}}.dump());
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(c().Post(c_path + "/compact", std::string()).status, 200u);
  s->Kill(SIGKILL);

  ASSERT_NE(StartServer(), nullptr);
  r = c().Get(c_path + "/vectors/p");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["metadata"], json({{"v", 2}}));
  EXPECT_EQ(r.json()["vector"], json({1.0, 2.0}));
}

TEST_F(RestTest, ConcurrentWritersAllAcknowledgedWritesSurviveSigterm) {
  ServerProcess* s = StartServer();
  ASSERT_NE(s, nullptr);
  CreateCollection("conc", 3);
  const uint16_t port = s->port();
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> server_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(port);
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        std::string id = "t" + std::to_string(t) + "_" + std::to_string(i);
        HttpReply r = client.Post("/api/v1/collections/conc/vectors",
                                  json{{"id", id}, {"vector", {1.0, t, i}}});
        if (r.status == 201) {
          std::lock_guard<std::mutex> l(mu);
          acked.push_back(id);
        } else if (r.status >= 500) {
          server_errors.fetch_add(1);
        }
        // Interleave reads so that searches run beside writes.
        if (i % 10 == 0) {
          client.Post("/api/v1/collections/conc/search",
                      json{{"vector", {1.0, t, i}}, {"k", 5}});
        }
      }
    });
  }
  // Let the writers run, then stop the server under load.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard<std::mutex> l(mu);
    if (acked.size() >= 300) break;
  }
  int status = s->Stop(SIGTERM);
  stop.store(true);
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(server_errors.load(), 0);

  ASSERT_NE(StartServer(), nullptr);
  for (const std::string& id : acked) {
    ASSERT_EQ(c().Get("/api/v1/collections/conc/vectors/" + id).status, 200u)
        << id;
  }
  EXPECT_GE(c().Get("/api/v1/collections/conc").json()["point_count"],
            acked.size());
}

TEST_F(RestTest, ExpectContinueIsAnswered) {
  ServerProcess* s = StartServer();
  ASSERT_NE(s, nullptr);
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket sock(ioc);
  sock.connect({net::ip::make_address("127.0.0.1"), s->port()});
  const std::string body = R"({"name": "cont", "dimension": 2})";
  std::string head =
      "POST /api/v1/collections HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  net::write(sock, net::buffer(head));
  std::string got;
  net::read_until(sock, net::dynamic_buffer(got), "\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 100 Continue", 0), 0u) << got;
  net::write(sock, net::buffer(body));
  got.clear();
  net::read_until(sock, net::dynamic_buffer(got), "\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 201", 0), 0u) << got;
}

TEST_F(RestTest, SeedConfigFileStartsServer) {
  std::ofstream(root_ + "/config.toml") << R"([server]
node_id = "node-1"
bind_address = "0.0.0.0:5678"
dashboard_enabled = true

[storage]
data_directory = "./data"
memtable_size_mb = 128
compaction_enabled = true

[api]
grpc_port = 5678
rest_port = 8080
request_timeout_ms = 30000

[monitoring]
metrics_enabled = true
health_check_interval_ms = 5000

[flush]
max_wal_age_hours = 24.0
max_wal_size_mb = 128.0
max_vector_count = 1000000
flush_priority = 50
enable_background_flush = true
)";
  // Flags (port 0, the temp data dir, loopback) override the file.
  ASSERT_NE(StartServer({"--config", root_ + "/config.toml"}), nullptr);
  EXPECT_EQ(c().Get("/health").status, 200u);
}

TEST_F(RestTest, StartupFailuresExitWithCode1) {
  ServerProcess* first = StartServer();
  ASSERT_NE(first, nullptr);
  const std::string port = std::to_string(first->port());

  ServerProcess second;
  EXPECT_FALSE(second.Start(PDB_SERVER_BINARY,
                            {"--rest-port", port, "--bind", "127.0.0.1",
                             "--data-dir", root_ + "/other"},
                            root_ + "/second.log"));
  EXPECT_TRUE(WIFEXITED(second.exit_status()));
  EXPECT_EQ(WEXITSTATUS(second.exit_status()), 1) << second.log();
  EXPECT_NE(second.log().find("cannot"), std::string::npos) << second.log();

  ServerProcess bad_env;
  EXPECT_FALSE(bad_env.Start(
      PDB_SERVER_BINARY, {"--rest-port", "0", "--data-dir", root_ + "/o2"},
      root_ + "/bad_env.log", {"PROXIMADB_API__REST_PORT=abc"}));
  EXPECT_EQ(WEXITSTATUS(bad_env.exit_status()), 1);
  EXPECT_NE(bad_env.log().find("PROXIMADB_API__REST_PORT"), std::string::npos)
      << bad_env.log();

  // A data directory that is a regular file cannot be opened.
  std::ofstream(root_ + "/not_a_dir") << "x";
  ServerProcess bad_dir;
  EXPECT_FALSE(
      bad_dir.Start(PDB_SERVER_BINARY,
                    {"--rest-port", "0", "--data-dir", root_ + "/not_a_dir"},
                    root_ + "/bad_dir.log"));
  EXPECT_EQ(WEXITSTATUS(bad_dir.exit_status()), 1) << bad_dir.log();

  std::ofstream(root_ + "/bad.toml") << "[api]\nrest_prot = 1\n";
  ServerProcess bad_file;
  EXPECT_FALSE(bad_file.Start(PDB_SERVER_BINARY,
                              {"--config", root_ + "/bad.toml"},
                              root_ + "/bad_file.log"));
  EXPECT_EQ(WEXITSTATUS(bad_file.exit_status()), 1);
  EXPECT_NE(bad_file.log().find("rest_prot"), std::string::npos)
      << bad_file.log();
}

}  // namespace
}  // namespace proximadb::testing
