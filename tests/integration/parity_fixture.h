// Shared by the parity tests (parity_test.cc, parity_errors_test.cc): the
// fixture that starts the real server with a REST client and a gRPC stub, and
// helpers that build the same request for both and compare the answers.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_service.h"
#include "api/grpc/grpc_status.h"
#include "api/grpc/proto_codec.h"
#include "api/rest/router.h"
#include "integration/http_client.h"
#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "service/operations.h"

namespace proximadb::testing::parity {

using nlohmann::json;
using service::Operation;
namespace pb = ::proximadb::v1;
namespace gpb = ::google::protobuf;

struct GrpcReply {
  grpc::Status status;
  std::string error;  // x-proximadb-error trailer
  bool ok() const { return status.ok(); }
};

// The gRPC code a REST status must correspond to.
inline grpc::StatusCode GrpcCodeForHttp(unsigned http) {
  switch (http) {
    case 200:
    case 201:
      return grpc::StatusCode::OK;
    case 400:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case 404:
      return grpc::StatusCode::NOT_FOUND;
    case 409:
      return grpc::StatusCode::ALREADY_EXISTS;
    case 410:
      return grpc::StatusCode::OUT_OF_RANGE;
    case 413:
    case 429:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 503:
      return grpc::StatusCode::UNAVAILABLE;
    default:
      return grpc::StatusCode::INTERNAL;
  }
}

// `sparse`: null, or the REST form {"<name>": {"indices", "values"}}.
inline pb::Point MakePoint(const std::string& id, const std::vector<float>& v,
                           const json& metadata, const json& sparse = json()) {
  pb::Point p;
  p.set_id(id);
  for (float f : v) p.add_vector(f);
  grpc_api::JsonToStruct(metadata, p.mutable_metadata());
  if (sparse.is_object()) {
    for (const auto& [name, sv] : sparse.items()) {
      pb::SparseVector& out = (*p.mutable_sparse_vectors())[name];
      for (const auto& i : sv["indices"]) out.add_indices(i.get<uint32_t>());
      for (const auto& x : sv["values"]) out.add_values(x.get<float>());
    }
  }
  return p;
}

inline json PointJson(const std::string& id, const std::vector<float>& v,
                      const json& metadata, const json& sparse = json()) {
  json p{{"id", id}, {"vector", v}, {"metadata", metadata}};
  if (sparse.is_object()) p["sparse_vectors"] = sparse;
  return p;
}

// A Point's sparse vectors in the REST form.
inline json SparseJson(const pb::Point& p) {
  json out = json::object();
  for (const auto& [name, sv] : p.sparse_vectors()) {
    json values = json::array();
    for (float f : sv.values()) values.push_back(f);
    out[name] = {{"indices", json(std::vector<uint32_t>(sv.indices().begin(),
                                                        sv.indices().end()))},
                 {"values", values}};
  }
  return out;
}

inline json StructJson(const google::protobuf::Struct& s) {
  Result<json> j = grpc_api::StructToJson(s);
  EXPECT_TRUE(j.ok());
  return j.ok() ? *j : json();
}

// REST numbers are the shortest decimal form of the float32.
inline void ExpectSameVector(const json& rest,
                             const google::protobuf::RepeatedField<float>& g) {
  ASSERT_EQ(rest.size(), static_cast<size_t>(g.size()));
  for (int i = 0; i < g.size(); ++i) {
    EXPECT_EQ(static_cast<float>(rest[i].get<double>()), g[i]) << i;
  }
}

inline void ExpectSameCollection(const json& r, const pb::CollectionInfo& g) {
  EXPECT_EQ(r["name"], g.name());
  EXPECT_EQ(r["dimension"], g.dimension());
  EXPECT_EQ(r["distance_metric"], g.distance_metric());
  EXPECT_EQ(r["indexing_algorithm"], g.indexing_algorithm());
  EXPECT_EQ(r["index"]["m"], g.m());
  EXPECT_EQ(r["index"]["ef_construction"], g.ef_construction());
  EXPECT_EQ(r["index"]["ef_search"], g.ef_search());
  const json& f = r["flush_policy"];
  EXPECT_EQ(f["max_wal_age_hours"], g.flush_policy().max_wal_age_hours());
  EXPECT_EQ(f["max_wal_size_mb"], g.flush_policy().max_wal_size_mb());
  EXPECT_EQ(f["max_vector_count"], g.flush_policy().max_vector_count());
  EXPECT_EQ(f["flush_priority"], g.flush_policy().flush_priority());
  EXPECT_EQ(f["enable_background_flush"],
            g.flush_policy().enable_background_flush());
  EXPECT_EQ(r["wal_format"], g.wal_format());
  EXPECT_EQ(r["point_count"], g.point_count());
  EXPECT_EQ(r["segment_count"], g.segment_count());
  EXPECT_EQ(r["shard_count"], g.shard_count());
  EXPECT_EQ(r["replication_factor"], g.replication_factor());
  json names = json::object();
  for (const auto& [name, cfg] : g.sparse_vectors())
    names[name] = json::object();
  EXPECT_EQ(r.value("sparse_vectors", json::object()), names);
}

template <typename Matches>
void ExpectSameMatches(const json& r, const Matches& g) {
  ASSERT_EQ(r.size(), static_cast<size_t>(g.size())) << r.dump();
  for (int i = 0; i < g.size(); ++i) {
    const json& m = r[i];
    EXPECT_EQ(m["id"], g[i].id()) << i;
    EXPECT_EQ(static_cast<float>(m["score"].get<double>()), g[i].score()) << i;
    EXPECT_EQ(m["metadata"], StructJson(g[i].metadata())) << i;
  }
}

// The same answer, plain or grouped (group_by).
inline void ExpectSameSearch(const json& r, const pb::SearchResponse& g) {
  EXPECT_EQ(r["total_count"], g.total_count());
  if (!r.contains("groups")) {
    EXPECT_EQ(g.groups_size(), 0);
    ExpectSameMatches(r["matches"], g.matches());
    return;
  }
  EXPECT_EQ(g.matches_size(), 0);
  ASSERT_EQ(r["groups"].size(), static_cast<size_t>(g.groups_size()));
  for (int i = 0; i < g.groups_size(); ++i) {
    const json& group = r["groups"][i];
    const gpb::Value& id = g.groups(i).id();
    if (group["id"].is_string()) {
      EXPECT_EQ(group["id"], id.string_value()) << i;
    } else {
      EXPECT_EQ(group["id"].get<double>(), id.number_value()) << i;
    }
    ExpectSameMatches(group["hits"], g.groups(i).hits());
  }
}

class ParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_parity_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    // 1 MB requests at most on both transports, for the 413 case.
    ASSERT_TRUE(server_.Start(
        PDB_SERVER_BINARY,
        {"--rest-port", "0", "--grpc-port", "0", "--data-dir", root_ + "/data",
         "--bind", "127.0.0.1", "--max-request-size-mb", "1"},
        root_ + "/server.log"))
        << server_.log();
    ASSERT_NE(server_.grpc_port(), 0) << server_.stdout_text();
    http_ = std::make_unique<HttpClient>(server_.port());
    stub_ = pb::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- server log ----\n"
                << server_.log() << "--------------------\n";
    }
    // SIGTERM with a gRPC client still connected: a clean, prompt exit.
    auto t0 = std::chrono::steady_clock::now();
    int status = server_.Stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  HttpReply Rest(const std::string& method, const std::string& target,
                 const json& body = nullptr) {
    return http_->Request(method, target, body.is_null() ? "" : body.dump());
  }

  template <typename Req, typename Resp>
  GrpcReply Call(grpc::Status (pb::ProximaDB::Stub::*rpc)(grpc::ClientContext*,
                                                          const Req&, Resp*),
                 const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(60));
    GrpcReply r;
    r.status = (stub_.get()->*rpc)(&ctx, req, resp);
    auto md = ctx.GetServerTrailingMetadata();
    auto it = md.find(grpc_api::kErrorMetadataKey);
    if (it != md.end()) r.error.assign(it->second.data(), it->second.size());
    return r;
  }

  // The change feed over gRPC, read to its end (follow = false).
  GrpcReply ReadChanges(const pb::ChangesRequest& req,
                        std::vector<pb::ChangeEvent>* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(60));
    auto reader = stub_->Changes(&ctx, req);
    pb::ChangeEvent ev;
    while (reader->Read(&ev)) out->push_back(ev);
    GrpcReply r;
    r.status = reader->Finish();
    auto md = ctx.GetServerTrailingMetadata();
    auto it = md.find(grpc_api::kErrorMetadataKey);
    if (it != md.end()) r.error.assign(it->second.data(), it->second.size());
    return r;
  }

  std::string root_;
  ServerProcess server_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<pb::ProximaDB::Stub> stub_;
};

inline const std::string kApi = "/api/v1/collections";

struct Fixture {
  std::string id;
  std::vector<float> v;
  json metadata;
  json sparse = json();  // under the collections' sparse vector "kw"
};

inline const std::vector<Fixture>& Points() {
  static const std::vector<Fixture> points = {
      {"a", {1.0f, 0.0f, 0.0f}, {{"tag", "x"}, {"n", 1}}},
      {"b",
       {0.9f, 0.1f, 0.0f},
       {{"tag", "x"}, {"n", 2}},
       {{"kw", {{"indices", {3, 10}}, {"values", {1.5, 0.25}}}}}},
      {"c",
       {0.0f, 1.0f, 0.0f},
       {{"tag", "y"}, {"n", 3}},
       {{"kw", {{"indices", {10, 77}}, {"values", {2.0, 1.0}}}}}},
      {"d", {0.0f, 0.0f, 1.0f}, {{"tag", "y"}, {"n", 4}}},
      {"e", {0.5f, 0.5f, 0.0f}, {{"tag", "z"}, {"n", 5}, {"f", 0.25}}},
  };
  return points;
}

}  // namespace proximadb::testing::parity
