#include "cluster/etcd_catalog_store.h"

#include <gtest/gtest.h>

#include <chrono>

#include "cluster/bound_db_contract.h"
#include "cluster/catalog_store_contract.h"
#include "cluster_etcd/etcd_test_env.h"

namespace proximadb::cluster {
namespace {

using etcd_test::Options;
using testing_contract::CatalogStoreContractTest;
using testing_contract::StoreFactory;
using namespace std::chrono_literals;

EtcdCatalogOptions StoreOptions(const std::string& endpoint,
                                const std::string& ns) {
  EtcdCatalogOptions o;
  o.etcd = Options(endpoint);
  o.ns = ns;
  o.lease_ttl_seconds = 2;
  return o;
}

// For the contract suites: generous lease and deadlines, since they test
// behaviour, not time, and run beside the whole test suite on a loaded
// machine (a 2 s lease could lapse there and turn a claim into a refusal).
EtcdCatalogOptions SuiteOptions(const std::string& endpoint,
                                const std::string& ns) {
  EtcdCatalogOptions o = StoreOptions(endpoint, ns);
  o.lease_ttl_seconds = 15;
  o.etcd.request_timeout = std::chrono::milliseconds(10000);
  o.etcd.dial_timeout = std::chrono::milliseconds(5000);
  return o;
}

// The contract suite against the fixture's etcd (skips without it).
StoreFactory EtcdFactory() {
  return {"etcd",
          [](const std::string& ns) -> Result<std::unique_ptr<CatalogStore>> {
            auto etcd = etcd_test::Fixture();
            if (!etcd.skip.empty()) {
              return Status::Unavailable("no etcd: " + etcd.skip);
            }
            PDB_ASSIGN_OR_RETURN(
                auto store,
                EtcdCatalogStore::Open(SuiteOptions(etcd.endpoint, ns)));
            return std::unique_ptr<CatalogStore>(std::move(store));
          },
          [] { return etcd_test::Fixture().skip; }};
}

INSTANTIATE_TEST_SUITE_P(Etcd, CatalogStoreContractTest,
                         testing::Values(EtcdFactory()),
                         [](const auto& info) { return info.param.name; });
// The engine bound to the etcd catalog (cluster/bound_db.h).
using testing_contract::BoundDbTest;
INSTANTIATE_TEST_SUITE_P(Etcd, BoundDbTest, testing::Values(EtcdFactory()),
                         [](const auto& info) { return info.param.name; });

TEST(EtcdCatalogStoreTest, KeysAreTheDocumentedOnes) {
  PDB_ETCD_OR_SKIP(etcd);
  const std::string ns = "keys_" + std::to_string(::getpid());
  auto store = EtcdCatalogStore::Open(StoreOptions(etcd.endpoint, ns));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto id = (*store)->Claim();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  CollectionDef def;
  def.config.name = "docs";
  def.config.dimension = 8;
  ASSERT_TRUE((*store)->CreateCollection(def).ok());
  ASSERT_TRUE(
      (*store)
          ->UpdateAliases({{AliasAction::Kind::kCreate, "prod", "docs"}})
          .ok());

  auto client = EtcdClient::Open(Options(etcd.endpoint));
  ASSERT_TRUE(client.ok());
  const std::string p = "/proximadb/" + ns + "/";
  EXPECT_EQ((*store)->prefix(), p);
  auto all = (*client)->GetPrefix(p);
  ASSERT_TRUE(all.ok());
  std::map<std::string, KeyValue> keys;
  for (const auto& kv : all->kvs) keys[kv.key.substr(p.size())] = kv;
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys["id"].value, id->catalog_id);
  EXPECT_NE(keys["owner"].value.find("pid"), std::string::npos);
  EXPECT_NE(keys["owner"].lease, 0) << "the claim lives under a lease";
  EXPECT_EQ(keys["collections/docs"].value, EncodeCollectionDef(def));
  EXPECT_EQ(keys["aliases/prod"].value, "docs");

  // A damaged entry is reported, not skipped.
  ASSERT_TRUE((*client)->Put(p + "collections/bad", "{").ok());
  EXPECT_EQ((*store)->ListCollections().status().code(),
            StatusCode::kCorruption);
  ASSERT_TRUE((*client)->DeletePrefix(p).ok());
}

// The claim's lease lost (revoked behind its back, as when the server was
// paused past its TTL): every later write is refused until re-claimed, and
// a write decided before another server claimed the namespace cannot land.
TEST(EtcdCatalogStoreTest, ALostClaimRefusesWritesUntilClaimedAgain) {
  PDB_ETCD_OR_SKIP(etcd);
  const std::string ns = "lost_" + std::to_string(::getpid());
  auto store = EtcdCatalogStore::Open(StoreOptions(etcd.endpoint, ns));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Claim().ok());
  CollectionDef def;
  def.config.name = "a";
  def.config.dimension = 4;
  ASSERT_TRUE((*store)->CreateCollection(def).ok());

  auto client = EtcdClient::Open(Options(etcd.endpoint));
  ASSERT_TRUE(client.ok());
  const std::string owner = "/proximadb/" + ns + "/owner";
  auto held = (*client)->Get(owner);
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->kvs.size(), 1u);
  ASSERT_TRUE((*client)->LeaseRevoke(held->kvs[0].lease).ok());

  // Another server claims the free namespace at once.
  auto second = EtcdCatalogStore::Open(StoreOptions(etcd.endpoint, ns));
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Claim().ok());

  def.config.name = "b";
  Status refused = (*store)->CreateCollection(def);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition)
      << refused.ToString();
  EXPECT_NE(refused.message().find("claim"), std::string::npos);
  EXPECT_EQ((*store)->BeginDrop("a").code(), StatusCode::kFailedPrecondition);
  auto list = (*second)->ListCollections();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u) << "nothing landed from the old holder";

  EXPECT_EQ((*store)->Claim().status().code(), StatusCode::kFailedPrecondition)
      << "held by the second server now";
  second->reset();
  ASSERT_TRUE((*store)->Claim().ok());
  EXPECT_TRUE((*store)->CreateCollection(def).ok()) << "claimed again";
  ASSERT_TRUE((*client)->DeletePrefix("/proximadb/" + ns + "/").ok());
}

}  // namespace
}  // namespace proximadb::cluster
