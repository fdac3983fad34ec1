#include "cluster/etcd_catalog_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>

#include "util/uuid.h"

namespace proximadb::cluster {

using Op = Compare::Op;

struct EtcdCatalogStore::LostFlag {
  std::atomic<bool> lost{false};
};

// The namespace as read at one revision.
struct EtcdCatalogStore::Snapshot {
  int64_t revision = 0;
  struct Collection {
    CollectionDef def;
    int64_t mod_revision = 0;
  };
  struct Alias {
    std::string collection;
    int64_t mod_revision = 0;
  };
  std::map<std::string, Collection> collections;
  std::map<std::string, Alias> aliases;

  // The kReady collection `name` (kNotFound otherwise), its key guarded in
  // `txn` by the revision it was read at.
  Result<const Collection*> GuardReady(const std::string& prefix,
                                       const std::string& name,
                                       TxnRequest* txn) const;

  std::vector<std::string> Ready() const {
    std::vector<std::string> out;
    for (const auto& [name, c] : collections) {
      if (c.def.state == CollectionDef::State::kReady) out.push_back(name);
    }
    return out;
  }
  std::vector<std::string> Dropping() const {
    std::vector<std::string> out;
    for (const auto& [name, c] : collections) {
      if (c.def.state == CollectionDef::State::kDropping) out.push_back(name);
    }
    return out;
  }
};

namespace {

constexpr const char* kCollections = "collections/";
constexpr const char* kAliases = "aliases/";

bool ValidNamespace(const std::string& ns) {
  if (ns.empty() || ns.size() > 128) return false;
  return std::all_of(ns.begin(), ns.end(), [](char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
           c == '.';
  });
}

std::string DefaultHolder() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "unknown-host") + " pid " +
         std::to_string(getpid());
}

}  // namespace

Result<const EtcdCatalogStore::Snapshot::Collection*>
EtcdCatalogStore::Snapshot::GuardReady(const std::string& prefix,
                                       const std::string& name,
                                       TxnRequest* txn) const {
  auto it = collections.find(name);
  if (it == collections.end() ||
      it->second.def.state != CollectionDef::State::kReady) {
    return Status::NotFound("collection '" + name + "' does not exist");
  }
  txn->compares.push_back(Compare::ModRevision(prefix + kCollections + name,
                                               Compare::Op::kEqual,
                                               it->second.mod_revision));
  return &it->second;
}

EtcdCatalogStore::EtcdCatalogStore(EtcdCatalogOptions options,
                                   std::unique_ptr<EtcdClient> client)
    : options_(std::move(options)),
      prefix_("/proximadb/" + options_.ns + "/"),
      client_(std::move(client)),
      lost_(std::make_shared<LostFlag>()) {}

EtcdCatalogStore::~EtcdCatalogStore() {
  MutexLock l(&write_mu_);
  lease_.reset();  // revokes it: the owner key goes now
}

Result<std::unique_ptr<EtcdCatalogStore>> EtcdCatalogStore::Open(
    const EtcdCatalogOptions& options) {
  if (!ValidNamespace(options.ns)) {
    return Status::InvalidArgument(
        "catalog namespace '" + options.ns +
        "' must be 1-128 letters, digits, '_', '-' or '.'");
  }
  if (options.lease_ttl_seconds < 2) {
    return Status::InvalidArgument("etcd catalog: lease TTL below 2 s");
  }
  PDB_ASSIGN_OR_RETURN(auto client, EtcdClient::Open(options.etcd));
  EtcdCatalogOptions o = options;
  if (o.holder.empty()) o.holder = DefaultHolder();
  return std::unique_ptr<EtcdCatalogStore>(
      new EtcdCatalogStore(std::move(o), std::move(client)));
}

std::string EtcdCatalogStore::describe() const {
  return client_->describe() + prefix_;
}

