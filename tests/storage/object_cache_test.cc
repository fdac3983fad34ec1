// ObjectCache: fills, hits, restart, integrity, eviction and pinning,
// concurrency, I/O faults during a fill, and transformed entries (a test
// transform, and cold packs decoded into their segment files). The store is
// a LocalObjectStore behind a FaultInjectingObjectStore (which counts the
// downloads and fails them on demand). Most tests run on the in-memory Env;
// the restart and cold pack tests also run on the real file system.
#include "storage/object/object_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proximadb/env.h"
#include "storage/object/fault_injecting_object_store.h"
#include "storage/object/local_object_store.h"
#include "storage/object/object_cache_format.h"
#include "storage/segment/cold_pack.h"
#include "storage/segment/segment_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/fault_injection_env.h"
#include "util/temp_dir.h"

namespace proximadb::object {
namespace {

uint32_t Crc(const std::string& s) { return crc32c::Value(s.data(), s.size()); }

constexpr char kDir[] = "/cache";

// What the test transform makes of an object: its bytes reversed, twice (so
// the content differs from the object in bytes, size and CRC).
std::string Expanded(const std::string& object) {
  std::string r(object.rbegin(), object.rend());
  return r + r;
}

Status WriteDurably(Env* env, const std::string& path,
                    const std::string& data) {
  PDB_ASSIGN_OR_RETURN(auto f, env->NewWritableFile(path));
  PDB_RETURN_IF_ERROR(f->Append(data));
  PDB_RETURN_IF_ERROR(f->Sync());
  return f->Close();
}

Status ExpandTransform(Env* env, const std::string& object_path,
                       const std::string& out_path) {
  PDB_ASSIGN_OR_RETURN(std::string object, env->ReadFileToString(object_path));
  return WriteDurably(env, out_path, Expanded(object));
}

// The real transform: a cold pack decoded into its segment file.
Status DecodePack(Env* env, const std::string& object_path,
                  const std::string& out_path) {
  PDB_ASSIGN_OR_RETURN(auto pack, env->MapFile(object_path));
  return segment::DecodeColdPackToFile(
      env, std::string_view(pack->data(), pack->size()), out_path);
}

// A version 1 .meta record, byte by byte as docs/FORMATS.md describes it
// (what the cache wrote before transforms).
std::string MetaV1(const std::string& key, uint64_t size, uint32_t crc) {
  std::string out(cache_format::kMetaMagic);
  PutFixed32(&out, 1);
  PutFixed64(&out, size);
  PutFixed32(&out, crc);
  PutFixed32(&out, static_cast<uint32_t>(key.size()));
  out += key;
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

class ObjectCacheTest : public ::testing::Test {
 protected:
  ObjectCacheTest()
      : env_(NewMemEnv()), local_(env_.get(), "/store"), store_(&local_) {}

  // Downloads so far.
  int calls() const {
    return static_cast<int>(store_.calls(ObjectOp::kGetToFile));
  }

  std::unique_ptr<ObjectCache> OpenCache(uint64_t capacity,
                                         bool verify_on_open = false,
                                         Env* env = nullptr) {
    ObjectCache::Options opts;
    opts.dir = kDir;
    opts.capacity_bytes = capacity;
    opts.verify_on_open = verify_on_open;
    if (transformed_) opts.transform = ExpandTransform;
    auto r = ObjectCache::Open(env ? env : env_.get(), &store_, opts);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Puts an object of `n` bytes whose content depends on `key`.
  std::string PutObject(const std::string& key, size_t n = 100) {
    std::string data(n, '\0');
    for (size_t i = 0; i < n; ++i) {
      data[i] = static_cast<char>(key[i % key.size()] + i * 7);
    }
    EXPECT_TRUE(store_.Put(key, data).ok());
    objects_[key] = data;
    return data;
  }

  Result<std::shared_ptr<const ObjectCache::Entry>> Fetch(
      ObjectCache* cache, const std::string& key) {
    const std::string& data = objects_.at(key);
    return cache->Fetch(key, data.size(), Crc(data));
  }

  // What an entry of `key` must hold: the object, or with transformed_ what
  // the test transform makes of it.
  std::string Content(const std::string& key) const {
    const std::string& object = objects_.at(key);
    return transformed_ ? Expanded(object) : object;
  }

  // Fetches and checks the entry's file holds the content.
  std::shared_ptr<const ObjectCache::Entry> MustFetch(ObjectCache* cache,
                                                      const std::string& key) {
    auto r = Fetch(cache, key);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    if (!r.ok()) return nullptr;
    const std::string& object = objects_.at(key);
    const std::string content = Content(key);
    EXPECT_EQ((*r)->key(), key);
    EXPECT_EQ((*r)->size(), object.size());
    EXPECT_EQ((*r)->crc32c(), Crc(object));
    EXPECT_EQ((*r)->content_size(), content.size());
    EXPECT_EQ((*r)->content_crc32c(), Crc(content));
    EXPECT_EQ(env_->ReadFileToString((*r)->path()).value(), content);
    return *r;
  }

  std::vector<std::string> Files() {
    auto names = env_->GetChildren(kDir);
    EXPECT_TRUE(names.ok());
    std::vector<std::string> out =
        names.ok() ? *names : std::vector<std::string>{};
    std::sort(out.begin(), out.end());
    return out;
  }

  // The keys cached now, from the .meta files on disk.
  std::vector<std::string> KeysOnDisk() {
    std::vector<std::string> keys;
    for (const std::string& name : Files()) {
      uint64_t seq;
      if (cache_format::ParseFileName(name, &seq) !=
          cache_format::FileKind::kMeta) {
        continue;
      }
      cache_format::EntryMeta meta;
      auto bytes = env_->ReadFileToString(std::string(kDir) + "/" + name);
      EXPECT_TRUE(cache_format::DecodeMeta(*bytes, &meta).ok());
      keys.push_back(meta.key);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  void Overwrite(const std::string& path, const std::string& data) {
    auto f = env_->NewWritableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  void FlipByte(const std::string& path, size_t at) {
    std::string data = env_->ReadFileToString(path).value();
    data[at] ^= 0x20;
    Overwrite(path, data);
  }

  std::unique_ptr<Env> env_;
  LocalObjectStore local_;
  FaultInjectingObjectStore store_;
  std::map<std::string, std::string> objects_;
  // OpenCache gives the cache ExpandTransform.
  bool transformed_ = false;

  // EveryIoCallOfAFillFailedInTurn's loop; `calls_of_a_fill`: the I/O calls
  // of a successful fill.
  void RunEveryIoCallOfAFill(uint64_t calls_of_a_fill);
};

TEST_F(ObjectCacheTest, MissThenHit) {
  auto cache = OpenCache(1000);
  PutObject("cold/seg-1.pdb");
  auto e1 = MustFetch(cache.get(), "cold/seg-1.pdb");
  ASSERT_NE(e1, nullptr);
  EXPECT_EQ(calls(), 1);
  auto e2 = MustFetch(cache.get(), "cold/seg-1.pdb");
  EXPECT_EQ(calls(), 1);
  EXPECT_EQ(e1->path(), e2->path());
  EXPECT_EQ(e1->path(), std::string(kDir) + "/00000000000000000001.obj");
  EXPECT_EQ(Files(), (std::vector<std::string>{"00000000000000000001.meta",
                                               "00000000000000000001.obj"}));
  auto st = cache->stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.downloads, 1u);
  EXPECT_EQ(st.download_bytes, 100u);
  EXPECT_EQ(st.entries, 1u);
  EXPECT_EQ(st.bytes_cached, 100u);
  EXPECT_EQ(st.capacity, 1000u);
  EXPECT_TRUE(cache->Contains("cold/seg-1.pdb"));
  EXPECT_FALSE(cache->Contains("cold/seg-2.pdb"));
  cache->Erase("cold/seg-1.pdb");
  EXPECT_FALSE(cache->Contains("cold/seg-1.pdb"));
}

TEST_F(ObjectCacheTest, StaleEntryIsRefetched) {
  auto cache = OpenCache(1000);
  PutObject("k");
  auto old = MustFetch(cache.get(), "k");
  // The catalog now names a new version of the object under the same key.
  PutObject("k", 150);
  auto fresh = MustFetch(cache.get(), "k");
  EXPECT_EQ(calls(), 2);
  EXPECT_NE(old->path(), fresh->path());
  // The old copy stays while pinned, and goes at its release.
  EXPECT_TRUE(env_->FileExists(old->path()));
  const std::string old_path = old->path();
  old.reset();
  EXPECT_FALSE(env_->FileExists(old_path));
  EXPECT_EQ(cache->stats().bytes_cached, 150u);
  EXPECT_EQ(cache->stats().entries, 1u);
}

TEST_F(ObjectCacheTest, RestartRestoresEntries) {
  PutObject("a");
  PutObject("b", 200);
  {
    auto cache = OpenCache(1000);
    MustFetch(cache.get(), "a");
    MustFetch(cache.get(), "b");
  }
  auto cache = OpenCache(1000);
  const auto& report = cache->open_report();
  EXPECT_EQ(report.restored_entries, 2u);
  EXPECT_EQ(report.restored_bytes, 300u);
  EXPECT_EQ(report.damaged_removed, 0u);
  EXPECT_TRUE(cache->strays().empty());
  MustFetch(cache.get(), "a");
  MustFetch(cache.get(), "b");
  EXPECT_EQ(calls(), 2);  // no download after the restart
  EXPECT_EQ(cache->stats().hits, 2u);
  // New fills do not reuse a restored entry's number.
  PutObject("c");
  auto c = MustFetch(cache.get(), "c");
  EXPECT_EQ(c->path(), std::string(kDir) + "/00000000000000000003.obj");
}

TEST_F(ObjectCacheTest, RestartOnTheRealFileSystem) {
  test_util::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  Env* posix = Env::Default();
  LocalObjectStore store(posix, tmp.path() + "/store");
  const std::string data(5000, 'x');
  ASSERT_TRUE(store.Put("seg", data).ok());
  ObjectCache::Options opts;
  opts.dir = tmp.path() + "/cache";
  opts.capacity_bytes = 1 << 20;
  {
    auto cache = ObjectCache::Open(posix, &store, opts);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    auto e = (*cache)->Fetch("seg", data.size(), Crc(data));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    auto mapped = posix->MapFile((*e)->path());
    ASSERT_TRUE(mapped.ok());
    EXPECT_EQ(std::string((*mapped)->data(), (*mapped)->size()), data);
  }
  // Gone from the store: only the cache can answer now.
  ASSERT_TRUE(store.Delete("seg").ok());
  opts.verify_on_open = true;
  auto cache = ObjectCache::Open(posix, &store, opts);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  EXPECT_EQ((*cache)->open_report().restored_entries, 1u);
  auto e = (*cache)->Fetch("seg", data.size(), Crc(data));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(posix->ReadFileToString((*e)->path()).value(), data);
}

TEST_F(ObjectCacheTest, DamagedEntriesAtRestartAreDroppedAndRefetched) {
  PutObject("truncated");
  PutObject("bad-meta");
  PutObject("no-meta");
  PutObject("flipped");
  std::map<std::string, std::string> path_of;
  {
    auto cache = OpenCache(1000);
    for (const auto& [key, data] : objects_) {
      path_of[key] = MustFetch(cache.get(), key)->path();
    }
  }
  auto meta_of = [&](const std::string& key) {
    std::string p = path_of[key];
    return p.substr(0, p.size() - 4) + ".meta";
  };
  Overwrite(path_of["truncated"], objects_["truncated"].substr(0, 60));
  FlipByte(meta_of("bad-meta"), 30);
  ASSERT_TRUE(env_->RemoveFile(meta_of("no-meta")).ok());
  FlipByte(path_of["flipped"], 50);  // same size: found at the first Fetch

  auto cache = OpenCache(1000);
  EXPECT_EQ(cache->open_report().damaged_removed, 3u);
  EXPECT_EQ(cache->open_report().restored_entries, 1u);
  EXPECT_FALSE(env_->FileExists(path_of["truncated"]));
  EXPECT_FALSE(env_->FileExists(meta_of("bad-meta")));
  EXPECT_FALSE(env_->FileExists(path_of["bad-meta"]));
  EXPECT_FALSE(env_->FileExists(path_of["no-meta"]));
  EXPECT_EQ(KeysOnDisk(), std::vector<std::string>{"flipped"});
  const int before = calls();
  for (const auto& [key, data] : objects_) MustFetch(cache.get(), key);
  EXPECT_EQ(calls(), before + 4);  // every one downloaded again
  EXPECT_FALSE(env_->FileExists(path_of["flipped"]));
  auto st = cache->stats();
  EXPECT_EQ(st.corrupt_entries, 4u);
  EXPECT_EQ(st.entries, 4u);
  EXPECT_EQ(st.bytes_cached, 400u);
}

TEST_F(ObjectCacheTest, VerifyOnOpenDropsAFlippedByte) {
  PutObject("k");
  std::string path;
  {
    auto cache = OpenCache(1000);
    path = MustFetch(cache.get(), "k")->path();
  }
  FlipByte(path, 0);
  auto cache = OpenCache(1000, /*verify_on_open=*/true);
  EXPECT_EQ(cache->open_report().damaged_removed, 1u);
  EXPECT_EQ(cache->open_report().restored_entries, 0u);
  EXPECT_TRUE(Files().empty());
}

TEST_F(ObjectCacheTest, LeftoverFillAndOrphansAreRemoved) {
  ASSERT_TRUE(env_->CreateDirIfMissing(kDir).ok());
  Overwrite(std::string(kDir) + "/00000000000000000007.fill", "half an obj");
  Overwrite(std::string(kDir) + "/00000000000000000003.obj", "no meta");
  auto cache = OpenCache(1000);
  EXPECT_EQ(cache->open_report().temp_removed, 1u);
  EXPECT_EQ(cache->open_report().damaged_removed, 1u);
  EXPECT_TRUE(Files().empty());
  PutObject("k");
  // Numbering goes on after the highest number found.
  EXPECT_EQ(MustFetch(cache.get(), "k")->path(),
            std::string(kDir) + "/00000000000000000008.obj");
}

// A refetch interrupted before the old copy's removal leaves two entries of
// one key: the newer is kept.
TEST_F(ObjectCacheTest, AnOlderEntryOfTheSameKeyIsRemovedAtRestart) {
  PutObject("k");
  std::string path;
  {
    auto cache = OpenCache(1000);
    path = MustFetch(cache.get(), "k")->path();
  }
  const std::string meta = path.substr(0, path.size() - 4) + ".meta";
  const std::string dir = std::string(kDir) + "/";
  Overwrite(dir + "00000000000000000005.obj",
            env_->ReadFileToString(path).value());
  Overwrite(dir + "00000000000000000005.meta",
            env_->ReadFileToString(meta).value());
  auto cache = OpenCache(1000);
  EXPECT_EQ(cache->open_report().superseded_removed, 1u);
  EXPECT_EQ(cache->open_report().restored_entries, 1u);
  EXPECT_FALSE(env_->FileExists(path));
  EXPECT_FALSE(env_->FileExists(meta));
  EXPECT_EQ(MustFetch(cache.get(), "k")->path(),
            dir + "00000000000000000005.obj");
  EXPECT_EQ(calls(), 1);
}

TEST_F(ObjectCacheTest, StraysAreReportedNotDeleted) {
  ASSERT_TRUE(env_->CreateDirIfMissing(std::string(kDir) + "/subdir").ok());
  Overwrite(std::string(kDir) + "/notes.txt", "mine");
  Overwrite(std::string(kDir) + "/123.obj", "short number");
  Overwrite(std::string(kDir) + "/00000000000000000001.obj.bak", "x");
  auto cache = OpenCache(1000);
  std::vector<std::string> strays = cache->strays();
  std::sort(strays.begin(), strays.end());
  EXPECT_EQ(strays, (std::vector<std::string>{
                        "/cache/00000000000000000001.obj.bak", "/cache/123.obj",
                        "/cache/notes.txt", "/cache/subdir"}));
  EXPECT_EQ(Files().size(), 4u);
  EXPECT_EQ(cache->open_report().damaged_removed, 0u);
}

TEST_F(ObjectCacheTest, EvictsLeastRecentlyUsedWithinBudget) {
  auto cache = OpenCache(300);
  for (const char* k : {"a", "b", "c", "d", "e"}) PutObject(k);
  MustFetch(cache.get(), "a");
  MustFetch(cache.get(), "b");
  MustFetch(cache.get(), "c");
  EXPECT_EQ(cache->stats().evictions, 0u);
  MustFetch(cache.get(), "d");  // a is the oldest
  EXPECT_EQ(KeysOnDisk(), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(cache->stats().bytes_cached, 300u);
  // A hit gives b a second chance: c, filled after b but never hit, goes.
  MustFetch(cache.get(), "b");
  MustFetch(cache.get(), "e");
  EXPECT_EQ(KeysOnDisk(), (std::vector<std::string>{"b", "d", "e"}));
  auto st = cache->stats();
  EXPECT_EQ(st.evictions, 2u);
  EXPECT_EQ(st.entries, 3u);
  EXPECT_EQ(st.over_budget, 0u);
}

TEST_F(ObjectCacheTest, AScanDoesNotFlushAHotEntry) {
  auto cache = OpenCache(300);
  PutObject("hot");
  MustFetch(cache.get(), "hot");
  MustFetch(cache.get(), "hot");
  for (int i = 0; i < 10; ++i) {
    const std::string key = "scan-" + std::to_string(i);
    PutObject(key);
    MustFetch(cache.get(), key);
    // Searches keep using the hot entry now and then.
    if (i % 3 == 2) MustFetch(cache.get(), "hot");
  }
  const auto keys = KeysOnDisk();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "hot"), keys.end());
  EXPECT_EQ(calls(), 11);
}

TEST_F(ObjectCacheTest, PinnedEntriesSurviveEviction) {
  auto cache = OpenCache(200);
  for (const char* k : {"a", "b", "c"}) PutObject(k);
  auto a = MustFetch(cache.get(), "a");
  auto b = MustFetch(cache.get(), "b");
  auto c = MustFetch(cache.get(), "c");  // all pinned: over budget
  EXPECT_TRUE(env_->FileExists(a->path()));
  EXPECT_TRUE(env_->FileExists(b->path()));
  auto st = cache->stats();
  EXPECT_EQ(st.bytes_cached, 300u);
  EXPECT_EQ(st.over_budget, 1u);
  EXPECT_EQ(st.evictions, 0u);
  // A smaller budget cannot evict pinned entries either.
  EXPECT_TRUE(cache->SetCapacity(100).ok());
  EXPECT_EQ(KeysOnDisk(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(cache->stats().over_budget, 1u);  // the same excursion
  // Releasing b lets it go; a and c are still pinned.
  const std::string b_path = b->path();
  b.reset();
  EXPECT_FALSE(env_->FileExists(b_path));
  EXPECT_EQ(KeysOnDisk(), (std::vector<std::string>{"a", "c"}));
  a.reset();
  EXPECT_EQ(KeysOnDisk(), std::vector<std::string>{"c"});
  st = cache->stats();
  EXPECT_EQ(st.bytes_cached, 100u);
  EXPECT_EQ(st.evictions, 2u);
  c.reset();
  EXPECT_EQ(KeysOnDisk(), std::vector<std::string>{"c"});
}

TEST_F(ObjectCacheTest, EraseIsDeferredWhilePinned) {
  auto cache = OpenCache(1000);
  PutObject("a");
  PutObject("b");
  MustFetch(cache.get(), "a");
  auto b = MustFetch(cache.get(), "b");
  cache->Erase("a");
  cache->Erase("b");
  cache->Erase("never-cached");
  EXPECT_EQ(KeysOnDisk(), std::vector<std::string>{"b"});
  EXPECT_EQ(env_->ReadFileToString(b->path()).value(), objects_["b"]);
  b.reset();
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(cache->stats().entries, 0u);
  EXPECT_EQ(cache->stats().bytes_cached, 0u);
  MustFetch(cache.get(), "b");
  EXPECT_EQ(calls(), 3);
}

TEST_F(ObjectCacheTest, ConcurrentFetchesOfOneKeyDownloadOnce) {
  auto cache = OpenCache(10000);
  PutObject("k", 1000);
  // A slow download: every other Fetch arrives while it runs (one that came
  // later would find the entry cached; the download count holds either way).
  store_.SetDelay(ObjectOp::kGetToFile, 200);
  constexpr int kThreads = 8;
  std::vector<std::shared_ptr<const ObjectCache::Entry>> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = Fetch(cache.get(), "k");
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) got[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls(), 1);
  for (const auto& e : got) {
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->path(), got[0]->path());
  }
  auto st = cache->stats();
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.hits, kThreads - 1u);
}

TEST_F(ObjectCacheTest, ConcurrentFetchesOfManyKeys) {
  auto cache = OpenCache(1000);  // 10 of the 40 objects
  for (int i = 0; i < 40; ++i) PutObject("k" + std::to_string(i));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        const std::string key = "k" + std::to_string((round * 7 + t) % 40);
        auto r = Fetch(cache.get(), key);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(env_->ReadFileToString((*r)->path()).value(),
                  objects_.at(key));
      }
    });
  }
  for (auto& t : threads) t.join();
  auto st = cache->stats();
  EXPECT_EQ(st.hits + st.misses, 200u);
  EXPECT_LE(st.bytes_cached, 1000u);
  EXPECT_EQ(Files().size(), 2 * st.entries);
}

