// CatalogStore: where the names a user sees live when they live outside the
// data directory (docs/CLUSTER.md, "Catalog backends"): every collection's
// definition (its CollectionConfig and payload index definitions) and the
// aliases. The engine (DB) keeps its own catalog of segments in SQLite in
// every mode; an external store is the authority for which collections exist
// and how they are configured, and the engine follows it (BoundDB,
// bound_db.h).
//
// Backends: PostgreSQL (postgres_catalog_store.h) and etcd (etcd, later the
// cluster's). "sqlite", the default, is no CatalogStore at all: the engine's
// own catalog is then the authority. MongoDB and DynamoDB have no server
// that installs on the machines we test on; a backend for either implements
// this interface and nothing else changes.
//
// Every store keeps its rows under a namespace ([catalog] namespace), so
// several servers can share one database, and is claimed by one server at a
// time (Claim): a second server on the same namespace is refused.
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::cluster {

struct CollectionDef {
  CollectionConfig config;
  std::vector<PayloadIndexDef> payload_indexes;  // ordered by field
  // kDropping: a drop began (the name is not reusable and the collection is
  // not listed) and its local part may remain; BoundDB finishes it.
  enum class State { kReady, kDropping };
  State state = State::kReady;
};

// "ready" | "dropping": the state as every store spells it.
const char* CollectionStateName(CollectionDef::State s);

// What Claim found.
struct CatalogIdentity {
  // A random id (32 hex digits) made when the namespace was first claimed;
  // the data directory records the one it is bound to (BoundDB).
  std::string catalog_id;
  // True when this call created the namespace (it held nothing).
  bool created = false;
};

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  // "postgresql", "etcd": for messages and GET /api/v1/cluster.
  virtual std::string backend() const = 0;
  // Where it is, without secrets (no password), for messages.
  virtual std::string describe() const = 0;

  // Claims the namespace for this process until the store is destroyed:
  // kFailedPrecondition naming the holder when another process holds it,
  // kUnavailable when the store cannot be reached. Creates the namespace
  // (its tables, its id) when it does not exist. Call once, before anything
  // else.
  virtual Result<CatalogIdentity> Claim() = 0;

  // Every collection, ordered by name, kDropping ones included.
  virtual Result<std::vector<CollectionDef>> ListCollections() = 0;
  // Adds a collection in state kReady: kAlreadyExists when a collection
  // (in any state) or an alias has that name.
  virtual Status CreateCollection(const CollectionDef& def) = 0;
  // Replaces config and payload indexes of an existing kReady collection
  // (kNotFound otherwise); the name is def.config.name.
  virtual Status UpdateCollection(const CollectionDef& def) = 0;
  // kReady -> kDropping and removes the collection's aliases, in one
  // transaction; kNotFound when there is no kReady collection of that name.
  virtual Status BeginDrop(const std::string& name) = 0;
  // Removes a kDropping collection's row; OK when it is already gone.
  virtual Status FinishDrop(const std::string& name) = 0;

  // Every alias, ordered by alias.
  virtual Result<std::vector<AliasInfo>> ListAliases() = 0;
  // Applies `actions` in ONE transaction with ApplyAliasActions' rules:
  // all of them or none.
  virtual Status UpdateAliases(const std::vector<AliasAction>& actions) = 0;
};

// The rules of DB::UpdateAliases over plain state, for the stores: applies
// `actions` in order to `aliases` (alias -> collection) given the kReady
// collections' names `collections` (kDropping ones count as taken names:
// pass them in `taken`). create: kAlreadyExists when the alias is a
// collection's or a taken name or an existing alias (one deleted earlier in
// the same call is free again), kNotFound when the collection does not
// exist; delete: kNotFound when the alias does not exist. Messages start
// with "actions[<i>]: ", as the engine's. On error `aliases` is unchanged.
Status ApplyAliasActions(const std::vector<std::string>& collections,
                         const std::vector<std::string>& taken,
                         const std::vector<AliasAction>& actions,
                         std::map<std::string, std::string>* aliases);

// CollectionDef <-> JSON: the value every store keeps per collection
// (docs/FORMATS.md, "External catalog"). Never throws; a malformed value
// is kCorruption naming `where`.
std::string EncodeCollectionDef(const CollectionDef& def);
Result<CollectionDef> DecodeCollectionDef(const std::string& bytes,
                                          const std::string& where);

}  // namespace proximadb::cluster
