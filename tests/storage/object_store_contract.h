// The ObjectStore contract (src/storage/object/object_store.h) as one
// parameterised suite, run against every implementation: LocalObjectStore in
// storage_tests (object_store_test.cc), S3ObjectStore against a real radosgw
// in s3_tests (tests/s3/). A binary includes this header once and
// instantiates it with its factories:
//   INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreContractTest,
//                            ::testing::Values(LocalFactory()),
//                            ContractName);
// Each test gets a fresh, empty store (a new directory, a new S3 prefix).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "proximadb/env.h"
#include "storage/object/fault_injecting_object_store.h"
#include "storage/object/object_store.h"
#include "util/crc32c.h"
#include "util/temp_dir.h"

namespace proximadb::object::testing {

// A store under test and whatever keeps it alive.
class StoreHandle {
 public:
  virtual ~StoreHandle() = default;
  virtual ObjectStore* store() = 0;
};

struct StoreFactory {
  std::string name;
  // nullptr with *skip_reason set: the store is not available here.
  std::function<std::unique_ptr<StoreHandle>(std::string* skip_reason)> make;
};

inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

inline std::string ContractName(
    const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

// Deterministic bytes, every value 0..255 included.
inline std::string Bytes(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

class ObjectStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    std::string reason;
    handle_ = GetParam().make(&reason);
    if (!handle_) GTEST_SKIP() << reason;
    store_ = handle_->store();
    ASSERT_FALSE(scratch_.path().empty());
  }

  std::string LocalPath(const std::string& name) const {
    return scratch_.path() + "/" + name;
  }
  static void WriteLocal(const std::string& path, const std::string& data) {
    ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, data).ok());
  }

  std::unique_ptr<StoreHandle> handle_;
  ObjectStore* store_ = nullptr;
  test_util::TempDir scratch_;
};

TEST_P(ObjectStoreContractTest, PutGetRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> objects = {
      {"plain", "hello"},
      {"dir/sub/bin.pdb", Bytes(70000)},
      {"empty", ""},
      {"dir/odd name+=&%~,;@.x", "odd"},
      {"utf8/\xc3\xa9t\xc3\xa9", "\xc3\xa9"},
  };
  for (const auto& [key, data] : objects) {
    ASSERT_TRUE(store_->Put(key, data).ok()) << key;
  }
  for (const auto& [key, data] : objects) {
    auto got = store_->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, data) << key;
    auto head = store_->Head(key);
    ASSERT_TRUE(head.ok()) << key << ": " << head.status().ToString();
    EXPECT_EQ(head->key, key);
    EXPECT_EQ(head->size, data.size());
    EXPECT_EQ(head->crc32c, crc32c::Value(data.data(), data.size())) << key;
  }
}

TEST_P(ObjectStoreContractTest, PutReplacesWholeObject) {
  ASSERT_TRUE(store_->Put("k", Bytes(5000, 1)).ok());
  ASSERT_TRUE(store_->Put("k", "short").ok());
  auto got = store_->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "short");
  auto head = store_->Head("k");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 5u);
  auto all = store_->ListAll("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].size, 5u);
}

TEST_P(ObjectStoreContractTest, MissingObjectIsNotFound) {
  auto get = store_->Get("no/such");
  EXPECT_EQ(get.status().code(), StatusCode::kNotFound);
  EXPECT_NE(get.status().message().find("no/such"), std::string::npos)
      << get.status().message();
  EXPECT_EQ(store_->Head("no/such").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRange("no/such", 0, 10).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetToFile("no/such", LocalPath("x")).status().code(),
            StatusCode::kNotFound);
}

TEST_P(ObjectStoreContractTest, DeleteRemovesAndIsIdempotent) {
  ASSERT_TRUE(store_->Put("d/1", "one").ok());
  ASSERT_TRUE(store_->Delete("d/1").ok());
  EXPECT_EQ(store_->Get("d/1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("d/1").ok());
  EXPECT_TRUE(store_->Delete("never/there").ok());
  auto all = store_->ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_P(ObjectStoreContractTest, GetRange) {
  const std::string data = Bytes(1000, 7);
  ASSERT_TRUE(store_->Put("r", data).ok());
  auto mid = store_->GetRange("r", 100, 50);
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  EXPECT_EQ(*mid, data.substr(100, 50));
  auto whole = store_->GetRange("r", 0, 1000);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, data);
  auto tail = store_->GetRange("r", 990, 100);  // fewer at the end
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(*tail, data.substr(990));
  auto past = store_->GetRange("r", 1000, 10);
  ASSERT_TRUE(past.ok()) << past.status().ToString();
  EXPECT_EQ(*past, "");
  auto none = store_->GetRange("r", 5, 0);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, "");
}

TEST_P(ObjectStoreContractTest, ListIsSortedPaginatedAndSized) {
  // Byte order, not directory order: '-' (0x2d) < '/' (0x2f) < '0' (0x30).
  const std::vector<std::string> keys = {"l/b", "l/a/b", "l/a0", "l/a-c",
                                         "l/a/a"};
  for (size_t i = 0; i < keys.size(); i++) {
    ASSERT_TRUE(store_->Put(keys[i], std::string(i + 1, 'x')).ok());
  }
  ASSERT_TRUE(store_->Put("other/z", "z").ok());
  ASSERT_TRUE(store_->Put("l-x", "not under l/").ok());

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->List("l/", token, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->objects.size(), 2u);
    for (const auto& o : page->objects) {
      seen.push_back(o.key);
      size_t i = std::find(keys.begin(), keys.end(), o.key) - keys.begin();
      ASSERT_LT(i, keys.size()) << o.key;
      EXPECT_EQ(o.size, i + 1) << o.key;
    }
    token = page->next_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"l/a-c", "l/a/a", "l/a/b", "l/a0",
                                            "l/b"}));

  auto all = store_->ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), keys.size() + 2);
  auto none = store_->List("nothing/", "", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->objects.empty());
  EXPECT_TRUE(none->next_token.empty());
  auto partial = store_->ListAll("l/a/");  // a prefix that is a "directory"
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->size(), 2u);
  auto partial2 = store_->ListAll("l/a");  // and one that is not
  ASSERT_TRUE(partial2.ok());
  EXPECT_EQ(partial2->size(), 4u);
}

