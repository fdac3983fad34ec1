// PostgresCatalogStore against a real PostgreSQL 15 (tests/cluster_pg/
// pg_fixture.sh, started once by the ctest fixture `pg_up`; label `pg`):
// the CatalogStore contract suite (tests/cluster/catalog_store_contract.h),
// and what only a real server shows: a session terminated under the store
// (it takes the lock again before writing; a server that claimed meanwhile
// wins), a row changed by hand, a stopped server and a frozen backend (a
// bounded kUnavailable, no hang), concurrent first starts on an empty
// database, and no password in any message.
//
// Skips only when PostgreSQL cannot start here and PDB_REQUIRE_PG is unset.
#include "cluster/postgres_catalog_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "cluster/bound_db_contract.h"
#include "cluster/catalog_store_contract.h"
#include "cluster_pg/pg_env.h"

// LeakSanitizer (the sanitizer build of scripts/test.sh) reads these.
// libpqxx 6.4 leaks the PGresult of a query whose connection breaks under it
// (here: a session cut off by the store's request timeout): make_result()
// asks libpq for the connection's encoding before it owns the result, and
// that throws broken_connection when the connection is gone (the store
// checks an idle session before using it, so only a break in mid-query
// leaks, about 2 KB). Only allocations made inside libpq are suppressed: a
// libpqxx object that our code leaked would still be reported.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpq.so.5\n";
}

namespace proximadb::cluster {
namespace {

using testing_contract::CatalogStoreContractTest;
using testing_contract::StoreFactory;
using Clock = std::chrono::steady_clock;

PostgresOptions Options(const std::string& ns,
                        const std::string& url = LoadPgEnv().url()) {
  PostgresOptions o;
  o.url = url;
  o.namespace_ = ns;
  o.connect_timeout_s = 2;
  o.statement_timeout_ms = 2000;
  o.request_timeout_ms = 3000;
  return o;
}

std::string UniqueNs(const std::string& what) {
  static int n = 0;
  return "t_" + what + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(n++);
}

// No message may carry a password (the fixture's URLs all have one).
void ExpectNoSecret(const std::string& message) {
  const PgEnv& env = LoadPgEnv();
  EXPECT_EQ(message.find(env.password()), std::string::npos) << message;
  auto admin = env.vars.find("PDB_PG_ADMIN_URL");
  if (admin != env.vars.end()) {
    const std::string& url = admin->second;  // postgresql://postgres:PW@...
    size_t colon = url.find(':', url.find("//"));
    size_t at = url.find('@');
    EXPECT_EQ(message.find(url.substr(colon + 1, at - colon - 1)),
              std::string::npos)
        << message;
  }
}

// One statement as the superuser; the first value of its first row, or "".
std::string Admin(const std::string& sql,
                  const std::string& url = LoadPgEnv().admin_url()) {
  try {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec(sql);
    if (r.empty() || r.columns() == 0 || r[0][0].is_null()) return "";
    return r[0][0].as<std::string>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << sql << ": " << e.what();
    return "";
  }
}

// The backend that holds namespace `ns`'s advisory lock, or "".
std::string HolderPid(const std::string& ns,
                      const std::string& url = LoadPgEnv().admin_url()) {
  const uint64_t key = static_cast<uint64_t>(PostgresCatalogStore::LockKey(ns));
  return Admin(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
      "objsubid = 1 AND classid::bigint = " +
          std::to_string(key >> 32) +
          " AND objid::bigint = " + std::to_string(key & 0xffffffffu),
      url);
}

CollectionDef Def(const std::string& name, uint32_t dim = 4) {
  CollectionDef d;
  d.config.name = name;
  d.config.dimension = dim;
  return d;
}

std::unique_ptr<CatalogStore> OpenClaimed(const PostgresOptions& o) {
  auto store = PostgresCatalogStore::Open(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  auto id = (*store)->Claim();
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  if (!id.ok()) return nullptr;
  return std::move(*store);
}

// --- The contract ---------------------------------------------------------

// Without a PostgreSQL (and PDB_REQUIRE_PG unset) every test skips, the
// contract's included.
class SkipWithoutPostgres : public ::testing::Environment {
 public:
  void SetUp() override {
    const PgEnv& env = LoadPgEnv();
    if (env.skip) GTEST_SKIP() << env.problem;
  }
};
const auto* const kSkipWithoutPostgres =
    ::testing::AddGlobalTestEnvironment(new SkipWithoutPostgres);

StoreFactory PostgresFactory() {
  return {"postgres",
          [](const std::string& ns) {
            const PgEnv& env = LoadPgEnv();
            if (!env.problem.empty()) {
              return Result<std::unique_ptr<CatalogStore>>(
                  Status::Unavailable(env.problem));
            }
            // Generous timeouts: the suites test behaviour, not time, and
            // run beside the whole test suite on a loaded machine.
            PostgresOptions o = Options(ns);
            o.connect_timeout_s = 10;
            o.statement_timeout_ms = 15000;
            o.request_timeout_ms = 20000;
            return PostgresCatalogStore::Open(o);
          },
          /*skip=*/{}};
}

INSTANTIATE_TEST_SUITE_P(Postgres, CatalogStoreContractTest,
                         ::testing::Values(PostgresFactory()));
// The engine bound to the PostgreSQL catalog (cluster/bound_db.h).
using testing_contract::BoundDbTest;
INSTANTIATE_TEST_SUITE_P(Postgres, BoundDbTest,
                         ::testing::Values(PostgresFactory()));

// --- What only a real server shows ---------------------------------------

class PostgresCatalogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { PDB_REQUIRE_PG(); }
};

TEST_F(PostgresCatalogStoreTest, ALostSessionTakesTheLockAgainBeforeWriting) {
  const std::string ns = UniqueNs("lost");
  auto a = OpenClaimed(Options(ns));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->CreateCollection(Def("before")).ok());
  const std::string old_pid = HolderPid(ns);
  ASSERT_FALSE(old_pid.empty());
  EXPECT_EQ(Admin("SELECT pg_terminate_backend(" + old_pid + ", 5000)"), "t");

