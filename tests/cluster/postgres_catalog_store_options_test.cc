// PostgresCatalogStore without a server: what Open refuses before it
// connects, and the advisory lock's key that docs/FORMATS.md ("External
// catalog") promises operators. Everything else runs against a real
// PostgreSQL in tests/cluster_pg (label `pg`).
#include <gtest/gtest.h>

#include <chrono>

#include "cluster/postgres_catalog_store.h"

namespace proximadb::cluster {
namespace {

PostgresOptions Options(std::string url, std::string ns = "default") {
  PostgresOptions o;
  o.url = std::move(url);
  o.namespace_ = std::move(ns);
  o.connect_timeout_s = 2;
  return o;
}

TEST(PostgresCatalogStoreOptionsTest, RefusesBadOptionsBeforeConnecting) {
  EXPECT_EQ(PostgresCatalogStore::Open(Options("")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      PostgresCatalogStore::Open(Options("host=127.0.0.1", "")).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(PostgresCatalogStore::Open(
                Options("host=127.0.0.1", std::string(129, 'n')))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  PostgresOptions o = Options("host=127.0.0.1");
  o.request_timeout_ms = 0;
  EXPECT_EQ(PostgresCatalogStore::Open(o).status().code(),
            StatusCode::kInvalidArgument);
  // Malformed, with a password in it that the message must not repeat.
  for (const char* url :
       {"postgresql://u:s3cr3t@host:notaport:/db?x=s3cr3t",
        "host=127.0.0.1 password='s3cr3t", "nosuchkeyword=s3cr3t"}) {
    auto s = PostgresCatalogStore::Open(Options(url));
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(s.status().message().find("s3cr3t"), std::string::npos)
        << s.status().message();
  }
}

TEST(PostgresCatalogStoreOptionsTest, NothingListeningIsUnavailableAtOnce) {
  // Port 1 on loopback: refused at once, whatever connect_timeout says.
  auto t0 = std::chrono::steady_clock::now();
  auto s = PostgresCatalogStore::Open(
      Options("postgresql://u:s3cr3t@127.0.0.1:1/db"));
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("127.0.0.1:1/db"), std::string::npos)
      << s.status().message();
  EXPECT_EQ(s.status().message().find("s3cr3t"), std::string::npos)
      << s.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(PostgresCatalogStoreOptionsTest, TheLockKeyIsStable) {
  // FNV-1a 64 of "proximadb.catalog/<namespace>", as a signed bigint: the
  // value docs/FORMATS.md tells operators to look for in pg_locks. Servers
  // of different versions must agree on it.
  EXPECT_EQ(PostgresCatalogStore::LockKey("default"), -5103178379645857036);
  EXPECT_EQ(PostgresCatalogStore::LockKey("prod"), -8884290739287434838);
}

}  // namespace
}  // namespace proximadb::cluster
