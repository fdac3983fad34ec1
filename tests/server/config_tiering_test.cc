// [storage] data_directories / wal_directory and the [tiering] section: the
// file, the environment, the ranges, and the S3 credentials never quoted in
// an error message.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/config.h"

namespace proximadb::server {
namespace {

Result<ServerConfig> FromToml(const std::string& toml) {
  ServerConfig c;
  Status s = ApplyToml(toml, "t.toml", &c);
  if (!s.ok()) return s;
  return c;
}

std::string Error(const std::string& toml) {
  Result<ServerConfig> c = FromToml(toml);
  return c.ok() ? "" : c.status().message();
}

TEST(ConfigTieringTest, Defaults) {
  ServerConfig c;
  EXPECT_TRUE(c.storage.data_directories.empty());
  EXPECT_EQ(c.storage.wal_directory, "");
  EXPECT_EQ(c.tiering.s3_region, "us-east-1");
  EXPECT_EQ(c.tiering.s3_bucket, "");
  EXPECT_EQ(c.tiering.upload_concurrency, 4u);
  EXPECT_EQ(c.tiering.defaults.cache_mb, 1024u);
  EXPECT_EQ(c.tiering.defaults.warm_after_hours, 0.0);
  EXPECT_EQ(c.tiering.defaults.cold_after_hours, 0.0);
  EXPECT_EQ(c.tiering.defaults.warm_directory, "");
}

TEST(ConfigTieringTest, FileValues) {
  auto c = FromToml(R"(
[storage]
data_directories = ["/mnt/a", { path = "/mnt/b", weight = 3 }, { path = "/mnt/c" }]
wal_directory = "/mnt/nvme/wal"
[tiering]
s3_endpoint = "http://127.0.0.1:7480"
s3_region = "eu-west-1"
s3_bucket = "vectors"
s3_prefix = "prod/"
s3_access_key = "AK"
s3_secret_key = "SK"
cache_mb = 0
upload_concurrency = 64
warm_directory = "/mnt/hdd/warm"
warm_after_hours = 24
cold_after_hours = 720.5
local_object_directory = "/srv/objects"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->storage.data_directories.size(), 3u);
  EXPECT_EQ(c->storage.data_directories[0], (DataDirectory{"/mnt/a", 1}));
  EXPECT_EQ(c->storage.data_directories[1], (DataDirectory{"/mnt/b", 3}));
  EXPECT_EQ(c->storage.data_directories[2], (DataDirectory{"/mnt/c", 1}));
  EXPECT_EQ(c->storage.wal_directory, "/mnt/nvme/wal");
  const TieringOptions& t = c->tiering;
  EXPECT_EQ(t.s3_endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(t.s3_region, "eu-west-1");
  EXPECT_EQ(t.s3_bucket, "vectors");
  EXPECT_EQ(t.s3_prefix, "prod/");
  EXPECT_EQ(t.s3_access_key, "AK");
  EXPECT_EQ(t.s3_secret_key, "SK");
  EXPECT_EQ(t.defaults.cache_mb, 0u);
  EXPECT_EQ(t.upload_concurrency, 64u);
  EXPECT_EQ(t.defaults.warm_directory, "/mnt/hdd/warm");
  EXPECT_EQ(t.defaults.warm_after_hours, 24.0);
  EXPECT_EQ(t.defaults.cold_after_hours, 720.5);
  EXPECT_EQ(t.local_object_directory, "/srv/objects");
}

TEST(ConfigTieringTest, FileErrorsNameTheKey) {
  EXPECT_EQ(Error("[storage]\ndata_directories = [\"/a\", \"\"]\n"),
            "t.toml: [storage] data_directories[1]: the path must not be "
            "empty");
  EXPECT_EQ(Error("[storage]\ndata_directories = [\"/a\", \"/a\"]\n"),
            "t.toml: [storage] data_directories[1]: '/a' is listed twice "
            "(also at [0])");
  EXPECT_EQ(
      Error("[storage]\ndata_directories = [{ path = \"/a\", weight = 0 }]\n"),
      "t.toml: [storage] data_directories[0]: weight must be in 1..1000, got "
      "0");
  EXPECT_EQ(Error("[storage]\ndata_directories = [{ path = \"/a\", weight = "
                  "1001 }]\n"),
            "t.toml: [storage] data_directories[0]: weight must be in 1..1000, "
            "got 1001");
  EXPECT_EQ(Error("[storage]\ndata_directories = [{ weight = 2 }]\n"),
            "t.toml: [storage] data_directories[0]: missing path");
  EXPECT_EQ(
      Error("[storage]\ndata_directories = [{ path = \"/a\", size = 2 }]\n"),
      "t.toml: [storage] data_directories[0]: unknown key 'size' (expected "
      "path, weight)");
  EXPECT_EQ(Error("[storage]\ndata_directories = [3]\n"),
            "t.toml: [storage] data_directories[0] must be a path or a { path "
            "= \"...\", weight = N } table");
  EXPECT_EQ(Error("[storage]\ndata_directories = \"/a\"\n"),
            "t.toml: [storage] data_directories must be an array of paths or "
            "of { path = \"...\", weight = N } tables");
  EXPECT_EQ(Error("[tiering]\ncache_mb = 1048577\n"),
            "t.toml: [tiering] cache_mb must be in 0..1048576, got 1048577");
  EXPECT_EQ(Error("[tiering]\nupload_concurrency = 0\n"),
            "t.toml: [tiering] upload_concurrency must be in 1..64, got 0");
  EXPECT_EQ(Error("[tiering]\nwarm_after_hours = -1\n"),
            "t.toml: [tiering] warm_after_hours must be in 0..876000, got -1");
  EXPECT_EQ(Error("[tiering]\ncold_after_hours = 876001\n"),
            "t.toml: [tiering] cold_after_hours must be in 0..876000, got "
            "876001");
  EXPECT_EQ(Error("[tiering]\nwarm_directory = \"warm\"\n"),
            "t.toml: [tiering] warm_directory must be an absolute path (or "
            "empty), got 'warm'");
  EXPECT_EQ(Error("[tiering]\ns3_region = \"\"\n"),
            "t.toml: [tiering] s3_region must not be empty");
  EXPECT_EQ(Error("[tiering]\ns3_bucket_name = \"x\"\n"),
            "t.toml: unknown key 's3_bucket_name' in section [tiering]");
}

TEST(ConfigTieringTest, Environment) {
  ServerConfig c;
  ASSERT_TRUE(ApplyEnv({"PROXIMADB_STORAGE__DATA_DIRECTORIES=/a, /b ,/c",
                        "PROXIMADB_STORAGE__WAL_DIRECTORY=/wal",
                        "PROXIMADB_TIERING__S3_ENDPOINT=http://h:1",
                        "PROXIMADB_TIERING__S3_BUCKET=b",
                        "PROXIMADB_TIERING__S3_SECRET_KEY=sk",
                        "PROXIMADB_TIERING__CACHE_MB=5",
                        "PROXIMADB_TIERING__COLD_AFTER_HOURS=1.5"},
                       &c)
                  .ok());
  EXPECT_EQ(c.storage.data_directories,
            (std::vector<DataDirectory>{{"/a", 1}, {"/b", 1}, {"/c", 1}}));
  EXPECT_EQ(c.storage.wal_directory, "/wal");
  EXPECT_EQ(c.tiering.s3_endpoint, "http://h:1");
  EXPECT_EQ(c.tiering.s3_bucket, "b");
  EXPECT_EQ(c.tiering.s3_secret_key, "sk");
  EXPECT_EQ(c.tiering.defaults.cache_mb, 5u);
  EXPECT_EQ(c.tiering.defaults.cold_after_hours, 1.5);
  // An empty value is the empty list; an empty entry is refused.
  ASSERT_TRUE(ApplyEnv({"PROXIMADB_STORAGE__DATA_DIRECTORIES="}, &c).ok());
  EXPECT_TRUE(c.storage.data_directories.empty());
  Status s = ApplyEnv({"PROXIMADB_STORAGE__DATA_DIRECTORIES=/a,,/b"}, &c);
  EXPECT_EQ(s.message(),
            "environment PROXIMADB_STORAGE__DATA_DIRECTORIES: [storage] "
            "data_directories[1]: the path must not be empty");
  s = ApplyEnv({"PROXIMADB_TIERING__WARM_AFTER_HOURS=soon"}, &c);
  EXPECT_EQ(s.message(),
            "environment PROXIMADB_TIERING__WARM_AFTER_HOURS: [tiering] "
            "warm_after_hours must be a number, got 'soon'");
}

TEST(ConfigTieringTest, BucketNeedsAnEndpointAndSecretsAreNeverQuoted) {
  CommandLine cli;
  auto c = LoadConfig(cli, {"PROXIMADB_TIERING__S3_BUCKET=b",
                            "PROXIMADB_TIERING__S3_ACCESS_KEY=AKIDQUOTEME",
                            "PROXIMADB_TIERING__S3_SECRET_KEY=SECRETQUOTEME"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("s3_endpoint"), std::string::npos);
  EXPECT_EQ(c.status().message().find("QUOTEME"), std::string::npos);
  // A secret of the wrong type: the error names the key, not the value.
  std::string e = Error("[tiering]\ns3_secret_key = 424242424242\n");
  EXPECT_EQ(e, "t.toml: [tiering] s3_secret_key must be a string");
  e = Error("[tiering]\ns3_access_key = [\"AKIDQUOTEME\"]\n");
  EXPECT_EQ(e.find("QUOTEME"), std::string::npos) << e;
  c = LoadConfig(cli, {"PROXIMADB_TIERING__S3_BUCKET=b",
                       "PROXIMADB_TIERING__S3_ENDPOINT=http://127.0.0.1:7480"});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

}  // namespace
}  // namespace proximadb::server
