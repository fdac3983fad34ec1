// HandleRequest with its gates on: API keys (401/403, health open), the
// in-flight bound (503 + Retry-After), metrics recording and GET /metrics.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/rest/router.h"
#include "proximadb/db.h"
#include "util/service_fixture.h"

namespace proximadb::rest {
namespace {

using service::Operation;
using service::Protocol;

class RouterGatesTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    auto keys = service::ApiKeys::Parse({"ro:reader-key-1", "writer-key-1"});
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(keys).value();
  }
  RestResponse Do(const char* method, const std::string& target,
                  std::string_view key, const std::string& body = "") {
    RequestContext ctx;
    ctx.presented_key = key;
    ctx.api_keys = &keys_;
    ctx.inflight = &inflight_;
    ctx.metrics = &metrics_;
    ctx.metrics_endpoint = metrics_endpoint_;
    return HandleRequest(*svc_, method, target, body, ctx);
  }
  static std::string Header(const RestResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  service::ApiKeys keys_;
  service::InflightLimit inflight_{2};
  service::Metrics metrics_;
  bool metrics_endpoint_ = true;
};

const char* kCreate = R"({"name":"docs","dimension":2})";

TEST_F(RouterGatesTest, ApiKeys) {
  RestResponse none = Do("GET", "/api/v1/collections", "");
  EXPECT_EQ(none.status, 401u);
  EXPECT_EQ(none.error, "unauthenticated");
  EXPECT_EQ(Header(none, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Do("GET", "/api/v1/collections", "nope-nope-nope").status, 401u);
  EXPECT_EQ(Do("GET", "/api/v1/collections", "reader-key-1").status, 200u);
  RestResponse ro = Do("POST", "/api/v1/collections", "reader-key-1", kCreate);
  EXPECT_EQ(ro.status, 403u);
  EXPECT_EQ(ro.error, "permission_denied");
  EXPECT_EQ(Do("POST", "/api/v1/collections", "writer-key-1", kCreate).status,
            201u);
  // Health and metrics are open.
  EXPECT_EQ(Do("GET", "/health", "").status, 200u);
  EXPECT_EQ(Do("GET", "/health/ready", "").status, 200u);
  EXPECT_EQ(Do("GET", "/metrics", "").status, 200u);
  // Unknown routes stay 404 (no key needed to learn a path does not exist).
  EXPECT_EQ(Do("GET", "/api/v1/nothing", "").status, 404u);

  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kListCollections,
                           service::kCodeUnauthenticated),
            2u);
  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kCreateCollection,
                           service::kCodePermissionDenied),
            1u);
  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kCreateCollection,
                           service::CodeIndex(StatusCode::kOk)),
            1u);
}

TEST_F(RouterGatesTest, InflightBound) {
  ASSERT_TRUE(inflight_.TryAcquire());
  ASSERT_TRUE(inflight_.TryAcquire());
  RestResponse busy = Do("GET", "/api/v1/collections", "reader-key-1");
  EXPECT_EQ(busy.status, 503u);
  EXPECT_EQ(busy.error, "unavailable");
  EXPECT_EQ(Header(busy, "Retry-After"), "1");
  // Probes still get through when the server is saturated.
  EXPECT_EQ(Do("GET", "/health", "").status, 200u);
  EXPECT_EQ(Do("GET", "/metrics", "").status, 200u);
  inflight_.Release();
  EXPECT_EQ(Do("GET", "/api/v1/collections", "reader-key-1").status, 200u);
  inflight_.Release();
  EXPECT_EQ(inflight_.current(), 0);
}

TEST_F(RouterGatesTest, MetricsEndpoint) {
  ASSERT_EQ(Do("POST", "/api/v1/collections", "writer-key-1", kCreate).status,
            201u);
  ASSERT_EQ(Do("DELETE", "/api/v1/collections/docs/vectors", "writer-key-1",
               R"({"filter":{"a":1}})")
                .status,
            200u);
  RestResponse m = Do("GET", "/metrics?x=1", "");
  ASSERT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("proximadb_requests_total{protocol=\"rest\","
                        "operation=\"CreateCollection\",code=\"ok\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("operation=\"DeleteByFilter\",code=\"ok\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("proximadb_collection_points{collection=\"docs\"} 0"),
            std::string::npos);
  // Only GET is the metrics endpoint.
  EXPECT_EQ(Do("POST", "/metrics", "").status, 404u);
  metrics_endpoint_ = false;
  EXPECT_EQ(Do("GET", "/metrics", "").status, 404u);
}

}  // namespace
}  // namespace proximadb::rest