Result<CatalogIdentity> EtcdCatalogStore::Claim() {
  MutexLock l(&write_mu_);
  lease_.reset();  // a claim made earlier (and lost) is dropped
  owner_revision_ = 0;
  lost_ = std::make_shared<LostFlag>();
  PDB_ASSIGN_OR_RETURN(lease_, client_->GrantLease(options_.lease_ttl_seconds));
  lease_->OnLost([flag = lost_] { flag->lost = true; });

  const std::string owner = prefix_ + "owner";
  TxnRequest claim;
  claim.compares.push_back(Compare::CreateRevision(owner, Op::kEqual, 0));
  claim.success.push_back(TxnOp::Put(owner, options_.holder, lease_->id()));
  claim.failure.push_back(TxnOp::Get(owner));
  auto r = client_->Txn(claim);
  if (!r.ok() || !r->succeeded) {
    lease_.reset();
    if (!r.ok()) return r.status();
    std::string holder = "another process";
    if (!r->responses.empty() && !r->responses[0].kvs.empty()) {
      holder = "'" + r->responses[0].kvs[0].value + "'";
    }
    return Status::FailedPrecondition(
        "catalog namespace '" + options_.ns + "' in " + client_->describe() +
        " is held by " + holder +
        " (one server per namespace; it is free once that server stops, or " +
        "its lease expires)");
  }
  owner_revision_ = r->revision;

  // The id: made by the first claim ever, kept after.
  const std::string id_key = prefix_ + "id";
  std::string hex = NewUuidV4();
  hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
  TxnRequest id;
  id.compares.push_back(Compare::CreateRevision(id_key, Op::kEqual, 0));
  id.compares.push_back(
      Compare::CreateRevision(owner, Op::kEqual, owner_revision_));
  id.success.push_back(TxnOp::Put(id_key, hex));
  id.failure.push_back(TxnOp::Get(id_key));
  auto made = client_->Txn(id);
  if (!made.ok()) return made.status();
  CatalogIdentity out;
  out.created = made->succeeded;
  if (made->succeeded) {
    out.catalog_id = hex;
  } else if (!made->responses.empty() && !made->responses[0].kvs.empty()) {
    out.catalog_id = made->responses[0].kvs[0].value;
  } else {
    return Status::FailedPrecondition("catalog namespace '" + options_.ns +
                                      "': the claim was lost while claiming");
  }
  return out;
}

Status EtcdCatalogStore::CheckClaim() {
  if (owner_revision_ == 0) {
    return Status::FailedPrecondition("catalog namespace '" + options_.ns +
                                      "' is not claimed (Claim() first)");
  }
  if (lost_->lost) {
    return Status::FailedPrecondition(
        "catalog namespace '" + options_.ns +
        "': the claim was lost (its lease expired); writes are refused until "
        "it is claimed again");
  }
  return Status::OK();
}

Result<EtcdCatalogStore::Snapshot> EtcdCatalogStore::Read() {
  PDB_ASSIGN_OR_RETURN(RangeResult r, client_->GetPrefix(prefix_));
  Snapshot snap;
  snap.revision = r.revision;
  const std::string collections = prefix_ + kCollections;
  const std::string aliases = prefix_ + kAliases;
  for (KeyValue& kv : r.kvs) {
    if (kv.key.rfind(collections, 0) == 0) {
      const std::string name = kv.key.substr(collections.size());
      PDB_ASSIGN_OR_RETURN(CollectionDef def,
                           DecodeCollectionDef(kv.value, kv.key));
      snap.collections[name] = {std::move(def), kv.mod_revision};
    } else if (kv.key.rfind(aliases, 0) == 0) {
      snap.aliases[kv.key.substr(aliases.size())] = {std::move(kv.value),
                                                     kv.mod_revision};
    }
  }
  return snap;
}

Status EtcdCatalogStore::Change(const std::string& what, const Decide& decide) {
  MutexLock l(&write_mu_);
  PDB_RETURN_IF_ERROR(CheckClaim());
  const std::string owner = prefix_ + "owner";
  for (int attempt = 0; attempt <= options_.max_conflict_retries; ++attempt) {
    PDB_ASSIGN_OR_RETURN(Snapshot snap, Read());
    TxnRequest txn;
    txn.compares.push_back(
        Compare::CreateRevision(owner, Op::kEqual, owner_revision_));
    // Nothing in the namespace was created or changed since the read
    // (deletes of the keys a change relies on: their own compares).
    for (const char* part : {kCollections, kAliases}) {
      Compare c =
          Compare::ModRevision(prefix_ + part, Op::kLess, snap.revision + 1);
      c.prefix = true;
      txn.compares.push_back(std::move(c));
    }
    PDB_RETURN_IF_ERROR(decide(snap, &txn));
    txn.failure.push_back(TxnOp::Get(owner));
    PDB_ASSIGN_OR_RETURN(TxnResult r, client_->Txn(txn));
    if (r.succeeded) return Status::OK();
    const auto& held =
        r.responses.empty() ? std::vector<KeyValue>{} : r.responses[0].kvs;
    if (held.empty() || held[0].create_revision != owner_revision_) {
      lost_->lost = true;
      return Status::FailedPrecondition(
          "catalog namespace '" + options_.ns + "': " + what +
          " refused: the claim was lost" +
          (held.empty() ? std::string(" (its lease expired)")
                        : " (now held by '" + held[0].value + "')"));
    }
    // Changed outside this process between the read and the write: decide
    // again on what is there now.
  }
  return Status::Unavailable("catalog namespace '" + options_.ns + "': " +
                             what + " kept conflicting with other writers");
}

Result<std::vector<CollectionDef>> EtcdCatalogStore::ListCollections() {
  PDB_ASSIGN_OR_RETURN(RangeResult r,
                       client_->GetPrefix(prefix_ + kCollections));
  std::vector<CollectionDef> out;
  for (const KeyValue& kv : r.kvs) {
    PDB_ASSIGN_OR_RETURN(CollectionDef def,
                         DecodeCollectionDef(kv.value, kv.key));
    out.push_back(std::move(def));
  }
  return out;
}

