// The real server with [catalog] backend = "postgresql" against the
// fixture's PostgreSQL: what a user does over REST lands in the catalog
// tables and survives a kill -9; a second server on the same namespace and
// a data directory pointed at another catalog do not start; a catalog that
// cannot be reached stops the start with a clear message.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "cluster_pg/pg_env.h"
#include "integration/http_client.h"
#include "integration/server_process.h"
#include "util/temp_dir.h"

namespace proximadb::cluster {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

class ServerCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const PgEnv& env = LoadPgEnv();
    if (env.skip) GTEST_SKIP() << env.problem;
    ASSERT_TRUE(env.problem.empty()) << env.problem;
    url_ = env.url();
    admin_url_ = env.admin_url();
    ns_ = "srv_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  bool Start(ServerProcess* p, const std::string& data, const std::string& ns,
             const std::string& url) {
    return p->Start(
        PDB_SERVER_BINARY,
        {"--rest-port", "0", "--data-dir", data, "--bind", "127.0.0.1"},
        tmp_.path() + "/server.log",
        {"PROXIMADB_CATALOG__BACKEND=postgresql",
         "PROXIMADB_CATALOG__NAMESPACE=" + ns,
         "PROXIMADB_CATALOG__POSTGRESQL_URL=" + url,
         "PROXIMADB_CATALOG__TIMEOUT_MS=3000"},
        30);
  }
  // SELECT ... in the catalog tables, as a team's tools would.
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    try {
      pqxx::connection c(admin_url_);
      pqxx::work w(c);
      for (const auto& row : w.exec(sql)) out.push_back(row[0].c_str());
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
    return out;
  }
  test_util::TempDir tmp_;
  std::string url_, admin_url_, ns_;
};

TEST_F(ServerCatalogTest, CollectionsAndAliasesLiveInPostgres) {
  const std::string data = tmp_.path() + "/data";
  {
    ServerProcess server;
    ASSERT_TRUE(Start(&server, data, ns_, url_)) << server.log();
    HttpClient http(server.port());
    auto r = http.Request("POST", "/api/v1/collections",
                          R"({"name":"docs","dimension":3})");
    ASSERT_EQ(r.status, 201u) << r.body;
    r = http.Request("POST", "/api/v1/collections",
                     R"({"name":"tmp","dimension":3})");
    ASSERT_EQ(r.status, 201u) << r.body;
    r = http.Request("POST", "/api/v1/collections/docs/vectors",
                     R"({"id":"a","vector":[1,2,3],"metadata":{"k":1}})");
    ASSERT_LT(r.status, 300u) << r.body;
    r = http.Request(
        "POST", "/api/v1/aliases",
        R"({"actions":[{"create":{"alias":"prod","collection":"docs"}}]})");
    ASSERT_EQ(r.status, 200u) << r.body;
    r = http.Request("DELETE", "/api/v1/collections/tmp");
    ASSERT_LT(r.status, 300u) << r.body;
    server.Kill(SIGKILL);
  }
  EXPECT_EQ(
      Column("SELECT name FROM proximadb_collections WHERE namespace = '" +
             ns_ + "' ORDER BY name"),
      std::vector<std::string>{"docs"});
  EXPECT_EQ(Column("SELECT alias || '->' || collection FROM proximadb_aliases "
                   "WHERE namespace = '" +
                   ns_ + "'"),
            std::vector<std::string>{"prod->docs"});

  ServerProcess server;
  ASSERT_TRUE(Start(&server, data, ns_, url_)) << server.log();
  HttpClient http(server.port());
  auto r = http.Request("GET", "/api/v1/collections/prod/vectors/a");
  EXPECT_EQ(r.status, 200u) << r.body;

  // A second server on the same namespace does not start.
  ServerProcess second;
  EXPECT_FALSE(Start(&second, tmp_.path() + "/data2", ns_, url_));
  EXPECT_NE(second.log().find("holds"), std::string::npos) << second.log();
}

TEST_F(ServerCatalogTest, ADirectoryBoundToAnotherCatalogDoesNotStart) {
  const std::string data = tmp_.path() + "/data";
  {
    ServerProcess server;
    ASSERT_TRUE(Start(&server, data, ns_, url_)) << server.log();
    HttpClient http(server.port());
    auto r = http.Request("POST", "/api/v1/collections",
                          R"({"name":"docs","dimension":3})");
    ASSERT_EQ(r.status, 201u) << r.body;
  }
  ServerProcess other;
  EXPECT_FALSE(Start(&other, data, ns_ + "_other", url_));
  EXPECT_NE(other.log().find("is bound to catalog"), std::string::npos)
      << other.log();
}

TEST_F(ServerCatalogTest, AnUnreachableCatalogStopsTheStartClearly) {
  ServerProcess server;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(Start(&server, tmp_.path() + "/data", ns_,
                     "postgresql://proximadb:s3cret-pw@127.0.0.1:1/none"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  const std::string log = server.log();
  EXPECT_NE(log.find("unavailable"), std::string::npos) << log;
  EXPECT_EQ(log.find("s3cret-pw"), std::string::npos)
      << "the password must never be printed: " << log;
}

TEST_F(ServerCatalogTest, CatalogChangesFailCleanlyWhileTheCatalogIsDown) {
  PrivatePostgres pg(std::string(PDB_PG_SCRATCH) + "/server-down-" +
                     std::to_string(::getpid()));
  ASSERT_TRUE(pg.problem().empty()) << pg.problem();
  const std::string data = tmp_.path() + "/data";
  ServerProcess server;
  ASSERT_TRUE(Start(&server, data, ns_, pg.env().url())) << server.log();
  HttpClient http(server.port());
  auto r = http.Request("POST", "/api/v1/collections",
                        R"({"name":"docs","dimension":3})");
  ASSERT_EQ(r.status, 201u) << r.body;
  pg.Stop();

  r = http.Request("POST", "/api/v1/collections",
                   R"({"name":"more","dimension":3})");
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(r.body.find(pg.env().password()), std::string::npos) << r.body;
  r = http.Request("GET", "/api/v1/collections/more");
  EXPECT_EQ(r.status, 404u) << "a refused create leaves nothing: " << r.body;
  // Points need only the engine.
  r = http.Request("POST", "/api/v1/collections/docs/vectors",
                   R"({"id":"a","vector":[1,2,3]})");
  EXPECT_LT(r.status, 300u) << r.body;
  r = http.Request("GET", "/api/v1/collections/docs/vectors/a");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = http.Request("DELETE", "/api/v1/collections/docs");
  EXPECT_EQ(r.status, 503u) << r.body;
  r = http.Request("GET", "/api/v1/collections/docs");
  EXPECT_EQ(r.status, 200u) << "a refused drop drops nothing: " << r.body;
}

}  // namespace
}  // namespace proximadb::cluster
