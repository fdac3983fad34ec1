// REST and gRPC are two encodings of one service: these tests start the real
// server and, for every operation of service/operations.h, do the same thing
// over both transports and assert the same results. The scenario checks that
// it covers every operation, so an operation added to kOperations fails here
// until it has a step (and both transports serve it). The error half is
// parity_errors_test.cc.
#include <chrono>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "integration/parity_fixture.h"

namespace proximadb::testing::parity {
namespace {

// Both transports register every operation (the static half of parity; the
// scenario below is the behavioural half).
TEST(ParityTableTest, BothTransportsRegisterEveryOperation) {
  std::set<Operation> rest, grpc;
  for (const rest::RouteSpec& r : rest::Routes()) {
    rest.insert(r.operations.begin(), r.operations.end());
  }
  for (const grpc_api::GrpcMethod& m : grpc_api::GrpcMethods()) {
    grpc.insert(m.op);
  }
  for (const service::OperationInfo& info : service::kOperations) {
    EXPECT_TRUE(rest.count(info.op)) << info.name << ": no REST route";
    EXPECT_TRUE(grpc.count(info.op)) << info.name << ": no gRPC method";
  }
}

// One scenario, in an order where each step has data to work on. REST writes
// collection "pr", gRPC writes "pg" (the same requests), and reads go to the
// same collection over both transports so the answers must be identical.
TEST_F(ParityTest, EveryOperationGivesTheSameResults) {
  struct Step {
    Operation op;
    std::function<void()> run;
  };
  const std::string pr = kApi + "/pr";
  std::vector<Step> steps;

  steps.push_back(
      {Operation::kHealth, [&] {
         HttpReply r = Rest("GET", "/health");
         pb::HealthResponse g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::Health, pb::HealthRequest(), &g).ok());
         ASSERT_EQ(r.status, 200u);
         EXPECT_EQ(r.json()["status"], g.status());
         EXPECT_EQ(r.json()["version"], g.version());
       }});

