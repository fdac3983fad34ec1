// The parts of the etcd client that need no etcd (tests/cluster_etcd/ has
// the rest, against a real one).
#include <gtest/gtest.h>

#include <chrono>

#include "cluster/etcd/etcd_client.h"
#include "cluster/etcd_catalog_store.h"

namespace proximadb::cluster {
namespace {

using namespace std::chrono_literals;

TEST(EtcdClientUnitTest, PrefixEndIsTheFirstKeyAfterThePrefix) {
  EXPECT_EQ(EtcdClient::PrefixEnd("a/"), "a0");
  EXPECT_EQ(EtcdClient::PrefixEnd("/proximadb/ns/"), "/proximadb/ns0");
  EXPECT_EQ(EtcdClient::PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(EtcdClient::PrefixEnd(std::string("\xff\xff", 2)),
            std::string(1, '\0'))
      << "no key after: every key";
}

TEST(EtcdClientUnitTest, OpenRefusesNoEndpointsAndGivesUpOnDeadOnes) {
  EXPECT_EQ(EtcdClient::Open(EtcdOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  EtcdOptions o;
  o.endpoints = {"127.0.0.1:1"};  // nothing listens on port 1
  o.dial_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto c = EtcdClient::Open(o);
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable)
      << c.status().ToString();
  EXPECT_NE(c.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(EtcdCatalogStoreUnitTest, NamespaceMustBeAKeySegment) {
  EtcdCatalogOptions o;
  o.etcd.endpoints = {"127.0.0.1:1"};
  for (const char* bad : {"", "a/b", "a b", "ns\n"}) {
    o.ns = bad;
    EXPECT_EQ(EtcdCatalogStore::Open(o).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace proximadb::cluster
