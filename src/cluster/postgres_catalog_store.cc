#include "cluster/postgres_catalog_store.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <utility>

#include "util/uuid.h"

namespace proximadb::cluster {

namespace {

constexpr int kSchemaVersion = 1;
// The transaction-level advisory lock that serializes concurrent first
// starts creating the tables (CREATE TABLE IF NOT EXISTS is not safe against
// a concurrent twin): FNV-1a 64 of "proximadb.schema", as the namespace keys.
constexpr char kSchemaLockName[] = "proximadb.schema";

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// A libpq keyword value, quoted.
std::string QuoteValue(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// One line: libpq's messages end in newlines and carry tab-indented hints.
std::string OneLine(const std::string& in) {
  std::string out;
  bool space = false;
  for (char c : in) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool IsHex32(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// What became of one attempt.
enum class Fate {
  kDone,        // the Status is final
  kRetry,       // serialization failure or deadlock: nothing was written
  kLost,        // the session died before COMMIT was sent: nothing written
  kLostInDoubt  // the session died during COMMIT: it may have been written
};

}  // namespace

struct PostgresCatalogStore::Session {
  explicit Session(const std::string& conninfo) : conn(conninfo) {
    // libpqxx 6 silently reconnects a broken connection by default: a new
    // session that would not hold the advisory lock. Never: a lost session
    // is an error here, and the store takes the lock again itself.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
  }
  pqxx::connection conn;
  bool holds_lock = false;
};

// Cuts off a call that gets no answer: at the deadline it shuts the
// session's socket down, so libpq's blocking wait returns with an error
// (libpq has no client-side timeout on a query of its own).
class PostgresCatalogStore::Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds limit)
      : limit_(limit), thread_([this] { Loop(); }) {}
  ~Watchdog() {
    {
      MutexLock l(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
    thread_.join();
  }
  void Arm(int fd) {
    {
      MutexLock l(&mu_);
      fd_ = fd;
      fired_ = false;
      deadline_ = std::chrono::steady_clock::now() + limit_;
    }
    cv_.SignalAll();
  }
  // True when the deadline passed (the socket was shut down).
  bool Disarm() {
    MutexLock l(&mu_);
    fd_ = -1;
    return fired_;
  }
  std::chrono::milliseconds limit() const { return limit_; }

 private:
  void Loop() {
    MutexLock l(&mu_);
    while (!stop_) {
      if (fd_ < 0) {
        cv_.Wait(&mu_);
      } else if (std::chrono::steady_clock::now() >= deadline_) {
        ::shutdown(fd_, SHUT_RDWR);
        fired_ = true;
        fd_ = -1;
      } else {
        cv_.WaitUntil(&mu_, deadline_);
      }
    }
  }

  const std::chrono::milliseconds limit_;
  Mutex mu_;
  CondVar cv_;
  int fd_ GUARDED_BY(mu_) = -1;
  bool fired_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point deadline_ GUARDED_BY(mu_);
  std::thread thread_;
};

int64_t PostgresCatalogStore::LockKey(const std::string& ns) {
  return static_cast<int64_t>(Fnv1a64("proximadb.catalog/" + ns));
}

Result<std::unique_ptr<CatalogStore>> PostgresCatalogStore::Open(
    const PostgresOptions& options) {
  if (options.url.empty()) {
    return Status::InvalidArgument("postgresql catalog: no url");
  }
  if (options.namespace_.empty() || options.namespace_.size() > 128) {
    return Status::InvalidArgument(
        "postgresql catalog: the namespace must have 1 to 128 characters");
  }
  if (options.connect_timeout_s < 1 || options.statement_timeout_ms < 1 ||
      options.request_timeout_ms < 1 || options.max_attempts < 1) {
    return Status::InvalidArgument(
        "postgresql catalog: timeouts and max_attempts must be positive");
  }
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.url.c_str(), &err);
  if (parsed == nullptr) {
    // libpq's message names the part it could not parse, which may be the
    // password: say only that it is malformed.
    if (err != nullptr) PQfreemem(err);
    return Status::InvalidArgument(
        "postgresql catalog: the url is not a libpq connection string or "
        "URI (postgresql://user@host:port/db or host=... port=...)");
  }
  std::map<std::string, std::string> kv;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && o->val[0] != '\0') kv[o->keyword] = o->val;
  }
  PQconninfoFree(parsed);
  if (kv.count("connect_timeout") == 0) {
    kv["connect_timeout"] = std::to_string(options.connect_timeout_s);
  }
  if (kv.count("application_name") == 0) kv["application_name"] = "proximadb";
  Conn conn;
  for (const auto& [k, v] : kv) {
    if (!conn.conninfo.empty()) conn.conninfo.push_back(' ');
    conn.conninfo += k + "=" + QuoteValue(v);
  }
  if (kv.count("password")) conn.password = kv["password"];
  auto get = [&](const char* k, const std::string& dflt) {
    auto it = kv.find(k);
    return it == kv.end() ? dflt : it->second;
  };
  const std::string user = get("user", "");
  conn.where = get("host", get("hostaddr", "localhost")) + ":" +
               get("port", "5432") + "/" + get("dbname", user);
  std::unique_ptr<PostgresCatalogStore> store;
  try {  // the watchdog's thread
    store.reset(new PostgresCatalogStore(options, std::move(conn)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("postgresql catalog: ") + e.what());
  }
  {
    MutexLock l(&store->mu_);
    PDB_RETURN_IF_ERROR(store->Connect());
  }
  return std::unique_ptr<CatalogStore>(std::move(store));
}

PostgresCatalogStore::PostgresCatalogStore(PostgresOptions options, Conn conn)
    : options_(std::move(options)),
      conn_(std::move(conn)),
      lock_key_(LockKey(options_.namespace_)),
      watchdog_(std::make_unique<Watchdog>(
          std::chrono::milliseconds(options_.request_timeout_ms))) {}

PostgresCatalogStore::~PostgresCatalogStore() {
  MutexLock l(&mu_);
  // The lock would go with the session, but the server ends a session a
  // moment after the client hangs up: unlock first, so that a server
  // started right after this one finds the namespace free.
  if (session_ != nullptr && session_->holds_lock && session_->conn.is_open()) {
    pqxx::connection& conn = session_->conn;
    watchdog_->Arm(conn.sock());
    try {
      pqxx::nontransaction tx(conn);
      tx.exec_params("SELECT pg_advisory_unlock($1)",
                     static_cast<long long>(lock_key_));
    } catch (...) {
      // Best effort: the lock goes with the session anyway.
    }
    watchdog_->Disarm();
  }
  session_.reset();
}

std::string PostgresCatalogStore::describe() const {
  return "postgresql " + conn_.where + ", namespace '" + options_.namespace_ +
         "'";
}

std::string PostgresCatalogStore::Scrub(std::string m) const {
  m = OneLine(m);
  if (conn_.password.empty()) return m;
  for (size_t at = 0; (at = m.find(conn_.password, at)) != std::string::npos;
       at += 3) {
    m.replace(at, conn_.password.size(), "***");
  }
  return m;
}

namespace {

// Runs `f` and turns whatever libpqxx throws into a Status and a Fate.
// `committing` tells a connection lost during COMMIT from one before it.
template <typename F>
Status Catch(const std::string& what, F&& f, const bool& committing, Fate* fate,
             const std::function<std::string(std::string)>& scrub) {
  *fate = Fate::kDone;
  auto lost = [&](const std::string& msg) {
    *fate = committing ? Fate::kLostInDoubt : Fate::kLost;
    return Status::Unavailable(
        what + ": the connection to PostgreSQL was lost" +
        (committing ? " during COMMIT (the change may or may not be stored)"
                    : "") +
        ": " + scrub(msg));
  };
  try {
    return f();
  } catch (const pqxx::in_doubt_error& e) {
    *fate = Fate::kLostInDoubt;
    return Status::Unavailable(
        what +
        ": the connection to PostgreSQL was lost during COMMIT (the change "
        "may or may not be stored): " +
        scrub(e.what()));
  } catch (const pqxx::statement_completion_unknown& e) {
    *fate = Fate::kLostInDoubt;
    return Status::Unavailable(what + ": " + scrub(e.what()));
  } catch (const pqxx::transaction_rollback& e) {
    // serialization_failure, deadlock_detected: nothing was written.
    *fate = Fate::kRetry;
    return Status::Unavailable(what + ": " + scrub(e.what()));
  } catch (const pqxx::broken_connection& e) {
    return lost(e.what());
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      return lost(e.what());  // connection exception, admin shutdown
    }
    if (state == "40001" || state == "40P01") {
      *fate = Fate::kRetry;
      return Status::Unavailable(what + ": " + scrub(e.what()));
    }
    if (state == "23505") {
      return Status::AlreadyExists(what + ": " + scrub(e.what()));
    }
    if (state == "55P03" || state.rfind("53", 0) == 0 || state == "25006") {
      // lock_timeout, insufficient resources (too many connections, disk
      // full), a read-only server (a standby): may pass later.
      return Status::Unavailable(what + ": " + scrub(e.what()));
    }
    if (state == "57014") {
      return Status::Unavailable(what +
                                 ": statement timeout: " + scrub(e.what()));
    }
    if (state == "42501") {
      return Status::FailedPrecondition(what + ": " + scrub(e.what()));
    }
    return Status::Internal(what + ": PostgreSQL error " + state + ": " +
                            scrub(e.what()));
  } catch (const std::exception& e) {
    return Status::Internal(what + ": " + scrub(e.what()));
  } catch (...) {
    return Status::Internal(what + ": unknown exception from libpqxx");
  }
}

}  // namespace

Status PostgresCatalogStore::Connect() {
  session_.reset();
  std::unique_ptr<Session> session;
  std::string error;
  try {
    // libpq bounds the connection itself (connect_timeout).
    session = std::make_unique<Session>(conn_.conninfo);
    pqxx::nontransaction tx(session->conn);
    tx.exec("SET statement_timeout = " +
            std::to_string(options_.statement_timeout_ms));
    tx.exec("SET lock_timeout = " +
            std::to_string(options_.statement_timeout_ms));
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception from libpqxx";
  }
  if (!error.empty()) {
    return Status::Unavailable("cannot connect to postgresql " + conn_.where +
                               ": " + Scrub(error));
  }
  session_ = std::move(session);
  return Status::OK();
}

Status PostgresCatalogStore::Lock() {
  bool got = false;
  std::string holder;
  Fate fate;
  const bool committing = false;
  pqxx::connection& conn = session_->conn;
  watchdog_->Arm(conn.sock());
  Status s = Catch(
      "claiming catalog namespace '" + options_.namespace_ + "'",
      [&] {
        pqxx::nontransaction tx(conn);
        got = tx.exec_params1("SELECT pg_try_advisory_lock($1)",
                              static_cast<long long>(lock_key_))[0]
                  .as<bool>();
        if (!got) {
          // Who has it, when this role may see it (pg_locks keys a bigint
          // lock as classid = high 32 bits, objid = low 32 bits).
          const uint64_t key = static_cast<uint64_t>(lock_key_);
          pqxx::result r = tx.exec_params(
              "SELECT l.pid, coalesce(host(a.client_addr), 'local'), "
              "coalesce(a.application_name, '') FROM pg_locks l LEFT JOIN "
              "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = "
              "'advisory' AND l.granted AND l.objsubid = 1 AND "
              "l.classid::bigint = $1 AND l.objid::bigint = $2",
              static_cast<long long>(key >> 32),
              static_cast<long long>(key & 0xffffffffu));
          if (!r.empty()) {
            holder = " (backend pid " + r[0][0].as<std::string>() + " from " +
                     r[0][1].as<std::string>();
            if (!r[0][2].as<std::string>().empty()) {
              holder += ", application '" + r[0][2].as<std::string>() + "'";
            }
            holder += ")";
          }
        }
        return Status::OK();
      },
      committing, &fate, [this](std::string m) { return Scrub(m); });
  const bool fired = watchdog_->Disarm();
  if (!s.ok() || fired) {
    session_.reset();
    if (fired) {
      return Status::Unavailable(
          "claiming catalog namespace '" + options_.namespace_ +
          "': no answer from " + conn_.where + " within " +
          std::to_string(options_.request_timeout_ms) + " ms");
    }
    return s.code() == StatusCode::kInternal ? Status::Unavailable(s.message())
                                             : s;
  }
  if (!got) {
    session_.reset();
    return Status::FailedPrecondition(
        "another ProximaDB server holds catalog namespace '" +
        options_.namespace_ + "' in postgresql " + conn_.where + holder);
  }
  session_->holds_lock = true;
  return Status::OK();
}

namespace {

// An idle session receives nothing unless the server ends it (a FATAL
// message, then EOF): anything to read means it is gone. Checking first
// spares libpqxx 6.4 a query on a dead session, where it leaks the
// PGresult when it cannot read the connection's encoding.
bool IdleSessionEnded(int fd) {
  if (fd < 0) return true;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace

Status PostgresCatalogStore::EnsureHeld() {
  if (session_ != nullptr && session_->holds_lock && session_->conn.is_open() &&
      !IdleSessionEnded(session_->conn.sock())) {
    return Status::OK();
  }
  // A lost session released the lock; take it again before anything else.
  PDB_RETURN_IF_ERROR(Connect());
  Status s = Lock();
  if (s.code() == StatusCode::kFailedPrecondition && !catalog_id_.empty()) {
    return Status::FailedPrecondition(
        "this server lost its claim on catalog namespace '" +
        options_.namespace_ + "' (its PostgreSQL session ended) and " +
        s.message());
  }
  return s;
}

template <typename Fn>
Status PostgresCatalogStore::Run(const std::string& what, Fn&& body) {
  if (catalog_id_.empty()) {
    return Status::FailedPrecondition(what + ": catalog namespace '" +
                                      options_.namespace_ +
                                      "' is not claimed (Claim first)");
  }
  int attempts = 0;
  bool reconnected = false;
  const uint64_t key = static_cast<uint64_t>(lock_key_);
  for (;;) {
    PDB_RETURN_IF_ERROR(EnsureHeld());
    ++attempts;
    bool committing = false;
    bool unlocked = false;
    Fate fate;
    pqxx::connection& conn = session_->conn;
    const std::string claimed_id = catalog_id_;
    watchdog_->Arm(conn.sock());
    Status s = Catch(
        what,
        [&] {
          pqxx::work tx(conn);
          // Every call begins by locking the namespace's row, checks that it
          // is still the namespace this store claimed, and that this very
          // session holds the advisory lock (it keeps it until the session
          // ends, and a session cannot end inside a transaction that then
          // commits): whatever this transaction writes, it writes under the
          // lock.
          pqxx::result ns = tx.exec_params(
              "SELECT n.catalog_id, EXISTS (SELECT 1 FROM pg_locks l WHERE "
              "l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND "
              "l.granted AND l.objsubid = 1 AND l.classid::bigint = $2 AND "
              "l.objid::bigint = $3) FROM proximadb_namespaces n WHERE "
              "n.namespace = $1 FOR UPDATE OF n",
              options_.namespace_, static_cast<long long>(key >> 32),
              static_cast<long long>(key & 0xffffffffu));
          if (!ns.empty() && !ns[0][1].as<bool>()) {
            unlocked = true;
            return Status::FailedPrecondition(
                what +
                ": this store's PostgreSQL session no longer holds "
                "the advisory lock of catalog namespace '" +
                options_.namespace_ + "'");
          }
          if (ns.empty() || ns[0][0].as<std::string>() != claimed_id) {
            return Status::FailedPrecondition(
                what + ": catalog namespace '" + options_.namespace_ +
                "' in postgresql " + conn_.where +
                " is gone or was made again (catalog_id differs from " +
                claimed_id + ")");
          }
          Status r = body(tx);
          if (!r.ok()) return r;  // the destructor rolls back
          committing = true;
          tx.commit();
          return Status::OK();
        },
        committing, &fate, [this](std::string m) { return Scrub(m); });
    const bool fired = watchdog_->Disarm();
    if (fired) {
      session_.reset();
      return Status::Unavailable(
          what + ": no answer from postgresql " + conn_.where + " within " +
          std::to_string(options_.request_timeout_ms) + " ms" +
          (committing ? " (during COMMIT: the change may or may not be "
                        "stored)"
                      : ""));
    }
    if (unlocked) {
      // Someone released it (pg_advisory_unlock_all): a new session must
      // take it again, once.
      session_.reset();
      if (reconnected) return s;
      reconnected = true;
      continue;
    }
    if (fate == Fate::kLost || fate == Fate::kLostInDoubt ||
        !session_->conn.is_open()) {
      session_.reset();
    }
    switch (fate) {
      case Fate::kDone:
      case Fate::kLostInDoubt:
        return s;
      case Fate::kRetry:
        if (attempts >= options_.max_attempts) return s;
        continue;
      case Fate::kLost:
        // Nothing was written: once more on a new session (which first
        // takes the lock again).
        if (reconnected) return s;
        reconnected = true;
        continue;
    }
  }
}

Status PostgresCatalogStore::EnsureSchema() {
  Fate fate;
  bool committing = false;
  pqxx::connection& conn = session_->conn;
  watchdog_->Arm(conn.sock());
  Status s = Catch(
      "creating the catalog tables in postgresql " + conn_.where,
      [&] {
        pqxx::work tx(conn);
        tx.exec_params("SELECT pg_advisory_xact_lock($1)",
                       static_cast<long long>(Fnv1a64(kSchemaLockName)));
        tx.exec(
            "CREATE TABLE IF NOT EXISTS proximadb_schema ("
            " version integer NOT NULL)");
        tx.exec(
            "CREATE TABLE IF NOT EXISTS proximadb_namespaces ("
            " namespace text PRIMARY KEY,"
            " catalog_id text NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())");
        tx.exec(
            "CREATE TABLE IF NOT EXISTS proximadb_collections ("
            " namespace text NOT NULL REFERENCES proximadb_namespaces,"
            " name text NOT NULL,"
            " state text NOT NULL,"
            " def text NOT NULL,"
            " updated_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (namespace, name))");
        tx.exec(
            "CREATE TABLE IF NOT EXISTS proximadb_aliases ("
            " namespace text NOT NULL REFERENCES proximadb_namespaces,"
            " alias text NOT NULL,"
            " collection text NOT NULL,"
            " PRIMARY KEY (namespace, alias),"
            " FOREIGN KEY (namespace, collection)"
            "  REFERENCES proximadb_collections (namespace, name))");
        pqxx::result v = tx.exec("SELECT max(version) FROM proximadb_schema");
        if (v[0][0].is_null()) {
          tx.exec("INSERT INTO proximadb_schema (version) VALUES (" +
                  std::to_string(kSchemaVersion) + ")");
        } else if (v[0][0].as<int>() > kSchemaVersion) {
          return Status::FailedPrecondition(
              "the ProximaDB tables in postgresql " + conn_.where +
              " have schema version " + v[0][0].as<std::string>() +
              ", newer than this build's " + std::to_string(kSchemaVersion));
        }
        committing = true;
        tx.commit();
        return Status::OK();
      },
      committing, &fate, [this](std::string m) { return Scrub(m); });
  if (watchdog_->Disarm()) {
    session_.reset();
    return Status::Unavailable(
        "creating the catalog tables: no answer from " + conn_.where +
        " within " + std::to_string(options_.request_timeout_ms) + " ms");
  }
  if (fate != Fate::kDone) session_.reset();
  return s;
}

Result<CatalogIdentity> PostgresCatalogStore::Claim() {
  MutexLock l(&mu_);
  if (!catalog_id_.empty()) {
    return Status::FailedPrecondition("catalog namespace '" +
                                      options_.namespace_ +
                                      "' is already claimed by this store");
  }
  if (session_ == nullptr || !session_->conn.is_open() ||
      IdleSessionEnded(session_->conn.sock())) {
    PDB_RETURN_IF_ERROR(Connect());  // Open's session ended meanwhile
  }
  // Tables first (they do not depend on the namespace), a few attempts as
  // two first starts may still collide on the catalog's own rows.
  Status schema;
  for (int i = 0; i < options_.max_attempts; ++i) {
    if (session_ == nullptr) PDB_RETURN_IF_ERROR(Connect());
    schema = EnsureSchema();
    if (schema.ok() || session_ != nullptr) break;
  }
  PDB_RETURN_IF_ERROR(schema);
  if (!session_->holds_lock) PDB_RETURN_IF_ERROR(Lock());

  CatalogIdentity id;
  Fate fate;
  bool committing = false;
  pqxx::connection& conn = session_->conn;
  watchdog_->Arm(conn.sock());
  Status s = Catch(
      "claiming catalog namespace '" + options_.namespace_ + "'",
      [&] {
        pqxx::work tx(conn);
        const std::string fresh = [] {
          std::string u = NewUuidV4();
          std::string hex;
          for (char c : u) {
            if (c != '-') hex.push_back(c);
          }
          return hex;
        }();
        pqxx::result r = tx.exec_params(
            "INSERT INTO proximadb_namespaces (namespace, catalog_id) "
            "VALUES ($1, $2) ON CONFLICT (namespace) DO NOTHING "
            "RETURNING catalog_id",
            options_.namespace_, fresh);
        if (!r.empty()) {
          id.created = true;
          id.catalog_id = fresh;
        } else {
          id.catalog_id =
              tx.exec_params1(
                    "SELECT catalog_id FROM proximadb_namespaces WHERE "
                    "namespace = $1",
                    options_.namespace_)[0]
                  .as<std::string>();
        }
        committing = true;
        tx.commit();
        return Status::OK();
      },
      committing, &fate, [this](std::string m) { return Scrub(m); });
  const bool fired = watchdog_->Disarm();
  if (fired) {
    session_.reset();
    return Status::Unavailable("claiming catalog namespace '" +
                               options_.namespace_ + "': no answer from " +
                               conn_.where);
  }
  if (!s.ok()) {
    session_.reset();  // gives the lock back
    return s;
  }
  if (!IsHex32(id.catalog_id)) {
    session_.reset();
    return Status::Corruption(
        "postgresql " + conn_.where +
        ": proximadb_namespaces row of namespace '" + options_.namespace_ +
        "' has a malformed catalog_id (not 32 lowercase hex digits)");
  }
  catalog_id_ = id.catalog_id;
  return id;
}

namespace {

std::string RowName(const std::string& where, const std::string& ns,
                    const std::string& name) {
  return "postgresql " + where + " proximadb_collections row (namespace '" +
         ns + "', name '" + name + "')";
}

// Decodes one collections row: the def's checksum, and that the name and
// state columns agree with it.
Result<CollectionDef> DecodeRow(const pqxx::row& row, const std::string& where,
                                const std::string& ns) {
  const std::string name = row[0].as<std::string>();
  const std::string state = row[1].as<std::string>();
  const std::string at = RowName(where, ns, name);
  PDB_ASSIGN_OR_RETURN(CollectionDef def,
                       DecodeCollectionDef(row[2].as<std::string>(), at));
  if (def.config.name != name) {
    return Status::Corruption("catalog entry " + at + ": its def names '" +
                              def.config.name + "'");
  }
  if (state != CollectionStateName(def.state)) {
    return Status::Corruption("catalog entry " + at + ": state column '" +
                              state + "' differs from its def's '" +
                              CollectionStateName(def.state) + "'");
  }
  return def;
}

// The collection `name`'s row, locked; nullopt when absent.
Result<std::optional<CollectionDef>> LoadForUpdate(pqxx::work& tx,
                                                   const std::string& where,
                                                   const std::string& ns,
                                                   const std::string& name) {
  pqxx::result r = tx.exec_params(
      "SELECT name, state, def FROM proximadb_collections WHERE namespace = "
      "$1 AND name = $2 FOR UPDATE",
      ns, name);
  if (r.empty()) return std::optional<CollectionDef>();
  PDB_ASSIGN_OR_RETURN(CollectionDef def, DecodeRow(r[0], where, ns));
  return std::optional<CollectionDef>(std::move(def));
}

}  // namespace

// Reads run in the same locked session; a read takes no row lock (the
// namespace's row lock of Run is harmless: this store is the only writer).
Result<std::vector<CollectionDef>> PostgresCatalogStore::ListCollections() {
  MutexLock l(&mu_);
  std::vector<CollectionDef> out;
  Status s = Run("listing collections", [&](pqxx::work& tx) {
    out.clear();
    pqxx::result r = tx.exec_params(
        "SELECT name, state, def FROM proximadb_collections WHERE namespace "
        "= $1 ORDER BY name COLLATE \"C\"",
        options_.namespace_);
    for (const pqxx::row& row : r) {
      PDB_ASSIGN_OR_RETURN(CollectionDef def,
                           DecodeRow(row, conn_.where, options_.namespace_));
      out.push_back(std::move(def));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

// Why row locks and READ COMMITTED rather than SERIALIZABLE: every write
// first locks its namespace's row (Run), so the writes of one namespace run
// one after the other whatever else touches the tables; and the advisory
// lock already leaves one writer per namespace. SERIALIZABLE would add
// serialization failures (retried) for no extra safety.
Status PostgresCatalogStore::CreateCollection(const CollectionDef& in) {
  MutexLock l(&mu_);
  CollectionDef def = in;
  def.state = CollectionDef::State::kReady;
  const std::string& name = def.config.name;
  return Run("creating collection '" + name + "'", [&](pqxx::work& tx) {
    if (!tx.exec_params("SELECT 1 FROM proximadb_aliases WHERE namespace = "
                        "$1 AND alias = $2",
                        options_.namespace_, name)
             .empty()) {
      return Status::AlreadyExists("'" + name + "' is an alias's name");
    }
    pqxx::result r = tx.exec_params(
        "INSERT INTO proximadb_collections (namespace, name, state, def) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (namespace, name) DO NOTHING",
        options_.namespace_, name, CollectionStateName(def.state),
        EncodeCollectionDef(def));
    if (r.affected_rows() == 0) {
      return Status::AlreadyExists("collection '" + name + "' already exists");
    }
    return Status::OK();
  });
}

Status PostgresCatalogStore::UpdateCollection(const CollectionDef& in) {
  MutexLock l(&mu_);
  CollectionDef def = in;
  def.state = CollectionDef::State::kReady;
  const std::string& name = def.config.name;
  return Run("updating collection '" + name + "'", [&](pqxx::work& tx) {
    PDB_ASSIGN_OR_RETURN(
        auto old, LoadForUpdate(tx, conn_.where, options_.namespace_, name));
    if (!old || old->state != CollectionDef::State::kReady) {
      return Status::NotFound("collection '" + name + "' does not exist");
    }
    tx.exec_params(
        "UPDATE proximadb_collections SET def = $3, updated_at = now() "
        "WHERE namespace = $1 AND name = $2",
        options_.namespace_, name, EncodeCollectionDef(def));
    return Status::OK();
  });
}

Status PostgresCatalogStore::BeginDrop(const std::string& name) {
  MutexLock l(&mu_);
  return Run("dropping collection '" + name + "'", [&](pqxx::work& tx) {
    PDB_ASSIGN_OR_RETURN(
        auto old, LoadForUpdate(tx, conn_.where, options_.namespace_, name));
    if (!old || old->state != CollectionDef::State::kReady) {
      return Status::NotFound("collection '" + name + "' does not exist");
    }
    old->state = CollectionDef::State::kDropping;
    tx.exec_params(
        "DELETE FROM proximadb_aliases WHERE namespace = $1 AND collection = "
        "$2",
        options_.namespace_, name);
    tx.exec_params(
        "UPDATE proximadb_collections SET state = $3, def = $4, updated_at = "
        "now() WHERE namespace = $1 AND name = $2",
        options_.namespace_, name, CollectionStateName(old->state),
        EncodeCollectionDef(*old));
    return Status::OK();
  });
}

Status PostgresCatalogStore::FinishDrop(const std::string& name) {
  MutexLock l(&mu_);
  return Run("finishing the drop of '" + name + "'", [&](pqxx::work& tx) {
    PDB_ASSIGN_OR_RETURN(
        auto old, LoadForUpdate(tx, conn_.where, options_.namespace_, name));
    if (!old) return Status::OK();
    if (old->state != CollectionDef::State::kDropping) {
      return Status::FailedPrecondition("collection '" + name +
                                        "' is not being dropped");
    }
    tx.exec_params(
        "DELETE FROM proximadb_collections WHERE namespace = $1 AND name = $2",
        options_.namespace_, name);
    return Status::OK();
  });
}

Result<std::vector<AliasInfo>> PostgresCatalogStore::ListAliases() {
  MutexLock l(&mu_);
  std::vector<AliasInfo> out;
  Status s = Run("listing aliases", [&](pqxx::work& tx) {
    out.clear();
    pqxx::result r = tx.exec_params(
        "SELECT alias, collection FROM proximadb_aliases WHERE namespace = $1 "
        "ORDER BY alias COLLATE \"C\"",
        options_.namespace_);
    for (const pqxx::row& row : r) {
      out.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status PostgresCatalogStore::UpdateAliases(
    const std::vector<AliasAction>& actions) {
  MutexLock l(&mu_);
  return Run("updating aliases", [&](pqxx::work& tx) {
    std::vector<std::string> ready;
    std::vector<std::string> taken;
    pqxx::result c = tx.exec_params(
        "SELECT name, state, def FROM proximadb_collections WHERE namespace "
        "= $1",
        options_.namespace_);
    for (const pqxx::row& row : c) {
      PDB_ASSIGN_OR_RETURN(CollectionDef def,
                           DecodeRow(row, conn_.where, options_.namespace_));
      (def.state == CollectionDef::State::kReady ? ready : taken)
          .push_back(def.config.name);
    }
    std::map<std::string, std::string> before;
    pqxx::result a = tx.exec_params(
        "SELECT alias, collection FROM proximadb_aliases WHERE namespace = $1",
        options_.namespace_);
    for (const pqxx::row& row : a) {
      before[row[0].as<std::string>()] = row[1].as<std::string>();
    }
    std::map<std::string, std::string> after = before;
    PDB_RETURN_IF_ERROR(ApplyAliasActions(ready, taken, actions, &after));
    for (const auto& [alias, collection] : before) {
      auto it = after.find(alias);
      if (it == after.end() || it->second != collection) {
        tx.exec_params(
            "DELETE FROM proximadb_aliases WHERE namespace = $1 AND alias = "
            "$2",
            options_.namespace_, alias);
      }
    }
    for (const auto& [alias, collection] : after) {
      auto it = before.find(alias);
      if (it == before.end() || it->second != collection) {
        tx.exec_params(
            "INSERT INTO proximadb_aliases (namespace, alias, collection) "
            "VALUES ($1, $2, $3)",
            options_.namespace_, alias, collection);
      }
    }
    return Status::OK();
  });
}

}  // namespace proximadb::cluster
