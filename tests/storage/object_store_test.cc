// ObjectStore: the contract suite (object_store_contract.h) against
// LocalObjectStore, plus what only the local store has: its file layout and
// checksum trailer, atomic replacement under I/O faults, its temp files; and
// key validation and the fault store's own knobs.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "storage/object/fault_injecting_object_store.h"
#include "storage/object/local_object_store.h"
#include "storage/object/object_checksum.h"
#include "storage/object_store_contract.h"
#include "util/fault_injection_env.h"
#include "util/temp_dir.h"

namespace proximadb::object {
namespace {

using testing::Bytes;
using testing::ObjectStoreContractTest;
using testing::StoreFactory;
using testing::StoreHandle;

class LocalHandle : public StoreHandle {
 public:
  LocalHandle() : store_(Env::Default(), dir_.path() + "/objects") {}
  ObjectStore* store() override { return &store_; }

 private:
  test_util::TempDir dir_;
  LocalObjectStore store_;
};

INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreContractTest,
                         ::testing::Values(StoreFactory{
                             "Local",
                             [](std::string*) -> std::unique_ptr<StoreHandle> {
                               return std::make_unique<LocalHandle>();
                             }}),
                         testing::ContractName);

std::string ReadRaw(const std::string& path) {
  auto s = Env::Default()->ReadFileToString(path);
  return s.ok() ? *s : "<unreadable>";
}
void WriteRaw(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_.path() + "/objects";
  }
  test_util::TempDir tmp_;
  std::string root_;
};

TEST_F(LocalObjectStoreTest, FileIsBytesPlusTrailer) {
  LocalObjectStore store(Env::Default(), root_);
  const std::string data = Bytes(100);
  ASSERT_TRUE(store.Put("a/b", data).ok());
  EXPECT_EQ(store.PathOf("a/b"), root_ + "/a/b");
  std::string raw = ReadRaw(store.PathOf("a/b"));
  ASSERT_EQ(raw.size(), data.size() + LocalObjectStore::kTrailerSize);
  EXPECT_EQ(raw.substr(0, 100), data);
  EXPECT_EQ(raw.substr(104), "PDBo");
  EXPECT_EQ(store.Describe(), "file://" + root_);
}

TEST_F(LocalObjectStoreTest, FlippedByteIsCorruption) {
  LocalObjectStore store(Env::Default(), root_);
  const std::string data = Bytes(5000);
  ASSERT_TRUE(store.Put("seg/1", data).ok());
  std::string raw = ReadRaw(store.PathOf("seg/1"));
  raw[1234] ^= 0x10;
  WriteRaw(store.PathOf("seg/1"), raw);

  auto got = store.Get("seg/1");
  EXPECT_EQ(got.status().code(), StatusCode::kCorruption);
  EXPECT_NE(got.status().message().find("'seg/1'"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("checksum"), std::string::npos);
  auto to_file = store.GetToFile("seg/1", tmp_.path() + "/out");
  EXPECT_EQ(to_file.status().code(), StatusCode::kCorruption);
  // Head and ranges do not read the whole object: they still answer.
  EXPECT_TRUE(store.Head("seg/1").ok());
  auto range = store.GetRange("seg/1", 1234, 1);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ((*range)[0], static_cast<char>(data[1234] ^ 0x10));
}

TEST_F(LocalObjectStoreTest, DamagedTrailerIsCorruption) {
  LocalObjectStore store(Env::Default(), root_);
  ASSERT_TRUE(store.Put("x", "hello").ok());
  std::string raw = ReadRaw(store.PathOf("x"));
  WriteRaw(store.PathOf("x"), raw.substr(0, raw.size() - 1) + "?");
  EXPECT_EQ(store.Get("x").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store.Head("x").status().code(), StatusCode::kCorruption);
  WriteRaw(store.PathOf("x"), "abc");  // shorter than a trailer
  EXPECT_EQ(store.Get("x").status().code(), StatusCode::kCorruption);
  // A truncated body with an intact-looking trailer: the checksum catches it.
  ASSERT_TRUE(store.Put("y", Bytes(64)).ok());
  raw = ReadRaw(store.PathOf("y"));
  WriteRaw(store.PathOf("y"), raw.substr(0, 10) + raw.substr(raw.size() - 8));
  EXPECT_EQ(store.Get("y").status().code(), StatusCode::kCorruption);
}

TEST_F(LocalObjectStoreTest, FailedPutKeepsTheOldObject) {
  FaultInjectionEnv env(Env::Default());
  LocalObjectStore store(&env, root_);
  ASSERT_TRUE(store.Put("k", "old").ok());

  env.FailSyncs(1);
  EXPECT_EQ(store.Put("k", "new-1").code(), StatusCode::kIOError);
  env.FailRenames(1);
  EXPECT_EQ(store.Put("k", "new-2").code(), StatusCode::kIOError);
  env.FailAppends(ENOSPC, 1);
  EXPECT_EQ(store.Put("k", "new-3").code(), StatusCode::kIOError);
  auto got = store.Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "old");

  // Every I/O call of a Put failed in turn: the key holds old or new, never
  // anything else, and no temp file is listed.
  for (uint64_t n = 1; n < 20; n++) {
    env.FailIoCall(n, /*sticky=*/false);
    Status s = store.Put("k", "new-" + std::to_string(n));
    env.FailIoCall(0, false);
    auto now = store.Get("k");
    ASSERT_TRUE(now.ok()) << "call " << n << ": " << now.status().ToString();
    if (s.ok()) {
      EXPECT_EQ(*now, "new-" + std::to_string(n));
    }
  }
  auto all = store.ListAll("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "k");
}

TEST_F(LocalObjectStoreTest, PutIsSynced) {
  FaultInjectionEnv env(Env::Default());
  LocalObjectStore store(&env, root_);
  uint64_t before = env.sync_count();
  ASSERT_TRUE(store.Put("s", "data").ok());
  EXPECT_GT(env.sync_count(), before);
  // A simulated power loss keeps the acknowledged object.
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  auto got = store.Get("s");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "data");
}

