// ServiceFixture: "a temporary directory, a DB opened in it and a
// VectorService over that DB", the fixture the service, REST router and
// gRPC tests share. Background threads are off, so tests drive flushes and
// compactions themselves. Derive from it; to change the DB options override
// Options(); to add set-up, call ServiceFixture::SetUp() first and return if
// it failed:
//
//   class MyTest : public test_util::ServiceFixture {
//    protected:
//     void SetUp() override {
//       ServiceFixture::SetUp();
//       if (HasFatalFailure()) return;
//       ...
//     }
//   };
//
// Whatever uses svc_ (a server started over it) must be released before
// ServiceFixture::TearDown(), which closes the service and the DB; the
// directory goes with the fixture.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "proximadb/db.h"
#include "service/service.h"
#include "util/temp_dir.h"

namespace proximadb::test_util {

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty()) << "cannot create a temporary directory";
    const DBOptions options = Options();
    auto db = DB::Open(options, tmp_.path() + "/db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    svc_ = std::make_unique<service::VectorService>(std::move(db).value(),
                                                    options.flush_defaults);
  }
  void TearDown() override { svc_.reset(); }

  // The options the DB is opened with; the service resolves flush policies
  // against their flush_defaults.
  virtual DBOptions Options() const {
    DBOptions options;
    options.background_threads = false;
    return options;
  }

  TempDir tmp_;
  std::unique_ptr<service::VectorService> svc_;
};

}  // namespace proximadb::test_util
