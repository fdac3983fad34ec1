// Named vectors and multi-vectors through the real server on both
// transports: create (with its echo), points written on one transport and
// read back on the other, searches with `using` (one vector, a multi-vector
// query scored by MaxSim, by point id, with a filter, grouped), a hybrid
// query with a named prefetch, the change feed, and the same refusals on
// both. (A restart is the engine test's: collection/named_vectors_test.cc.)
#include "integration/parity_fixture.h"

namespace proximadb::testing::parity {
namespace named_vectors_parity {

pb::NamedVector Named(std::vector<float> values, uint32_t rows = 0) {
  pb::NamedVector v;
  v.mutable_values()->Assign(values.begin(), values.end());
  v.set_rows(rows);
  return v;
}

// A Point's named vectors in the REST form.
json NamedJson(const pb::Point& p) {
  json out = json::object();
  for (const auto& [name, nv] : p.vectors()) {
    std::vector<double> values;
    for (float f : nv.values()) values.push_back(f);
    if (nv.rows() == 0) {
      out[name] = values;
      continue;
    }
    json m = json::array();
    const size_t dim = values.size() / nv.rows();
    for (size_t r = 0; r < nv.rows(); ++r) {
      m.push_back(std::vector<double>(values.begin() + r * dim,
                                      values.begin() + (r + 1) * dim));
    }
    out[name] = m;
  }
  return out;
}

class NamedVectorsParityTest : public ParityTest {};

TEST_F(NamedVectorsParityTest, EveryPathAgreesOnBothTransports) {
  const std::string nv = kApi + "/nv";
  // Create on REST; the gRPC echo says the same.
  HttpReply created =
      Rest("POST", kApi,
           {{"name", "nv"},
            {"dimension", 2},
            {"vectors",
             {{"img", {{"dimension", 3}, {"distance_metric", "euclidean"}}},
              {"tok",
               {{"dimension", 2},
                {"distance_metric", "dot_product"},
                {"multivector", true}}}}}});
  ASSERT_EQ(created.status, 201u) << created.body;
  {
    pb::GetCollectionRequest req;
    req.set_name("nv");
    pb::CollectionInfo g;
    ASSERT_TRUE(Call(&pb::ProximaDB::Stub::GetCollection, req, &g).ok());
    ASSERT_EQ(g.vectors_size(), 2);
    EXPECT_EQ(g.vectors().at("img").dimension(), 3u);
    EXPECT_EQ(g.vectors().at("img").distance_metric(), "euclidean");
    EXPECT_FALSE(g.vectors().at("img").multivector());
    EXPECT_TRUE(g.vectors().at("tok").multivector());
    EXPECT_EQ(created.json()["vectors"]["tok"]["distance_metric"],
              "dot_product");
  }
  // a and b over REST, c over gRPC.
  HttpReply put =
      Rest("POST", nv + "/vectors/batch",
           {{"vectors",
             {{{"id", "a"},
               {"vector", {1, 0}},
               {"metadata", {{"g", 1}}},
               {"vectors", {{"img", {1, 2, 3}}, {"tok", {{1, 0}, {0, 1}}}}}},
              {{"id", "b"},
               {"vector", {0, 1}},
               {"metadata", {{"g", 2}}},
               {"vectors", {{"img", {0, 0, 0}}}}}}}});
  ASSERT_EQ(put.status, 200u) << put.body;
  {
    pb::UpsertRequest req;
    req.set_collection("nv");
    pb::Point* p = req.mutable_point();
    p->set_id("c");
    p->add_vector(1);
    p->add_vector(1);
    grpc_api::JsonToStruct({{"g", 1}}, p->mutable_metadata());
    (*p->mutable_vectors())["tok"] = Named({2, 0}, 1);
    (*p->mutable_vectors())["img"] = Named({1, 2, 2});
    pb::UpsertResponse resp;
    GrpcReply r = Call(&pb::ProximaDB::Stub::Upsert, req, &resp);
    ASSERT_TRUE(r.ok()) << r.status.error_message();
  }
  auto check_points = [&](const std::string& when) {
    const json want = {{"a", {{"img", {1, 2, 3}}, {"tok", {{1, 0}, {0, 1}}}}},
                       {"b", {{"img", {0, 0, 0}}}},
                       {"c", {{"img", {1, 2, 2}}, {"tok", {{2, 0}}}}}};
    for (const auto& [id, vectors] : want.items()) {
      HttpReply r = Rest("GET", nv + "/vectors/" + id);
      ASSERT_EQ(r.status, 200u) << r.body;
      EXPECT_EQ(r.json()["vectors"], vectors) << when << " " << id;
      pb::GetRequest req;
      req.set_collection("nv");
      req.set_id(id);
      pb::Point g;
      ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Get, req, &g).ok());
      EXPECT_EQ(NamedJson(g), vectors) << when << " " << id;
    }
  };
  check_points("written");

