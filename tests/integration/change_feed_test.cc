// The change feed over REST against the real server: a followed stream
// delivers writes as they are acknowledged, and a consumer that stops
// reading neither slows the writers nor holds the server: it is cut off
// after the request timeout and resumes from its last sequence.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/http_client.h"
#include "integration/server_process.h"

namespace proximadb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

class ChangeFeedRestTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> env = {}) {
    char tmpl[] = "/tmp/pdb_feed_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_TRUE(server_.Start(PDB_SERVER_BINARY,
                              {"--rest-port", "0", "--data-dir",
                               root_ + "/data", "--bind", "127.0.0.1"},
                              root_ + "/server.log", env))
        << server_.log();
    http_ = std::make_unique<HttpClient>(server_.port());
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << server_.log();
    server_.Stop();
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }

  // A raw connection that sent a GET of the feed; `rcvbuf` > 0 shrinks its
  // receive buffer (a consumer that cannot keep up).
  int OpenFeed(const std::string& query, int rcvbuf = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    if (rcvbuf > 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    const std::string req = "GET /api/v1/collections/c/changes?" + query +
                            " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    EXPECT_EQ(::send(fd, req.data(), req.size(), 0),
              static_cast<ssize_t>(req.size()));
    return fd;
  }
  // Reads until `needle` arrived or the stream ended (false) or the
  // timeout passed (false).
  static bool ReadUntil(int fd, const std::string& needle, std::string* got,
                        std::chrono::seconds timeout) {
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const auto deadline = Steady::now() + timeout;
    char buf[65536];
    while (got->find(needle) == std::string::npos) {
      if (Steady::now() > deadline) return false;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
          continue;
        }
        return false;
      }
      got->append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  void Upsert(int from, int n, int dim) {
    json vectors = json::array();
    for (int i = from; i < from + n; ++i) {
      std::vector<float> v(dim, 0.25f);
      v[0] = static_cast<float>(i + 1);
      vectors.push_back({{"id", "p" + std::to_string(i)}, {"vector", v}});
    }
    HttpReply r = http_->Request("PUT", "/api/v1/collections/c/vectors",
                                 json{{"vectors", vectors}}.dump());
    ASSERT_EQ(r.status, 200u) << r.body;
  }

  std::string root_;
  ServerProcess server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(ChangeFeedRestTest, FollowedStreamDeliversNewWrites) {
  Start();
  ASSERT_EQ(
      http_->Post("/api/v1/collections", json{{"name", "c"}, {"dimension", 4}})
          .status,
      201u);
  int fd = OpenFeed("from_seq=1");
  std::string got;
  // The header arrives at once, before any write.
  ASSERT_TRUE(ReadUntil(fd, "\r\n\r\n", &got, std::chrono::seconds(10))) << got;
  EXPECT_NE(got.find("application/x-ndjson"), std::string::npos) << got;
  EXPECT_NE(got.find("chunked"), std::string::npos) << got;
  for (int i = 0; i < 3; ++i) {
    Upsert(i, 1, 4);
    ASSERT_TRUE(ReadUntil(fd, "\"id\":\"p" + std::to_string(i) + "\"", &got,
                          std::chrono::seconds(10)))
        << got;
  }
  ::close(fd);
  // Parameters are checked before the stream starts.
  EXPECT_EQ(http_->Get("/api/v1/collections/c/changes?follow=maybe").status,
            400u);
  EXPECT_EQ(http_->Get("/api/v1/collections/c/changes?bogus=1").status, 400u);
  EXPECT_EQ(http_->Get("/api/v1/collections/nope/changes").status, 404u);
}

TEST_F(ChangeFeedRestTest, SlowConsumerIsCutOffAndWritersDoNotWait) {
  Start({"PROXIMADB_API__REQUEST_TIMEOUT_MS=1000"});
  ASSERT_EQ(
      http_
          ->Post("/api/v1/collections", json{{"name", "c"}, {"dimension", 128}})
          .status,
      201u);
  // A consumer that reads the header and then nothing, with a tiny buffer.
  int fd = OpenFeed("from_seq=1", 4096);
  std::string got;
  ASSERT_TRUE(ReadUntil(fd, "\r\n\r\n", &got, std::chrono::seconds(10)));
  // ~15 MB of changes: far more than the socket buffers hold.
  const auto start = Steady::now();
  constexpr int kBatches = 20, kPerBatch = 500;
  for (int b = 0; b < kBatches; ++b) Upsert(b * kPerBatch, kPerBatch, 128);
  const double write_s =
      std::chrono::duration<double>(Steady::now() - start).count();
  EXPECT_LT(write_s, 30.0) << "the writers waited for the consumer";
  // The server gives up on the stalled consumer after the request timeout:
  // draining the socket now reaches the end of the stream (not the last
  // change) within a bounded time.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::string rest;
  EXPECT_FALSE(
      ReadUntil(fd, "\"id\":\"p9999\"", &rest, std::chrono::seconds(30)))
      << "the stalled consumer was not cut off";
  ::close(fd);
  // It resumes from sequence 1 and gets everything (on a new connection:
  // the writer's idle keep-alive one timed out meanwhile).
  http_->Reset();
  HttpReply all = http_->Get(
      "/api/v1/collections/c/changes?from_seq=1&follow=false&"
      "with_vectors=false");
  ASSERT_EQ(all.status, 200u);
  std::istringstream in(all.body);
  int lines = 0;
  for (std::string line; std::getline(in, line);) lines += !line.empty();
  EXPECT_EQ(lines, kBatches * kPerBatch);
  EXPECT_EQ(http_->Get("/health").status, 200u);
}

}  // namespace
}  // namespace proximadb::testing
