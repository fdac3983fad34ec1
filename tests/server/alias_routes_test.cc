// Aliases over REST (HandleRequest, the whole route): POST/GET
// /api/v1/aliases shapes, atomic requests, refusals with their codes and
// messages, every collection route through an alias answering with the
// collection's own name, DELETE of an alias refused, and the read-write key
// a change needs.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/rest/router.h"
#include "util/service_fixture.h"

namespace proximadb::rest {
namespace {

using nlohmann::json;

class AliasRoutesTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    for (const char* name : {"docs", "docs_v2"}) {
      ASSERT_EQ(Do("POST", "/api/v1/collections",
                   json{{"name", name}, {"dimension", 2}}.dump())
                    .status,
                201u);
    }
  }
  RestResponse Do(const char* method, const std::string& target,
                  const std::string& body = "",
                  const service::ApiKeys* keys = nullptr,
                  std::string_view key = "") {
    RequestContext ctx;
    ctx.api_keys = keys;
    ctx.presented_key = key;
    return HandleRequest(*svc_, method, target, body, ctx);
  }
  // A vector, not a braced json: nlohmann reads {x} as x itself.
  RestResponse Aliases(const std::vector<json>& actions) {
    return Do("POST", "/api/v1/aliases",
              json{{"actions", json(actions)}}.dump());
  }
  static json Create(const std::string& a, const std::string& c) {
    return {{"create", {{"alias", a}, {"collection", c}}}};
  }
  static json Delete(const std::string& a) {
    return {{"delete", {{"alias", a}}}};
  }
  json List() {
    RestResponse r = Do("GET", "/api/v1/aliases");
    EXPECT_EQ(r.status, 200u) << r.body;
    return json::parse(r.body);
  }
};

TEST_F(AliasRoutesTest, CreateListSwitchDelete) {
  EXPECT_EQ(List(), json::parse(R"({"aliases": []})"));
  RestResponse r = Aliases({Create("prod", "docs"), Create("a", "docs")});
  ASSERT_EQ(r.status, 200u) << r.body;
  const json both = json::parse(
      R"({"aliases": [{"alias": "a", "collection": "docs"},
                      {"alias": "prod", "collection": "docs"}]})");
  EXPECT_EQ(json::parse(r.body), both);
  EXPECT_EQ(List(), both);
  r = Aliases({Delete("prod"), Create("prod", "docs_v2"), Delete("a")});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(List(), json::parse(R"({"aliases": [
      {"alias": "prod", "collection": "docs_v2"}]})"));
}

TEST_F(AliasRoutesTest, RefusalsChangeNothing) {
  ASSERT_EQ(Aliases({Create("prod", "docs")}).status, 200u);
  const json before = List();
  struct Case {
    std::string body;
    unsigned status;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {R"({"actions": []})", 400, "actions"},
      {R"({})", 400, "missing required field 'actions'"},
      {R"({"actions": [{}]})", 400,
       "actions[0]: must be an object with one key"},
      {R"({"actions": [{"rename": {"alias": "x"}}]})", 400,
       "unknown field 'actions[0].rename'"},
      {R"({"actions": [{"create": {"alias": "x"}}]})", 400,
       "missing required field 'actions[0].create.collection'"},
      {R"({"actions": [{"delete": {"alias": "x", "collection": "docs"}}]})",
       400, "unknown field 'actions[0].delete.collection'"},
      {R"({"actions": [{"create": {"alias": "bad name", "collection": "docs"}}]})",
       400, "actions[0]: alias must be 1..128 characters"},
      {R"({"actions": [{"create": {"alias": "x", "collection": "docs"}}],
           "atomic": true})",
       400, "unknown field 'atomic'"},
      {json{{"actions", json::array({Create("docs_v2", "docs")})}}.dump(), 409,
       "'docs_v2' is the name of a collection"},
      {json{{"actions", json::array({Create("prod", "docs_v2")})}}.dump(), 409,
       "alias 'prod' already exists"},
      {json{{"actions", json::array({Create("x", "nope")})}}.dump(), 404,
       "collection 'nope' not found"},
      {json{{"actions", json::array({Delete("prod"), Delete("nope")})}}.dump(),
       404, "actions[1]: alias 'nope' not found"},
  };
  for (const Case& c : cases) {
    RestResponse r = Do("POST", "/api/v1/aliases", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_NE(r.message.find(c.needle), std::string::npos)
        << c.body << " -> " << r.body;
    EXPECT_EQ(List(), before) << c.body;
  }
  // A collection named like an alias.
  RestResponse r = Do("POST", "/api/v1/collections",
                      json{{"name", "prod"}, {"dimension", 2}}.dump());
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(r.error, "already_exists");
}

TEST_F(AliasRoutesTest, CollectionRoutesAcceptAnAliasAndNameTheCollection) {
  ASSERT_EQ(Aliases({Create("prod", "docs")}).status, 200u);
  RestResponse r = Do("GET", "/api/v1/collections/prod");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["name"], "docs");
  r = Do("POST", "/api/v1/collections/prod/vectors",
         R"({"id": "p1", "vector": [1, 0]})");
  ASSERT_EQ(r.status, 201u) << r.body;
  r = Do("GET", "/api/v1/collections/docs/vectors/p1");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = Do("POST", "/api/v1/collections/prod/search",
         R"({"vector": [1, 0], "k": 1})");
  ASSERT_EQ(r.status, 200u) << r.body;
  r = Do("POST", "/api/v1/collections/prod/flush");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["name"], "docs");
  r = Do("GET", "/api/v1/collections/prod/stats");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["name"], "docs");
  r = Do("DELETE", "/api/v1/collections/prod/vectors/nope");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.message.find("in collection 'docs'"), std::string::npos)
      << r.body;

  // Dropping through an alias is refused; by the name it works and takes
  // the alias along.
  r = Do("DELETE", "/api/v1/collections/prod");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_NE(r.message.find("drop the collection by its own name"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(Do("GET", "/api/v1/collections/docs").status, 200u);
  EXPECT_EQ(Do("DELETE", "/api/v1/collections/docs").status, 200u);
  EXPECT_EQ(List(), json::parse(R"({"aliases": []})"));
  EXPECT_EQ(Do("GET", "/api/v1/collections/prod").status, 404u);
}

TEST_F(AliasRoutesTest, ChangesNeedAReadWriteKey) {
  auto keys = service::ApiKeys::Parse({"ro:reader-key-1", "writer-key-1"});
  ASSERT_TRUE(keys.ok());
  const std::string body =
      json{{"actions", json::array({Create("prod", "docs")})}}.dump();
  RestResponse r = Do("POST", "/api/v1/aliases", body, &*keys, "reader-key-1");
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_EQ(Do("GET", "/api/v1/aliases", "", &*keys, "reader-key-1").status,
            200u);
  EXPECT_EQ(Do("POST", "/api/v1/aliases", body, &*keys, "writer-key-1").status,
            200u);
  EXPECT_EQ(Do("GET", "/api/v1/aliases", "", &*keys, "").status, 401u);
}

}  // namespace
}  // namespace proximadb::rest
