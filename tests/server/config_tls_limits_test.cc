// [api] tls_cert_file / tls_key_file, grpc_max_concurrent_streams,
// grpc_idle_timeout_ms and [monitoring] access_log: defaults, file and
// environment forms, ranges, and the both-or-neither rule for TLS.
#include <gtest/gtest.h>

#include "server/config.h"

namespace proximadb::server {
namespace {

TEST(ConfigTlsLimitsTest, Defaults) {
  ServerConfig c;
  EXPECT_EQ(c.api.tls_cert_file, "");
  EXPECT_EQ(c.api.tls_key_file, "");
  EXPECT_EQ(c.api.grpc_max_concurrent_streams, 100);
  EXPECT_EQ(c.api.grpc_idle_timeout_ms, 300000);
  EXPECT_TRUE(c.monitoring.access_log);
}

TEST(ConfigTlsLimitsTest, TomlAndEnvironment) {
  ServerConfig c;
  Status s = ApplyToml(
      "[api]\ntls_cert_file = \"/etc/pdb/cert.pem\"\n"
      "tls_key_file = \"/etc/pdb/key.pem\"\n"
      "grpc_max_concurrent_streams = 8\ngrpc_idle_timeout_ms = 5000\n"
      "[monitoring]\naccess_log = false\n",
      "t.toml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.api.tls_cert_file, "/etc/pdb/cert.pem");
  EXPECT_EQ(c.api.tls_key_file, "/etc/pdb/key.pem");
  EXPECT_EQ(c.api.grpc_max_concurrent_streams, 8);
  EXPECT_EQ(c.api.grpc_idle_timeout_ms, 5000);
  EXPECT_FALSE(c.monitoring.access_log);

  ServerConfig e;
  ASSERT_TRUE(ApplyEnv({"PROXIMADB_API__TLS_CERT_FILE=/a.pem",
                        "PROXIMADB_API__TLS_KEY_FILE=/b.pem",
                        "PROXIMADB_API__GRPC_MAX_CONCURRENT_STREAMS=3",
                        "PROXIMADB_MONITORING__ACCESS_LOG=false"},
                       &e)
                  .ok());
  EXPECT_EQ(e.api.tls_cert_file, "/a.pem");
  EXPECT_EQ(e.api.tls_key_file, "/b.pem");
  EXPECT_EQ(e.api.grpc_max_concurrent_streams, 3);
  EXPECT_FALSE(e.monitoring.access_log);
}

TEST(ConfigTlsLimitsTest, Ranges) {
  ServerConfig c;
  EXPECT_FALSE(
      ApplyToml("[api]\ngrpc_max_concurrent_streams = 0\n", "t.toml", &c).ok());
  EXPECT_FALSE(
      ApplyToml("[api]\ngrpc_idle_timeout_ms = 10\n", "t.toml", &c).ok());
  EXPECT_FALSE(ApplyToml("[api]\ntls_cert_file = 1\n", "t.toml", &c).ok());
}

TEST(ConfigTlsLimitsTest, CertAndKeyGoTogether) {
  CommandLine cli;
  cli.config_file = "";
  auto only_cert =
      LoadConfig(cli, {"PROXIMADB_API__TLS_CERT_FILE=/etc/pdb/cert.pem"});
  ASSERT_FALSE(only_cert.ok());
  EXPECT_NE(only_cert.status().message().find("tls_key_file"),
            std::string::npos);
  auto only_key =
      LoadConfig(cli, {"PROXIMADB_API__TLS_KEY_FILE=/etc/pdb/key.pem"});
  EXPECT_FALSE(only_key.ok());
  auto both = LoadConfig(cli, {"PROXIMADB_API__TLS_CERT_FILE=/c.pem",
                               "PROXIMADB_API__TLS_KEY_FILE=/k.pem"});
  EXPECT_TRUE(both.ok()) << both.status().ToString();
}

}  // namespace
}  // namespace proximadb::server