TEST_F(ObjectCacheTest, ConcurrentFetchesShareAFailedDownload) {
  auto cache = OpenCache(10000);
  PutObject("k");
  store_.SetDelay(ObjectOp::kGetToFile, 300);
  store_.FailNext(ObjectOp::kGetToFile, Status::Unavailable("s3: 503"), -1);
  constexpr int kThreads = 6;
  std::vector<Status> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { got[i] = Fetch(cache.get(), "k").status(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls(), 1);
  for (const Status& s : got) {
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  }
  EXPECT_TRUE(Files().empty());
  store_.ClearFaults();
  MustFetch(cache.get(), "k");
}

// Fetch, Verify, Erase and SetCapacity from several threads, entries held
// for a while: every entry served holds its object, and at the end the
// books match the directory.
TEST_F(ObjectCacheTest, MixedOperationsFromManyThreads) {
  auto cache = OpenCache(800);
  for (int i = 0; i < 20; ++i) PutObject("k" + std::to_string(i), 50 + i * 5);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::shared_ptr<const ObjectCache::Entry>> held;
      uint32_t x = 12345u + t;
      auto next = [&x] { return x = x * 1103515245u + 12345u, x >> 16; };
      for (int round = 0; round < 300; ++round) {
        const std::string key = "k" + std::to_string(next() % 20);
        switch (next() % 8) {
          case 0:
            cache->Erase(key);
            break;
          case 1:
            EXPECT_TRUE(cache->SetCapacity(300 + next() % 800).ok());
            break;
          case 2:
            if (!held.empty()) {
              EXPECT_TRUE(cache->Verify(*held.back()).ok());
            }
            break;
          default: {
            auto r = Fetch(cache.get(), key);
            ASSERT_TRUE(r.ok()) << r.status().ToString();
            EXPECT_EQ(env_->ReadFileToString((*r)->path()).value(),
                      objects_.at(key));
            held.push_back(*r);
            if (held.size() > 2) held.erase(held.begin());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(cache->SetCapacity(800).ok());
  auto st = cache->stats();
  EXPECT_LE(st.bytes_cached, 800u);
  EXPECT_EQ(Files().size(), 2 * st.entries);
  uint64_t bytes = 0;
  for (const std::string& key : KeysOnDisk()) bytes += objects_.at(key).size();
  EXPECT_EQ(bytes, st.bytes_cached);
  EXPECT_EQ(st.corrupt_entries, 0u);
  EXPECT_EQ(st.fill_failures, 0u);
  // And it all comes back after a restart.
  cache.reset();
  cache = OpenCache(800);
  EXPECT_EQ(cache->open_report().restored_entries, st.entries);
  EXPECT_EQ(cache->open_report().damaged_removed, 0u);
}

TEST_F(ObjectCacheTest, StoreFailureComesThroughAndLeavesNothing) {
  auto cache = OpenCache(1000);
  PutObject("cold/seg-9.pdb");
  // A message without the key: the cache adds it.
  store_.FailNext(ObjectOp::kGetToFile,
                  Status::Unavailable("s3: 503 after 3 retries"));
  auto r = Fetch(cache.get(), "cold/seg-9.pdb");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cold/seg-9.pdb"), std::string::npos)
      << r.status().ToString();
  EXPECT_TRUE(Files().empty());

  // A body cut short: the store says kCorruption, its partial file is
  // removed.
  store_.TruncateBodies(ObjectOp::kGetToFile);
  r = Fetch(cache.get(), "cold/seg-9.pdb");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cold/seg-9.pdb"), std::string::npos);
  EXPECT_TRUE(Files().empty());

  auto missing = cache->Fetch("no/such/key", 10, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("no/such/key"), std::string::npos);
  EXPECT_TRUE(Files().empty());
  EXPECT_EQ(cache->stats().fill_failures, 3u);
  EXPECT_EQ(cache->stats().entries, 0u);
  MustFetch(cache.get(), "cold/seg-9.pdb");
}

TEST_F(ObjectCacheTest, ContentNotTheExpectedOneIsCorruption) {
  auto cache = OpenCache(1000);
  const std::string data = PutObject("k");
  auto wrong_crc = cache->Fetch("k", data.size(), Crc(data) ^ 1);
  ASSERT_FALSE(wrong_crc.ok());
  EXPECT_TRUE(wrong_crc.status().IsCorruption());
  EXPECT_NE(wrong_crc.status().message().find("'k'"), std::string::npos);
  auto wrong_size = cache->Fetch("k", data.size() + 1, Crc(data));
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_TRUE(wrong_size.status().IsCorruption());
  EXPECT_TRUE(Files().empty());
  auto st = cache->stats();
  EXPECT_EQ(st.fill_failures, 2u);
  EXPECT_EQ(st.entries, 0u);
  EXPECT_EQ(st.bytes_cached, 0u);
}

TEST_F(ObjectCacheTest, VerifyDetectsAFlippedByte) {
  auto cache = OpenCache(1000);
  PutObject("k");
  auto e = MustFetch(cache.get(), "k");
  EXPECT_TRUE(cache->Verify(*e).ok());
  const std::string path = e->path();
  FlipByte(path, 42);
  Status s = cache->Verify(*e);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("'k'"), std::string::npos);
  EXPECT_EQ(cache->stats().corrupt_entries, 1u);
  EXPECT_TRUE(env_->FileExists(path));  // still pinned
  e.reset();
  EXPECT_FALSE(env_->FileExists(path));
  auto again = MustFetch(cache.get(), "k");
  EXPECT_EQ(calls(), 2);
  EXPECT_TRUE(cache->Verify(*again).ok());
}

TEST_F(ObjectCacheTest, SetCapacityShrinks) {
  auto cache = OpenCache(1000);
  for (const char* k : {"a", "b", "c", "d"}) {
    PutObject(k);
    MustFetch(cache.get(), k);
  }
  EXPECT_TRUE(cache->SetCapacity(150).ok());
  EXPECT_EQ(KeysOnDisk(), std::vector<std::string>{"d"});
  auto st = cache->stats();
  EXPECT_EQ(st.capacity, 150u);
  EXPECT_EQ(st.evictions, 3u);
  EXPECT_EQ(st.bytes_cached, 100u);
  EXPECT_EQ(st.over_budget, 0u);
  EXPECT_TRUE(cache->SetCapacity(0).ok());
  EXPECT_TRUE(Files().empty());
}

TEST_F(ObjectCacheTest, RestartOverABudgetEvicts) {
  {
    auto cache = OpenCache(1000);
    for (const char* k : {"a", "b", "c"}) {
      PutObject(k);
      MustFetch(cache.get(), k);
    }
  }
  auto cache = OpenCache(200);
  EXPECT_EQ(KeysOnDisk(), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(cache->stats().bytes_cached, 200u);
}

// The faults the brief names, one at a time: the fill fails with kIOError
// and nothing of it stays; the next Fetch succeeds.
TEST_F(ObjectCacheTest, FaultsDuringTheFillLeaveNoHalfEntry) {
  FaultInjectionEnv fenv(env_.get());
  auto cache = OpenCache(1000, false, &fenv);
  PutObject("k");
  std::vector<std::function<void()>> faults = {
      [&] { fenv.FailAppends(EIO, 1); },
      [&] {
        fenv.SetPartialAppend(true);
        fenv.FailAppends(ENOSPC, 1);
      },
      [&] { fenv.FailSyncs(1); },
      [&] { fenv.FailRenames(1); },
  };
  for (size_t i = 0; i < faults.size(); ++i) {
    SCOPED_TRACE(i);
    faults[i]();
    auto r = Fetch(cache.get(), "k");
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("'k'"), std::string::npos);
    EXPECT_TRUE(Files().empty());
    fenv.ClearFaults();
    fenv.SetPartialAppend(false);
  }
  EXPECT_EQ(cache->stats().fill_failures, faults.size());
  MustFetch(cache.get(), "k");
}

// Every I/O call of a fill failed in turn: once as an error (the cache
// cleans up) and once as a crash (every later call fails too, as if the
// process died there; a restart cleans up). Either way no half entry is
// ever served, and the key is fetched correctly afterwards. Without and with
// a transform (whose writes go through the same env).
TEST_F(ObjectCacheTest, EveryIoCallOfAFillFailedInTurn) {
  PutObject("k");
  for (bool transform : {false, true}) {
    transformed_ = transform;
    RunEveryIoCallOfAFill(
        // Nine calls: open, sync, close of the download; create, append,
        // sync, close of the .meta; rename; the directory's sync. A transform
        // replaces the download's three by its create, append, sync, close
        // of the .dec and the removal of the .fill: eleven.
        transform ? 11 : 9);
  }
}

void ObjectCacheTest::RunEveryIoCallOfAFill(uint64_t calls_of_a_fill) {
  for (bool crash : {false, true}) {
    for (uint64_t n = 1;; ++n) {
      SCOPED_TRACE(std::string(transformed_ ? "transform, " : "") +
                   (crash ? "crash" : "error") + " at call " +
                   std::to_string(n));
      ASSERT_TRUE(env_->RemoveDirRecursively(kDir).ok());
      FaultInjectionEnv fenv(env_.get());
      auto cache = OpenCache(1000, false, &fenv);
      ASSERT_NE(cache, nullptr);
      fenv.FailIoCall(n, crash);
      auto r = Fetch(cache.get(), "k");
      const bool failed = !fenv.injected_call().empty();
      if (!failed) {
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ(n, calls_of_a_fill + 1);
        break;  // n is past the fill's last call
      }
      EXPECT_FALSE(r.ok()) << fenv.injected_call();
      fenv.FailIoCall(0, false);
      if (!crash) {
        EXPECT_TRUE(Files().empty()) << fenv.injected_call();
        MustFetch(cache.get(), "k");
        continue;
      }
      cache.reset();
      ASSERT_TRUE(fenv.DropUnsyncedData().ok());
      auto reopened = OpenCache(1000);
      ASSERT_NE(reopened, nullptr);
      for (const std::string& name : Files()) {
        uint64_t seq;
        EXPECT_NE(cache_format::ParseFileName(name, &seq),
                  cache_format::FileKind::kFill);
      }
      EXPECT_LE(reopened->open_report().restored_entries, 1u);
      MustFetch(reopened.get(), "k");
      ASSERT_LT(n, 50u) << "the fill never got past its faults";
    }
  }
}

TEST_F(ObjectCacheTest, TransformedEntryServesTheTransformsOutput) {
  transformed_ = true;
  auto cache = OpenCache(1000);
  const std::string object = PutObject("cold/seg-1.pack");
  auto e = MustFetch(cache.get(), "cold/seg-1.pack");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->content_size(), 200u);
  EXPECT_EQ(e->path(), std::string(kDir) + "/00000000000000000001.obj");
  EXPECT_EQ(Files(), (std::vector<std::string>{"00000000000000000001.meta",
                                               "00000000000000000001.obj"}));
  // The .meta records both: the catalog's identity of the object, and the
  // content.
  cache_format::EntryMeta meta;
  ASSERT_TRUE(cache_format::DecodeMeta(
                  env_->ReadFileToString(std::string(kDir) +
                                         "/00000000000000000001.meta")
                      .value(),
                  &meta)
                  .ok());
  EXPECT_EQ(meta.key, "cold/seg-1.pack");
  EXPECT_EQ(meta.size, object.size());
  EXPECT_EQ(meta.crc32c, Crc(object));
  EXPECT_EQ(meta.content_size, 2 * object.size());
  EXPECT_EQ(meta.content_crc32c, Crc(Expanded(object)));
  MustFetch(cache.get(), "cold/seg-1.pack");
  EXPECT_EQ(calls(), 1);
  EXPECT_TRUE(cache->Verify(*e).ok());
  auto st = cache->stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.bytes_cached, 200u);  // content bytes
  // The stale check compares the object: a new version is refetched.
  PutObject("cold/seg-1.pack", 150);
  auto fresh = MustFetch(cache.get(), "cold/seg-1.pack");
  EXPECT_EQ(calls(), 2);
  e.reset();
  EXPECT_EQ(cache->stats().bytes_cached, 300u);
}

TEST_F(ObjectCacheTest, TheBudgetCountsContentBytes) {
  transformed_ = true;
  auto cache = OpenCache(400);  // two 100-byte objects, 200 bytes each
  for (const char* k : {"a", "b", "c"}) {
    PutObject(k);
    MustFetch(cache.get(), k);
  }
  EXPECT_EQ(KeysOnDisk(), (std::vector<std::string>{"b", "c"}));
  auto st = cache->stats();
  EXPECT_EQ(st.bytes_cached, 400u);
  EXPECT_EQ(st.evictions, 1u);
  cache.reset();
  cache = OpenCache(200);
  EXPECT_EQ(cache->open_report().restored_bytes, 400u);
  EXPECT_EQ(KeysOnDisk(), std::vector<std::string>{"c"});
  EXPECT_EQ(cache->stats().bytes_cached, 200u);
}

TEST_F(ObjectCacheTest, RestartRestoresTransformedEntries) {
  transformed_ = true;
  PutObject("a");
  PutObject("b", 300);
  std::map<std::string, std::string> path_of;
  {
    auto cache = OpenCache(10000);
    for (const char* k : {"a", "b"})
      path_of[k] = MustFetch(cache.get(), k)->path();
  }
  {
    auto cache = OpenCache(10000);
    EXPECT_EQ(cache->open_report().restored_entries, 2u);
    EXPECT_EQ(cache->open_report().restored_bytes, 800u);
    EXPECT_EQ(cache->open_report().damaged_removed, 0u);
    MustFetch(cache.get(), "a");
    MustFetch(cache.get(), "b");
    EXPECT_EQ(calls(), 2);  // checked, not downloaded
  }
  // An .obj of the object's size is not one of the content's: damaged.
  Overwrite(path_of["b"], objects_["b"]);
  auto cache = OpenCache(10000, /*verify_on_open=*/true);
  EXPECT_EQ(cache->open_report().restored_entries, 1u);
  EXPECT_EQ(cache->open_report().damaged_removed, 1u);
  EXPECT_FALSE(env_->FileExists(path_of["b"]));
  MustFetch(cache.get(), "b");
  EXPECT_EQ(calls(), 3);
}

TEST_F(ObjectCacheTest, AFlippedByteInATransformedEntryIsFound) {
  transformed_ = true;
  PutObject("k");
  std::string path;
  {
    auto cache = OpenCache(1000);
    auto e = MustFetch(cache.get(), "k");
    FlipByte(e->path(), 150);  // past the object's size
    Status s = cache->Verify(*e);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find("'k'"), std::string::npos);
    e.reset();
    path = MustFetch(cache.get(), "k")->path();
    EXPECT_EQ(calls(), 2);
    EXPECT_EQ(cache->stats().corrupt_entries, 1u);
  }
  // Same size: restored at Open, found at the first fetch, fetched again.
  FlipByte(path, 7);
  auto cache = OpenCache(1000);
  EXPECT_EQ(cache->open_report().restored_entries, 1u);
  MustFetch(cache.get(), "k");
  EXPECT_EQ(calls(), 3);
  EXPECT_FALSE(env_->FileExists(path));
  EXPECT_EQ(cache->stats().corrupt_entries, 1u);
  EXPECT_EQ(cache->stats().entries, 1u);
}