  steps.push_back(
      {Operation::kCreateCollection, [&] {
         // One shard, one replica: what a single node accepts (more is
         // refused: parity_errors_test.cc).
         HttpReply r = Rest("POST", kApi,
                            {{"name", "pr"},
                             {"dimension", 3},
                             {"distance_metric", "euclidean"},
                             {"indexing_algorithm", "flat"},
                             {"max_wal_age_hours", 0.5},
                             {"shard_count", 1},
                             {"replication_factor", 1},
                             {"sparse_vectors", {{"kw", json::object()}}}});
         pb::CreateCollectionRequest req;
         req.set_name("pg");
         req.set_dimension(3);
         req.set_distance_metric("euclidean");
         req.set_indexing_algorithm("flat");
         req.mutable_flush_policy()->set_max_wal_age_hours(0.5);
         req.set_shard_count(1);
         req.set_replication_factor(1);
         (*req.mutable_sparse_vectors())["kw"];
         pb::CollectionInfo g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::CreateCollection, req, &g).ok());
         ASSERT_EQ(r.status, 201u) << r.body;
         json rj = r.json();
         rj["name"] = "pg";  // the only intended difference
         ExpectSameCollection(rj, g);
         EXPECT_EQ(g.shard_count(), 1u);
         EXPECT_EQ(g.replication_factor(), 1u);
         EXPECT_EQ(g.sparse_vectors_size(), 1);
       }});

  steps.push_back({Operation::kListCollections, [&] {
                     HttpReply r = Rest("GET", kApi);
                     pb::ListCollectionsResponse g;
                     ASSERT_TRUE(Call(&pb::ProximaDB::Stub::ListCollections,
                                      pb::ListCollectionsRequest(), &g)
                                     .ok());
                     ASSERT_EQ(r.status, 200u);
                     ASSERT_EQ(r.json()["total_count"], g.total_count());
                     ASSERT_EQ(g.total_count(), 2u);
                     for (int i = 0; i < g.collections_size(); ++i) {
                       ExpectSameCollection(r.json()["collections"][i],
                                            g.collections(i));
                     }
                   }});

  steps.push_back(
      {Operation::kGetCollection, [&] {
         for (std::string name : {"pr", "pg"}) {
           HttpReply r = Rest("GET", kApi + "/" + name);
           pb::GetCollectionRequest req;
           req.set_name(name);
           pb::CollectionInfo g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetCollection, req, &g).ok());
           ASSERT_EQ(r.status, 200u);
           ExpectSameCollection(r.json(), g);
         }
       }});

  steps.push_back(
      {Operation::kUpdateCollection, [&] {
         HttpReply r = Rest(
             "PATCH", pr, {{"max_vector_count", 500}, {"flush_priority", 80}});
         pb::UpdateCollectionRequest req;
         req.set_name("pg");
         req.mutable_flush_policy()->set_max_vector_count(500);
         req.mutable_flush_policy()->set_flush_priority(80);
         pb::CollectionInfo g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::UpdateCollection, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         json rj = r.json();
         EXPECT_EQ(rj["flush_policy"]["max_vector_count"], 500);
         EXPECT_EQ(rj["flush_policy"]["max_wal_age_hours"], 0.5);  // kept
         rj["name"] = "pg";
         ExpectSameCollection(rj, g);
       }});

  steps.push_back(
      {Operation::kUpsert, [&] {
         const Fixture& a = Points()[0];
         HttpReply r = Rest("POST", pr + "/vectors",
                            PointJson(a.id, a.v, a.metadata, a.sparse));
         pb::UpsertRequest req;
         req.set_collection("pg");
         *req.mutable_point() = MakePoint(a.id, a.v, a.metadata, a.sparse);
         pb::UpsertResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Upsert, req, &g).ok());
         ASSERT_EQ(r.status, 201u) << r.body;
         EXPECT_EQ(r.json()["id"], g.id());
         EXPECT_EQ(r.json()["status"], g.status());
       }});

  steps.push_back(
      {Operation::kBatchUpsert, [&] {
         json body = {{"vectors", json::array()}};
         pb::BatchUpsertRequest req;
         req.set_collection("pg");
         for (size_t i = 1; i < Points().size(); ++i) {
           const Fixture& p = Points()[i];
           body["vectors"].push_back(
               PointJson(p.id, p.v, p.metadata, p.sparse));
           *req.add_points() = MakePoint(p.id, p.v, p.metadata, p.sparse);
         }
         HttpReply r = Rest("PUT", pr + "/vectors", body);
         pb::BatchUpsertResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::BatchUpsert, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["total_count"], g.total_count());
         ASSERT_EQ(r.json()["inserted_ids"].size(),
                   static_cast<size_t>(g.inserted_ids_size()));
         for (int i = 0; i < g.inserted_ids_size(); ++i) {
           EXPECT_EQ(r.json()["inserted_ids"][i], g.inserted_ids(i));
         }
       }});

  steps.push_back(
      {Operation::kGet, [&] {
         for (std::string name : {"pr", "pg"}) {
           for (const Fixture& p : Points()) {
             HttpReply r = Rest("GET", kApi + "/" + name + "/vectors/" + p.id);
             pb::GetRequest req;
             req.set_collection(name);
             req.set_id(p.id);
             pb::Point g;
             ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Get, req, &g).ok());
             ASSERT_EQ(r.status, 200u) << r.body;
             EXPECT_EQ(r.json()["id"], g.id());
             ExpectSameVector(r.json()["vector"], g.vector());
             EXPECT_EQ(r.json()["metadata"], StructJson(g.metadata()));
             EXPECT_EQ(r.json()["metadata"], p.metadata);  // gRPC-written too
             const json sparse = r.json().value("sparse_vectors", json());
             EXPECT_EQ(sparse, p.sparse) << p.id;
             EXPECT_EQ(SparseJson(g),
                       p.sparse.is_null() ? json::object() : p.sparse)
                 << p.id;
           }
         }
       }});

  steps.push_back(
      {Operation::kUpdateMetadata, [&] {
         json md = {{"tag", "x"}, {"n", 20}, {"note", "patched"}};
         HttpReply r = Rest("PATCH", pr + "/vectors/b", {{"metadata", md}});
         pb::UpdateMetadataRequest req;
         req.set_collection("pg");
         req.set_id("b");
         grpc_api::JsonToStruct(md, req.mutable_metadata());
         pb::UpdateMetadataResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::UpdateMetadata, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["id"], g.id());
         EXPECT_EQ(r.json()["status"], g.status());
         EXPECT_EQ(Rest("GET", pr + "/vectors/b").json()["metadata"], md);
         EXPECT_EQ(Rest("GET", kApi + "/pg/vectors/b").json()["metadata"], md);
       }});

  steps.push_back(
      {Operation::kGetPoints, [&] {
         for (std::string name : {"pr", "pg"}) {
           HttpReply r = Rest(
               "POST", kApi + "/" + name + "/vectors/get",
               {{"ids", {"c", "missing", "a", "c"}}, {"include_vector", true}});
           pb::GetPointsRequest req;
           req.set_collection(name);
           for (const char* id : {"c", "missing", "a", "c"}) req.add_ids(id);
           pb::GetPointsResponse g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetPoints, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           // The points that exist, in request order, each once.
           ASSERT_EQ(r.json()["points"].size(), 2u) << r.body;
           ASSERT_EQ(g.points_size(), 2);
           const json rj = r.json();
           for (int i = 0; i < 2; ++i) {
             const json& p = rj["points"][i];
             EXPECT_EQ(p["id"], i == 0 ? "c" : "a");
             EXPECT_EQ(p["id"], g.points(i).id());
             ExpectSameVector(p["vector"], g.points(i).vector());
             EXPECT_EQ(p["metadata"], StructJson(g.points(i).metadata()));
           }
           HttpReply bare = Rest("POST", kApi + "/" + name + "/vectors/get",
                                 {{"ids", {"a"}},
                                  {"include_vector", false},
                                  {"include_metadata", false}});
           ASSERT_EQ(bare.status, 200u) << bare.body;
           EXPECT_EQ(bare.json(), json::parse(R"({"points":[{"id":"a"}]})"));
         }
       }});

  steps.push_back(
      {Operation::kPatchMetadata, [&] {
         // b: {"tag": "x", "n": 20, "note": "patched"} (UpdateMetadata).
         json set = {{"n", 21}, {"extra", {{"deep", true}}}};
         HttpReply r =
             Rest("POST", pr + "/vectors/metadata",
                  {{"ids", {"b", "nope"}}, {"set", set}, {"unset", {"note"}}});
         pb::PatchMetadataRequest req;
         req.set_collection("pg");
         req.add_ids("b");
         req.add_ids("nope");
         grpc_api::JsonToStruct(set, req.mutable_set());
         req.add_unset("note");
         pb::PatchMetadataResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::PatchMetadata, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["updated_count"], 1);
         EXPECT_EQ(r.json()["not_found"], json::array({"nope"}));
         EXPECT_EQ(g.updated_count(), 1u);
         ASSERT_EQ(g.not_found_size(), 1);
         EXPECT_EQ(g.not_found(0), "nope");
         const json want = {
             {"tag", "x"}, {"n", 21}, {"extra", {{"deep", true}}}};
         for (std::string name : {"pr", "pg"}) {
           json b = Rest("GET", kApi + "/" + name + "/vectors/b").json();
           EXPECT_EQ(b["metadata"], want) << name;
           // The vector is kept.
           ASSERT_EQ(b["vector"].size(), Points()[1].v.size());
           for (size_t i = 0; i < Points()[1].v.size(); ++i) {
             EXPECT_EQ(b["vector"][i].get<float>(), Points()[1].v[i]) << i;
           }
         }
         // By filter: back to what UpdateMetadata left.
         json back = {{"n", 20}, {"note", "patched"}};
         HttpReply rf = Rest("POST", pr + "/vectors/metadata",
                             {{"filter", {{"extra.deep", true}}},
                              {"set", back},
                              {"unset", {"extra"}}});
         pb::PatchMetadataRequest freq;
         freq.set_collection("pg");
         grpc_api::JsonToStruct({{"extra.deep", true}}, freq.mutable_filter());
         grpc_api::JsonToStruct(back, freq.mutable_set());
         freq.add_unset("extra");
         pb::PatchMetadataResponse fg;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::PatchMetadata, freq, &fg).ok());
         ASSERT_EQ(rf.status, 200u) << rf.body;
         EXPECT_EQ(rf.json()["updated_count"], 1);
         EXPECT_EQ(fg.updated_count(), 1u);
         const json md = {{"tag", "x"}, {"n", 20}, {"note", "patched"}};
         EXPECT_EQ(Rest("GET", pr + "/vectors/b").json()["metadata"], md);
         EXPECT_EQ(Rest("GET", kApi + "/pg/vectors/b").json()["metadata"], md);
       }});

  steps.push_back(
      {Operation::kCount, [&] {
         for (std::string name : {"pr", "pg"}) {
           for (json filter : {json(), json{{"tag", "x"}}, json{{"n", 3}}}) {
             json body = filter.is_null() ? json() : json{{"filter", filter}};
             HttpReply r = Rest("POST", kApi + "/" + name + "/count", body);
             pb::CountRequest req;
             req.set_collection(name);
             if (!filter.is_null()) {
               grpc_api::JsonToStruct(filter, req.mutable_filter());
             }
             pb::CountResponse g;
             ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Count, req, &g).ok());
             ASSERT_EQ(r.status, 200u) << r.body;
             EXPECT_EQ(r.json()["count"], g.count()) << filter.dump();
           }
         }
         HttpReply all = Rest("POST", pr + "/count", json::object());
         EXPECT_EQ(all.json()["count"], 5);
       }});

  steps.push_back(
      {Operation::kFacet, [&] {
         for (std::string key : {"tag", "n"}) {
           for (json filter : {json(), json{{"tag", "x"}}}) {
             json body = {{"key", key}, {"limit", 5}};
             pb::FacetRequest req;
             req.set_collection("pr");
             req.set_key(key);
             req.set_limit(5);
             if (!filter.is_null()) {
               body["filter"] = filter;
               grpc_api::JsonToStruct(filter, req.mutable_filter());
             }
             HttpReply r = Rest("POST", pr + "/facet", body);
             pb::FacetResponse g;
             ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Facet, req, &g).ok());
             ASSERT_EQ(r.status, 200u) << r.body;
             const json values = r.json()["values"];
             ASSERT_EQ(values.size(), static_cast<size_t>(g.values_size()));
             ASSERT_GT(values.size(), 0u) << key;
             for (int i = 0; i < g.values_size(); ++i) {
               EXPECT_EQ(values[i]["count"], g.values(i).count());
               const gpb::Value& v = g.values(i).value();
               if (values[i]["value"].is_string()) {
                 EXPECT_EQ(values[i]["value"], v.string_value());
               } else {
                 EXPECT_EQ(values[i]["value"].get<double>(), v.number_value());
               }
             }
           }
         }
       }});

  steps.push_back(
      {Operation::kScroll, [&] {
         std::string rest_cursor, grpc_cursor;
         std::vector<std::string> rest_ids, grpc_ids;
         for (int page = 0; page < 10; ++page) {
           json body = {{"limit", 2}, {"include_vector", true}};
           if (!rest_cursor.empty()) body["after_id"] = rest_cursor;
           HttpReply r = Rest("POST", pr + "/scroll", body);
           pb::ScrollRequest req;
           req.set_collection("pr");
           req.set_limit(2);
           req.set_include_vector(true);
           req.set_after_id(grpc_cursor);
           pb::ScrollResponse g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Scroll, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           json rj = r.json();
           ASSERT_EQ(rj["points"].size(), static_cast<size_t>(g.points_size()));
           for (int i = 0; i < g.points_size(); ++i) {
             EXPECT_EQ(rj["points"][i]["id"], g.points(i).id());
             ExpectSameVector(rj["points"][i]["vector"], g.points(i).vector());
             EXPECT_EQ(rj["points"][i]["metadata"],
                       StructJson(g.points(i).metadata()));
             rest_ids.push_back(rj["points"][i]["id"]);
             grpc_ids.push_back(g.points(i).id());
           }
           EXPECT_EQ(rj["next_after_id"].is_null(), !g.has_next_after_id());
           if (!g.has_next_after_id()) break;
           EXPECT_EQ(rj["next_after_id"], g.next_after_id());
           rest_cursor = rj["next_after_id"];
           grpc_cursor = g.next_after_id();
         }
         EXPECT_EQ(rest_ids, grpc_ids);
         EXPECT_EQ(rest_ids,
                   (std::vector<std::string>{"a", "b", "c", "d", "e"}));
         // In the order of "n", descending, paged by the (value, id) cursor.
         std::vector<std::string> rest_ordered, grpc_ordered;
         json cursor;
         for (int page = 0; page < 10; ++page) {
           json body = {{"limit", 2},
                        {"order_by", {{"key", "n"}, {"direction", "desc"}}}};
           pb::ScrollRequest req;
           req.set_collection("pr");
           req.set_limit(2);
           req.mutable_order_by()->set_key("n");
           req.mutable_order_by()->set_direction("desc");
           if (!cursor.is_null()) {
             body["after_id"] = cursor["id"];
             body["after_value"] = cursor["value"];
             req.set_after_id(cursor["id"].get<std::string>());
             req.set_after_value(cursor["value"].get<double>());
           }
           HttpReply r = Rest("POST", pr + "/scroll", body);
           pb::ScrollResponse g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Scroll, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           json rj = r.json();
           for (const auto& p : rj["points"]) rest_ordered.push_back(p["id"]);
           for (const auto& p : g.points()) grpc_ordered.push_back(p.id());
           EXPECT_EQ(rj["next_after_value"].is_null(),
                     !g.has_next_after_value());
           if (!g.has_next_after_id()) break;
           EXPECT_EQ(rj["next_after_value"].get<double>(),
                     g.next_after_value());
           cursor = {{"id", rj["next_after_id"]},
                     {"value", rj["next_after_value"]}};
         }
         EXPECT_EQ(rest_ordered, grpc_ordered);
         EXPECT_FALSE(rest_ordered.empty());
         // Either read consistency reads the one copy of a single node.
         json eventual;
         for (std::string consistency : {"eventual", "strong"}) {
           HttpReply rc =
               Rest("POST", pr + "/scroll",
                    {{"include_vector", true}, {"consistency", consistency}});
           pb::ScrollRequest creq;
           creq.set_collection("pr");
           creq.set_include_vector(true);
           creq.set_consistency(consistency);
           pb::ScrollResponse gc;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Scroll, creq, &gc).ok());
           ASSERT_EQ(rc.status, 200u) << rc.body;
           ASSERT_EQ(rc.json()["points"].size(),
                     static_cast<size_t>(gc.points_size()));
           for (int i = 0; i < gc.points_size(); ++i) {
             EXPECT_EQ(rc.json()["points"][i]["id"], gc.points(i).id());
           }
           if (eventual.is_null()) eventual = rc.json();
           EXPECT_EQ(rc.json(), eventual) << consistency;
           EXPECT_EQ(rc.json()["points"].size(), 5u);
         }
       }});

  steps.push_back(
      {Operation::kSearch, [&] {
         for (json filter : {json(), json{{"tag", "y"}}}) {
           json body = {{"vector", {1.0, 0.0, 0.0}}, {"k", 3}};
           pb::SearchRequest req;
           req.set_collection("pr");
           for (float f : {1.0f, 0.0f, 0.0f}) req.add_vector(f);
           req.set_k(3);
           if (!filter.is_null()) {
             body["filter"] = filter;
             grpc_api::JsonToStruct(filter, req.mutable_filter());
           }
           HttpReply r = Rest("POST", pr + "/search", body);
           pb::SearchResponse g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           ExpectSameSearch(r.json(), g);
           // The gRPC-written twin ranks the same.
           req.set_collection("pg");
           pb::SearchResponse g2;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, req, &g2).ok());
           ExpectSameSearch(r.json(), g2);
           // Both read consistencies are accepted and, on one node, answer
           // exactly what the default did, over both transports.
           req.set_collection("pr");
           for (std::string consistency : {"eventual", "strong"}) {
             body["consistency"] = consistency;
             req.set_consistency(consistency);
             HttpReply rc = Rest("POST", pr + "/search", body);
             pb::SearchResponse gc;
             ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, req, &gc).ok());
             ASSERT_EQ(rc.status, 200u) << rc.body;
             EXPECT_EQ(rc.json(), r.json()) << consistency;
             ExpectSameSearch(rc.json(), gc);
           }
         }
         // The conveniences: by id (the point left out), offset, threshold.
         json all = Rest("POST", pr + "/search",
                         {{"vector", {1.0, 0.0, 0.0}}, {"k", 5}})
                        .json()["matches"];
         ASSERT_EQ(all.size(), 5u);
         ASSERT_EQ(all[0]["id"], "a");
         const float third = all[2]["score"].get<float>();
         std::vector<std::pair<json, std::vector<std::string>>> cases = {
             {{{"id", "a"}, {"k", 2}}, {all[1]["id"], all[2]["id"]}},
             {{{"vector", {1.0, 0.0, 0.0}}, {"k", 2}, {"offset", 1}},
              {all[1]["id"], all[2]["id"]}},
             {{{"vector", {1.0, 0.0, 0.0}},
               {"k", 5},
               {"score_threshold", third}},
              {all[0]["id"], all[1]["id"], all[2]["id"]}},
             {{{"id", "a"}, {"k", 1}, {"offset", 1}}, {all[2]["id"]}},
         };
         for (const auto& [body, want] : cases) {
           pb::SearchRequest q;
           q.set_collection("pr");
           q.set_k(body["k"].get<uint32_t>());
           if (body.contains("id")) {
             q.set_id(body["id"].get<std::string>());
           } else {
             for (float f : {1.0f, 0.0f, 0.0f}) q.add_vector(f);
           }
           if (body.contains("offset")) q.set_offset(body["offset"]);
           if (body.contains("score_threshold")) {
             q.set_score_threshold(body["score_threshold"].get<float>());
           }
           HttpReply rr = Rest("POST", pr + "/search", body);
           pb::SearchResponse gg;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, q, &gg).ok());
           ASSERT_EQ(rr.status, 200u) << rr.body;
           ExpectSameSearch(rr.json(), gg);
           std::vector<std::string> got;
           const json matches = rr.json()["matches"];
           for (const auto& m : matches) got.push_back(m["id"]);
           EXPECT_EQ(got, want) << body.dump();
         }
         // Grouped by "tag": each group's hits share it, best group first.
         json grouped = {{"vector", {1.0, 0.0, 0.0}},
                         {"k", 2},
                         {"group_by", "tag"},
                         {"group_size", 2}};
         pb::SearchRequest q;
         q.set_collection("pr");
         for (float f : {1.0f, 0.0f, 0.0f}) q.add_vector(f);
         q.set_k(2);
         q.set_group_by("tag");
         q.set_group_size(2);
         HttpReply rr = Rest("POST", pr + "/search", grouped);
         pb::SearchResponse gg;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, q, &gg).ok());
         ASSERT_EQ(rr.status, 200u) << rr.body;
         ExpectSameSearch(rr.json(), gg);
         const json groups = rr.json()["groups"];
         ASSERT_GE(groups.size(), 1u) << rr.body;
         EXPECT_EQ(groups[0]["hits"][0]["id"], all[0]["id"]);
         for (const auto& g : groups) {
           EXPECT_LE(g["hits"].size(), 2u);
           for (const auto& h : g["hits"]) {
             EXPECT_EQ(h["metadata"]["tag"], g["id"]) << rr.body;
           }
         }
       }});

  steps.push_back({Operation::kRecommend, [&] {
                     // Like "a", unlike the vector (0, 1, 0); "a" itself left
                     // out.
                     for (std::string strategy : {"average", "best_score"}) {
                       json body = {{"positive", {"a"}},
                                    {"negative", {{0.0, 1.0, 0.0}}},
                                    {"strategy", strategy},
                                    {"k", 3}};
                       pb::RecommendRequest req;
                       req.set_collection("pr");
                       req.add_positive()->set_id("a");
                       pb::RecommendExample* unlike = req.add_negative();
                       for (float f : {0.0f, 1.0f, 0.0f}) unlike->add_vector(f);
                       req.set_strategy(strategy);
                       req.mutable_query()->set_k(3);
                       HttpReply r = Rest("POST", pr + "/recommend", body);
                       pb::SearchResponse g;
                       ASSERT_TRUE(
                           Call(&pb::ProximaDB::Stub::Recommend, req, &g).ok());
                       ASSERT_EQ(r.status, 200u) << r.body;
                       ExpectSameSearch(r.json(), g);
                       ASSERT_GE(g.matches_size(), 1) << strategy;
                       for (const auto& m : g.matches()) EXPECT_NE(m.id(), "a");
                     }
                   }});

  steps.push_back(
      {Operation::kQuery, [&] {
         // A dense list and a BM25 list over "tag", fused both
         // ways; the same hits and scores from both transports.
         for (std::string fusion : {"rrf", "dbsf"}) {
           json body = {{"prefetch",
                         {{{"vector", {1.0, 0.0, 0.0}}, {"limit", 3}},
                          {{"text", "y"}, {"using", "tag"}}}},
                        {"fusion", fusion},
                        {"limit", 4}};
           pb::QueryRequest req;
           req.set_collection("pr");
           pb::QueryPrefetch* dense = req.add_prefetch();
           for (float f : {1.0f, 0.0f, 0.0f}) dense->add_vector(f);
           dense->set_limit(3);
           pb::QueryPrefetch* text = req.add_prefetch();
           text->set_text("y");
           text->set_using_("tag");
           req.set_fusion(fusion);
           req.set_limit(4);
           HttpReply r = Rest("POST", pr + "/query", body);
           pb::SearchResponse g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Query, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           ExpectSameSearch(r.json(), g);
           ASSERT_EQ(g.matches_size(), 4) << fusion;
         }
         // A sparse list alone: exact dot products over "kw" (b's sparse
         // vector survived its metadata updates): c = 2 * 1 + 1 * 0.5,
         // b = 0.25 * 1; a, d, e hold none.
         json body = {{"prefetch",
                       {{{"sparse_vector",
                          {{"indices", {77, 10}}, {"values", {0.5, 1.0}}}},
                         {"using", "kw"}}}},
                      {"fusion", "dbsf"}};
         pb::QueryRequest req;
         req.set_collection("pr");
         pb::QueryPrefetch* sparse = req.add_prefetch();
         sparse->mutable_sparse_vector()->add_indices(77);
         sparse->mutable_sparse_vector()->add_indices(10);
         sparse->mutable_sparse_vector()->add_values(0.5f);
         sparse->mutable_sparse_vector()->add_values(1.0f);
         sparse->set_using_("kw");
         req.set_fusion("dbsf");
         HttpReply r = Rest("POST", pr + "/query", body);
         pb::SearchResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Query, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         ExpectSameSearch(r.json(), g);
         ASSERT_EQ(g.matches_size(), 2);
         EXPECT_EQ(g.matches(0).id(), "c");
         EXPECT_EQ(g.matches(1).id(), "b");
       }});

  steps.push_back(
      {Operation::kBatchSearch, [&] {
         // Each query carries its own read consistency (or none).
         json body = {{"queries",
                       {{{"vector", {1.0, 0.0, 0.0}},
                         {"k", 2},
                         {"consistency", "strong"}},
                        {{"vector", {0.0, 1.0, 0.0}},
                         {"k", 2},
                         {"filter", {{"tag", "y"}}}},
                        {{"vector", {1.0, 0.0, 0.0}},
                         {"k", 2},
                         {"consistency", "eventual"}}}}};
         pb::BatchSearchRequest req;
         req.set_collection("pr");
         pb::SearchRequest* q1 = req.add_queries();
         for (float f : {1.0f, 0.0f, 0.0f}) q1->add_vector(f);
         q1->set_k(2);
         q1->set_consistency("strong");
         pb::SearchRequest* q2 = req.add_queries();
         for (float f : {0.0f, 1.0f, 0.0f}) q2->add_vector(f);
         q2->set_k(2);
         grpc_api::JsonToStruct({{"tag", "y"}}, q2->mutable_filter());
         pb::SearchRequest* q3 = req.add_queries();
         for (float f : {1.0f, 0.0f, 0.0f}) q3->add_vector(f);
         q3->set_k(2);
         q3->set_consistency("eventual");
         HttpReply r = Rest("POST", pr + "/search/batch", body);
         pb::BatchSearchResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::BatchSearch, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         ASSERT_EQ(r.json()["results"].size(), 3u);
         ASSERT_EQ(g.results_size(), 3);
         for (int i = 0; i < 3; ++i)
           ExpectSameSearch(r.json()["results"][i], g.results(i));
         EXPECT_EQ(g.results(1).matches(0).id(), "c");
         // The same query, strong or eventual: the same answer.
         EXPECT_EQ(r.json()["results"][0], r.json()["results"][2]);
       }});

  steps.push_back(
      {Operation::kDeleteByIds, [&] {
         HttpReply r =
             Rest("DELETE", pr + "/vectors", {{"ids", {"c", "missing"}}});
         pb::DeleteByIdsRequest req;
         req.set_collection("pg");
         req.add_ids("c");
         req.add_ids("missing");
         pb::DeleteResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::DeleteByIds, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["deleted_count"], g.deleted_count());
         EXPECT_EQ(g.deleted_count(), 1u);
         // The single-id route reaches the same operation.
         EXPECT_EQ(Rest("DELETE", pr + "/vectors/d").status, 200u);
         pb::DeleteByIdsRequest one;
         one.set_collection("pg");
         one.add_ids("d");
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::DeleteByIds, one, &g).ok());
         EXPECT_EQ(g.deleted_count(), 1u);
       }});

  steps.push_back(
      {Operation::kDeleteByFilter, [&] {
         HttpReply r =
             Rest("DELETE", pr + "/vectors", {{"filter", {{"tag", "z"}}}});
         pb::DeleteByFilterRequest req;
         req.set_collection("pg");
         grpc_api::JsonToStruct({{"tag", "z"}}, req.mutable_filter());
         pb::DeleteResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::DeleteByFilter, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["deleted_count"], g.deleted_count());
         EXPECT_EQ(g.deleted_count(), 1u);
         EXPECT_EQ(Rest("POST", pr + "/count").json()["count"], 2);
         EXPECT_EQ(Rest("POST", kApi + "/pg/count").json()["count"], 2);
       }});

  steps.push_back({Operation::kFlush, [&] {
                     HttpReply r = Rest("POST", pr + "/flush");
                     pb::FlushRequest req;
                     req.set_collection("pg");
                     pb::FlushResponse g;
                     ASSERT_TRUE(
                         Call(&pb::ProximaDB::Stub::Flush, req, &g).ok());
                     ASSERT_EQ(r.status, 200u) << r.body;
                     EXPECT_EQ(r.json()["status"], g.status());
                     EXPECT_EQ(g.name(), "pg");
                   }});

  steps.push_back(
      {Operation::kCollectionStats, [&] {
         for (std::string name : {"pr", "pg"}) {
           HttpReply r = Rest("GET", kApi + "/" + name + "/stats");
           pb::CollectionStatsRequest req;
           req.set_collection(name);
           pb::CollectionStatsResponse g;
           ASSERT_TRUE(
               Call(&pb::ProximaDB::Stub::CollectionStats, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           json rj = r.json();
           EXPECT_EQ(rj["name"], g.name());
           EXPECT_EQ(rj["point_count"], g.point_count());
           EXPECT_EQ(rj["segment_count"], g.segment_count());
           EXPECT_EQ(rj["memtable_points"], g.memtable_points());
           EXPECT_EQ(rj["wal_bytes"], g.wal_bytes());
           EXPECT_EQ(rj["last_sequence"], g.last_sequence());
           EXPECT_EQ(g.point_count(), 2u);
           EXPECT_GE(g.segment_count(), 1u);  // flushed above
           EXPECT_EQ(g.memtable_points(), 0u);
         }
       }});

  // Segments: the same collection listed over both transports reads the
  // same; a move to the tier a segment is in answers its entry (the moves
  // themselves: tier_api_test.cc).
  auto same_segment = [](const json& r, const pb::SegmentInfo& g) {
    EXPECT_EQ(r["id"], g.id());
    EXPECT_EQ(r["tier"], g.tier());
    EXPECT_EQ(r["points"], g.points());
    EXPECT_EQ(r["live_points"], g.live_points());
    EXPECT_EQ(r["bytes"], g.bytes());
    EXPECT_EQ(r["directory"], g.directory());
    EXPECT_EQ(r["min_seq"], g.min_seq());
    EXPECT_EQ(r["max_seq"], g.max_seq());
    EXPECT_EQ(r["graph_loaded"], g.graph_loaded());
    EXPECT_EQ(r["cached"], g.cached());
  };
  steps.push_back(
      {Operation::kListSegments, [&] {
         for (std::string name : {"pr", "pg"}) {
           HttpReply r = Rest("GET", kApi + "/" + name + "/segments");
           pb::ListSegmentsRequest req;
           req.set_collection(name);
           pb::ListSegmentsResponse g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::ListSegments, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           const json body = r.json();
           const json& list = body["segments"];
           ASSERT_EQ(list.size(), size_t(g.segments_size()));
           ASSERT_GE(list.size(), 1u);  // flushed above
           for (int i = 0; i < g.segments_size(); ++i) {
             same_segment(list[i], g.segments(i));
             EXPECT_EQ(g.segments(i).tier(), "hot");
           }
         }
       }});
  steps.push_back(
      {Operation::kMoveSegment, [&] {
         json first = Rest("GET", pr + "/segments").json()["segments"][0];
         HttpReply r =
             Rest("POST",
                  pr + "/segments/" +
                      std::to_string(first["id"].get<uint64_t>()) + "/tier",
                  {{"tier", "hot"}});
         pb::MoveSegmentRequest req;
         req.set_collection("pr");
         req.set_segment_id(first["id"].get<uint64_t>());
         req.set_tier("hot");
         pb::SegmentInfo g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::MoveSegment, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         same_segment(r.json(), g);
         EXPECT_EQ(r.json(), first);
       }});

  // Payload indexes: the same definitions over both transports, and a
  // search whose explain output is the same whichever transport asks.
  auto same_indexes = [](const json& r, const pb::PayloadIndexesResponse& g) {
    ASSERT_EQ(r["payload_indexes"].size(),
              static_cast<size_t>(g.payload_indexes_size()))
        << r.dump();
    for (int i = 0; i < g.payload_indexes_size(); ++i) {
      EXPECT_EQ(r["payload_indexes"][i]["field"], g.payload_indexes(i).field());
      EXPECT_EQ(r["payload_indexes"][i]["type"], g.payload_indexes(i).type());
    }
  };
  steps.push_back(
      {Operation::kCreatePayloadIndex, [&] {
         for (auto [field, type] :
              {std::pair<std::string, std::string>{"tag", "keyword"},
               {"n", "integer"}}) {
           HttpReply r = Rest("POST", pr + "/index/payload",
                              {{"field", field}, {"type", type}});
           pb::CreatePayloadIndexRequest req;
           req.set_collection("pg");
           req.set_field(field);
           req.set_type(type);
           pb::PayloadIndexesResponse g;
           ASSERT_TRUE(
               Call(&pb::ProximaDB::Stub::CreatePayloadIndex, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           same_indexes(r.json(), g);
         }
         // Listed in the collection too.
         pb::GetCollectionRequest get;
         get.set_name("pg");
         pb::CollectionInfo info;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::GetCollection, get, &info).ok());
         ASSERT_EQ(info.payload_indexes_size(), 2);
         EXPECT_EQ(Rest("GET", pr).json()["payload_indexes"][1]["field"],
                   info.payload_indexes(1).field());
         // explain: the flushed segment answered from the "tag" index.
         json body = {{"vector", {0.0, 1.0, 0.0}},
                      {"filter", {{"tag", "y"}}},
                      {"explain", true}};
         pb::SearchRequest sreq;
         sreq.set_collection("pr");
         for (float f : {0.0f, 1.0f, 0.0f}) sreq.add_vector(f);
         grpc_api::JsonToStruct({{"tag", "y"}}, sreq.mutable_filter());
         sreq.set_explain(true);
         // Existing segments are indexed on the background queue: wait
         // for it (the search is correct meanwhile, only planned without).
         for (int i = 0; i < 100; ++i) {
           HttpReply probe = Rest("POST", pr + "/search", body);
           if (probe.body.find("index_scan") != std::string::npos) break;
           std::this_thread::sleep_for(std::chrono::milliseconds(50));
         }
         HttpReply r = Rest("POST", pr + "/search", body);
         pb::SearchResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, sreq, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         ExpectSameSearch(r.json(), g);
         const json rj = r.json();  // rs refers into it
         const json& rs = rj["explain"]["sources"];
         ASSERT_EQ(rs.size(), static_cast<size_t>(g.explain().sources_size()));
         bool index_scan = false;
         for (int i = 0; i < g.explain().sources_size(); ++i) {
           const auto& s = g.explain().sources(i);
           EXPECT_EQ(rs[i]["source"], s.source());
           EXPECT_EQ(rs[i]["strategy"], s.strategy());
           EXPECT_EQ(rs[i]["estimated_matches"], s.estimated_matches());
           EXPECT_EQ(rs[i]["matches"], s.matches());
           index_scan |= s.strategy() == "index_scan";
         }
         EXPECT_TRUE(index_scan) << r.body;
         EXPECT_EQ(rj["explain"]["partitions_pruned"],
                   g.explain().partitions_pruned());
       }});
  steps.push_back(
      {Operation::kListPayloadIndexes, [&] {
         HttpReply r = Rest("GET", pr + "/index/payload");
         pb::ListPayloadIndexesRequest req;
         req.set_collection("pr");
         pb::PayloadIndexesResponse g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::ListPayloadIndexes, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         same_indexes(r.json(), g);
         EXPECT_EQ(g.payload_indexes_size(), 2);
       }});
  steps.push_back(
      {Operation::kDeletePayloadIndex, [&] {
         HttpReply r = Rest("DELETE", pr + "/index/payload/n");
         pb::DeletePayloadIndexRequest req;
         req.set_collection("pg");
         req.set_field("n");
         pb::PayloadIndexesResponse g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::DeletePayloadIndex, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         same_indexes(r.json(), g);
         ASSERT_EQ(g.payload_indexes_size(), 1);
         EXPECT_EQ(g.payload_indexes(0).field(), "tag");
       }});

  steps.push_back({Operation::kCompact, [&] {
                     HttpReply r = Rest("POST", pr + "/compact");
                     pb::CompactRequest req;
                     req.set_collection("pg");
                     pb::CompactResponse g;
                     ASSERT_TRUE(
                         Call(&pb::ProximaDB::Stub::Compact, req, &g).ok());
                     ASSERT_EQ(r.status, 200u) << r.body;
                     EXPECT_EQ(r.json()["status"], g.status());
                     EXPECT_EQ(Rest("POST", pr + "/count").json()["count"], 2);
                   }});

  // The fixture's data directory starts clean, so both see an empty
  // quarantine (the entries themselves: recovery_test.cc).
  steps.push_back({Operation::kListQuarantine, [&] {
                     HttpReply r = Rest("GET", "/api/v1/admin/quarantine");
                     pb::ListQuarantineResponse g;
                     ASSERT_TRUE(Call(&pb::ProximaDB::Stub::ListQuarantine,
                                      pb::ListQuarantineRequest(), &g)
                                     .ok());
                     ASSERT_EQ(r.status, 200u) << r.body;
                     EXPECT_EQ(r.json()["entries"].size(),
                               size_t(g.entries_size()));
                     EXPECT_EQ(r.json()["total_count"], g.total_count());
                   }});
  steps.push_back({Operation::kClearQuarantine, [&] {
                     HttpReply r = Rest("DELETE", "/api/v1/admin/quarantine");
                     pb::ClearQuarantineResponse g;
                     ASSERT_TRUE(Call(&pb::ProximaDB::Stub::ClearQuarantine,
                                      pb::ClearQuarantineRequest(), &g)
                                     .ok());
                     ASSERT_EQ(r.status, 200u) << r.body;
                     EXPECT_EQ(r.json()["deleted_count"], g.deleted_count());
                   }});

  // Aliases: one created over each transport, the answers (every alias
  // after the request) and the lists read the same; a search through the
  // alias answers as one through the name.
  auto same_aliases = [](const json& r, const pb::AliasesResponse& g) {
    ASSERT_EQ(r["aliases"].size(), static_cast<size_t>(g.aliases_size()))
        << r.dump();
    for (int i = 0; i < g.aliases_size(); ++i) {
      EXPECT_EQ(r["aliases"][i]["alias"], g.aliases(i).alias());
      EXPECT_EQ(r["aliases"][i]["collection"], g.aliases(i).collection());
    }
  };
  steps.push_back(
      {Operation::kUpdateAliases, [&] {
         HttpReply r = Rest(
             "POST", "/api/v1/aliases",
             {{"actions",
               {{{"create", {{"alias", "pr_a"}, {"collection", "pr"}}}}}}});
         ASSERT_EQ(r.status, 200u) << r.body;
         pb::UpdateAliasesRequest req;
         auto* c = req.add_actions()->mutable_create_alias();
         c->set_alias("pg_a");
         c->set_collection("pg");
         pb::AliasesResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::UpdateAliases, req, &g).ok());
         ASSERT_EQ(g.aliases_size(), 2);
         EXPECT_EQ(g.aliases(0).alias(), "pg_a");
         EXPECT_EQ(r.json()["aliases"].size(), 1u);
         EXPECT_EQ(Rest("POST", kApi + "/pr_a/count").json(),
                   Rest("POST", pr + "/count").json());
       }});
  steps.push_back({Operation::kListAliases, [&] {
                     HttpReply r = Rest("GET", "/api/v1/aliases");
                     ASSERT_EQ(r.status, 200u) << r.body;
                     pb::ListAliasesRequest req;
                     pb::AliasesResponse g;
                     ASSERT_TRUE(
                         Call(&pb::ProximaDB::Stub::ListAliases, req, &g).ok());
                     same_aliases(r.json(), g);
                     EXPECT_EQ(g.aliases_size(), 2);
                   }});
  // Snapshots: one of "pr" over REST, one of "pg" over gRPC (the same
  // writes, so the same sequence and sizes); each read over both; each
  // restored over its transport; each deleted over its transport.
  std::string snap_r, snap_g;
  steps.push_back(
      {Operation::kCreateSnapshot, [&] {
         HttpReply r = Rest("POST", pr + "/snapshots", {{"target", "local"}});
         ASSERT_EQ(r.status, 201u) << r.body;
         pb::CreateSnapshotRequest req;
         req.set_collection("pg");
         req.set_target("local");
         pb::SnapshotResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::CreateSnapshot, req, &g).ok());
         const json s = r.json()["snapshot"];
         snap_r = s["id"];
         snap_g = g.snapshot().id();
         EXPECT_EQ(s["sequence"], g.snapshot().sequence());
         EXPECT_EQ(s["size_bytes"], g.snapshot().size_bytes());
         EXPECT_EQ(s["uploaded_bytes"], g.snapshot().uploaded_bytes());
         EXPECT_EQ(s["target"], g.snapshot().target());
       }});
  steps.push_back(
      {Operation::kListSnapshots, [&] {
         HttpReply r = Rest("GET", pr + "/snapshots");
         ASSERT_EQ(r.status, 200u) << r.body;
         pb::ListSnapshotsRequest req;
         req.set_collection("pr");
         pb::ListSnapshotsResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::ListSnapshots, req, &g).ok());
         ASSERT_EQ(g.snapshots_size(), 1);
         ASSERT_EQ(r.json()["snapshots"].size(), 1u);
         EXPECT_EQ(r.json()["snapshots"][0]["id"], g.snapshots(0).id());
       }});
  steps.push_back(
      {Operation::kGetSnapshot, [&] {
         HttpReply r = Rest("GET", pr + "/snapshots/" + snap_r);
         ASSERT_EQ(r.status, 200u) << r.body;
         pb::GetSnapshotRequest req;
         req.set_collection("pr");
         req.set_id(snap_r);
         pb::SnapshotResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetSnapshot, req, &g).ok());
         const json files = r.json()["snapshot"]["collections"][0]["files"];
         ASSERT_EQ(files.size(), static_cast<size_t>(
                                     g.snapshot().collections(0).files_size()));
         for (size_t i = 0; i < files.size(); ++i) {
           EXPECT_EQ(files[i]["name"],
                     g.snapshot().collections(0).files(i).name());
           EXPECT_EQ(files[i]["crc32c"],
                     g.snapshot().collections(0).files(i).crc32c());
         }
       }});
  steps.push_back(
      {Operation::kRestoreSnapshot, [&] {
         HttpReply r = Rest("POST", pr + "/snapshots/" + snap_r + "/restore",
                            {{"target_collection", "pr_restored"}});
         ASSERT_EQ(r.status, 200u) << r.body;
         pb::RestoreSnapshotRequest req;
         req.set_collection("pg");
         req.set_id(snap_g);
         req.set_target_collection("pg_restored");
         pb::RestoreSnapshotResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::RestoreSnapshot, req, &g).ok());
         EXPECT_EQ(r.json()["restored"]["points"], g.points());
         EXPECT_EQ(r.json()["restored"]["sequence"], g.sequence());
         EXPECT_EQ(Rest("POST", kApi + "/pr_restored/count").json(),
                   Rest("POST", pr + "/count").json());
         EXPECT_EQ(Rest("POST", kApi + "/pg_restored/count").json(),
                   Rest("POST", pr + "/count").json());
       }});
  steps.push_back(
      {Operation::kRestorePointInTime, [&] {
         // At each snapshot's own sequence: no archived WAL needed (the
         // archive's replay is tested in collection.PitrTest).
         const uint64_t seq_r = Rest("GET", pr + "/snapshots/" + snap_r)
                                    .json()["snapshot"]["sequence"];
         HttpReply r =
             Rest("POST", pr + "/restore",
                  {{"target_collection", "pr_pit"}, {"sequence", seq_r}});
         ASSERT_EQ(r.status, 200u) << r.body;
         pb::GetSnapshotRequest gs;
         gs.set_collection("pg");
         gs.set_id(snap_g);
         pb::SnapshotResponse snap;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetSnapshot, gs, &snap).ok());
         pb::RestorePointInTimeRequest req;
         req.set_collection("pg");
         req.set_target_collection("pg_pit");
         req.set_sequence(snap.snapshot().sequence());
         pb::RestoreSnapshotResponse g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::RestorePointInTime, req, &g).ok());
         const json rr = r.json()["restored"];
         EXPECT_EQ(rr["sequence"], seq_r);
         EXPECT_EQ(g.sequence(), snap.snapshot().sequence());
         EXPECT_EQ(rr["points"], g.points());
         EXPECT_EQ(rr["snapshot_sequence"], g.snapshot_sequence());
         EXPECT_EQ(rr["wal_records"], 0);
         EXPECT_EQ(g.wal_records(), 0u);
         EXPECT_EQ(rr["sequence_time"].is_string(), !g.sequence_time().empty());
         EXPECT_EQ(Rest("POST", kApi + "/pr_pit/count").json(),
                   Rest("POST", kApi + "/pr_restored/count").json());
         EXPECT_EQ(Rest("POST", kApi + "/pg_pit/count").json(),
                   Rest("POST", kApi + "/pg_restored/count").json());
       }});
  steps.push_back(
      {Operation::kCreateDatabaseSnapshot, [&] {
         HttpReply r = Rest("POST", "/api/v1/snapshots", {{"target", "local"}});
         ASSERT_EQ(r.status, 201u) << r.body;
         pb::CreateDatabaseSnapshotRequest req;
         req.set_target("local");
         pb::SnapshotResponse g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::CreateDatabaseSnapshot, req, &g).ok());
         EXPECT_EQ(r.json()["snapshot"]["kind"], "database");
         EXPECT_EQ(g.snapshot().kind(), "database");
         EXPECT_EQ(r.json()["snapshot"]["collections"].size(),
                   static_cast<size_t>(g.snapshot().collections_size()));
         // Both listed under pr beside its own; deleted again.
         for (const std::string& id :
              {r.json()["snapshot"]["id"].get<std::string>(),
               g.snapshot().id()}) {
           EXPECT_EQ(Rest("DELETE", pr + "/snapshots/" + id).status, 200u);
         }
       }});
  steps.push_back(
      {Operation::kDeleteSnapshot, [&] {
         HttpReply r = Rest("DELETE", pr + "/snapshots/" + snap_r);
         ASSERT_EQ(r.status, 200u) << r.body;
         pb::DeleteSnapshotRequest req;
         req.set_collection("pg");
         req.set_id(snap_g);
         pb::DeleteSnapshotResponse g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::DeleteSnapshot, req, &g).ok());
         EXPECT_EQ(r.json()["status"], g.status());
         EXPECT_EQ(Rest("GET", pr + "/snapshots").json()["snapshots"].size(),
                   0u);
       }});
  steps.push_back(
      {Operation::kChanges, [&] {
         for (std::string name : {"pr", "pg"}) {
           HttpReply r = Rest(
               "GET", kApi + "/" + name + "/changes?from_seq=1&follow=false");
           ASSERT_EQ(r.status, 200u) << r.body;
           EXPECT_EQ(r.content_type, "application/x-ndjson");
           std::vector<json> lines;
           std::istringstream in(r.body);
           for (std::string line; std::getline(in, line);) {
             if (!line.empty()) lines.push_back(json::parse(line));
           }
           pb::ChangesRequest req;
           req.set_collection(name);
           req.set_from_seq(1);
           req.set_follow(false);
           std::vector<pb::ChangeEvent> g;
           ASSERT_TRUE(ReadChanges(req, &g).ok());
           ASSERT_EQ(lines.size(), g.size());
           ASSERT_GE(g.size(), 5u);
           for (size_t i = 0; i < g.size(); ++i) {
             const json& l = lines[i];
             EXPECT_EQ(l["seq"], g[i].seq());
             EXPECT_EQ(l["index"], g[i].index());
             EXPECT_EQ(l["batch_ops"], g[i].batch_ops());
             EXPECT_EQ(l["op"], g[i].op());
             EXPECT_EQ(l["id"], g[i].id());
             EXPECT_EQ(l.value("vector", json::array()).size(),
                       size_t(g[i].vector_size()));
             if (l.contains("metadata")) {
               EXPECT_EQ(l["metadata"],
                         grpc_api::StructToJson(g[i].metadata()).value());
             }
           }
         }
       }});
  // Live migration (docs/API.md, "Live migration"): pr over REST and pg
  // over gRPC migrate to the same layout; the answers agree, and so does
  // the progress of one collection read over both transports.
  auto same_layout = [](const json& r, const pb::Layout& g) {
    EXPECT_EQ(r["storage_strategy"], g.storage_strategy());
    EXPECT_EQ(r["memtable"], g.memtable());
    EXPECT_EQ(r["index"]["kind"], g.indexing_algorithm());
    EXPECT_EQ(r["index"]["m"], g.m());
    EXPECT_EQ(r["index"]["ef_construction"], g.ef_construction());
    EXPECT_EQ(r["index"]["ef_search"], g.ef_search());
    EXPECT_EQ(r["index"]["quantization"], g.quantization());
    EXPECT_EQ(r["index"].value("nlist", 0u), g.nlist());
    EXPECT_EQ(r["index"].value("nprobe", 0u), g.nprobe());
    ASSERT_EQ(r["filterable_columns"].size(),
              static_cast<size_t>(g.filterable_columns_size()));
    for (int i = 0; i < g.filterable_columns_size(); ++i) {
      const json& c = r["filterable_columns"][i];
      EXPECT_EQ(c["name"], g.filterable_columns(i).name());
      EXPECT_EQ(c["type"], g.filterable_columns(i).type());
      EXPECT_EQ(c["indexed"], g.filterable_columns(i).indexed());
    }
  };
  // Answers for two collections: the same apart from id, times, progress.
  auto alike = [&](const json& r, const pb::Migration& g) {
    EXPECT_EQ(r["id"].get<std::string>().rfind("mig-", 0), 0u) << r.dump();
    EXPECT_EQ(g.id().rfind("mig-", 0), 0u);
    EXPECT_EQ(r["segments_total"], g.segments_total());
    EXPECT_EQ(r["points_total"], g.points_total());
    EXPECT_EQ(r.value("error", ""), g.error());
    same_layout(r["from"], g.from());
    same_layout(r["to"], g.to());
  };
  auto same_migration = [&](const json& r, const pb::Migration& g) {
    alike(r, g);
    EXPECT_EQ(r["id"], g.id());
    EXPECT_EQ(r["state"], g.state());
    EXPECT_EQ(r["started_unix_ms"], g.started_unix_ms());
    EXPECT_EQ(r["finished_unix_ms"], g.finished_unix_ms());
    EXPECT_EQ(r["segments_done"], g.segments_done());
    EXPECT_EQ(r["points_done"], g.points_done());
    EXPECT_EQ(
        r["eta_seconds"].is_null() ? -1.0 : r["eta_seconds"].get<double>(),
        g.eta_seconds());
  };
  // To viper with a column: both transports apply viper's defaults (hash,
  // ivf, int8) to what the target leaves out.
  steps.push_back(
      {Operation::kMigrate, [&] {
         HttpReply r = Rest(
             "POST", pr + "/migrate",
             {{"storage_strategy", "viper"},
              {"filterable_columns", {{{"name", "tag"}, {"type", "string"}}}}});
         pb::MigrateRequest req;
         req.set_collection("pg");
         req.mutable_to()->set_storage_strategy("viper");
         pb::FilterableColumn* col = req.mutable_to()->add_filterable_columns();
         col->set_name("tag");
         col->set_type("string");
         pb::Migration g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Migrate, req, &g).ok());
         ASSERT_EQ(r.status, 202u) << r.body;
         alike(r.json()["migration"], g);
         EXPECT_EQ(g.to().indexing_algorithm(), "ivf");
         EXPECT_EQ(g.to().memtable(), "hash");
         EXPECT_EQ(g.to().quantization(), "int8");
         ASSERT_EQ(g.to().filterable_columns_size(), 1);
         EXPECT_EQ(g.from().indexing_algorithm(), "flat");
       }});
  steps.push_back(
      {Operation::kGetMigration, [&] {
         for (std::string name : {"pr", "pg"}) {
           SCOPED_TRACE(name);
           const std::string path = kApi + "/" + name + "/migration";
           for (int i = 0; i < 600; ++i) {
             if (Rest("GET", path).json()["state"] == "done") break;
             std::this_thread::sleep_for(std::chrono::milliseconds(50));
           }
           HttpReply r = Rest("GET", path);
           pb::GetMigrationRequest req;
           req.set_collection(name);
           pb::Migration g;
           ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetMigration, req, &g).ok());
           ASSERT_EQ(r.status, 200u) << r.body;
           EXPECT_EQ(g.state(), "done");
           same_migration(r.json(), g);
         }
       }});
  steps.push_back(
      {Operation::kCancelMigration, [&] {
         // Collections whose graphs take a while to build, so that a cancel
         // right after the start finds the migration running. Three
         // segments each: background compaction merges four of a size
         // (compaction_min_segments), and did so for one collection before
         // its migration started and not for the other, so the two counted
         // different totals. (Merging them by hand instead left one
         // 16,000-row build running at the end, which the sanitizer build
         // took past the teardown's 4 s.)
         std::mt19937 rng(4);
         std::normal_distribution<float> n;
         for (std::string name : {"mr", "mg"}) {
           ASSERT_EQ(
               Rest("POST", kApi, {{"name", name}, {"dimension", 32}, {"m", 8}})
                   .status,
               201u);
           for (int s = 0; s < 3; ++s) {
             for (int b = 0; b < 4; ++b) {  // bodies under the size limit
               json points = json::array();
               for (int i = 0; i < 1000; ++i) {
                 std::vector<float> v(32);
                 for (float& x : v) x = n(rng);
                 points.push_back(
                     {{"id", std::to_string(s * 4000 + b * 1000 + i)},
                      {"vector", v}});
               }
               ASSERT_EQ(Rest("POST", kApi + "/" + name + "/vectors/batch",
                              {{"vectors", points}})
                             .status,
                         200u);
             }
             ASSERT_EQ(Rest("POST", kApi + "/" + name + "/flush").status, 200u);
           }
           ASSERT_EQ(Rest("GET", kApi + "/" + name).json()["segment_count"], 3);
         }
         HttpReply started = Rest("POST", kApi + "/mr/migrate",
                                  {{"m", 48}, {"ef_construction", 500}});
         ASSERT_EQ(started.status, 202u) << started.body;
         HttpReply r = Rest("DELETE", kApi + "/mr/migration");
         pb::MigrateRequest req;
         req.set_collection("mg");
         req.mutable_to()->set_m(48);
         req.mutable_to()->set_ef_construction(500);
         pb::Migration g;
         ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Migrate, req, &g).ok());
         pb::CancelMigrationRequest cancel;
         cancel.set_collection("mg");
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::CancelMigration, cancel, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["state"], "cancelled");
         EXPECT_EQ(g.state(), "cancelled");
         alike(r.json(), g);
         EXPECT_EQ(g.to().m(), 48u);
         EXPECT_EQ(g.from().m(), 8u);
         // The layout is the one migrated from again.
         EXPECT_EQ(Rest("GET", kApi + "/mr").json()["index"]["m"], 8);
         for (std::string name : {"mr", "mg"}) {
           EXPECT_EQ(Rest("DELETE", kApi + "/" + name).status, 200u);
         }
       }});
  // Single-node mode: the same "not a cluster" answer on both.
  steps.push_back(
      {Operation::kGetCluster, [&] {
         HttpReply r = Rest("GET", "/api/v1/cluster");
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json(), json::parse(R"({"enabled": false, "node_id": "",
                                             "nodes": [], "shards": []})"));
         pb::ClusterInfo g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::GetCluster, pb::GetClusterRequest(), &g)
                 .ok());
         EXPECT_EQ(r.json()["enabled"], g.enabled());
         EXPECT_EQ(r.json()["node_id"], g.node_id());
         EXPECT_EQ(r.json()["nodes"].size(), size_t(g.nodes_size()));
         EXPECT_EQ(r.json()["shards"].size(), size_t(g.shards_size()));
       }});
  // Single-node mode: starting and cancelling a drain are both refused
  // the same way on both transports (the cluster's answers:
  // server.ClusterDrainRoutesTest).
  steps.push_back(
      {Operation::kDrainNode, [&] {
         for (bool cancel : {false, true}) {
           SCOPED_TRACE(cancel ? "cancel" : "drain");
           HttpReply r = Rest(cancel ? "DELETE" : "POST",
                              "/api/v1/cluster/nodes/node-2/drain");
           pb::DrainNodeRequest req;
           req.set_node_id("node-2");
           req.set_cancel(cancel);
           pb::DrainNodeReply g;
           GrpcReply gr = Call(&pb::ProximaDB::Stub::DrainNode, req, &g);
           EXPECT_EQ(r.status, 409u) << r.body;
           EXPECT_EQ(r.error(), "failed_precondition");
           EXPECT_EQ(gr.status.error_code(),
                     grpc::StatusCode::FAILED_PRECONDITION);
           EXPECT_EQ(gr.error, r.error());
           EXPECT_EQ(gr.status.error_message(), r.json().value("message", ""));
           EXPECT_NE(gr.status.error_message().find("needs cluster mode"),
                     std::string::npos)
               << gr.status.error_message();
         }
         // Nothing changed.
         EXPECT_EQ(Rest("GET", "/api/v1/cluster").json()["enabled"], false);
       }});
  steps.push_back(
      {Operation::kDeleteCollection, [&] {
         HttpReply r = Rest("DELETE", pr);
         pb::DeleteCollectionRequest req;
         req.set_name("pg");
         pb::DeleteCollectionResponse g;
         ASSERT_TRUE(
             Call(&pb::ProximaDB::Stub::DeleteCollection, req, &g).ok());
         ASSERT_EQ(r.status, 200u) << r.body;
         EXPECT_EQ(r.json()["status"], g.status());
         EXPECT_EQ(Rest("GET", kApi + "/pg").status, 404u);
         pb::GetCollectionRequest get;
         get.set_name("pr");
         pb::CollectionInfo info;
         EXPECT_EQ(Call(&pb::ProximaDB::Stub::GetCollection, get, &info)
                       .status.error_code(),
                   grpc::StatusCode::NOT_FOUND);
       }});

  std::set<Operation> covered;
  for (const Step& s : steps) {
    SCOPED_TRACE(std::string(service::OperationName(s.op)));
    s.run();
    covered.insert(s.op);
    if (HasFatalFailure()) return;
  }
  for (const service::OperationInfo& info : service::kOperations) {
    EXPECT_TRUE(covered.count(info.op))
        << "operation " << info.name << " has no parity step";
  }
}

}  // namespace
}  // namespace proximadb::testing::parity
