#include "cluster/etcd/etcd_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "cluster_etcd/etcd_test_env.h"

namespace proximadb::cluster {
namespace {

using etcd_test::Options;
using etcd_test::TestPrefix;
using etcd_test::WaitFor;
using Op = Compare::Op;
using namespace std::chrono_literals;

std::unique_ptr<EtcdClient> Connect(const std::string& endpoint) {
  auto c = EtcdClient::Open(Options(endpoint));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(EtcdClientTest, PutGetDeleteAndRevisions) {
  PDB_ETCD_OR_SKIP(etcd);
  auto client = Connect(etcd.endpoint);
  ASSERT_TRUE(client);
  const std::string p = TestPrefix();

  auto absent = client->Get(p + "a");
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_TRUE(absent->kvs.empty());

  auto r1 = client->Put(p + "a", "1");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  auto r2 = client->Put(p + "a", "2");
  ASSERT_TRUE(r2.ok());
  EXPECT_GT(*r2, *r1);
  ASSERT_TRUE(client->Put(p + "b", "x").ok());
  ASSERT_TRUE(client->Put(p + "c/d", "y").ok());
  ASSERT_TRUE(client->Put(p.substr(0, p.size() - 1) + "0", "outside").ok());

  auto a = client->Get(p + "a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->kvs.size(), 1u);
  EXPECT_EQ(a->kvs[0].value, "2");
  EXPECT_EQ(a->kvs[0].create_revision, *r1);
  EXPECT_EQ(a->kvs[0].mod_revision, *r2);
  EXPECT_EQ(a->kvs[0].version, 2);
  EXPECT_EQ(a->kvs[0].lease, 0);
  EXPECT_GE(a->revision, *r2);

  auto all = client->GetPrefix(p);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->kvs.size(), 3u) << "the prefix only, ordered by key";
  EXPECT_EQ(all->kvs[0].key, p + "a");
  EXPECT_EQ(all->kvs[1].key, p + "b");
  EXPECT_EQ(all->kvs[2].key, p + "c/d");

  auto gone = client->Delete(p + "a");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, 1);
  gone = client->Delete(p + "a");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, 0);
  gone = client->DeletePrefix(p);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, 2);
  auto outside = client->Get(p.substr(0, p.size() - 1) + "0");
  ASSERT_TRUE(outside.ok());
  EXPECT_EQ(outside->kvs.size(), 1u) << "a prefix delete stays in its prefix";
  ASSERT_TRUE(client->Delete(p.substr(0, p.size() - 1) + "0").ok());
}

