// PostgresCatalogStore: the CatalogStore (catalog_store.h) in a PostgreSQL
// database, for teams that keep their metadata there. Tables and the value
// format: docs/FORMATS.md, "External catalog".
//
// One session (connection) per store does everything: it holds the
// namespace's session-level advisory lock (the Claim) and runs every read
// and write, one at a time. So a write can only ever run in a session that
// holds the lock: when the session is lost (the server restarted, an
// operator terminated it), the next call opens a new one and takes the lock
// again before it touches anything; when another server took the namespace
// meanwhile, that call fails with kFailedPrecondition and so does every
// later one until this store gets the lock back.
//
// libpqxx throws; nothing escapes this module: connection failures are
// kUnavailable (with the server's message, never the password), a unique
// violation kAlreadyExists, serialization failures and deadlocks are retried
// a few times, anything else is kInternal.
//
// Thread-safety: safe for concurrent use (calls are serialized).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/catalog_store.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::cluster {

struct PostgresOptions {
  // A libpq connection string, as a URI
  // ("postgresql://user:secret@127.0.0.1:5432/db") or as keywords
  // ("host=127.0.0.1 port=5432 dbname=db user=u password=secret"). Required.
  std::string url;
  // The [catalog] namespace whose rows this store reads and writes: 1 to 128
  // characters. Default "default".
  std::string namespace_ = "default";
  // libpq's connect_timeout, in seconds (libpq's minimum is 2), unless `url`
  // sets one. Default 5.
  int connect_timeout_s = 5;
  // The server-side statement_timeout of the store's session, in
  // milliseconds. Default 5000.
  int statement_timeout_ms = 5000;
  // A call (one transaction) with no answer after this many milliseconds is
  // cut off on the client side (the session is closed): kUnavailable. Guards
  // against a server that accepts connections but does not answer (stopped,
  // frozen). Default 10000.
  int request_timeout_ms = 10000;
  // Attempts of one transaction that fails with a serialization failure or
  // a deadlock. Default 5.
  int max_attempts = 5;
};

class PostgresCatalogStore : public CatalogStore {
 public:
  // Validates `options` and connects (kUnavailable when the server cannot
  // be reached, kInvalidArgument for a malformed url).
  static Result<std::unique_ptr<CatalogStore>> Open(
      const PostgresOptions& options);
  ~PostgresCatalogStore() override;
  PostgresCatalogStore(const PostgresCatalogStore&) = delete;
  PostgresCatalogStore& operator=(const PostgresCatalogStore&) = delete;

  std::string backend() const override { return "postgresql"; }
  // "postgresql 127.0.0.1:5432/db, namespace 'x'".
  std::string describe() const override;

  // Creates the tables when missing (once, whoever comes first), takes the
  // namespace's advisory lock, creates its row (a random catalog_id) when
  // missing.
  Result<CatalogIdentity> Claim() override;
  Result<std::vector<CollectionDef>> ListCollections() override;
  Status CreateCollection(const CollectionDef& def) override;
  Status UpdateCollection(const CollectionDef& def) override;
  Status BeginDrop(const std::string& name) override;
  Status FinishDrop(const std::string& name) override;
  Result<std::vector<AliasInfo>> ListAliases() override;
  Status UpdateAliases(const std::vector<AliasAction>& actions) override;

  // The advisory lock's key for `ns` (docs/FORMATS.md): operators can find
  // the holder in pg_locks.
  static int64_t LockKey(const std::string& ns);

 private:
  struct Session;
  class Watchdog;
  struct Conn {
    std::string conninfo;  // with the password: never in a message
    std::string password;  // to scrub from messages
    std::string where;     // host:port/dbname
  };
  PostgresCatalogStore(PostgresOptions options, Conn conn);

  // Opens a new session (statement_timeout set). kUnavailable on failure.
  Status Connect() REQUIRES(mu_);
  // Takes the namespace's advisory lock in the current session:
  // kFailedPrecondition naming the holder when another session has it.
  Status Lock() REQUIRES(mu_);
  // A session that holds the lock: the current one, or a new one that took
  // it again (a lost session).
  Status EnsureHeld() REQUIRES(mu_);
  // Runs `body` as one transaction in a session that holds the lock, with
  // the retries and the error mapping above. `what` starts messages.
  template <typename Fn>
  Status Run(const std::string& what, Fn&& body) REQUIRES(mu_);
  Status EnsureSchema() REQUIRES(mu_);
  std::string Scrub(std::string message) const;

  const PostgresOptions options_;
  const Conn conn_;
  const int64_t lock_key_;
  std::unique_ptr<Watchdog> watchdog_;
  mutable Mutex mu_;
  std::unique_ptr<Session> session_ GUARDED_BY(mu_);
  // Set by a successful Claim: every other call needs it.
  std::string catalog_id_ GUARDED_BY(mu_);
};

}  // namespace proximadb::cluster