Result<std::vector<AliasInfo>> EtcdCatalogStore::ListAliases() {
  const std::string aliases = prefix_ + kAliases;
  PDB_ASSIGN_OR_RETURN(RangeResult r, client_->GetPrefix(aliases));
  std::vector<AliasInfo> out;
  for (const KeyValue& kv : r.kvs) {
    out.push_back({kv.key.substr(aliases.size()), kv.value});
  }
  return out;
}

Status EtcdCatalogStore::CreateCollection(const CollectionDef& def) {
  const std::string& name = def.config.name;
  return Change("create collection '" + name + "'", [&](const Snapshot& snap,
                                                        TxnRequest* txn) {
    if (snap.collections.count(name) != 0) {
      return Status::AlreadyExists("collection '" + name + "' already exists");
    }
    if (snap.aliases.count(name) != 0) {
      return Status::AlreadyExists("'" + name + "' is an alias's name");
    }
    CollectionDef ready = def;
    ready.state = CollectionDef::State::kReady;
    txn->success.push_back(
        TxnOp::Put(prefix_ + kCollections + name, EncodeCollectionDef(ready)));
    return Status::OK();
  });
}

Status EtcdCatalogStore::UpdateCollection(const CollectionDef& def) {
  const std::string& name = def.config.name;
  return Change("update collection '" + name + "'", [&](const Snapshot& snap,
                                                        TxnRequest* txn) {
    PDB_RETURN_IF_ERROR(snap.GuardReady(prefix_, name, txn).status());
    CollectionDef ready = def;
    ready.state = CollectionDef::State::kReady;
    txn->success.push_back(
        TxnOp::Put(prefix_ + kCollections + name, EncodeCollectionDef(ready)));
    return Status::OK();
  });
}

Status EtcdCatalogStore::BeginDrop(const std::string& name) {
  return Change("drop collection '" + name + "'", [&](const Snapshot& snap,
                                                      TxnRequest* txn) {
    PDB_ASSIGN_OR_RETURN(const Snapshot::Collection* c,
                         snap.GuardReady(prefix_, name, txn));
    const std::string key = prefix_ + kCollections + name;
    CollectionDef dropping = c->def;
    dropping.state = CollectionDef::State::kDropping;
    txn->success.push_back(TxnOp::Put(key, EncodeCollectionDef(dropping)));
    for (const auto& [alias, a] : snap.aliases) {
      if (a.collection == name) {
        txn->success.push_back(TxnOp::Delete(prefix_ + kAliases + alias));
      }
    }
    return Status::OK();
  });
}

Status EtcdCatalogStore::FinishDrop(const std::string& name) {
  return Change("finish dropping collection '" + name + "'",
                [&](const Snapshot& snap, TxnRequest* txn) {
                  auto it = snap.collections.find(name);
                  if (it == snap.collections.end())
                    return Status::OK();  // gone
                  if (it->second.def.state != CollectionDef::State::kDropping) {
                    return Status::FailedPrecondition("collection '" + name +
                                                      "' is not being dropped");
                  }
                  const std::string key = prefix_ + kCollections + name;
                  txn->compares.push_back(Compare::ModRevision(
                      key, Op::kEqual, it->second.mod_revision));
                  txn->success.push_back(TxnOp::Delete(key));
                  return Status::OK();
                });
}

Status EtcdCatalogStore::UpdateAliases(
    const std::vector<AliasAction>& actions) {
  return Change("update aliases", [&](const Snapshot& snap, TxnRequest* txn) {
    std::map<std::string, std::string> before;
    for (const auto& [alias, a] : snap.aliases) before[alias] = a.collection;
    std::map<std::string, std::string> after = before;
    PDB_RETURN_IF_ERROR(
        ApplyAliasActions(snap.Ready(), snap.Dropping(), actions, &after));
    // The decision relied on these keys being there as read.
    for (const AliasAction& a : actions) {
      auto alias = snap.aliases.find(a.alias);
      if (alias != snap.aliases.end()) {
        txn->compares.push_back(
            Compare::ModRevision(prefix_ + kAliases + a.alias, Op::kEqual,
                                 alias->second.mod_revision));
      }
      auto c = snap.collections.find(a.collection);
      if (a.kind == AliasAction::Kind::kCreate && c != snap.collections.end()) {
        txn->compares.push_back(
            Compare::ModRevision(prefix_ + kCollections + a.collection,
                                 Op::kEqual, c->second.mod_revision));
      }
    }
    for (const auto& [alias, collection] : before) {
      auto it = after.find(alias);
      if (it == after.end()) {
        txn->success.push_back(TxnOp::Delete(prefix_ + kAliases + alias));
      }
    }
    for (const auto& [alias, collection] : after) {
      auto it = before.find(alias);
      if (it == before.end() || it->second != collection) {
        txn->success.push_back(
            TxnOp::Put(prefix_ + kAliases + alias, collection));
      }
    }
    return Status::OK();
  });
}

}  // namespace proximadb::cluster
