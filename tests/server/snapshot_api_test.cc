// Snapshots over both transports, in process on one service: REST shapes
// (create 201 {"snapshot": {...}}, list, inspect with files, delete,
// restore), the refusals with their codes (400 bad target or body, 404
// unknown snapshot or collection, 409 target exists without overwrite or s3
// not configured naming the keys), an alias as {name}, the read-write key
// the changes need, and gRPC answering the same calls with the same content
// and the same codes and messages.
#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/grpc/grpc_server.h"
#include "api/rest/router.h"
#include "grpc/grpc_fixture.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "service/auth.h"
#include "util/time_format.h"

namespace proximadb::rest {
namespace {

using nlohmann::json;

class SnapshotApiTest : public grpc_api::GrpcFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    StartGrpc(grpc_api::GrpcOptions{});
    if (HasFatalFailure()) return;
    ASSERT_EQ(Do("POST", "/api/v1/collections",
                 json{{"name", "docs"}, {"dimension", 2}}.dump())
                  .status,
              201u);
    for (int i = 0; i < 20; ++i) {
      const json p{{"id", "p" + std::to_string(i)},
                   {"vector", {i, 1}},
                   {"metadata", {{"i", i}}}};
      ASSERT_EQ(Do("POST", "/api/v1/collections/docs/vectors", p.dump()).status,
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
  json Create(const std::string& body = "") {
    RestResponse r = Do("POST", "/api/v1/collections/docs/snapshots", body);
    EXPECT_EQ(r.status, 201u) << r.body;
    return json::parse(r.body)["snapshot"];
  }
};

TEST_F(SnapshotApiTest, CreateListInspectRestoreDelete) {
  json s = Create();
  for (const char* k : {"id", "sequence", "created_at", "size_bytes",
                        "uploaded_bytes", "target", "format_version"}) {
    EXPECT_TRUE(s.contains(k)) << k << " in " << s.dump();
  }
  EXPECT_EQ(s["target"], "local");
  EXPECT_EQ(s["sequence"], 20);
  EXPECT_EQ(s["uploaded_bytes"], s["size_bytes"]);
  const std::string id = s["id"];
  json again = Create(R"({"target": "local"})");
  EXPECT_EQ(again["uploaded_bytes"], 0);  // nothing changed: all re-used

  RestResponse r = Do("GET", "/api/v1/collections/docs/snapshots");
  ASSERT_EQ(r.status, 200u) << r.body;
  json list = json::parse(r.body)["snapshots"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_FALSE(list[0]["collections"][0].contains("files"));

  r = Do("GET", "/api/v1/collections/docs/snapshots/" + id);
  ASSERT_EQ(r.status, 200u) << r.body;
  json inspect = json::parse(r.body)["snapshot"];
  EXPECT_EQ(inspect["collections"][0]["name"], "docs");
  EXPECT_EQ(inspect["collections"][0]["points"], 20);
  EXPECT_FALSE(inspect["collections"][0]["files"].empty());
  EXPECT_EQ(inspect["format_version"], 1);

  r = Do("POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
         R"({"target_collection": "docs_copy"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  json restored = json::parse(r.body)["restored"];
  EXPECT_EQ(restored["collection"], "docs_copy");
  EXPECT_EQ(restored["sequence"], 20);
  EXPECT_EQ(restored["points"], 20);
  r = Do("GET", "/api/v1/collections/docs_copy/vectors/p7");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["metadata"]["i"], 7);

  // Over an existing collection: only with overwrite.
  r = Do("POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
         R"({"target_collection": "docs_copy"})");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_NE(r.body.find("overwrite"), std::string::npos) << r.body;
  r = Do("POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
         R"({"target_collection": "docs_copy", "overwrite": true})");
  EXPECT_EQ(r.status, 200u) << r.body;

  r = Do("DELETE", "/api/v1/collections/docs/snapshots/" + id);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body), (json{{"id", id}, {"status", "deleted"}}));
  r = Do("DELETE", "/api/v1/collections/docs/snapshots/" + id);
  EXPECT_EQ(r.status, 404u) << r.body;
}

TEST_F(SnapshotApiTest, AliasNamesTheCollection) {
  ASSERT_EQ(
      Do("POST", "/api/v1/aliases",
         R"({"actions": [{"create": {"alias": "prod", "collection": "docs"}}]})")
          .status,
      200u);
  RestResponse r = Do("POST", "/api/v1/collections/prod/snapshots");
  ASSERT_EQ(r.status, 201u) << r.body;
  const std::string id = json::parse(r.body)["snapshot"]["id"];
  r = Do("GET", "/api/v1/collections/docs/snapshots/" + id);
  EXPECT_EQ(r.status, 200u) << r.body;
  r = Do("GET", "/api/v1/collections/prod/snapshots");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["snapshots"].size(), 1u);
}

TEST_F(SnapshotApiTest, Refusals) {
  const std::string id = Create()["id"];
  struct Case {
    const char* method;
    std::string target;
    std::string body;
    unsigned status;
    std::string needle;
  };
  const Case cases[] = {
      {"POST", "/api/v1/collections/docs/snapshots", R"({"target": "tape"})",
       400, "got 'tape'"},
      {"POST", "/api/v1/collections/docs/snapshots", R"({"targte": "s3"})", 400,
       "targte"},
      {"POST", "/api/v1/collections/docs/snapshots", R"({"target": "s3"})", 409,
       "local_object_directory"},
      {"POST", "/api/v1/collections/nope/snapshots", "", 404, "nope"},
      {"GET", "/api/v1/collections/docs/snapshots/snap-x", "", 404, "snap-x"},
      {"GET",
       "/api/v1/collections/docs/snapshots/snap-20260101T000000.000Z-00000000",
       "", 404, "no snapshot"},
      {"POST", "/api/v1/collections/docs/snapshots/" + id + "/restore", "{}",
       400, "target_collection"},
      {"POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
       R"({"target_collection": "bad name"})", 400, "name"},
      {"POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
       R"({"target_collection": "docs"})", 409, "overwrite"},
      {"POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
       R"({"target_collection": "x", "overwrite": "yes"})", 400, "overwrite"},
  };
  for (const Case& c : cases) {
    RestResponse r = Do(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status)
        << c.method << " " << c.target << " " << c.body << ": " << r.body;
    EXPECT_NE(r.body.find(c.needle), std::string::npos)
        << c.needle << " in " << r.body;
  }
}

TEST_F(SnapshotApiTest, ChangesNeedAReadWriteKey) {
  auto keys = service::ApiKeys::Parse({"ro:reader-key-1", "rw:writer-key-1"});
  ASSERT_TRUE(keys.ok());
  RestResponse r = Do("POST", "/api/v1/collections/docs/snapshots", "", &*keys,
                      "reader-key-1");
  EXPECT_EQ(r.status, 403u) << r.body;
  r = Do("POST", "/api/v1/collections/docs/snapshots", "", &*keys,
         "writer-key-1");
  ASSERT_EQ(r.status, 201u) << r.body;
  const std::string id = json::parse(r.body)["snapshot"]["id"];
  r = Do("GET", "/api/v1/collections/docs/snapshots", "", &*keys,
         "reader-key-1");
  EXPECT_EQ(r.status, 200u) << r.body;
  r = Do("DELETE", "/api/v1/collections/docs/snapshots/" + id, "", &*keys,
         "reader-key-1");
  EXPECT_EQ(r.status, 403u) << r.body;
}

TEST_F(SnapshotApiTest, GrpcAnswersAsRestDoes) {
  grpc::ClientContext c1;
  v1::CreateSnapshotRequest create;
  create.set_collection("docs");
  v1::SnapshotResponse created;
  ASSERT_TRUE(stub_->CreateSnapshot(&c1, create, &created).ok());
  const std::string id = created.snapshot().id();
  EXPECT_EQ(created.snapshot().sequence(), 20u);
  EXPECT_EQ(created.snapshot().target(), "local");

  // The same snapshot over REST, field by field.
  RestResponse r = Do("GET", "/api/v1/collections/docs/snapshots/" + id);
  ASSERT_EQ(r.status, 200u);
  json rest = json::parse(r.body)["snapshot"];
  grpc::ClientContext c2;
  v1::GetSnapshotRequest get;
  get.set_collection("docs");
  get.set_id(id);
  v1::SnapshotResponse got;
  ASSERT_TRUE(stub_->GetSnapshot(&c2, get, &got).ok());
  EXPECT_EQ(rest["sequence"], got.snapshot().sequence());
  EXPECT_EQ(rest["size_bytes"], got.snapshot().size_bytes());
  EXPECT_EQ(rest["created_at"], got.snapshot().created_at());
  ASSERT_EQ(rest["collections"][0]["files"].size(),
            static_cast<size_t>(got.snapshot().collections(0).files_size()));
  for (int i = 0; i < got.snapshot().collections(0).files_size(); ++i) {
    const auto& f = got.snapshot().collections(0).files(i);
    EXPECT_EQ(rest["collections"][0]["files"][i]["name"], f.name());
    EXPECT_EQ(rest["collections"][0]["files"][i]["crc32c"], f.crc32c());
  }

  grpc::ClientContext c3;
  v1::ListSnapshotsRequest list;
  list.set_collection("docs");
  v1::ListSnapshotsResponse listed;
  ASSERT_TRUE(stub_->ListSnapshots(&c3, list, &listed).ok());
  ASSERT_EQ(listed.snapshots_size(), 1);
  EXPECT_EQ(listed.snapshots(0).collections(0).files_size(), 0);

  grpc::ClientContext c4;
  v1::RestoreSnapshotRequest restore;
  restore.set_collection("docs");
  restore.set_id(id);
  restore.set_target_collection("g");
  v1::RestoreSnapshotResponse restored;
  ASSERT_TRUE(stub_->RestoreSnapshot(&c4, restore, &restored).ok());
  EXPECT_EQ(restored.collection(), "g");
  EXPECT_EQ(restored.points(), 20u);

  // The same refusal on both: code and message.
  grpc::ClientContext c5;
  v1::RestoreSnapshotResponse again;
  grpc::Status s = stub_->RestoreSnapshot(&c5, restore, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  r = Do("POST", "/api/v1/collections/docs/snapshots/" + id + "/restore",
         R"({"target_collection": "g"})");
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(json::parse(r.body)["message"], s.error_message());

  grpc::ClientContext c6;
  create.set_target("tape");
  s = stub_->CreateSnapshot(&c6, create, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r = Do("POST", "/api/v1/collections/docs/snapshots", R"({"target": "tape"})");
  EXPECT_EQ(json::parse(r.body)["message"], s.error_message());

  grpc::ClientContext c7;
  v1::DeleteSnapshotRequest del;
  del.set_collection("docs");
  del.set_id(id);
  v1::DeleteSnapshotResponse deleted;
  ASSERT_TRUE(stub_->DeleteSnapshot(&c7, del, &deleted).ok());
  EXPECT_EQ(deleted.status(), "deleted");
  grpc::ClientContext c8;
  s = stub_->DeleteSnapshot(&c8, del, &deleted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(SnapshotApiTest, PointInTimeRestoreThroughRest) {
  // Archiving on for this collection (PATCH), shown in its info.
  RestResponse r = Do("PATCH", "/api/v1/collections/docs",
                      R"({"tiering": {"wal_archive": true}})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["tiering"]["wal_archive"], true);
  Create();  // at sequence 20
  for (int i = 20; i < 30; ++i) {
    const json p{{"id", "p" + std::to_string(i)}, {"vector", {i, 1}}};
    ASSERT_EQ(Do("POST", "/api/v1/collections/docs/vectors", p.dump()).status,
              201u);
  }
  r = Do("POST", "/api/v1/collections/docs/restore",
         R"({"target_collection": "at25", "sequence": 25})");
  ASSERT_EQ(r.status, 200u) << r.body;
  json got = json::parse(r.body)["restored"];
  EXPECT_EQ(got["sequence"], 25);
  EXPECT_EQ(got["snapshot_sequence"], 20);
  EXPECT_EQ(got["wal_records"], 5);
  EXPECT_EQ(got["points"], 25);
  EXPECT_TRUE(got["sequence_time"].is_string());
  r = Do("POST", "/api/v1/collections/at25/count", "");
  EXPECT_EQ(json::parse(r.body)["count"], 25);
  // As of now (the server's clock): every write.
  const std::string now =
      Rfc3339Micros(std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  r = Do("POST", "/api/v1/collections/docs/restore",
         json{{"target_collection", "now"}, {"as_of", now}}.dump());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(json::parse(r.body)["restored"]["sequence"], 30);
  // Refusals: neither point, a bad time, a sequence past the end, the
  // future.
  for (const auto& [body, status, code] :
       std::vector<std::tuple<std::string, unsigned, std::string>>{
           {R"({"target_collection": "x"})", 400, "invalid_argument"},
           {R"({"target_collection": "x", "as_of": "2026-13-01T00:00:00Z"})",
            400, "invalid_argument"},
           {R"({"target_collection": "x", "sequence": 31})", 410,
            "out_of_range"},
           {R"({"target_collection": "x", "as_of": "9999-01-01T00:00:00Z"})",
            400, "invalid_argument"},
           {R"({"target_collection": "x", "sequence": 1, "at": 2})", 400,
            "invalid_argument"}}) {
    r = Do("POST", "/api/v1/collections/docs/restore", body);
    EXPECT_EQ(r.status, status) << body << " " << r.body;
    EXPECT_EQ(json::parse(r.body)["error"], code) << body;
  }
}

}  // namespace
}  // namespace proximadb::rest
