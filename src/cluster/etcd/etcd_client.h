// EtcdClient: a small C++ client of etcd's v3 API (etcd 3.4), over the gRPC
// stubs generated at build time from golang-etcd-server-dev's protos (the
// `etcdpb` library). What the cluster needs and nothing more: KV (Get,
// GetPrefix, Put, Delete), Txn with compares, leases that keep themselves
// alive (Lease), and watches that reconnect (Watcher). Elections are built on
// top of these (election.h).
//
// Errors are values: every call returns a Status or a Result, and every
// unary call carries a deadline (EtcdOptions::request_timeout), so no call
// hangs when etcd is gone. gRPC codes map to our codes: UNAVAILABLE and
// DEADLINE_EXCEEDED -> kUnavailable, NOT_FOUND -> kNotFound (an unknown
// lease), OUT_OF_RANGE -> kOutOfRange (a compacted revision),
// INVALID_ARGUMENT -> kInvalidArgument, FAILED_PRECONDITION ->
// kFailedPrecondition, RESOURCE_EXHAUSTED -> kResourceExhausted, the rest ->
// kInternal. Messages start with "etcd: " and name the endpoint.
//
// Several endpoints: a call that fails with UNAVAILABLE on one endpoint is
// tried on the next (within the same deadline), and the client then sticks
// to the endpoint that answered. A write retried this way may have been
// applied by the endpoint that failed (the reply was lost): callers that care
// guard their writes with Txn compares, as every writer in this project does.
//
// Thread-safety: EtcdClient is safe for concurrent use. Lease and Watcher
// objects are safe for concurrent use and must be destroyed before the client
// that made them; their destructors stop their background thread (no thread
// outlives them, and none waits longer than a request timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proximadb/status.h"
#include "util/mutex.h"

namespace etcdserverpb {
class KV;
class Lease;
class Watch;
}  // namespace etcdserverpb
namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace proximadb::cluster {

struct EtcdOptions {
  // "host:port" of etcd's client URLs (no scheme); tried in order, required.
  std::vector<std::string> endpoints;
  // How long Open() waits for the first endpoint to accept a connection
  // (default 2 s); Open() fails with kUnavailable when none does.
  std::chrono::milliseconds dial_timeout{2000};
  // Deadline of every unary call, fail-over included (default 5 s).
  std::chrono::milliseconds request_timeout{5000};
};

// One key as etcd stores it (mvccpb.KeyValue).
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // revision of the put that created it
  int64_t mod_revision = 0;     // revision of its last put
  int64_t version = 0;          // puts since it was created (1 after create)
  int64_t lease = 0;            // the lease it is attached to, 0 for none
};

// A read: the keys found and the store's revision when it was served.
struct RangeResult {
  int64_t revision = 0;
  std::vector<KeyValue> kvs;
};

// One condition of a Txn (etcdserverpb.Compare). A key that does not exist
// has version, create_revision, mod_revision and lease 0 (so
// CreateRevision(k, kEqual, 0) means "k does not exist"); a Value compare
// on it is false. With `prefix`, the condition must hold for every key
// under `key` (and for "no key" when there is none).
struct Compare {
  enum class Target { kValue, kVersion, kCreateRevision, kModRevision, kLease };
  enum class Op { kEqual, kNotEqual, kLess, kGreater };
  Target target = Target::kVersion;
  Op op = Op::kEqual;
  std::string key;
  bool prefix = false;
  std::string value;   // kValue
  int64_t number = 0;  // the other targets

  static Compare Value(std::string key, Op op, std::string value);
  static Compare Version(std::string key, Op op, int64_t version);
  static Compare CreateRevision(std::string key, Op op, int64_t revision);
  static Compare ModRevision(std::string key, Op op, int64_t revision);
  static Compare Lease(std::string key, Op op, int64_t lease);
};

// One operation of a Txn branch (etcdserverpb.RequestOp).
struct TxnOp {
  enum class Kind { kGet, kPut, kDelete };
  Kind kind = Kind::kGet;
  std::string key;
  bool prefix = false;  // kGet, kDelete: every key under `key`
  std::string value;    // kPut
  int64_t lease = 0;    // kPut

  static TxnOp Get(std::string key);
  static TxnOp GetPrefix(std::string prefix);
  static TxnOp Put(std::string key, std::string value, int64_t lease = 0);
  static TxnOp Delete(std::string key);
  static TxnOp DeletePrefix(std::string prefix);
};

// The answer to one TxnOp, in order.
struct TxnOpResult {
  TxnOp::Kind kind = TxnOp::Kind::kGet;
  std::vector<KeyValue> kvs;  // kGet
  int64_t deleted = 0;        // kDelete
};

struct TxnResult {
  bool succeeded = false;  // every compare held: the success branch ran
  int64_t revision = 0;    // the store's revision after the txn
  std::vector<TxnOpResult> responses;  // of the branch that ran
};

struct TxnRequest {
  std::vector<Compare> compares;
  std::vector<TxnOp> success;
  std::vector<TxnOp> failure;
};

// A watched change (mvccpb.Event).
struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  // For a delete: key and mod_revision (the revision of the delete) only.
  KeyValue kv;
};

// What a Watcher delivers: events in revision order, or an error after
// which nothing more comes (kOutOfRange when the start revision was
// compacted away: read the state again and watch from its revision).
struct WatchUpdate {
  Status status;
  std::vector<WatchEvent> events;
  int64_t revision = 0;  // the store's revision when this was sent
};

class EtcdClient;

