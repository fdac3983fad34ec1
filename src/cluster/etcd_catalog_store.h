// EtcdCatalogStore: the catalog (collections and aliases) in etcd, for the
// cluster (catalog_store.h has the contract; docs/FORMATS.md, "etcd keys",
// every key). Under /proximadb/<namespace>/:
//   id                  the catalog's id (32 hex digits), put once
//   owner               the claiming process ("host pid N"), under its lease
//   collections/<name>  EncodeCollectionDef
//   aliases/<alias>     the collection's name
//
// The claim is the owner key, put with this store's lease in a Txn guarded
// by "create_revision(owner) == 0"; it lasts while the lease is kept alive
// and ends when the store is destroyed (the lease is revoked, so the key
// goes at once) or when the lease is lost (then every later write is
// refused with kFailedPrecondition until Claim() succeeds again).
//
// Every change is ONE Txn guarded by the owner key's create_revision (the
// claim we made: a namespace claimed by another process since refuses the
// write) and by the mod revisions of what the change was decided on (so a
// change made outside this process between the read and the write is
// never overwritten); a Txn that fails on the latter is decided again
// from a fresh read, a bounded number of times. Writes of one store are
// also serialized in-process, so its own threads never conflict.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/catalog_store.h"
#include "cluster/etcd/etcd_client.h"
#include "util/mutex.h"

namespace proximadb::cluster {

struct EtcdCatalogOptions {
  EtcdOptions etcd;
  // [catalog] namespace: letters, digits, '_', '-', '.'; required.
  std::string ns;
  // TTL of the claim's lease (default 10 s): how long a namespace whose
  // holder died stays claimed.
  int64_t lease_ttl_seconds = 10;
  // Who claims, for the message a second claimant gets (default
  // "<hostname> pid <pid>").
  std::string holder;
  // How many times a change whose guards failed is decided again
  // (default 10), then kUnavailable.
  int max_conflict_retries = 10;
};

class EtcdCatalogStore : public CatalogStore {
 public:
  static Result<std::unique_ptr<EtcdCatalogStore>> Open(
      const EtcdCatalogOptions& options);
  ~EtcdCatalogStore() override;
  EtcdCatalogStore(const EtcdCatalogStore&) = delete;
  EtcdCatalogStore& operator=(const EtcdCatalogStore&) = delete;

  std::string backend() const override { return "etcd"; }
  std::string describe() const override;

  Result<CatalogIdentity> Claim() override;
  Result<std::vector<CollectionDef>> ListCollections() override;
  Status CreateCollection(const CollectionDef& def) override;
  Status UpdateCollection(const CollectionDef& def) override;
  Status BeginDrop(const std::string& name) override;
  Status FinishDrop(const std::string& name) override;
  Result<std::vector<AliasInfo>> ListAliases() override;
  Status UpdateAliases(const std::vector<AliasAction>& actions) override;

  // The key prefix of this namespace: "/proximadb/<ns>/".
  const std::string& prefix() const { return prefix_; }

 private:
  struct Snapshot;
  // Decides a change on a snapshot: fills `txn`'s compares (besides the
  // owner's) and success ops, or returns the caller's error.
  using Decide = std::function<Status(const Snapshot&, TxnRequest* txn)>;

  EtcdCatalogStore(EtcdCatalogOptions options,
                   std::unique_ptr<EtcdClient> client);
  Result<Snapshot> Read();
  // Read, decide, Txn guarded by the claim; again on a conflict.
  Status Change(const std::string& what, const Decide& decide);
  // OK while the claim holds; the refusal otherwise.
  Status CheckClaim() REQUIRES(write_mu_);

  const EtcdCatalogOptions options_;
  const std::string prefix_;
  std::unique_ptr<EtcdClient> client_;
  // Serializes this store's changes (and Claim).
  Mutex write_mu_;
  std::unique_ptr<Lease> lease_ GUARDED_BY(write_mu_);
  int64_t owner_revision_ GUARDED_BY(write_mu_) = 0;  // 0: not claimed
  // Set by the lease's loss listener (another thread).
  struct LostFlag;
  std::shared_ptr<LostFlag> lost_;
};

}  // namespace proximadb::cluster