TEST_F(ObjectCacheTest, AFailedTransformLeavesNothing) {
  PutObject("cold/seg-2.pack");
  ObjectCache::Options opts;
  opts.dir = kDir;
  opts.capacity_bytes = 1000;
  // Fails without writing, or after writing half of the output (and of a
  // temporary file beside it).
  Status fail_with = Status::Corruption("cold pack: chunk 3 crc mismatch");
  bool write_half = false;
  opts.transform = [&](Env* env, const std::string& in,
                       const std::string& out) -> Status {
    if (write_half) {
      PDB_ASSIGN_OR_RETURN(std::string object, env->ReadFileToString(in));
      const std::string half = object.substr(0, object.size() / 2);
      PDB_RETURN_IF_ERROR(WriteDurably(env, out + ".tmp", half));
      PDB_RETURN_IF_ERROR(WriteDurably(env, out, half));
    }
    return fail_with;
  };
  auto opened = ObjectCache::Open(env_.get(), &store_, opts);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ObjectCache* cache = opened->get();
  for (bool half : {false, true}) {
    SCOPED_TRACE(half);
    write_half = half;
    auto r = Fetch(cache, "cold/seg-2.pack");
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("cold/seg-2.pack"), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("chunk 3"), std::string::npos);
    EXPECT_TRUE(Files().empty());
  }
  fail_with = Status::IOError("decode: no space left");
  auto r = Fetch(cache, "cold/seg-2.pack");
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
  EXPECT_TRUE(Files().empty());
  // A transform that says OK without writing its output.
  write_half = false;
  fail_with = Status::OK();
  r = Fetch(cache, "cold/seg-2.pack");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(Files().empty());
  auto st = cache->stats();
  EXPECT_EQ(st.fill_failures, 4u);
  EXPECT_EQ(st.entries, 0u);
  EXPECT_EQ(st.bytes_cached, 0u);
}

