// The [snapshots] section: defaults, the file and the environment, a bad
// target named with its key, and default_target = "s3" refused without the
// [tiering] object store, naming the keys to set.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/config.h"

namespace proximadb::server {
namespace {

TEST(ConfigSnapshotsTest, DefaultsFileAndEnvironment) {
  ServerConfig c;
  EXPECT_EQ(c.snapshots.default_target, SnapshotTarget::kLocal);
  EXPECT_EQ(c.snapshots.local_directory, "");
  ASSERT_TRUE(ApplyToml(R"(
[snapshots]
default_target = "s3"
local_directory = "/backup/pdb"
)",
                        "t.toml", &c)
                  .ok());
  EXPECT_EQ(c.snapshots.default_target, SnapshotTarget::kS3);
  EXPECT_EQ(c.snapshots.local_directory, "/backup/pdb");
  ASSERT_TRUE(ApplyEnv({"PROXIMADB_SNAPSHOTS__DEFAULT_TARGET=local"}, &c).ok());
  EXPECT_EQ(c.snapshots.default_target, SnapshotTarget::kLocal);
}

TEST(ConfigSnapshotsTest, BadTarget) {
  ServerConfig c;
  Status s =
      ApplyToml("[snapshots]\ndefault_target = \"tape\"\n", "t.toml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("default_target"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("\"local\" or \"s3\""), std::string::npos)
      << s.message();
}

TEST(ConfigSnapshotsTest, S3TargetNeedsTheObjectStore) {
  CommandLine cli;
  auto c = LoadConfig(cli, {"PROXIMADB_SNAPSHOTS__DEFAULT_TARGET=s3"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("local_object_directory"),
            std::string::npos)
      << c.status().message();
  c = LoadConfig(cli, {"PROXIMADB_SNAPSHOTS__DEFAULT_TARGET=s3",
                       "PROXIMADB_TIERING__LOCAL_OBJECT_DIRECTORY=/srv/o"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->snapshots.default_target, SnapshotTarget::kS3);
}

}  // namespace
}  // namespace proximadb::server
