// Aliases against the real server: the same refusals with the same messages
// over REST and gRPC, gRPC's UpdateAliases / ListAliases and a search
// through an alias, and the issue's test: clients search through an alias
// at full speed while another switches it between two collections 200
// times; no request fails and every answer comes from one collection.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "integration/parity_fixture.h"

namespace proximadb::testing::parity {
namespace {

class AliasIntegrationTest : public ParityTest {
 protected:
  // (alias, collection) creates, (alias, "") deletes.
  using Actions = std::vector<std::pair<std::string, std::string>>;
  static json RestActions(const Actions& acts) {
    json list = json::array();
    for (const auto& [a, c] : acts) {
      if (c.empty()) {
        list.push_back({{"delete", {{"alias", a}}}});
      } else {
        list.push_back({{"create", {{"alias", a}, {"collection", c}}}});
      }
    }
    return json{{"actions", list}};
  }
  GrpcReply GrpcAliases(const Actions& acts, pb::AliasesResponse* out) {
    pb::UpdateAliasesRequest r;
    for (const auto& [a, c] : acts) {
      pb::AliasAction* x = r.add_actions();
      if (c.empty()) {
        x->mutable_delete_alias()->set_alias(a);
      } else {
        x->mutable_create_alias()->set_alias(a);
        x->mutable_create_alias()->set_collection(c);
      }
    }
    return Call(&pb::ProximaDB::Stub::UpdateAliases, r, out);
  }
  void MakeCollection(const std::string& name, const std::string& prefix) {
    ASSERT_EQ(Rest("POST", kApi, {{"name", name}, {"dimension", 2}}).status,
              201u);
    json vectors = json::array();
    for (int i = 0; i < 100; ++i) {
      vectors.push_back(
          {{"id", prefix + std::to_string(i)}, {"vector", {1.0 + i, 0.5 * i}}});
    }
    ASSERT_EQ(
        Rest("PUT", kApi + "/" + name + "/vectors", {{"vectors", vectors}})
            .status,
        200u);
  }
  // Same code and message on both transports.
  void ExpectSame(const std::string& what, const Actions& acts, unsigned http,
                  grpc::StatusCode code, const std::string& want) {
    SCOPED_TRACE(what);
    HttpReply r = Rest("POST", "/api/v1/aliases", RestActions(acts));
    pb::AliasesResponse out;
    GrpcReply g = GrpcAliases(acts, &out);
    EXPECT_EQ(r.status, http) << r.body;
    EXPECT_EQ(g.status.error_code(), code) << g.status.error_message();
    EXPECT_EQ(r.json().value("message", ""), want);
    EXPECT_EQ(g.status.error_message(), want);
    EXPECT_EQ(r.error(), g.error);
  }
};

TEST_F(AliasIntegrationTest, SameRefusalsSameMessages) {
  MakeCollection("docs", "d");
  ASSERT_EQ(
      Rest("POST", "/api/v1/aliases", RestActions({{"prod", "docs"}})).status,
      200u);
  ExpectSame("bad name", {{"a b", "docs"}}, 400,
             grpc::StatusCode::INVALID_ARGUMENT,
             "actions[0]: alias must be 1..128 characters of [A-Za-z0-9_-], "
             "got 'a b'");
  ExpectSame("no actions", {}, 400, grpc::StatusCode::INVALID_ARGUMENT,
             "field 'actions' must be in 1..100, got 0");
  ExpectSame("alias named like a collection", {{"docs", "docs"}}, 409,
             grpc::StatusCode::ALREADY_EXISTS,
             "actions[0]: 'docs' is the name of a collection; aliases and "
             "collections share one namespace");
  ExpectSame("taken", {{"prod", "docs"}}, 409, grpc::StatusCode::ALREADY_EXISTS,
             "actions[0]: alias 'prod' already exists (for collection "
             "'docs'); to switch it, delete it earlier in the same request");
  ExpectSame("no collection", {{"x", "nope"}}, 404, grpc::StatusCode::NOT_FOUND,
             "actions[0]: collection 'nope' not found");
  ExpectSame("no alias", {{"nope", ""}}, 404, grpc::StatusCode::NOT_FOUND,
             "actions[0]: alias 'nope' not found");

  // Dropping through an alias.
  HttpReply r = Rest("DELETE", kApi + "/prod");
  pb::DeleteCollectionRequest d;
  d.set_name("prod");
  pb::DeleteCollectionResponse dout;
  GrpcReply g = Call(&pb::ProximaDB::Stub::DeleteCollection, d, &dout);
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(r.error(), "failed_precondition");
  EXPECT_EQ(g.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(r.json().value("message", ""), g.status.error_message());
  EXPECT_EQ(g.status.error_message(),
            "'prod' is an alias (of collection 'docs'): drop the collection "
            "by its own name, or delete the alias");
}

TEST_F(AliasIntegrationTest, GrpcSwitchListAndSearchThroughAnAlias) {
  MakeCollection("blue", "b");
  MakeCollection("green", "g");
  pb::AliasesResponse out;
  ASSERT_TRUE(GrpcAliases({{"live", "blue"}}, &out).ok());
  ASSERT_EQ(out.aliases_size(), 1);
  EXPECT_EQ(out.aliases(0).alias(), "live");
  EXPECT_EQ(out.aliases(0).collection(), "blue");
  out.Clear();
  ASSERT_TRUE(GrpcAliases({{"live", ""}, {"live", "green"}}, &out).ok());
  EXPECT_EQ(out.aliases(0).collection(), "green");

  pb::ListAliasesRequest lr;
  pb::AliasesResponse listed;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::ListAliases, lr, &listed).ok());
  ASSERT_EQ(listed.aliases_size(), 1);
  EXPECT_EQ(Rest("GET", "/api/v1/aliases").json(),
            json::parse(R"({"aliases": [{"alias": "live",
                                         "collection": "green"}]})"));

  pb::SearchRequest q;
  q.set_collection("live");
  q.add_vector(1);
  q.add_vector(0);
  q.set_k(5);
  pb::SearchResponse res;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, q, &res).ok());
  ASSERT_EQ(res.matches_size(), 5);
  for (const auto& m : res.matches()) EXPECT_EQ(m.id()[0], 'g') << m.id();

  pb::GetCollectionRequest gc;
  gc.set_name("live");
  pb::CollectionInfo info;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetCollection, gc, &info).ok());
  EXPECT_EQ(info.name(), "green");
  // Answers name the collection on both transports.
  pb::FlushRequest fr;
  fr.set_collection("live");
  pb::FlushResponse flushed;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Flush, fr, &flushed).ok());
  EXPECT_EQ(flushed.name(), "green");
  EXPECT_EQ(Rest("POST", kApi + "/live/flush").json()["name"], "green");
  pb::ListPayloadIndexesRequest pr;
  pr.set_collection("live");
  pb::PayloadIndexesResponse indexes;
  ASSERT_TRUE(
      Call(&pb::ProximaDB::Stub::ListPayloadIndexes, pr, &indexes).ok());
  EXPECT_EQ(indexes.name(), "green");
  EXPECT_EQ(Rest("GET", kApi + "/live/index/payload").json()["name"], "green");
}

