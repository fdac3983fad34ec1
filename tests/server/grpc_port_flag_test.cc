// The --grpc-port flag: parsed, range-checked, and stronger than the
// environment (which is stronger than the file).
#include <gtest/gtest.h>

#include "server/config.h"

namespace proximadb::server {
namespace {

TEST(GrpcPortFlagTest, FlagBeatsEnvironment) {
  const char* argv[] = {"proximadb-server", "--grpc-port", "0"};
  auto cli = ParseCommandLine(3, argv);
  ASSERT_TRUE(cli.ok()) << cli.status().ToString();
  auto c = LoadConfig(*cli, {"PROXIMADB_API__GRPC_PORT=7777"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.grpc_port, 0);

  const char* none[] = {"proximadb-server"};
  cli = ParseCommandLine(1, none);
  ASSERT_TRUE(cli.ok());
  c = LoadConfig(*cli, {"PROXIMADB_API__GRPC_PORT=7777"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->api.grpc_port, 7777);
}

TEST(GrpcPortFlagTest, OutOfRangeNamesTheKey) {
  const char* argv[] = {"proximadb-server", "--grpc-port", "70000"};
  auto cli = ParseCommandLine(3, argv);
  ASSERT_TRUE(cli.ok());
  auto c = LoadConfig(*cli, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("grpc_port"), std::string::npos)
      << c.status().message();
}

}  // namespace
}  // namespace proximadb::server
