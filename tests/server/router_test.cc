// Routing helpers of the REST transport (no sockets, no engine).
#include "api/rest/router.h"

#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proximadb/db.h"
#include "util/service_fixture.h"

namespace proximadb::rest {
namespace {

TEST(RouterTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%2Fb%20c%25").value(), "a/b c%");
  EXPECT_EQ(PercentDecode("plus+stays").value(), "plus+stays");
  EXPECT_EQ(PercentDecode("%e2%82%AC").value(), "\xe2\x82\xac");
  for (const char* bad : {"%", "%2", "%zz", "a%g1"}) {
    EXPECT_FALSE(PercentDecode(bad).ok()) << bad;
  }
}

TEST(RouterTest, SplitPath) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SplitPath("/api/v1/collections").value(),
            (V{"api", "v1", "collections"}));
  EXPECT_EQ(SplitPath("/api/v1/collections/").value(),
            (V{"api", "v1", "collections"}));
  EXPECT_EQ(SplitPath("/a//b?x=1/2#f").value(), (V{"a", "b"}));
  EXPECT_EQ(SplitPath("/c/x%2Fy").value(), (V{"c", "x/y"}));
  EXPECT_EQ(SplitPath("/").value(), V{});
  EXPECT_FALSE(SplitPath("/c/%x").ok());
}

TEST(RouterTest, StatusMapping) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDimensionMismatch), 400u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kIOError), 500u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kCorruption), 500u);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500u);
}

TEST(RouterTest, ErrorBody) {
  RestResponse r = ErrorResponse(Status::DimensionMismatch("bad \xff id"));
  EXPECT_EQ(r.status, 400u);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"], "dimension_mismatch");
  EXPECT_TRUE(j["message"].is_string());
}

// HandleRequest over a real service: route table, methods, status codes.
class HandleRequestTest : public test_util::ServiceFixture {
 protected:
  RestResponse Do(const char* method, const std::string& target,
                  const std::string& body = "") {
    return HandleRequest(*svc_, method, target, body);
  }
};

TEST_F(HandleRequestTest, Routes) {
  EXPECT_EQ(Do("GET", "/health").status, 200u);
  EXPECT_EQ(Do("GET", "/health/live").status, 200u);
  EXPECT_EQ(Do("GET", "/health/nope").status, 404u);
  EXPECT_EQ(Do("POST", "/health").status, 405u);
  EXPECT_EQ(Do("GET", "/").status, 404u);
  EXPECT_EQ(Do("GET", "/api/v1").status, 404u);
  EXPECT_EQ(Do("GET", "/api/v1/collections/").status, 200u);
  EXPECT_EQ(Do("GET", "/api/v1/collections?limit=3").status, 200u);
  EXPECT_EQ(
      Do("POST", "/api/v1/collections", R"({"name":"c","dimension":2})").status,
      201u);
  EXPECT_EQ(Do("POST", "/api/v1/collections/c/vectors",
               R"({"id":"batch","vector":[1,2]})")
                .status,
            201u);
  // POST .../vectors/batch is the batch upsert; GET reaches the point.
  RestResponse r = Do("POST", "/api/v1/collections/c/vectors/batch",
                      R"({"vectors":[{"id":"q","vector":[3,4]}]})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Do("GET", "/api/v1/collections/c/vectors/batch").status, 200u);
  EXPECT_EQ(Do("GET", "/api/v1/collections/c/vectors/q").status, 200u);
  EXPECT_EQ(Do("DELETE", "/api/v1/collections/c/vectors/q").status, 200u);

  r = Do("PUT", "/api/v1/collections/c/vectors/q");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "GET, DELETE, PATCH");
  EXPECT_EQ(Do("GET", "/api/v1/collections/c/vectors").status, 405u);
  EXPECT_EQ(Do("GET", "/api/v1/collections/c/search").status, 405u);
  EXPECT_EQ(Do("GET", "/api/v1/collections/c/vectors/a/b").status, 404u);
  EXPECT_EQ(Do("GET", "/api/v1/collections/c/other").status, 404u);
  EXPECT_EQ(Do("POST", "/api/v1/collections/c/search", "{").status, 400u);
  EXPECT_EQ(Do("DELETE", "/api/v1/collections/c").status, 200u);
  EXPECT_EQ(Do("GET", "/api/v1/collections/c").status, 404u);
}

// The routes added for parity with gRPC: methods, bodies, status codes.
TEST_F(HandleRequestTest, ParityRoutes) {
  const std::string c = "/api/v1/collections/c";
  ASSERT_EQ(
      Do("POST", "/api/v1/collections", R"({"name":"c","dimension":2})").status,
      201u);
  RestResponse r = Do("PUT", c + "/vectors",
                      R"({"vectors":[{"id":"a","vector":[1,0]},
                                     {"id":"b","vector":[0,1],
                                      "metadata":{"t":"x"}}]})");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = Do("PATCH", c, R"({"max_wal_age_hours": 2})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["flush_policy"]["max_wal_age_hours"],
            2.0);
  EXPECT_EQ(Do("PATCH", c + "/vectors/a", R"({"metadata":{"t":"x"}})").status,
            200u);
  r = Do("POST", c + "/count", R"({"filter":{"t":"x"}})");
  EXPECT_EQ(nlohmann::json::parse(r.body)["count"], 2);
  r = Do("POST", c + "/count");  // no body: count everything
  EXPECT_EQ(r.status, 200u) << r.body;
  r = Do("POST", c + "/scroll", R"({"limit":1})");
  EXPECT_EQ(nlohmann::json::parse(r.body)["next_after_id"], "a");
  r = Do("POST", c + "/search/batch",
         R"({"queries":[{"vector":[1,0],"k":1},{"vector":[0,1],"k":1}]})");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["results"][1]["matches"][0]["id"],
            "b");
  EXPECT_EQ(Do("POST", c + "/flush").status, 200u);
  EXPECT_EQ(Do("POST", c + "/compact").status, 200u);
  r = Do("GET", c + "/stats");
  EXPECT_EQ(nlohmann::json::parse(r.body)["segment_count"], 1);
  r = Do("DELETE", c + "/vectors", R"({"ids":["a"]})");
  EXPECT_EQ(nlohmann::json::parse(r.body)["deleted_count"], 1);
  r = Do("DELETE", c + "/vectors", R"({"filter":{"t":"x"}})");
  EXPECT_EQ(nlohmann::json::parse(r.body)["deleted_count"], 1);

  EXPECT_EQ(Do("DELETE", c + "/vectors").status, 400u);  // body required
  r = Do("GET", c + "/vectors");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.allow, "POST, PUT, DELETE");
  EXPECT_EQ(Do("GET", c + "/flush").status, 405u);
  EXPECT_EQ(Do("POST", c + "/stats").status, 405u);
  EXPECT_EQ(Do("GET", c + "/search/batch").status, 405u);
  EXPECT_EQ(Do("POST", c + "/search/other").status, 404u);
  r = Do("PUT", c);
  EXPECT_EQ(r.allow, "GET, PATCH, DELETE");
  r = Do("PUT", c + "/vectors/batch");
  EXPECT_EQ(r.allow, "POST, GET, DELETE, PATCH");
}

}  // namespace
}  // namespace proximadb::rest
