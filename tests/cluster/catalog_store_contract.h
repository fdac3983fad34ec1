// The behaviour every CatalogStore backend must have (catalog_store.h), as
// a parameterized test suite. A backend's test file provides a factory and
// instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, CatalogStoreContractTest,
//                            testing::Values(StoreFactory{...}));
//
// The factory opens a new store (a new connection, a new process's view) on
// namespace `ns`; namespaces are unique per test, so backends may share one
// server across tests.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/catalog_store.h"

namespace proximadb::cluster::testing_contract {

struct StoreFactory {
  std::string name;  // for the test's name
  std::function<Result<std::unique_ptr<CatalogStore>>(const std::string& ns)>
      open;
  // Optional: why the backend's server is not there (empty when it is);
  // every test then skips with that reason.
  std::function<std::string()> skip;
};
inline std::ostream& operator<<(std::ostream& os, const StoreFactory& f) {
  return os << f.name;
}

class CatalogStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    if (GetParam().skip) {
      const std::string why = GetParam().skip();
      if (!why.empty()) GTEST_SKIP() << why;
    }
  }
  // A namespace no other test uses.
  std::string Ns() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string ns = std::string("t_") + info->name() + "_" +
                     std::to_string(::getpid()) + "_" +
                     std::to_string(counter_++);
    for (char& c : ns) {
      if (!isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
    }
    return ns;
  }
  std::unique_ptr<CatalogStore> Open(const std::string& ns, bool claim = true) {
    auto s = GetParam().open(ns);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    if (claim) {
      auto id = (*s)->Claim();
      EXPECT_TRUE(id.ok()) << id.status().ToString();
    }
    return std::move(*s);
  }
  static CollectionDef Def(const std::string& name, uint32_t dim = 4) {
    CollectionDef d;
    d.config.name = name;
    d.config.dimension = dim;
    return d;
  }
  static std::vector<std::string> Names(const std::vector<CollectionDef>& v) {
    std::vector<std::string> out;
    for (const auto& d : v) out.push_back(d.config.name);
    return out;
  }
  int counter_ = 0;
};

TEST_P(CatalogStoreContractTest, ClaimCreatesTheNamespaceOnceAndExcludes) {
  const std::string ns = Ns();
  auto first = GetParam().open(ns);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto id = (*first)->Claim();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->created);
  ASSERT_EQ(id->catalog_id.size(), 32u);

  auto second = GetParam().open(ns);
  ASSERT_TRUE(second.ok());
  auto refused = (*second)->Claim();
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition)
      << refused.status().ToString();

  first->reset();  // the holder goes away: the namespace is free again
  auto third = GetParam().open(ns);
  ASSERT_TRUE(third.ok());
  auto again = (*third)->Claim();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->catalog_id, id->catalog_id);

  // Another namespace is another catalog.
  auto other = GetParam().open(Ns());
  ASSERT_TRUE(other.ok());
  auto other_id = (*other)->Claim();
  ASSERT_TRUE(other_id.ok());
  EXPECT_NE(other_id->catalog_id, id->catalog_id);
}

TEST_P(CatalogStoreContractTest, CollectionLifecycle) {
  const std::string ns = Ns();
  auto store = Open(ns);
  ASSERT_TRUE(store);
  CollectionDef b = Def("b", 8);
  b.payload_indexes = {{"kind", PayloadIndexType::kKeyword}};
  ASSERT_TRUE(store->CreateCollection(b).ok());
  ASSERT_TRUE(store->CreateCollection(Def("a")).ok());
  EXPECT_EQ(store->CreateCollection(Def("a", 16)).code(),
            StatusCode::kAlreadyExists);

  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(Names(*list), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(EncodeCollectionDef((*list)[1]), EncodeCollectionDef(b));

  b.config.flush.max_vector_count = 77;
  b.payload_indexes.push_back({"year", PayloadIndexType::kInteger});
  ASSERT_TRUE(store->UpdateCollection(b).ok());
  EXPECT_EQ(store->UpdateCollection(Def("nope")).code(), StatusCode::kNotFound);

  ASSERT_TRUE(store->BeginDrop("a").ok());
  EXPECT_EQ(store->BeginDrop("a").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->UpdateCollection(Def("a")).code(), StatusCode::kNotFound);
  EXPECT_EQ(store->CreateCollection(Def("a")).code(),
            StatusCode::kAlreadyExists)
      << "the name is held until the drop finishes";

  // What a new process sees: the same, the dropping one included.
  store.reset();
  store = Open(ns);
  ASSERT_TRUE(store);
  list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(Names(*list), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*list)[0].state, CollectionDef::State::kDropping);
  EXPECT_EQ((*list)[1].state, CollectionDef::State::kReady);
  EXPECT_EQ(EncodeCollectionDef((*list)[1]), EncodeCollectionDef(b));

  ASSERT_TRUE(store->FinishDrop("a").ok());
  ASSERT_TRUE(store->FinishDrop("a").ok()) << "idempotent";
  ASSERT_TRUE(store->CreateCollection(Def("a", 32)).ok());
  list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].config.dimension, 32u);
}

TEST_P(CatalogStoreContractTest, AliasesAreAllOrNothingAndShareTheNamespace) {
  auto store = Open(Ns());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateCollection(Def("v1")).ok());
  ASSERT_TRUE(store->CreateCollection(Def("v2")).ok());
  using K = AliasAction::Kind;
  ASSERT_TRUE(store->UpdateAliases({{K::kCreate, "prod", "v1"}}).ok());
  EXPECT_EQ(store->CreateCollection(Def("prod")).code(),
            StatusCode::kAlreadyExists);
  // The atomic switch.
  ASSERT_TRUE(store
                  ->UpdateAliases(
                      {{K::kDelete, "prod", ""}, {K::kCreate, "prod", "v2"}})
                  .ok());
  Status s = store->UpdateAliases(
      {{K::kCreate, "stage", "v1"}, {K::kCreate, "x", "missing"}});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message().rfind("actions[1]: ", 0), 0u) << s.message();
  auto aliases = store->ListAliases();
  ASSERT_TRUE(aliases.ok());
  EXPECT_EQ(*aliases, (std::vector<AliasInfo>{{"prod", "v2"}}));

  // A drop takes its aliases with it.
  ASSERT_TRUE(store->UpdateAliases({{K::kCreate, "old", "v1"}}).ok());
  ASSERT_TRUE(store->BeginDrop("v1").ok());
  aliases = store->ListAliases();
  ASSERT_TRUE(aliases.ok());
  EXPECT_EQ(*aliases, (std::vector<AliasInfo>{{"prod", "v2"}}));
  EXPECT_EQ(store->UpdateAliases({{K::kCreate, "v1", "v2"}}).code(),
            StatusCode::kAlreadyExists)
      << "a dropping collection's name is taken";
}

TEST_P(CatalogStoreContractTest, ConcurrentCreatesOfOneNameOneWins) {
  const std::string ns = Ns();
  auto store = Open(ns);
  ASSERT_TRUE(store);
  std::atomic<int> ok{0};
  std::atomic<int> exists{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Status s = store->CreateCollection(Def("c" + std::to_string(i), 4 + t));
        if (s.ok()) {
          ++ok;
        } else if (s.code() == StatusCode::kAlreadyExists) {
          ++exists;
        } else {
          ADD_FAILURE() << s.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(exists.load(), 30);
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 10u);
}

}  // namespace proximadb::cluster::testing_contract