// The issue's test.
TEST_F(AliasIntegrationTest, SwitchingUnderFullSpeedSearchesLosesNothing) {
  MakeCollection("blue", "b");
  MakeCollection("green", "g");
  ASSERT_EQ(
      Rest("POST", "/api/v1/aliases", RestActions({{"live", "blue"}})).status,
      200u);
  std::atomic<bool> done{false};
  std::atomic<int> failed{0}, mixed{0}, answers{0}, from_blue{0}, from_green{0};
  std::vector<std::thread> clients;
  const uint16_t port = server_.port();
  const std::string body = json{{"vector", {3.0, 1.0}}, {"k", 10}}.dump();
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      HttpClient http(port);
      while (!done.load()) {
        HttpReply r = http.Request("POST", kApi + "/live/search", body);
        const json j = r.json();
        if (r.status != 200 || !j.is_object() || j["matches"].size() != 10) {
          ++failed;
          continue;
        }
        const char first = j["matches"][0]["id"].get<std::string>()[0];
        for (const json& m : j["matches"]) {
          if (m["id"].get<std::string>()[0] != first) ++mixed;
        }
        ++(first == 'b' ? from_blue : from_green);
        ++answers;
      }
    });
  }
  HttpClient admin(port);
  int switches_failed = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string to = i % 2 == 0 ? "green" : "blue";
    HttpReply r =
        admin.Request("POST", "/api/v1/aliases",
                      RestActions({{"live", ""}, {"live", to}}).dump());
    if (r.status != 200) ++switches_failed;
  }
  done = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(switches_failed, 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(answers.load(), 0);
  std::cout << answers.load() << " searches (" << from_blue.load()
            << " from blue, " << from_green.load()
            << " from green) during 200 switches\n";
  EXPECT_EQ(Rest("GET", "/api/v1/aliases").json()["aliases"][0]["collection"],
            "blue");
}

}  // namespace
}  // namespace proximadb::testing::parity