TEST_F(ObjectCacheTest, FaultsDuringTheTransformsWriteLeaveNothing) {
  transformed_ = true;
  FaultInjectionEnv fenv(env_.get());
  auto cache = OpenCache(1000, false, &fenv);
  PutObject("k");
  std::vector<std::function<void()>> faults = {
      [&] { fenv.FailAppends(EIO, 1); },  // the .dec's only append
      [&] {
        fenv.SetPartialAppend(true);
        fenv.FailAppends(ENOSPC, 1);
      },
      [&] { fenv.FailSyncs(1); },
  };
  for (size_t i = 0; i < faults.size(); ++i) {
    SCOPED_TRACE(i);
    faults[i]();
    auto r = Fetch(cache.get(), "k");
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("'k'"), std::string::npos);
    EXPECT_TRUE(Files().empty());
    fenv.ClearFaults();
    fenv.SetPartialAppend(false);
  }
  EXPECT_EQ(cache->stats().fill_failures, faults.size());
  MustFetch(cache.get(), "k");
}

TEST_F(ObjectCacheTest, LeftoversOfATransformAreRemovedAtOpen) {
  ASSERT_TRUE(env_->CreateDirIfMissing(kDir).ok());
  const std::string dir = std::string(kDir) + "/";
  Overwrite(dir + "00000000000000000004.fill", "the download");
  Overwrite(dir + "00000000000000000004.dec", "decoded");
  Overwrite(dir + "00000000000000000005.dec.tmp", "half decoded");
  Overwrite(dir + "00000000000000000006.meta", "a meta without its obj");
  Overwrite(dir + "00000000000000000006.dec", "renamed next");
  auto cache = OpenCache(1000);
  EXPECT_EQ(cache->open_report().temp_removed, 4u);
  EXPECT_EQ(cache->open_report().damaged_removed, 1u);
  EXPECT_TRUE(cache->strays().empty());
  EXPECT_TRUE(Files().empty());
  PutObject("k");
  EXPECT_EQ(MustFetch(cache.get(), "k")->path(),
            dir + "00000000000000000007.obj");
}