TEST(EtcdClientTest, TxnComparesPickTheBranch) {
  PDB_ETCD_OR_SKIP(etcd);
  auto client = Connect(etcd.endpoint);
  ASSERT_TRUE(client);
  const std::string k = TestPrefix() + "k";

  // Create-if-absent: create_revision == 0.
  TxnRequest create;
  create.compares = {Compare::CreateRevision(k, Op::kEqual, 0)};
  create.success = {TxnOp::Put(k, "v1")};
  create.failure = {TxnOp::Get(k)};
  auto t1 = client->Txn(create);
  ASSERT_TRUE(t1.ok()) << t1.status().ToString();
  EXPECT_TRUE(t1->succeeded);
  ASSERT_EQ(t1->responses.size(), 1u);
  EXPECT_EQ(t1->responses[0].kind, TxnOp::Kind::kPut);
  const int64_t created = t1->revision;

  auto t2 = client->Txn(create);
  ASSERT_TRUE(t2.ok());
  EXPECT_FALSE(t2->succeeded);
  ASSERT_EQ(t2->responses.size(), 1u);
  ASSERT_EQ(t2->responses[0].kvs.size(), 1u);
  EXPECT_EQ(t2->responses[0].kvs[0].value, "v1");
  EXPECT_EQ(t2->responses[0].kvs[0].create_revision, created);
  // The store's revision is shared with every other test on this etcd, so
  // "a failed txn writes nothing" is checked on the key itself.
  EXPECT_EQ(t2->responses[0].kvs[0].mod_revision, created)
      << "a failed txn writes nothing";
  EXPECT_EQ(t2->responses[0].kvs[0].version, 1);
  EXPECT_GE(t2->revision, created);

  // Value, version and mod revision, all at once.
  TxnRequest cas;
  cas.compares = {Compare::Value(k, Op::kEqual, "v1"),
                  Compare::Version(k, Op::kEqual, 1),
                  Compare::ModRevision(k, Op::kEqual, created),
                  Compare::CreateRevision(k, Op::kLess, created + 1)};
  cas.success = {TxnOp::Put(k, "v2"), TxnOp::Get(k)};
  auto t3 = client->Txn(cas);
  ASSERT_TRUE(t3.ok());
  EXPECT_TRUE(t3->succeeded);
  ASSERT_EQ(t3->responses.size(), 2u);
  ASSERT_EQ(t3->responses[1].kvs.size(), 1u);
  EXPECT_EQ(t3->responses[1].kvs[0].value, "v2");
  EXPECT_EQ(t3->responses[1].kvs[0].version, 2);

  auto t4 = client->Txn(cas);  // every compare is stale now
  ASSERT_TRUE(t4.ok());
  EXPECT_FALSE(t4->succeeded);

  // A compare over a prefix holds for every key under it.
  Compare none_newer =
      Compare::ModRevision(TestPrefix(), Op::kLess, t3->revision + 1);
  none_newer.prefix = true;
  TxnRequest guarded;
  guarded.compares = {none_newer};
  guarded.success = {TxnOp::Delete(k)};
  auto t5 = client->Txn(guarded);
  ASSERT_TRUE(t5.ok());
  EXPECT_TRUE(t5->succeeded);
  ASSERT_EQ(t5->responses.size(), 1u);
  EXPECT_EQ(t5->responses[0].deleted, 1);
}

TEST(EtcdClientTest, LeaseKeptAliveThenExpiresWhenKeepAliveStops) {
  PDB_ETCD_OR_SKIP(etcd);
  auto client = Connect(etcd.endpoint);
  ASSERT_TRUE(client);
  const std::string k = TestPrefix() + "leased";
  auto lease = client->GrantLease(2);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  ASSERT_TRUE(client->Put(k, "v", (*lease)->id()).ok());
  auto got = client->Get(k);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].lease, (*lease)->id());

  std::this_thread::sleep_for(3500ms);  // past the TTL: renewed
  EXPECT_TRUE((*lease)->alive());
  got = client->Get(k);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->kvs.size(), 1u) << "kept alive beyond its TTL";

  (*lease)->StopKeepAlive();  // the process "paused"
  EXPECT_TRUE(WaitFor(
      [&] {
        auto g = client->Get(k);
        return g.ok() && g->kvs.empty();
      },
      5000ms))
      << "the key goes with the lease";
  EXPECT_FALSE((*lease)->alive());
  EXPECT_EQ(client->LeaseTimeToLive((*lease)->id()).status().code(),
            StatusCode::kNotFound);
}

TEST(EtcdClientTest, ALeaseRevokedElsewhereIsReportedLost) {
  PDB_ETCD_OR_SKIP(etcd);
  auto client = Connect(etcd.endpoint);
  auto other = Connect(etcd.endpoint);
  ASSERT_TRUE(client && other);
  auto lease = client->GrantLease(2);
  ASSERT_TRUE(lease.ok());
  std::atomic<int> lost{0};
  (*lease)->OnLost([&] { ++lost; });
  ASSERT_TRUE(other->LeaseRevoke((*lease)->id()).ok());
  EXPECT_TRUE(WaitFor([&] { return lost.load() == 1; }, 3000ms));
  EXPECT_FALSE((*lease)->alive());
  int late = 0;
  (*lease)->OnLost([&] { ++late; });
  EXPECT_EQ(late, 1) << "a listener added after the loss runs at once";
  EXPECT_EQ(other->LeaseRevoke((*lease)->id()).code(), StatusCode::kNotFound);
}

