// Disaster recovery with the real binary: a database snapshot taken over
// REST while the server runs, the data directory lost, then
// `proximadb-server --restore-snapshot <id>` into an empty directory (the
// repository named by PROXIMADB_SNAPSHOTS__LOCAL_DIRECTORY) exits 0 and the
// server started on it serves every collection and alias as they were at
// the snapshot; the flag refuses a directory that is not empty.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "integration/http_client.h"
#include "integration/server_process.h"
#include "util/temp_dir.h"

namespace proximadb::testing {
namespace {

namespace fs = std::filesystem;

TEST(SnapshotRestoreTest, RestoreSnapshotFlagRebuildsALostDataDirectory) {
  test_util::TempDir tmp;
  const std::string data = tmp.path() + "/data",
                    backup = tmp.path() + "/backup";
  const std::vector<std::string> env = {
      "PROXIMADB_SNAPSHOTS__LOCAL_DIRECTORY=" + backup};
  std::string id;
  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(TestServerBinary(),
                             {"--data-dir", data, "--rest-port", "0"},
                             tmp.path() + "/server.log", env))
        << server.log();
    HttpClient http(server.port());
    ASSERT_EQ(http.Post("/api/v1/collections",
                        nlohmann::json{{"name", "docs"}, {"dimension", 2}})
                  .status,
              201u);
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(http.Post("/api/v1/collections/docs/vectors",
                          nlohmann::json{{"id", "p" + std::to_string(i)},
                                         {"vector", {i, 1}},
                                         {"metadata", {{"i", i}}}})
                    .status,
                201u);
    }
    ASSERT_EQ(http.Post("/api/v1/collections/docs/flush", std::string()).status,
              200u);
    ASSERT_EQ(http.Post("/api/v1/collections/docs/vectors",
                        nlohmann::json{{"id", "tail"}, {"vector", {0, 1}}})
                  .status,
              201u);
    ASSERT_EQ(http.Post("/api/v1/aliases",
                        nlohmann::json::parse(R"({"actions": [{"create":
                            {"alias": "prod", "collection": "docs"}}]})"))
                  .status,
              200u);
    HttpReply snap = http.Post("/api/v1/snapshots", std::string());
    ASSERT_EQ(snap.status, 201u) << snap.body;
    id = snap.json()["snapshot"]["id"];
    // After the snapshot: not restored.
    ASSERT_EQ(http.Post("/api/v1/collections/docs/vectors",
                        nlohmann::json{{"id", "late"}, {"vector", {5, 1}}})
                  .status,
              201u);
    EXPECT_EQ(server.Stop(), 0);
  }
  fs::remove_all(data);  // the disaster

  ServerProcess restore;
  EXPECT_FALSE(restore.Start(TestServerBinary(),
                             {"--data-dir", data, "--restore-snapshot", id},
                             tmp.path() + "/restore.log", env));
  int st = restore.exit_status();
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << restore.log();
  EXPECT_NE(restore.stdout_text().find("restored into"), std::string::npos)
      << restore.stdout_text();

  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(TestServerBinary(),
                             {"--data-dir", data, "--rest-port", "0"},
                             tmp.path() + "/server2.log", env))
        << server.log();
    HttpClient http(server.port());
    HttpReply count =
        http.Post("/api/v1/collections/prod/count", std::string());
    ASSERT_EQ(count.status, 200u) << count.body;
    EXPECT_EQ(count.json()["count"], 51);
    HttpReply p7 = http.Get("/api/v1/collections/docs/vectors/p7");
    ASSERT_EQ(p7.status, 200u) << p7.body;
    EXPECT_EQ(p7.json()["metadata"]["i"], 7);
    EXPECT_EQ(http.Get("/api/v1/collections/docs/vectors/late").status, 404u);
    EXPECT_EQ(server.Stop(), 0);
  }

  // Not into a directory that holds data.
  ServerProcess again;
  EXPECT_FALSE(again.Start(TestServerBinary(),
                           {"--data-dir", data, "--restore-snapshot", id},
                           tmp.path() + "/restore2.log", env));
  st = again.exit_status();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) != 0) << st;
  EXPECT_NE(again.log().find("empty data directory"), std::string::npos)
      << again.log();
}

}  // namespace
}  // namespace proximadb::testing