// An entry written before transforms (a version 1 .meta): restored, its
// content the object.
TEST_F(ObjectCacheTest, AVersion1MetaRecordStillRestores) {
  const std::string object = PutObject("cold/seg-3.pdb");
  ASSERT_TRUE(env_->CreateDirIfMissing(kDir).ok());
  const std::string dir = std::string(kDir) + "/";
  Overwrite(dir + "00000000000000000009.obj", object);
  Overwrite(dir + "00000000000000000009.meta",
            MetaV1("cold/seg-3.pdb", object.size(), Crc(object)));
  auto cache = OpenCache(1000);
  EXPECT_EQ(cache->open_report().restored_entries, 1u);
  EXPECT_EQ(cache->open_report().restored_bytes, 100u);
  EXPECT_EQ(cache->open_report().damaged_removed, 0u);
  auto e = MustFetch(cache.get(), "cold/seg-3.pdb");
  EXPECT_EQ(e->path(), dir + "00000000000000000009.obj");
  EXPECT_EQ(calls(), 0);
  EXPECT_TRUE(cache->Verify(*e).ok());
}

// The real thing: a segment file packed into the store, fetched through a
// cache whose transform decodes cold packs, on the real file system.
TEST_F(ObjectCacheTest, AColdPackIsServedAsItsSegmentFile) {
  test_util::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  Env* posix = Env::Default();
  constexpr uint32_t kDim = 8;
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back("id-" + std::to_string(100 + i));
  std::vector<float> vectors;
  for (size_t i = 0; i < ids.size() * kDim; ++i) {
    vectors.push_back(i % 3 == 0 ? 0.0f : static_cast<float>(i) * 0.25f);
  }
  const std::string seg_path = tmp.path() + "/seg.pdb";
  Status s = segment::WriteSegment(
      posix, seg_path, {7, kDim, Metric::kEuclidean}, ids.size(),
      [&](size_t i) {
        return segment::SegmentRow{ids[i], vectors.data() + i * kDim,
                                   R"({"n":1})", 1 + i};
      },
      [](size_t i) { return i % 10 == 3; });
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string segment_file = posix->ReadFileToString(seg_path).value();
  auto pack = segment::EncodeColdPack(segment_file);
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  LocalObjectStore store(posix, tmp.path() + "/store");
  ASSERT_TRUE(store.Put("cold/seg-7.pack", *pack).ok());

  ObjectCache::Options opts;
  opts.dir = tmp.path() + "/cache";
  opts.capacity_bytes = 1 << 20;
  opts.transform = DecodePack;
  for (int round = 0; round < 2; ++round) {  // a fill, then a restart
    SCOPED_TRACE(round);
    auto cache = ObjectCache::Open(posix, &store, opts);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    EXPECT_EQ((*cache)->open_report().restored_entries, uint64_t(round));
    auto e = (*cache)->Fetch("cold/seg-7.pack", pack->size(), Crc(*pack));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ((*e)->size(), pack->size());
    EXPECT_EQ((*e)->content_size(), segment_file.size());
    EXPECT_EQ((*e)->content_crc32c(), Crc(segment_file));
    auto mapped = posix->MapFile((*e)->path());
    ASSERT_TRUE(mapped.ok());
    EXPECT_TRUE(std::string((*mapped)->data(), (*mapped)->size()) ==
                segment_file);
    EXPECT_EQ((*cache)->stats().bytes_cached, segment_file.size());
  }
  auto names = posix->GetChildren(opts.dir);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2u);

  // A damaged pack the catalog vouches for (its size and CRC are the ones
  // asked for): the decoder's kCorruption comes through, nothing stays.
  std::string bad = *pack;
  bad[bad.size() - 5] ^= 0x40;
  ASSERT_TRUE(store.Put("cold/seg-8.pack", bad).ok());
  auto cache = ObjectCache::Open(posix, &store, opts);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  auto e = (*cache)->Fetch("cold/seg-8.pack", bad.size(), Crc(bad));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsCorruption()) << e.status().ToString();
  EXPECT_NE(e.status().message().find("cold/seg-8.pack"), std::string::npos);
  EXPECT_NE(e.status().message().find("cold pack"), std::string::npos);
  names = posix->GetChildren(opts.dir);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2u);  // seg-7's entry only
}