TEST(EtcdClientTest, WatchDeliversPutsAndDeletesInOrderFromARevision) {
  PDB_ETCD_OR_SKIP(etcd);
  auto client = Connect(etcd.endpoint);
  ASSERT_TRUE(client);
  const std::string p = TestPrefix();
  auto first = client->Put(p + "a", "1");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(client->Put(p + "b", "2").ok());
  ASSERT_TRUE(client->Delete(p + "a").ok());

  Mutex mu;
  std::vector<WatchEvent> seen;
  Status error;
  auto watcher = client->Watch(p, true, *first, [&](const WatchUpdate& u) {
    MutexLock l(&mu);
    if (!u.status.ok()) error = u.status;
    seen.insert(seen.end(), u.events.begin(), u.events.end());
  });
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  ASSERT_TRUE(client->Put(p + "b", "3").ok());
  ASSERT_TRUE(client->Put(p.substr(0, p.size() - 1) + "0", "outside").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock l(&mu);
        return seen.size() >= 4;
      },
      3000ms));
  (*watcher)->Cancel();
  MutexLock l(&mu);
  EXPECT_TRUE(error.ok()) << error.ToString();
  ASSERT_EQ(seen.size(), 4u) << "the history from the revision, then live";
  EXPECT_EQ(seen[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(seen[0].kv.key, p + "a");
  EXPECT_EQ(seen[0].kv.mod_revision, *first);
  EXPECT_EQ(seen[1].kv.key, p + "b");
  EXPECT_EQ(seen[1].kv.value, "2");
  EXPECT_EQ(seen[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(seen[2].kv.key, p + "a");
  EXPECT_EQ(seen[3].type, WatchEvent::Type::kPut);
  EXPECT_EQ(seen[3].kv.value, "3");
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i].kv.mod_revision, seen[i - 1].kv.mod_revision);
  }
  ASSERT_TRUE(client->Delete(p.substr(0, p.size() - 1) + "0").ok());
}

TEST(EtcdClientTest, AWatchFromACompactedRevisionIsAnError) {
  PDB_ETCD_OR_SKIP(etcd);
  etcd_test::OwnEtcd own;  // compaction is global: not on the shared etcd
  ASSERT_TRUE(own.Start());
  auto client = Connect(own.endpoint());
  ASSERT_TRUE(client);
  const std::string k = TestPrefix() + "k";
  auto first = client->Put(k, "1");
  ASSERT_TRUE(first.ok());
  auto last = client->Put(k, "2");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(client->Compact(*last).ok());

  Mutex mu;
  Status error;
  int events = 0;
  auto watcher = client->Watch(k, false, *first, [&](const WatchUpdate& u) {
    MutexLock l(&mu);
    if (!u.status.ok()) error = u.status;
    events += static_cast<int>(u.events.size());
  });
  Status got = watcher.status();
  if (watcher.ok()) {
    ASSERT_TRUE(WaitFor(
        [&] {
          MutexLock l(&mu);
          return !error.ok();
        },
        3000ms));
    MutexLock l(&mu);
    got = error;
    EXPECT_EQ(events, 0);
  }
  EXPECT_EQ(got.code(), StatusCode::kOutOfRange) << got.ToString();
  EXPECT_NE(got.message().find("compacted"), std::string::npos);
}