TEST_F(LocalObjectStoreTest, TempFilesAreHiddenReservedAndSwept) {
  LocalObjectStore store(Env::Default(), root_);
  ASSERT_TRUE(store.Put("a", "1").ok());
  std::string tmp_dir = root_ + "/" + LocalObjectStore::kTmpDir;
  WriteRaw(tmp_dir + "/crashed-put", "partial");
  auto all = store.ListAll("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(store.Put(".pdb-tmp/x", "1").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Get(".pdb-tmp").status().code(),
            StatusCode::kInvalidArgument);

  auto reopened = LocalObjectStore::Open(Env::Default(), root_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_FALSE(Env::Default()->FileExists(tmp_dir + "/crashed-put"));
  auto got = (*reopened)->Get("a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "1");
}

TEST_F(LocalObjectStoreTest, MissingRootHoldsNothing) {
  LocalObjectStore store(Env::Default(), root_ + "/not/yet");
  auto page = store.List("", "", 10);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->objects.empty());
  EXPECT_EQ(store.Get("a").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store.Delete("a").ok());
  EXPECT_EQ(store.List("", "", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store.List("", "", 1001).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ValidateKeyTest, NamesWhatIsWrong) {
  EXPECT_TRUE(ValidateKey("collections/c1-ab12cd34/seg-1.pdb").ok());
  EXPECT_TRUE(ValidateKey("a").ok());
  EXPECT_TRUE(ValidateKey("a..b/.hidden/x..").ok());
  struct Case {
    std::string key;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"/a", "starts with '/'"},
           {"a/", "ends with '/'"},
           {"a//b", "empty component"},
           {"./a", "\".\""},
           {"a/../b", "\"..\""},
           {"..", "\"..\""},
           {"a\tb", "control character at byte 1"},
           {std::string("a\0b", 3), "control character at byte 1"},
           {"a\x7f", "control character at byte 1"},
           {std::string(901, 'k'), "longer than 900"},
       }) {
    Status s = ValidateKey(c.key);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.key;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
  }
}

TEST(ObjectChecksumTest, HexAndVerify) {
  EXPECT_EQ(CrcToHex(0x0a1b2c3d), "0a1b2c3d");
  EXPECT_EQ(CrcFromHex("0A1B2C3D"), 0x0a1b2c3du);
  EXPECT_EQ(CrcFromHex("0a1b2c3"), std::nullopt);
  EXPECT_EQ(CrcFromHex("0a1b2c3g"), std::nullopt);
  EXPECT_TRUE(VerifyObject("s", "k", 3, 7, 3, 7).ok());
  Status shorter = VerifyObject("s", "k", 2, 7, 3, 7);
  EXPECT_EQ(shorter.code(), StatusCode::kCorruption);
  EXPECT_NE(shorter.message().find("shorter than the announced 3"),
            std::string::npos);
  EXPECT_EQ(VerifyObject("s", "k", 3, 8, 3, 7).code(), StatusCode::kCorruption);
}

TEST(FaultInjectingObjectStoreTest, DelaysAndDescribes) {
  test_util::TempDir tmp;
  LocalObjectStore base(Env::Default(), tmp.path());
  FaultInjectingObjectStore faulty(&base);
  EXPECT_EQ(faulty.Describe(), "faulty(file://" + tmp.path() + ")");
  ASSERT_TRUE(faulty.Put("k", "v").ok());
  faulty.SetDelay(ObjectOp::kHead, 50);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(faulty.Head("k").ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(50));
  faulty.LoseResponses(ObjectOp::kDelete, 1);
  EXPECT_EQ(faulty.Delete("k").code(), StatusCode::kUnavailable);
  EXPECT_EQ(base.Head("k").status().code(), StatusCode::kNotFound);
  faulty.FailNext(ObjectOp::kGet, Status::Corruption("bad"), 1);
  EXPECT_EQ(faulty.Get("k").status().code(), StatusCode::kCorruption);
  faulty.ResetCounters();
  EXPECT_EQ(faulty.calls(ObjectOp::kGet), 0u);
  EXPECT_STREQ(ObjectOpName(ObjectOp::kGetToFile), "get_to_file");
}

}  // namespace
}  // namespace proximadb::object