TEST(ObjectCacheFormatTest, MetaRoundTripAndDamage) {
  cache_format::EntryMeta meta{"collections/c1/seg-1.pdb", 12345, 0xdeadbeef,
                               67890, 0x12345678};
  const std::string bytes = cache_format::EncodeMeta(meta);
  EXPECT_EQ(bytes.size(), cache_format::kMetaFixedBytes + meta.key.size() +
                              cache_format::kMetaTrailerBytes);
  EXPECT_EQ(DecodeFixed32(bytes.data() + 8), 2u);
  cache_format::EntryMeta back;
  ASSERT_TRUE(cache_format::DecodeMeta(bytes, &back).ok());
  EXPECT_EQ(back.key, meta.key);
  EXPECT_EQ(back.size, meta.size);
  EXPECT_EQ(back.crc32c, meta.crc32c);
  EXPECT_EQ(back.content_size, meta.content_size);
  EXPECT_EQ(back.content_crc32c, meta.content_crc32c);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 1;
    EXPECT_TRUE(cache_format::DecodeMeta(bad, &back).IsCorruption()) << i;
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_TRUE(
        cache_format::DecodeMeta(bytes.substr(0, n), &back).IsCorruption())
        << n;
  }
  EXPECT_TRUE(cache_format::DecodeMeta(bytes + "x", &back).IsCorruption());
}