// A lease that keeps itself alive: a background thread renews it every third
// of its TTL through LeaseKeepAlive. When a renewal cannot reach etcd before
// the lease's last known expiry, or etcd says it is gone (expired, revoked),
// the lease is lost: alive() turns false and the loss listeners run once
// (on the keep-alive thread; keep them short, never destroy the Lease from
// one). Destroying the Lease revokes it (best effort, one request timeout at
// most) so that its keys go at once.
class Lease {
 public:
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  int64_t id() const { return id_; }
  int64_t ttl_seconds() const { return ttl_; }
  // False once the lease is lost, revoked or past its last known expiry.
  bool alive() const;
  // Adds a listener for the loss; runs it now (on this thread) when the
  // lease is already lost.
  void OnLost(std::function<void()> listener);
  // Revokes it now: its keys are deleted; alive() turns false; the loss
  // listeners do not run (the caller knows).
  Status Revoke();
  // Stops renewing without revoking: the lease expires after its TTL, as
  // when the process is paused or cut off (tests use this). The loss is
  // not reported (nothing watches it any more), alive() follows the clock.
  void StopKeepAlive();

 private:
  friend class EtcdClient;
  Lease(EtcdClient* client, int64_t id, int64_t ttl);
  void Run();
  void MarkLost(bool notify);

  EtcdClient* const client_;
  const int64_t id_;
  const int64_t ttl_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool lost_ GUARDED_BY(mu_) = false;
  bool revoked_ GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point expiry_ GUARDED_BY(mu_);
  std::vector<std::function<void()>> listeners_ GUARDED_BY(mu_);
  grpc::ClientContext* inflight_ GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

// A watch on a key or a prefix from a revision: a background reader delivers
// updates to the callback in order (on its thread; never destroy the Watcher
// from it). When the stream breaks (etcd restarted, the endpoint went away)
// it reconnects, to the next endpoint too, and resumes after the last
// revision it delivered, so nothing is skipped or repeated. Destroying it
// (or Cancel()) stops the reader.
class Watcher {
 public:
  using Callback = std::function<void(const WatchUpdate&)>;
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Stops the reader; no callback runs after it returns. Idempotent.
  void Cancel();

 private:
  friend class EtcdClient;
  Watcher(EtcdClient* client, std::string key, bool prefix,
          int64_t from_revision, Callback callback);
  void Run();
  // One stream: Status of its end; `created` is set once etcd confirmed it.
  Status RunStream(bool* created, bool* fatal);

  EtcdClient* const client_;
  const std::string key_;
  const bool prefix_;
  const Callback callback_;
  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  int64_t next_revision_ GUARDED_BY(mu_);
  // The first stream's creation, for Watch() to wait on.
  bool started_ GUARDED_BY(mu_) = false;
  Status start_status_ GUARDED_BY(mu_);
  grpc::ClientContext* inflight_ GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

class EtcdClient {
 public:
  // Connects to the first endpoint that accepts within dial_timeout.
  static Result<std::unique_ptr<EtcdClient>> Open(const EtcdOptions& options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  const EtcdOptions& options() const { return options_; }
  // "etcd://127.0.0.1:2379,127.0.0.1:2380", for messages.
  std::string describe() const;

  // The key (kvs empty when absent).
  Result<RangeResult> Get(const std::string& key);
  // Every key under `prefix`, ordered by key.
  Result<RangeResult> GetPrefix(const std::string& prefix);
  // Returns the revision of the put.
  Result<int64_t> Put(const std::string& key, const std::string& value,
                      int64_t lease = 0);
  // Returns how many keys were deleted.
  Result<int64_t> Delete(const std::string& key);
  Result<int64_t> DeletePrefix(const std::string& prefix);
  Result<TxnResult> Txn(const TxnRequest& request);
  // Discards the history before `revision` (watches from earlier revisions
  // then fail with kOutOfRange).
  Status Compact(int64_t revision);

  // A lease of `ttl_seconds` (etcd may raise it to its minimum), not kept
  // alive: for GrantLease's users and tests.
  Result<int64_t> LeaseGrant(int64_t ttl_seconds);
  // kNotFound when etcd does not know it (expired or revoked).
  Status LeaseRevoke(int64_t id);
  // Its remaining TTL in seconds; kNotFound when it is gone.
  Result<int64_t> LeaseTimeToLive(int64_t id);
  // Grants a lease and keeps it alive until it is destroyed.
  Result<std::unique_ptr<Lease>> GrantLease(int64_t ttl_seconds);

  // Watches `key` (or every key under it with `prefix`) from
  // `from_revision` (0: from now). Returns once etcd confirmed the watch,
  // or its error.
  Result<std::unique_ptr<Watcher>> Watch(const std::string& key, bool prefix,
                                         int64_t from_revision,
                                         Watcher::Callback callback);

  // The first key after every key starting with `prefix` ("a/" -> "a0").
  static std::string PrefixEnd(const std::string& prefix);

 private:
  // LeaseGrant's call: the lease's id and the TTL etcd granted.
  Result<std::pair<int64_t, int64_t>> GrantIdAndTtl(int64_t ttl_seconds);
  friend class Lease;
  friend class Watcher;
  struct Endpoint;
  explicit EtcdClient(EtcdOptions options);

  // Runs `call` on the current endpoint, then on the next ones while it
  // fails with UNAVAILABLE, all within one deadline. `call` gets the
  // endpoint and a context carrying that deadline, and returns a Status.
  Status WithFailover(
      const std::string& what,
      const std::function<Status(Endpoint&, grpc::ClientContext&)>& call);
  // True once `ep` is connected, waiting (and so driving the connection)
  // until `until` at most.
  static bool Connect(Endpoint& ep,
                      std::chrono::steady_clock::time_point until);
  // The endpoint to use now (for the streams), and the one after it.
  Endpoint& Current();
  void Advance(const Endpoint& failed);

  const EtcdOptions options_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> current_{0};
};

}  // namespace proximadb::cluster
