#include "server/config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace proximadb::server {
namespace {

// The seed README's config.toml plus its [flush] section, verbatim.
constexpr const char* kSeedConfig = R"(
[server]
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
# Global defaults
max_wal_age_hours = 24.0      # Production: 24h, Testing: 0.083h (5min)
max_wal_size_mb = 128.0       # Production: 128MB, Testing: 10MB
max_vector_count = 1000000    # Production: 1M, Testing: 1K
flush_priority = 50           # 1-100 priority scale
enable_background_flush = true
)";

TEST(ConfigTest, Defaults) {
  ServerConfig c;
  EXPECT_EQ(c.server.node_id, "node-1");
  EXPECT_EQ(c.server.bind_address, "0.0.0.0");
  EXPECT_TRUE(c.server.dashboard_enabled);
  EXPECT_EQ(c.server.dashboard_dir, "");
  EXPECT_EQ(c.storage.data_directory, "./data");
  EXPECT_EQ(c.storage.memtable_size_mb, 128);
  EXPECT_EQ(c.storage.index_build_threads, 0);
  EXPECT_EQ(c.storage.viper_graph_min_points, 1000000);
  EXPECT_EQ(c.storage.viper_graph_min_age_s, 3600);
  EXPECT_TRUE(c.storage.viper_graph_calibrate);
  EXPECT_EQ(c.storage.background_io_mb_per_s, 0);
  EXPECT_EQ(c.storage.max_unflushed_wal_mb, 1024);
  EXPECT_EQ(c.storage.on_damaged_collection, "fence");
  EXPECT_EQ(c.storage.memory_limit_mb, 0);
  EXPECT_TRUE(c.storage.compaction_enabled);
  EXPECT_EQ(c.api.grpc_port, 5678);
  EXPECT_EQ(c.api.rest_port, 8080);
  EXPECT_EQ(c.api.request_timeout_ms, 30000);
  EXPECT_EQ(c.api.max_request_size_mb, 64);
  EXPECT_TRUE(c.monitoring.metrics_enabled);
  EXPECT_EQ(c.monitoring.health_check_interval_ms, 5000);
  EXPECT_DOUBLE_EQ(c.flush.max_wal_age_hours, 24.0);
  EXPECT_DOUBLE_EQ(c.flush.max_wal_size_mb, 128.0);
  EXPECT_EQ(c.flush.max_vector_count, 1000000u);
  EXPECT_EQ(c.flush.flush_priority, 50);
  EXPECT_TRUE(c.flush.enable_background_flush);
  EXPECT_EQ(c.log_level, "info");
}

TEST(ConfigTest, NoFileNoEnvNoFlagsGivesDefaults) {
  const char* argv[] = {"proximadb-server"};
  auto cli = ParseCommandLine(1, argv);
  ASSERT_TRUE(cli.ok());
  // Run from a directory without config.toml.
  char old_cwd[4096];
  ASSERT_NE(getcwd(old_cwd, sizeof old_cwd), nullptr);
  ASSERT_EQ(chdir("/"), 0);
  auto c = LoadConfig(*cli, {});
  ASSERT_EQ(chdir(old_cwd), 0);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.rest_port, 8080);
  EXPECT_EQ(c->storage.data_directory, "./data");
}