TEST(ObjectCacheFormatTest, Version1RecordsDecodeWithTheObjectAsContent) {
  const std::string bytes = MetaV1("seg", 12345, 0xdeadbeef);
  EXPECT_EQ(bytes.size(), cache_format::kMetaV1FixedBytes + 3 +
                              cache_format::kMetaTrailerBytes);
  cache_format::EntryMeta back;
  ASSERT_TRUE(cache_format::DecodeMeta(bytes, &back).ok());
  EXPECT_EQ(back.key, "seg");
  EXPECT_EQ(back.size, 12345u);
  EXPECT_EQ(back.crc32c, 0xdeadbeefu);
  EXPECT_EQ(back.content_size, 12345u);
  EXPECT_EQ(back.content_crc32c, 0xdeadbeefu);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 1;
    EXPECT_TRUE(cache_format::DecodeMeta(bad, &back).IsCorruption()) << i;
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_TRUE(
        cache_format::DecodeMeta(bytes.substr(0, n), &back).IsCorruption())
        << n;
  }
}

TEST(ObjectCacheFormatTest, FileNames) {
  uint64_t seq = 0;
  EXPECT_EQ(cache_format::FileName(42, ".obj"), "00000000000000000042.obj");
  EXPECT_EQ(cache_format::ParseFileName("00000000000000000042.meta", &seq),
            cache_format::FileKind::kMeta);
  EXPECT_EQ(seq, 42u);
  EXPECT_EQ(cache_format::ParseFileName("18446744073709551615.fill", &seq),
            cache_format::FileKind::kFill);
  EXPECT_EQ(seq, UINT64_MAX);
  // A transform's output in progress is part of a fill.
  EXPECT_EQ(cache_format::ParseFileName("00000000000000000043.dec", &seq),
            cache_format::FileKind::kFill);
  EXPECT_EQ(seq, 43u);
  EXPECT_EQ(cache_format::ParseFileName("00000000000000000044.dec.tmp", &seq),
            cache_format::FileKind::kFill);
  EXPECT_EQ(seq, 44u);
  for (const char* stray :
       {"99999999999999999999.obj", "0000000000000000004x.obj",
        "00000000000000000042", "00000000000000000042.obj.tmp", "42.obj",
        "00000000000000000042.dec.tmp.1", "00000000000000000042.tmp", ".obj",
        ""}) {
    EXPECT_EQ(cache_format::ParseFileName(stray, &seq),
              cache_format::FileKind::kStray)
        << stray;
  }
}

}  // namespace
}  // namespace proximadb::object