// etcd restarted under a watch and a lease: the watch resumes after the
// last revision it delivered (nothing lost, nothing twice), the lease
// survives a restart shorter than its TTL, and calls work again.
TEST(EtcdClientTest, WatchAndLeaseSurviveAnEtcdRestart) {
  PDB_ETCD_OR_SKIP(etcd);
  etcd_test::OwnEtcd own;
  ASSERT_TRUE(own.Start());
  auto client = Connect(own.endpoint());
  ASSERT_TRUE(client);
  auto lease = client->GrantLease(6);
  ASSERT_TRUE(lease.ok());
  std::atomic<bool> lost{false};
  (*lease)->OnLost([&] { lost = true; });
  Mutex mu;
  std::vector<std::string> seen;
  auto watcher = client->Watch("w/", true, 0, [&](const WatchUpdate& u) {
    MutexLock l(&mu);
    if (!u.status.ok()) seen.push_back("error " + u.status.ToString());
    for (const auto& e : u.events) seen.push_back(e.kv.value);
  });
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  ASSERT_TRUE(client->Put("w/a", "1").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock l(&mu);
        return seen.size() == 1;
      },
      3000ms));

  ASSERT_TRUE(own.Restart());
  Status put;
  ASSERT_TRUE(WaitFor(
      [&] {
        put = client->Put("w/b", "2").status();
        return put.ok();
      },
      5000ms))
      << "calls work again once etcd is back: " << put.ToString();
  ASSERT_TRUE(client->Put("w/c", "3").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock l(&mu);
        return seen.size() >= 3;
      },
      5000ms));
  std::this_thread::sleep_for(200ms);
  {
    MutexLock l(&mu);
    EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3"}));
  }
  EXPECT_TRUE((*lease)->alive());
  EXPECT_FALSE(lost.load());
  auto ttl = client->LeaseTimeToLive((*lease)->id());
  EXPECT_TRUE(ttl.ok()) << ttl.status().ToString();
}

TEST(EtcdClientTest, FailsOverToTheNextEndpoint) {
  PDB_ETCD_OR_SKIP(etcd);
  etcd_test::OwnEtcd dead;  // started and stopped: its port refuses
  ASSERT_TRUE(dead.Start());
  dead.Stop();
  EtcdOptions o = Options(etcd.endpoint);
  o.endpoints = {dead.endpoint(), etcd.endpoint};
  auto client = EtcdClient::Open(o);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  const std::string k = TestPrefix() + "k";
  ASSERT_TRUE((*client)->Put(k, "v").ok());
  auto got = (*client)->Get(k);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->kvs.size(), 1u);
}

// etcd gone: every call fails kUnavailable within its deadline, the lease
// reports its loss, and the watcher and lease stop without hanging.
TEST(EtcdClientTest, EtcdStoppedCallsFailUnavailableWithoutHanging) {
  PDB_ETCD_OR_SKIP(etcd);
  etcd_test::OwnEtcd own;
  ASSERT_TRUE(own.Start());
  EtcdOptions o = Options(own.endpoint());
  o.request_timeout = 1000ms;
  o.dial_timeout = 500ms;
  auto client = EtcdClient::Open(o);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  ASSERT_TRUE((*client)->Put("k", "v").ok());
  auto lease = (*client)->GrantLease(2);
  ASSERT_TRUE(lease.ok());
  std::atomic<bool> lost{false};
  (*lease)->OnLost([&] { lost = true; });
  auto watcher = (*client)->Watch("k", false, 0, [](const WatchUpdate&) {});
  ASSERT_TRUE(watcher.ok());

  own.Stop();
  // Each call gives up at its deadline (it waits for etcd to come back
  // until then), not later.
  auto timed = [&](auto&& call) {
    const auto start = std::chrono::steady_clock::now();
    Status s = call();
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              o.request_timeout + 500ms);
    return s;
  };
  Status got = timed([&] { return (*client)->Get("k").status(); });
  EXPECT_EQ(got.code(), StatusCode::kUnavailable) << got.ToString();
  EXPECT_EQ(timed([&] { return (*client)->Put("k", "w").status(); }).code(),
            StatusCode::kUnavailable);
  TxnRequest txn;
  txn.success = {TxnOp::Get("k")};
  EXPECT_EQ(timed([&] { return (*client)->Txn(txn).status(); }).code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(WaitFor([&] { return lost.load(); }, 4000ms))
      << "no renewal before the lease's expiry: lost";
  EXPECT_FALSE((*lease)->alive());

  const auto stop = std::chrono::steady_clock::now();
  watcher->reset();
  lease->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, 2 * o.request_timeout);

  auto reopen = EtcdClient::Open(o);
  EXPECT_EQ(reopen.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace proximadb::cluster