TEST_P(ObjectStoreContractTest, PutFileAndGetToFile) {
  const std::string data = Bytes(3 * 1024 * 1024 + 123, 3);
  WriteLocal(LocalPath("in"), data);
  ASSERT_TRUE(store_->PutFile("f/big", LocalPath("in")).ok());
  auto info = store_->GetToFile("f/big", LocalPath("out"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->crc32c, crc32c::Value(data.data(), data.size()));
  auto back = Env::Default()->ReadFileToString(LocalPath("out"));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == data);
  auto got = store_->Get("f/big");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == data);

  WriteLocal(LocalPath("empty"), "");
  ASSERT_TRUE(store_->PutFile("f/empty", LocalPath("empty")).ok());
  auto e = store_->GetToFile("f/empty", LocalPath("out2"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->size, 0u);

  EXPECT_FALSE(store_->PutFile("f/x", LocalPath("missing")).ok());
}

TEST_P(ObjectStoreContractTest, BadKeysAreRefused) {
  for (const std::string& key :
       std::vector<std::string>{"", "/abs", "a/../b", "..", "a//b", "a/./b",
                                "dir/", "nl\nx", std::string("nul\0x", 5)}) {
    EXPECT_EQ(store_->Put(key, "x").code(), StatusCode::kInvalidArgument)
        << key;
    EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kInvalidArgument)
        << key;
    EXPECT_EQ(store_->Head(key).status().code(), StatusCode::kInvalidArgument)
        << key;
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST_P(ObjectStoreContractTest, ConcurrentPutsAndGets) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; i++) {
        std::string key = "c/" + std::to_string(t) + "-" + std::to_string(i);
        std::string data = Bytes(1000 + i, t * 10 + i);
        if (!store_->Put(key, data).ok()) failures++;
        auto got = store_->Get(key);
        if (!got.ok() || *got != data) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = store_->ListAll("c/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 20u);
}

// Error paths, through the fault store wrapped around the store under test.

TEST_P(ObjectStoreContractTest, TruncatedBodyIsCorruption) {
  FaultInjectingObjectStore faulty(store_);
  const std::string data = Bytes(4096, 9);
  ASSERT_TRUE(faulty.Put("t", data).ok());
  faulty.TruncateBodies(ObjectOp::kGet, 1);
  auto got = faulty.Get("t");
  EXPECT_EQ(got.status().code(), StatusCode::kCorruption)
      << got.status().ToString();
  EXPECT_NE(got.status().message().find("'t'"), std::string::npos);
  auto again = faulty.Get("t");  // the fault was for one call
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == data);

  faulty.TruncateBodies(ObjectOp::kGetToFile, 1);
  EXPECT_EQ(faulty.GetToFile("t", LocalPath("o")).status().code(),
            StatusCode::kCorruption);
  faulty.TruncateBodies(ObjectOp::kGetRange, 1);
  auto range = faulty.GetRange("t", 0, 100);  // short, not checked
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->size(), 50u);
}

TEST_P(ObjectStoreContractTest, LostResponseAfterPut) {
  FaultInjectingObjectStore faulty(store_);
  ASSERT_TRUE(faulty.Put("lost", "old").ok());
  faulty.LoseResponses(ObjectOp::kPut, 1);
  Status s = faulty.Put("lost", "new");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  auto got = store_->Get("lost");  // the put happened all the same
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "new");
  EXPECT_TRUE(faulty.Put("lost", "newer").ok());  // a retry is harmless
  EXPECT_EQ(faulty.calls(ObjectOp::kPut), 3u);
}

TEST_P(ObjectStoreContractTest, InjectedFailuresReachTheCaller) {
  FaultInjectingObjectStore faulty(store_);
  faulty.FailNext(ObjectOp::kPut, Status::Unavailable("injected 503"), 2);
  EXPECT_EQ(faulty.Put("x", "1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(faulty.Put("x", "1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->Head("x").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(faulty.Put("x", "1").ok());
  faulty.FailNext(ObjectOp::kList, Status::FailedPrecondition("403"), -1);
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(faulty.List("", "", 10).status().code(),
              StatusCode::kFailedPrecondition);
  }
  faulty.ClearFaults();
  EXPECT_TRUE(faulty.List("", "", 10).ok());
  EXPECT_EQ(faulty.calls(ObjectOp::kPut), 3u);
  EXPECT_EQ(faulty.calls(ObjectOp::kList), 4u);
  EXPECT_EQ(faulty.calls(ObjectOp::kGet), 0u);
}

}  // namespace proximadb::object::testing