TEST(ConfigTest, SeedConfigFile) {
  ServerConfig c;
  Status s = ApplyToml(kSeedConfig, "config.toml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.server.bind_address, "0.0.0.0");  // port part dropped
  EXPECT_TRUE(c.server.dashboard_enabled);
  EXPECT_EQ(c.api.rest_port, 8080);
  EXPECT_EQ(c.api.grpc_port, 5678);
  EXPECT_EQ(c.flush.max_vector_count, 1000000u);
}

TEST(ConfigTest, FileValues) {
  ServerConfig c;
  Status s = ApplyToml(R"(
[storage]
data_directory = "/var/lib/proximadb"
memtable_size_mb = 64
index_build_threads = 3
viper_graph_min_points = 250000
viper_graph_min_age_s = 0
viper_graph_calibrate = false
background_io_mb_per_s = 40
max_unflushed_wal_mb = 300
on_damaged_collection = "refuse"
memory_limit_mb = 512
[api]
rest_port = 9090
max_request_size_mb = 8
[flush]
max_wal_age_hours = 0.083
max_wal_size_mb = 10
max_vector_count = 1000
flush_priority = 80
enable_background_flush = false
)",
                       "t.toml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.storage.data_directory, "/var/lib/proximadb");
  EXPECT_EQ(c.storage.memtable_size_mb, 64);
  EXPECT_EQ(c.storage.index_build_threads, 3);
  EXPECT_EQ(c.storage.viper_graph_min_points, 250000);
  EXPECT_EQ(c.storage.viper_graph_min_age_s, 0);
  EXPECT_FALSE(c.storage.viper_graph_calibrate);
  EXPECT_EQ(c.storage.background_io_mb_per_s, 40);
  EXPECT_EQ(c.storage.max_unflushed_wal_mb, 300);
  EXPECT_EQ(c.storage.on_damaged_collection, "refuse");
  EXPECT_EQ(c.storage.memory_limit_mb, 512);
  EXPECT_EQ(c.api.rest_port, 9090);
  EXPECT_EQ(c.api.max_request_size_mb, 8);
  EXPECT_DOUBLE_EQ(c.flush.max_wal_age_hours, 0.083);
  EXPECT_DOUBLE_EQ(c.flush.max_wal_size_mb, 10.0);  // integer accepted
  EXPECT_EQ(c.flush.max_vector_count, 1000u);
  EXPECT_EQ(c.flush.flush_priority, 80);
  EXPECT_FALSE(c.flush.enable_background_flush);
}

struct BadToml {
  const char* text;
  const char* expect;
};

class BadTomlTest : public testing::TestWithParam<BadToml> {};

TEST_P(BadTomlTest, ErrorNamesTheProblem) {
  ServerConfig c;
  Status s = ApplyToml(GetParam().text, "bad.toml", &c);
  ASSERT_FALSE(s.ok()) << GetParam().text;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(GetParam().expect), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("bad.toml"), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadTomlTest,
    testing::Values(
        BadToml{"[sever]\nnode_id = \"x\"\n", "unknown section [sever]"},
        BadToml{"[api]\nrest_prot = 1\n", "unknown key 'rest_prot'"},
        BadToml{"[api]\nrest_port = \"8080\"\n",
                "rest_port must be an integer"},
        BadToml{"[api]\nrest_port = 70000\n", "rest_port must be in 0..65535"},
        BadToml{"[storage]\non_damaged_collection = \"skip\"\n",
                "must be \"fence\" or \"refuse\", got 'skip'"},
        BadToml{"[storage]\nviper_graph_min_points = -1\n",
                "viper_graph_min_points must be in 0..4294967295"},
        BadToml{"[flush]\nmax_wal_age_hours = \"1h\"\n",
                "max_wal_age_hours must be a number"},
        BadToml{"[flush]\nmax_wal_age_hours = -1.0\n", "max_wal_age_hours"},
        BadToml{"[flush]\nflush_priority = 0\n", "flush_priority"},
        BadToml{"[storage]\ncompaction_enabled = \"yes\"\n",
                "compaction_enabled must be a boolean"},
        BadToml{"[server]\nnode_id = 5\n", "node_id must be a string"},
        BadToml{"rest_port = 1\n", "unknown section [rest_port]"},
        BadToml{"[api\nrest_port = 1\n", "bad.toml:1"}));

TEST(ConfigTest, HostPart) {
  EXPECT_EQ(HostPart("0.0.0.0:5678"), "0.0.0.0");
  EXPECT_EQ(HostPart("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostPart("[::1]:80"), "::1");
  EXPECT_EQ(HostPart("::"), "::");
  EXPECT_EQ(HostPart("localhost:1"), "localhost");
  EXPECT_EQ(HostPart("[fe80::1%eth0]:80"), "fe80::1%eth0");
  EXPECT_EQ(HostPart("[::1]x"), "");
  EXPECT_EQ(HostPart("host:port"), "");
}

// "must not be empty" was checked before the port was cut off, so ":5678"
// or "[]:80" left an empty bind address behind (found by
// tests/fuzz/config_fuzz: the stored configuration failed its own check
// when read again).
TEST(ConfigTest, BindAddressWithoutHostIsRefused) {
  for (const char* addr :
       {":5678", "[]:80", "[]", "[:ys#e[flush]", "[::1]x", "[127.0.0.1]:80",
        "[a:b]", "host:port", "a b", "[::1"}) {
    ServerConfig file;
    Status s =
        ApplyToml(std::string("[server]\nbind_address = \"") + addr + "\"\n",
                  "bad.toml", &file);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << addr;
    EXPECT_NE(s.message().find("bind_address"), std::string::npos)
        << s.message();
    EXPECT_EQ(file.server.bind_address, "0.0.0.0") << addr;
    ServerConfig env;
    s = ApplyEnv({std::string("PROXIMADB_SERVER__BIND_ADDRESS=") + addr}, &env);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << addr;
    EXPECT_EQ(env.server.bind_address, "0.0.0.0") << addr;
  }
}

TEST(ConfigTest, EnvOverrides) {
  ServerConfig c;
  Status s = ApplyEnv({"PATH=/usr/bin", "PROXIMADB_API__REST_PORT=9000",
                       "PROXIMADB_flush__max_wal_age_hours=0.25",
                       "PROXIMADB_STORAGE__COMPACTION_ENABLED=false",
                       "PROXIMADB_SERVER__BIND_ADDRESS=127.0.0.1:1",
                       "PROXIMADB_STORAGE__DATA_DIRECTORY=/tmp/x",
                       "PROXIMADB_LOGLEVEL=debug"},  // no "__": not a key
                      &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.api.rest_port, 9000);
  EXPECT_DOUBLE_EQ(c.flush.max_wal_age_hours, 0.25);
  EXPECT_FALSE(c.storage.compaction_enabled);
  EXPECT_EQ(c.server.bind_address, "127.0.0.1");
  EXPECT_EQ(c.storage.data_directory, "/tmp/x");
}

TEST(ConfigTest, EnvErrors) {
  for (const char* e :
       {"PROXIMADB_API__REST_PORT=abc", "PROXIMADB_API__REST_PORT=80x",
        "PROXIMADB_API__REST_PORT=99999", "PROXIMADB_API__NOPE=1",
        "PROXIMADB_FLUSH__MAX_WAL_SIZE_MB=",
        "PROXIMADB_FLUSH__MAX_WAL_SIZE_MB=x",
        "PROXIMADB_MONITORING__METRICS_ENABLED=maybe"}) {
    ServerConfig c;
    Status s = ApplyEnv({e}, &c);
    EXPECT_FALSE(s.ok()) << e;
    std::string name = std::string(e).substr(0, std::string(e).find('='));
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
  }
}

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/pdb_config_test_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, PrecedenceFileThenEnvThenFlags) {
  std::string file = WriteTemp(
      "[api]\nrest_port = 1111\ngrpc_port = 2222\n"
      "[storage]\ndata_directory = \"/from/file\"\n");
  const char* argv[] = {
      "proximadb-server", "--config", file.c_str(), "--rest-port", "3333",
      "--log-level",      "debug",    "--data-dir", "/from/flag"};
  auto cli = ParseCommandLine(9, argv);
  ASSERT_TRUE(cli.ok()) << cli.status().ToString();
  auto c = LoadConfig(
      *cli, {"PROXIMADB_API__REST_PORT=4444", "PROXIMADB_API__GRPC_PORT=5555"});
  std::remove(file.c_str());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.rest_port, 3333);  // flag beats env beats file
  EXPECT_EQ(c->api.grpc_port, 5555);  // env beats file
  EXPECT_EQ(c->storage.data_directory, "/from/flag");
  EXPECT_EQ(c->log_level, "debug");
}

TEST(ConfigTest, FlagsAndErrors) {
  {
    const char* argv[] = {"s",
                          "--bind",
                          "127.0.0.1:80",
                          "--rest-port",
                          "0",
                          "--max-request-size-mb",
                          "1"};
    auto cli = ParseCommandLine(7, argv);
    ASSERT_TRUE(cli.ok());
    auto c = LoadConfig(*cli, {});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->server.bind_address, "127.0.0.1");
    EXPECT_EQ(c->api.rest_port, 0);
    EXPECT_EQ(c->api.max_request_size_mb, 1);
  }
  {
    const char* argv[] = {"s", "--rest-port", "http"};
    auto cli = ParseCommandLine(3, argv);
    ASSERT_TRUE(cli.ok());
    EXPECT_FALSE(LoadConfig(*cli, {}).ok());
  }
  {
    const char* argv[] = {"s", "--no-such-flag"};
    EXPECT_FALSE(ParseCommandLine(2, argv).ok());
  }
  {
    const char* argv[] = {"s", "--data-dir", "/d", "--rebuild-catalog",
                          "--force"};
    auto cli = ParseCommandLine(5, argv);
    ASSERT_TRUE(cli.ok()) << cli.status().ToString();
    EXPECT_TRUE(cli->rebuild_catalog);
    EXPECT_TRUE(cli->force);
    const char* plain[] = {"s"};
    EXPECT_FALSE(ParseCommandLine(1, plain)->rebuild_catalog);
    // --force alone would rebuild nothing: a usage error, not a no-op.
    const char* force[] = {"s", "--force"};
    auto bad = ParseCommandLine(2, force);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("--rebuild-catalog"),
              std::string::npos);
  }
  {
    const char* argv[] = {"s", "--log-level", "loud"};
    auto cli = ParseCommandLine(3, argv);
    ASSERT_TRUE(cli.ok());
    EXPECT_FALSE(LoadConfig(*cli, {}).ok());
  }
  {
    const char* argv[] = {"s", "--config", "/nonexistent/config.toml"};
    auto cli = ParseCommandLine(3, argv);
    ASSERT_TRUE(cli.ok());
    auto c = LoadConfig(*cli, {});
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("/nonexistent/config.toml"),
              std::string::npos);
  }
  {
    const char* argv[] = {"s", "--help"};
    auto cli = ParseCommandLine(2, argv);
    ASSERT_TRUE(cli.ok());
    EXPECT_TRUE(cli->exit_now);
    EXPECT_EQ(cli->exit_code, 0);
    EXPECT_NE(cli->output.find("--rest-port"), std::string::npos);
  }
}

}  // namespace
}  // namespace proximadb::server
