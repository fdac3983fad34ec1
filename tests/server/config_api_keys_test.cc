// [api] api_keys and max_inflight_requests: TOML array, comma-separated
// environment form, validation that never echoes a key.
#include <gtest/gtest.h>

#include "server/config.h"

namespace proximadb::server {
namespace {

TEST(ConfigApiKeysTest, Defaults) {
  ServerConfig c;
  EXPECT_TRUE(c.api.api_keys.empty());
  EXPECT_EQ(c.api.max_inflight_requests, 256);
}

TEST(ConfigApiKeysTest, TomlArray) {
  ServerConfig c;
  Status s = ApplyToml(
      "[api]\napi_keys = [\"ro:reader-key-1\", \"writer-key-1\"]\n"
      "max_inflight_requests = 8\n",
      "t.toml", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.api.api_keys,
            (std::vector<std::string>{"ro:reader-key-1", "writer-key-1"}));
  EXPECT_EQ(c.api.max_inflight_requests, 8);
}

TEST(ConfigApiKeysTest, TomlErrors) {
  ServerConfig c;
  Status not_array = ApplyToml("[api]\napi_keys = \"k\"\n", "t.toml", &c);
  EXPECT_NE(not_array.message().find("api_keys"), std::string::npos);
  EXPECT_FALSE(ApplyToml("[api]\napi_keys = [1]\n", "t.toml", &c).ok());
  Status bad = ApplyToml("[api]\napi_keys = [\"rw:tiny\"]\n", "t.toml", &c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("api_keys"), std::string::npos);
  EXPECT_EQ(bad.message().find("tiny"), std::string::npos);
  EXPECT_FALSE(
      ApplyToml("[api]\nmax_inflight_requests = 0\n", "t.toml", &c).ok());
}

TEST(ConfigApiKeysTest, EnvironmentCommaSeparated) {
  ServerConfig c;
  Status s =
      ApplyEnv({"PROXIMADB_API__API_KEYS= ro:reader-key-1 ,rw:writer-key-1,",
                "PROXIMADB_API__MAX_INFLIGHT_REQUESTS=3"},
               &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.api.api_keys,
            (std::vector<std::string>{"ro:reader-key-1", "rw:writer-key-1"}));
  EXPECT_EQ(c.api.max_inflight_requests, 3);
  ServerConfig d;
  ASSERT_TRUE(ApplyEnv({"PROXIMADB_API__API_KEYS="}, &d).ok());
  EXPECT_TRUE(d.api.api_keys.empty());
  EXPECT_FALSE(ApplyEnv({"PROXIMADB_API__API_KEYS=short"}, &d).ok());
}

}  // namespace
}  // namespace proximadb::server
