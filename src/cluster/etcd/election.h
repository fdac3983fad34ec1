// Election: one leader at a time for a key in etcd (a shard's primary, the
// cluster's coordinator), held under the candidate's Lease.
//
// Campaign() puts the key with the lease in a Txn guarded by
// "create_revision(key) == 0" (nobody holds it); when someone does, it
// watches the key until it is deleted (the holder resigned, or its lease
// expired or was revoked) and tries again. The winner's put creates the key,
// so the key's create_revision is the FENCING TOKEN of this term: etcd's
// revisions only grow, so every later leader has a higher token than every
// earlier one.
//
// How the token is used (docs/CLUSTER.md): every log entry a primary writes
// carries its token, and a write (or an entry) whose token is lower than the
// current leader's is refused. A primary that was paused or cut off longer
// than its lease and comes back still believing it leads is thereby fenced:
// its writes carry the old, lower token. Callers that must check before
// acting use Verify(), a Txn on "create_revision(key) == token".
//
// Losing the lease (Lease::OnLost) ends the leadership: the on_lost callback
// runs once (on the lease's thread). A paused process learns nothing until it
// runs again; the fencing token is what protects the others meanwhile.
//
// Thread-safety: safe for concurrent use; Campaign() blocks the caller (one
// campaign at a time per Election). Destroy it before its client and lease.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cluster/etcd/etcd_client.h"
#include "util/mutex.h"

namespace proximadb::cluster {

struct LeaderInfo {
  std::string value;          // what the leader put (e.g. its node id)
  int64_t fencing_token = 0;  // the key's create_revision
  int64_t lease = 0;
};

class Election {
 public:
  // `key`: the election's key (e.g. "/proximadb/<ns>/shards/<c>/<s>/primary");
  // `lease`: the candidate's lease, kept alive by its owner.
  Election(EtcdClient* client, Lease* lease, std::string key);
  ~Election();
  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;

  // Blocks until this candidate leads (returns its fencing token), the
  // timeout passes (kUnavailable), Cancel() is called (kUnavailable), the
  // lease is gone (kFailedPrecondition), or etcd fails. When the key
  // already carries this candidate's lease (a campaign repeated after a
  // lost reply), that term is taken over. `on_lost` runs once when the
  // leadership won here is lost with the lease.
  Result<int64_t> Campaign(const std::string& value,
                           std::chrono::milliseconds timeout,
                           std::function<void()> on_lost = nullptr);
  // Stops a Campaign() blocked in another thread.
  void Cancel();

  // The current leader; kNotFound when there is none.
  Result<LeaderInfo> Leader();
  // True while this candidate led, from its own view (no request).
  bool is_leader() const;
  // The token won by the last Campaign() (0 before).
  int64_t fencing_token() const;
  // Asks etcd whether this candidate still leads (its term's key is there):
  // OK, or kFailedPrecondition naming the current leader's token.
  Status Verify();
  // Deletes the key if this term still holds it; OK when it did not.
  Status Resign();

 private:
  EtcdClient* const client_;
  Lease* const lease_;
  const std::string key_;
  mutable Mutex mu_;
  CondVar cv_;
  bool cancelled_ GUARDED_BY(mu_) = false;
  // Set by the watch on the holder's key when that key goes.
  bool holder_gone_ GUARDED_BY(mu_) = false;
  // The term's state, shared with the lease's loss listener (which may
  // outlive this object).
  struct Term {
    Mutex mu;
    bool leader GUARDED_BY(mu) = false;
    int64_t token GUARDED_BY(mu) = 0;
    // Bumped per term: a loss reported for an older term is ignored.
    int64_t number GUARDED_BY(mu) = 0;
    std::function<void()> on_lost GUARDED_BY(mu);
  };
  const std::shared_ptr<Term> term_;
};

}  // namespace proximadb::cluster