  // The next write opens a new session, which takes the lock first.
  Status s = a->CreateCollection(Def("after"));
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::string new_pid = HolderPid(ns);
  EXPECT_FALSE(new_pid.empty());
  EXPECT_NE(new_pid, old_pid);
  auto list = a->ListCollections();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->size(), 2u);

  // It holds the namespace again: a second server is refused.
  auto b = PostgresCatalogStore::Open(Options(ns));
  ASSERT_TRUE(b.ok());
  auto refused = (*b)->Claim();
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(ns), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("backend pid " + new_pid),
            std::string::npos)
      << refused.status().message();
  ExpectNoSecret(refused.status().message());
}

TEST_F(PostgresCatalogStoreTest, AServerThatClaimedMeanwhileWins) {
  const std::string ns = UniqueNs("meanwhile");
  auto a = OpenClaimed(Options(ns));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->CreateCollection(Def("a")).ok());
  EXPECT_EQ(Admin("SELECT pg_terminate_backend(" + HolderPid(ns) + ", 5000)"),
            "t");

  // While `a` has no session, `b` claims the namespace.
  auto b = OpenClaimed(Options(ns));
  ASSERT_TRUE(b);
  const std::string b_pid = HolderPid(ns);

  // `a` must not write (nor read) what it no longer holds.
  Status s = a->CreateCollection(Def("from_a"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("lost its claim"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(ns), std::string::npos) << s.message();
  ExpectNoSecret(s.message());
  EXPECT_EQ(a->UpdateAliases({{AliasAction::Kind::kCreate, "x", "a"}}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->BeginDrop("a").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->ListCollections().status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(HolderPid(ns), b_pid);

  ASSERT_TRUE(b->CreateCollection(Def("from_b")).ok());
  auto list = b->ListCollections();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].config.name, "a");
  EXPECT_EQ((*list)[1].config.name, "from_b");
  auto aliases = b->ListAliases();
  ASSERT_TRUE(aliases.ok());
  EXPECT_TRUE(aliases->empty());

  // Once `b` is gone, `a` takes it back on its next call.
  b.reset();
  s = a->CreateCollection(Def("from_a"));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(PostgresCatalogStoreTest, ARowChangedByHandIsCorruption) {
  const std::string ns = UniqueNs("damaged");
  auto store = OpenClaimed(Options(ns));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateCollection(Def("good")).ok());
  ASSERT_TRUE(store->CreateCollection(Def("bad")).ok());
  ASSERT_TRUE(store->CreateCollection(Def("state")).ok());
  Admin(
      "UPDATE proximadb_collections SET def = replace(def, "
      "'\"dimension\":4', '\"dimension\":5') WHERE namespace = '" +
      ns + "' AND name = 'bad'");

  auto list = store->ListCollections();
  ASSERT_EQ(list.status().code(), StatusCode::kCorruption)
      << list.status().ToString();
  EXPECT_NE(list.status().message().find("'bad'"), std::string::npos)
      << list.status().message();
  EXPECT_NE(list.status().message().find(ns), std::string::npos);
  ExpectNoSecret(list.status().message());
  EXPECT_EQ(store->UpdateCollection(Def("bad")).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(store->BeginDrop("bad").code(), StatusCode::kCorruption);
  EXPECT_EQ(
      store->UpdateAliases({{AliasAction::Kind::kCreate, "x", "good"}}).code(),
      StatusCode::kCorruption);
  EXPECT_TRUE(store->UpdateCollection(Def("good", 4)).ok())
      << "other rows stay usable";

  // The state column must agree with the def.
  Admin("DELETE FROM proximadb_collections WHERE namespace = '" + ns +
        "' AND name = 'bad'");
  Admin(
      "UPDATE proximadb_collections SET state = 'dropping' WHERE "
      "namespace = '" +
      ns + "' AND name = 'state'");
  list = store->ListCollections();
  ASSERT_EQ(list.status().code(), StatusCode::kCorruption);
  EXPECT_NE(list.status().message().find("state column"), std::string::npos)
      << list.status().message();
}

TEST_F(PostgresCatalogStoreTest, AStoppedServerIsUnavailableWithoutAHang) {
  PrivatePostgres pg(std::string(PDB_PG_SCRATCH) + "/stopped-" +
                     std::to_string(::getpid()));
  ASSERT_TRUE(pg.problem().empty()) << pg.problem();
  const std::string ns = UniqueNs("stopped");
  auto store = OpenClaimed(Options(ns, pg.env().url()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateCollection(Def("a")).ok());
  pg.Stop();

  auto t0 = Clock::now();
  Status s = store->CreateCollection(Def("b"));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  ExpectNoSecret(s.message());
  auto list = store->ListCollections();
  EXPECT_EQ(list.status().code(), StatusCode::kUnavailable);
  auto reopened = PostgresCatalogStore::Open(Options(ns, pg.env().url()));
  EXPECT_EQ(reopened.status().code(), StatusCode::kUnavailable);
  ExpectNoSecret(reopened.status().message());
  EXPECT_EQ(reopened.status().message().find(pg.env().password()),
            std::string::npos);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(PostgresCatalogStoreTest, AFrozenBackendIsCutOffAtTheRequestTimeout) {
  PrivatePostgres pg(std::string(PDB_PG_SCRATCH) + "/frozen-" +
                     std::to_string(::getpid()));
  ASSERT_TRUE(pg.problem().empty()) << pg.problem();
  const std::string ns = UniqueNs("frozen");
  PostgresOptions o = Options(ns, pg.env().url());
  o.request_timeout_ms = 1500;
  auto store = OpenClaimed(o);
  ASSERT_TRUE(store);
  const int pid = std::stoi(HolderPid(ns, pg.env().admin_url()));
  if (::kill(pid, SIGSTOP) != 0) {
    GTEST_SKIP() << "cannot stop postgres backend " << pid
                 << " (another user's process)";
  }

  auto t0 = Clock::now();
  Status s = store->CreateCollection(Def("a"));
  const auto took = Clock::now() - t0;
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("no answer"), std::string::npos) << s.message();
  EXPECT_GE(took, std::chrono::milliseconds(1400));
  EXPECT_LT(took, std::chrono::milliseconds(4000));

  // The frozen session still holds the lock: the store refuses to write
  // rather than write without it.
  s = store->CreateCollection(Def("a"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();

  // Thawed, the old session notices its socket is gone and ends: the store
  // takes the lock again.
  ASSERT_EQ(::kill(pid, SIGCONT), 0);
  Status again;
  for (int i = 0; i < 50; ++i) {
    again = store->CreateCollection(Def("a"));
    if (again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(again.ok()) << again.ToString();
}

TEST_F(PostgresCatalogStoreTest, ConcurrentFirstStartsOnAnEmptyDatabase) {
  const std::string db = "fresh_" + std::to_string(::getpid());
  Admin("CREATE DATABASE " + db + " OWNER proximadb");
  std::string url = LoadPgEnv().url();
  url.replace(url.rfind('/') + 1, std::string::npos, db);
  std::vector<std::thread> threads;
  std::vector<Status> results(6);
  std::vector<std::unique_ptr<CatalogStore>> stores(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      // Two servers per namespace: one of each pair wins.
      auto s = PostgresCatalogStore::Open(
          Options("ns" + std::to_string(i / 2), url));
      if (!s.ok()) {
        results[i] = s.status();
        return;
      }
      auto id = (*s)->Claim();
      results[i] = id.ok() ? Status::OK() : id.status();
      stores[i] = std::move(*s);
    });
  }
  for (auto& t : threads) t.join();
  for (int pair = 0; pair < 3; ++pair) {
    const Status& x = results[2 * pair];
    const Status& y = results[2 * pair + 1];
    EXPECT_NE(x.ok(), y.ok()) << x.ToString() << " / " << y.ToString();
    const Status& lost = x.ok() ? y : x;
    EXPECT_EQ(lost.code(), StatusCode::kFailedPrecondition) << lost.ToString();
  }
  stores.clear();
  EXPECT_EQ(Admin("SELECT version FROM proximadb_schema",
                  LoadPgEnv().admin_url().substr(
                      0, LoadPgEnv().admin_url().rfind('/') + 1) +
                      db),
            "1");
  EXPECT_EQ(Admin("SELECT count(*) FROM proximadb_schema",
                  LoadPgEnv().admin_url().substr(
                      0, LoadPgEnv().admin_url().rfind('/') + 1) +
                      db),
            "1");
  Admin("DROP DATABASE " + db + " WITH (FORCE)");
}

TEST_F(PostgresCatalogStoreTest, NoPasswordInAnyMessage) {
  const PgEnv& env = LoadPgEnv();
  const std::string& pw = env.password();
  std::string port = env.vars.at("PDB_PG_PORT");

  // Wrong password, unknown database, nothing listening: kUnavailable.
  std::string wrong = env.url();
  wrong.replace(wrong.find(pw), pw.size(), pw + "x");
  for (const std::string& url :
       {wrong,
        "postgresql://proximadb:" + pw + "@127.0.0.1:" + port + "/nosuchdb",
        std::string("postgresql://proximadb:") + pw + "@127.0.0.1:1/pdbtest",
        "host=127.0.0.1 port=" + port + " user=proximadb password=" + pw +
            " dbname=nosuchdb"}) {
    auto s = PostgresCatalogStore::Open(Options("ns", url));
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.status().code(), StatusCode::kUnavailable)
        << s.status().ToString();
    EXPECT_EQ(s.status().message().find(pw), std::string::npos)
        << s.status().message();
  }
  // A malformed one: kInvalidArgument, still without the password.
  auto bad = PostgresCatalogStore::Open(
      Options("ns", "postgresql://proximadb:" + pw + "@127.0.0.1:" + port +
                        "/pdbtest?nosuchoption=" + pw));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find(pw), std::string::npos)
      << bad.status().message();

  // describe(): where, without the password.
  auto ok = PostgresCatalogStore::Open(Options("described"));
  ASSERT_TRUE(ok.ok());
  const std::string d = (*ok)->describe();
  EXPECT_EQ(d,
            "postgresql 127.0.0.1:" + port + "/pdbtest, namespace 'described'");
  EXPECT_EQ((*ok)->backend(), "postgresql");
}

TEST_F(PostgresCatalogStoreTest, CallsBeforeClaimAreRefused) {
  auto store = PostgresCatalogStore::Open(Options(UniqueNs("unclaimed")));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->ListCollections().status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->CreateCollection(Def("a")).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*store)->Claim().ok());
  EXPECT_EQ((*store)->Claim().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*store)->ListCollections().ok());
  EXPECT_EQ(PostgresCatalogStore::Open(Options("")).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace proximadb::cluster
