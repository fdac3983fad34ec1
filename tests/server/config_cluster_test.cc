// The [cluster] section: defaults, file and environment, and cluster mode
// refused without what it needs, naming the keys.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/config.h"

namespace proximadb::server {
namespace {

TEST(ConfigClusterTest, DefaultsFileAndEnvironment) {
  ServerConfig c;
  EXPECT_FALSE(c.cluster.enabled);
  EXPECT_EQ(c.cluster.default_shards, 1u);
  EXPECT_EQ(c.cluster.default_replication_factor, 1u);
  ASSERT_TRUE(ApplyToml(R"(
[cluster]
enabled = true
node_id = "n7"
advertise_address = "10.0.0.7:7000"
etcd_endpoints = ["10.0.0.1:2379"]
nats_urls = ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
default_shards = 6
default_replication_factor = 3
)",
                        "t.toml", &c)
                  .ok());
  EXPECT_TRUE(c.cluster.enabled);
  EXPECT_EQ(c.cluster.node_id, "n7");
  EXPECT_EQ(c.cluster.advertise_address, "10.0.0.7:7000");
  EXPECT_EQ(c.cluster.nats_urls.size(), 2u);
  EXPECT_EQ(c.cluster.default_shards, 6u);
  EXPECT_EQ(c.cluster.default_replication_factor, 3u);
  ASSERT_TRUE(ApplyEnv({"PROXIMADB_CLUSTER__DEFAULT_SHARDS=2",
                        "PROXIMADB_CLUSTER__ADVERTISE_ADDRESS=h:1"},
                       &c)
                  .ok());
  EXPECT_EQ(c.cluster.default_shards, 2u);
  EXPECT_EQ(c.cluster.advertise_address, "h:1");
}

TEST(ConfigClusterTest, RangesAndAddressesAreChecked) {
  for (const char* bad :
       {"[cluster]\ndefault_shards = 0\n", "[cluster]\ndefault_shards = 257\n",
        "[cluster]\ndefault_replication_factor = 6\n",
        "[cluster]\nadvertise_address = \"nohost\"\n",
        "[cluster]\nadvertise_address = \"h:port\"\n"}) {
    ServerConfig c;
    EXPECT_FALSE(ApplyToml(bad, "t.toml", &c).ok()) << bad;
  }
}

TEST(ConfigClusterTest, ClusterModeNeedsItsKeys) {
  CommandLine cli;
  auto c = LoadConfig(cli, {"PROXIMADB_CLUSTER__ENABLED=true"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("advertise_address"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("nats_urls"), std::string::npos);

  const std::vector<std::string> env = {
      "PROXIMADB_CLUSTER__ENABLED=true",
      "PROXIMADB_CLUSTER__ADVERTISE_ADDRESS=127.0.0.1:7000",
      "PROXIMADB_CLUSTER__ETCD_ENDPOINTS=127.0.0.1:2379",
      "PROXIMADB_CLUSTER__NATS_URLS=nats://127.0.0.1:4222",
      "PROXIMADB_SERVER__NODE_ID=alpha"};
  c = LoadConfig(cli, env);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.node_id, "alpha");  // [server] node_id by default

  // ... which then follows the cluster node id's rules.
  std::vector<std::string> dotted = env;
  dotted.back() = "PROXIMADB_SERVER__NODE_ID=alpha.example";
  c = LoadConfig(cli, dotted);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("[server] node_id"), std::string::npos)
      << c.status().message();

  std::vector<std::string> with_pg = env;
  with_pg.push_back("PROXIMADB_CATALOG__BACKEND=postgresql");
  c = LoadConfig(cli, with_pg);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("sqlite"), std::string::npos)
      << c.status().message();
}

}  // namespace
}  // namespace proximadb::server