  // The same searches on both transports.
  struct Case {
    json body;
    std::vector<std::string> ids;  // the expected order
  };
  const std::vector<Case> cases = {
      // euclidean: c 0, a 1, b 3.
      {{{"vector", {1, 2, 2}}, {"using", "img"}, {"k", 5}}, {"c", "a", "b"}},
      {{{"vector", {1, 2, 2}}, {"using", "img"}, {"filter", {{"g", 1}}}},
       {"c", "a"}},
      // MaxSim (dot): a = 1 + 1, c = 2 + 0; b holds no "tok".
      {{{"vector", {{1, 0}, {0, 1}}}, {"using", "tok"}}, {"a", "c"}},
      // By point id: b's img is (0,0,0): a at sqrt 14, c at 3.
      {{{"id", "b"}, {"using", "img"}}, {"c", "a"}},
      {{{"vector", {1, 2, 2}}, {"using", "img"}, {"score_threshold", 1.5}},
       {"c", "a"}},
  };
  auto run = [&](const std::string& when) {
    for (const Case& c : cases) {
      HttpReply r = Rest("POST", nv + "/search", c.body);
      ASSERT_EQ(r.status, 200u) << r.body;
      pb::SearchRequest req;
      req.set_collection("nv");
      req.set_using_(c.body["using"].get<std::string>());
      if (c.body.contains("id")) req.set_id(c.body["id"].get<std::string>());
      if (c.body.contains("vector")) {
        const json& v = c.body["vector"];
        if (v[0].is_array()) {
          for (const json& row : v) {
            for (const json& x : row) req.add_vector(x.get<float>());
          }
          req.set_vector_rows(static_cast<uint32_t>(v.size()));
        } else {
          for (const json& x : v) req.add_vector(x.get<float>());
        }
      }
      if (c.body.contains("k")) req.set_k(c.body["k"].get<uint32_t>());
      if (c.body.contains("filter")) {
        grpc_api::JsonToStruct(c.body["filter"], req.mutable_filter());
      }
      if (c.body.contains("score_threshold")) {
        req.set_score_threshold(c.body["score_threshold"].get<float>());
      }
      pb::SearchResponse g;
      GrpcReply gr = Call(&pb::ProximaDB::Stub::Search, req, &g);
      ASSERT_TRUE(gr.ok()) << gr.status.error_message();
      ExpectSameSearch(r.json(), g);
      ASSERT_EQ(g.matches_size(), static_cast<int>(c.ids.size()))
          << when << " " << c.body.dump();
      for (size_t i = 0; i < c.ids.size(); ++i) {
        EXPECT_EQ(g.matches(static_cast<int>(i)).id(), c.ids[i])
            << when << " " << c.body.dump();
      }
    }
    // A hybrid query: a named prefetch beside the main vector's.
    HttpReply r =
        Rest("POST", nv + "/query",
             {{"prefetch",
               {{{"vector", {1, 2, 2}}, {"using", "img"}, {"limit", 2}},
                {{"vector", {{1, 0}}}, {"using", "tok"}}}},
              {"limit", 3}});
    ASSERT_EQ(r.status, 200u) << r.body;
    pb::QueryRequest q;
    q.set_collection("nv");
    pb::QueryPrefetch* p1 = q.add_prefetch();
    for (float f : {1.0f, 2.0f, 2.0f}) p1->add_vector(f);
    p1->set_using_("img");
    p1->set_limit(2);
    pb::QueryPrefetch* p2 = q.add_prefetch();
    for (float f : {1.0f, 0.0f}) p2->add_vector(f);
    p2->set_vector_rows(1);
    p2->set_using_("tok");
    q.set_limit(3);
    pb::SearchResponse g;
    ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Query, q, &g).ok());
    ExpectSameSearch(r.json(), g);
    // c is first in both lists.
    ASSERT_GE(g.matches_size(), 1);
    EXPECT_EQ(g.matches(0).id(), "c") << when;
  };
  run("memtable");
  ASSERT_EQ(Rest("POST", nv + "/flush").status, 200u);
  run("segment");

  // The change feed carries them (with_vectors).
  {
    HttpReply r =
        Rest("GET", nv + "/changes?from_seq=1&follow=false&with_vectors=true");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_NE(r.body.find("\"vectors\":{\"img\":[1.0,2.0,2.0]"),
              std::string::npos)
        << r.body;
    pb::ChangesRequest req;
    req.set_collection("nv");
    req.set_with_vectors(true);
    req.set_from_seq(1);
    req.set_follow(false);
    std::vector<pb::ChangeEvent> events;
    ASSERT_TRUE(ReadChanges(req, &events).ok());
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[2].vectors().at("tok").rows(), 1u);
  }

  // The same refusals, with the same words.
  struct Bad {
    json body;
    std::string message;
  };
  const std::vector<Bad> bad = {
      {{{"vector", {1, 2}}, {"using", "nope"}},
       "using: the collection has no vector named 'nope'"},
      {{{"vector", {1, 2}}, {"using", "img"}},
       "query vector has 2 values but vector 'img' has dimension 3"},
      {{{"vector", {1, 2}}, {"using", "tok"}},
       "query vector must be a list of vectors (the vector is a "
       "multivector)"},
  };
  for (const Bad& b : bad) {
    HttpReply r = Rest("POST", nv + "/search", b.body);
    EXPECT_NE(r.status, 200u);
    EXPECT_EQ(r.json()["message"], b.message) << b.body.dump();
    pb::SearchRequest req;
    req.set_collection("nv");
    req.set_using_(b.body["using"].get<std::string>());
    for (const json& x : b.body["vector"]) req.add_vector(x.get<float>());
    pb::SearchResponse g;
    GrpcReply gr = Call(&pb::ProximaDB::Stub::Search, req, &g);
    EXPECT_EQ(gr.status.error_code(), GrpcCodeForHttp(r.status));
    EXPECT_EQ(gr.status.error_message(), b.message);
  }
  HttpReply r = Rest("POST", nv + "/vectors/batch",
                     {{"vectors",
                       {{{"id", "x"},
                         {"vector", {1, 0}},
                         {"vectors", {{"img", {{1, 2, 3}}}}}}}}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["message"],
            "vectors[0].vectors.img must be one vector, not a list (the "
            "vector is not a multivector)");
  pb::UpsertRequest req;
  req.set_collection("nv");
  req.mutable_point()->set_id("x");
  req.mutable_point()->add_vector(1);
  req.mutable_point()->add_vector(0);
  (*req.mutable_point()->mutable_vectors())["img"] = Named({1, 2, 3}, 1);
  pb::UpsertResponse resp;
  GrpcReply gr = Call(&pb::ProximaDB::Stub::Upsert, req, &resp);
  EXPECT_EQ(gr.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(gr.status.error_message(),
            "vectors[0].vectors.img must be one vector, not a list (the "
            "vector is not a multivector)");
}

}  // namespace named_vectors_parity
}  // namespace proximadb::testing::parity
