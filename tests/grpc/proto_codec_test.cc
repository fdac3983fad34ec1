// proto <-> engine conversion, the status mapping, and the RPC table of the
// gRPC transport (no server, no engine).
#include "api/grpc/proto_codec.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_service.h"
#include "api/grpc/grpc_status.h"
#include "service/operations.h"

namespace proximadb::grpc_api {
namespace {

using nlohmann::json;

TEST(StructTest, MetadataRoundTrip) {
  const json metadata = json::parse(R"({
    "user": "alice", "n": 7, "neg": -3, "f": 1.5, "yes": true, "nil": null,
    "tags": [1, "two", {"x": false}, []],
    "deep": {"a": {"b": {"c": 0.25}}},
    "big": 9007199254740992, "empty": {}
  })");
  google::protobuf::Struct s;
  JsonToStruct(metadata, &s);
  EXPECT_EQ(s.fields().at("user").string_value(), "alice");
  EXPECT_EQ(s.fields().at("n").number_value(), 7.0);
  Result<json> back = StructToJson(s);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, metadata);
  // Integral numbers come back as integers, as REST stores them.
  EXPECT_TRUE((*back)["n"].is_number_integer());
  EXPECT_TRUE((*back)["f"].is_number_float());
}

TEST(StructTest, NonIntegralAndHugeNumbersStayDoubles) {
  google::protobuf::Struct s;
  (*s.mutable_fields())["x"].set_number_value(1e300);
  (*s.mutable_fields())["y"].set_number_value(-0.5);
  Result<json> j = StructToJson(s);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE((*j)["x"].is_number_float());
  EXPECT_EQ((*j)["y"], -0.5);
}

TEST(StructTest, NonFiniteNumbersAreRefused) {
  for (double bad : {std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    google::protobuf::Struct s;
    (*s.mutable_fields())["deep"]
        .mutable_list_value()
        ->add_values()
        ->set_number_value(bad);
    Result<json> j = StructToJson(s);
    EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(DecodeTest, CreateCollectionDefaultsAndValues) {
  pb::CreateCollectionRequest r;
  r.set_name("c");
  r.set_dimension(3);
  Result<CollectionConfig> c = DecodeCreateCollection(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->metric, Metric::kCosine);
  EXPECT_EQ(c->index.algorithm, "hnsw");
  EXPECT_EQ(c->index.m, 16u);
  EXPECT_FALSE(c->flush.max_wal_age_hours.has_value());
  EXPECT_EQ(c->wal_format, WalFormat::kNative);

  r.set_distance_metric("dot_product");
  r.set_indexing_algorithm("flat");
  r.set_m(8);
  r.set_ef_search(99);
  r.mutable_flush_policy()->set_max_wal_age_hours(0.5);
  r.mutable_flush_policy()->set_enable_background_flush(false);
  r.set_wal_format("avro");
  c = DecodeCreateCollection(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->metric, Metric::kDotProduct);
  EXPECT_EQ(c->index.algorithm, "flat");
  EXPECT_EQ(c->index.m, 8u);
  EXPECT_EQ(c->index.ef_search, 99u);
  EXPECT_EQ(c->flush.max_wal_age_hours, 0.5);
  EXPECT_EQ(c->flush.enable_background_flush, false);
  EXPECT_FALSE(c->flush.max_wal_size_mb.has_value());
  EXPECT_EQ(c->wal_format, WalFormat::kAvro);

  r.set_distance_metric("hamming");
  EXPECT_EQ(DecodeCreateCollection(r).status().code(),
            StatusCode::kInvalidArgument);
}

// Storage strategies (docs/API.md): the same settings as REST, both ways.
TEST(DecodeTest, MigrationLayoutAndAnswer) {
  pb::Layout l;
  EXPECT_EQ(DecodeLayout(l), LayoutSettings{});  // unset: create defaults
  {
    pb::Layout z;
    z.set_storage_strategy("viper");
    EXPECT_EQ(DecodeLayout(z).compression, "zstd");  // viper's default
    z.set_compression("none");
    EXPECT_EQ(DecodeLayout(z).compression, "none");
    pb::CreateCollectionRequest r;
    r.set_name("z");
    r.set_dimension(4);
    r.set_storage_strategy("custom");
    r.set_compression("zstd");
    auto c = DecodeCreateCollection(r);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->compression, "zstd");
    r.set_storage_strategy("standard");  // refused by the engine's check
    EXPECT_EQ(
        ValidateCollectionConfig(DecodeCreateCollection(r).value()).code(),
        StatusCode::kInvalidArgument);
  }
  l.set_storage_strategy("custom");
  l.set_memtable("hash");
  l.set_indexing_algorithm("ivf");
  l.set_nprobe(5);
  l.set_m(16);
  LayoutSettings got = DecodeLayout(l);
  EXPECT_EQ(got.storage_strategy, "custom");
  EXPECT_EQ(got.memtable, "hash");
  EXPECT_EQ(got.index.algorithm, "ivf");
  EXPECT_EQ(got.index.nprobe, 5u);
  MigrationStatus m;
  m.record.id = "mig-9";
  m.record.state = "failed";
  m.record.error = "segment 3: disk full";
  m.record.to = got;
  m.points_total = 7;
  pb::Migration out;
  EncodeMigration(m, &out);
  EXPECT_EQ(out.id(), "mig-9");
  EXPECT_EQ(out.state(), "failed");
  EXPECT_EQ(out.error(), "segment 3: disk full");
  EXPECT_EQ(out.to().indexing_algorithm(), "ivf");
  EXPECT_EQ(out.from().indexing_algorithm(), "hnsw");
  EXPECT_EQ(out.points_total(), 7u);
  EXPECT_LT(out.eta_seconds(), 0);
  EXPECT_EQ(DecodeLayout(out.to()), got);
}

TEST(DecodeTest, StorageStrategyMemtableAndIvf) {
  pb::CreateCollectionRequest r;
  r.set_name("c");
  r.set_dimension(3);
  Result<CollectionConfig> c = DecodeCreateCollection(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->storage_strategy, "standard");
  EXPECT_EQ(c->memtable, "btree");
  EXPECT_EQ(c->index.nlist, 0u);
  r.set_storage_strategy("custom");
  r.set_memtable("hash");
  r.set_indexing_algorithm("ivf");
  r.set_nlist(32);
  r.set_nprobe(4);
  r.set_quantization("int8");
  c = DecodeCreateCollection(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->storage_strategy, "custom");
  EXPECT_EQ(c->memtable, "hash");
  EXPECT_EQ(c->index.algorithm, "ivf");
  EXPECT_EQ(c->index.nlist, 32u);
  EXPECT_EQ(c->index.nprobe, 4u);
  CollectionInfo info;
  info.config = *c;
  pb::CollectionInfo out;
  EncodeCollection(info, FlushDefaults{}, &out);
  EXPECT_EQ(out.storage_strategy(), "custom");
  EXPECT_EQ(out.memtable(), "hash");
  EXPECT_EQ(out.indexing_algorithm(), "ivf");
  EXPECT_EQ(out.nlist(), 32u);
  EXPECT_EQ(out.nprobe(), 4u);
  pb::SearchRequest s;
  s.add_vector(1);
  EXPECT_FALSE(DecodeSearch(s)->nprobe.has_value());
  s.set_nprobe(9);
  EXPECT_EQ(DecodeSearch(s)->nprobe, 9u);
}

TEST(DecodeTest, PointAndSearchDefaults) {
  pb::Point p;
  p.set_id("a");
  p.add_vector(1.5f);
  p.add_vector(-2.0f);
  Result<Point> point = DecodePoint(p);
  ASSERT_TRUE(point.ok());
  EXPECT_EQ(point->vector, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(point->metadata, json::object());

  pb::SearchRequest s;
  s.add_vector(1.0f);
  Result<SearchRequest> q = DecodeSearch(s);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->k, 10u);
  EXPECT_TRUE(q->include_metadata);
  EXPECT_FALSE(q->include_vector);
  EXPECT_TRUE(q->filter.is_null());
  EXPECT_FALSE(q->ef_search.has_value());

  s.set_k(3);
  s.set_include_metadata(false);
  s.set_ef_search(40);
  (*s.mutable_filter()->mutable_fields())["user"].set_string_value("alice");
  q = DecodeSearch(s);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->k, 3u);
  EXPECT_FALSE(q->include_metadata);
  EXPECT_EQ(q->ef_search, 40u);
  EXPECT_EQ(q->filter, json({{"user", "alice"}}));

  pb::ScrollRequest sr;
  Result<ScrollRequest> scroll = DecodeScroll(sr);
  ASSERT_TRUE(scroll.ok());
  EXPECT_EQ(scroll->limit, 100u);
  EXPECT_TRUE(scroll->after_id.empty());
}

TEST(EncodeTest, SearchHonoursIncludeFlags) {
  SearchResult r;
  r.hits.push_back({"a", 0.5f, json{{"k", 1}}, {1.0f, 2.0f}});
  SearchRequest req;
  req.include_metadata = true;
  req.include_vector = false;
  pb::SearchResponse out;
  EncodeSearchResult(r, req, &out);
  ASSERT_EQ(out.matches_size(), 1);
  EXPECT_EQ(out.total_count(), 1u);
  EXPECT_EQ(out.matches(0).id(), "a");
  EXPECT_EQ(out.matches(0).score(), 0.5f);
  EXPECT_TRUE(out.matches(0).has_metadata());
  EXPECT_EQ(out.matches(0).vector_size(), 0);

  req.include_metadata = false;
  req.include_vector = true;
  out.Clear();
  EncodeSearchResult(r, req, &out);
  EXPECT_FALSE(out.matches(0).has_metadata());
  EXPECT_EQ(out.matches(0).vector_size(), 2);
}

TEST(EncodeTest, CollectionResolvesFlushPolicy) {
  CollectionInfo info;
  info.config.name = "c";
  info.config.dimension = 4;
  info.config.flush.max_wal_size_mb = 32;
  info.point_count = 5;
  FlushDefaults d;
  pb::CollectionInfo out;
  EncodeCollection(info, d, &out);
  EXPECT_EQ(out.name(), "c");
  EXPECT_EQ(out.distance_metric(), "cosine");
  EXPECT_EQ(out.flush_policy().max_wal_size_mb(), 32.0);
  EXPECT_EQ(out.flush_policy().max_wal_age_hours(), d.max_wal_age_hours);
  EXPECT_EQ(out.flush_policy().max_vector_count(), d.max_vector_count);
  EXPECT_EQ(out.point_count(), 5u);
}

TEST(EncodeTest, ScrollNextCursorOnlyWhenMore) {
  ScrollPage page;
  page.points.push_back({"a", {1.0f}, json{{"x", 1}}, 1});
  pb::ScrollResponse out;
  EncodeScrollPage(page, /*include_vector=*/false, &out);
  EXPECT_FALSE(out.has_next_after_id());
  EXPECT_EQ(out.points(0).vector_size(), 0);
  page.next_after_id = "a";
  out.Clear();
  EncodeScrollPage(page, true, &out);
  EXPECT_EQ(out.next_after_id(), "a");
  EXPECT_EQ(out.points(0).vector_size(), 1);
}

TEST(GrpcStatusTest, Mapping) {
  using G = grpc::StatusCode;
  EXPECT_EQ(GrpcCodeFor(StatusCode::kInvalidArgument), G::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kDimensionMismatch), G::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kNotFound), G::NOT_FOUND);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kAlreadyExists), G::ALREADY_EXISTS);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kResourceExhausted), G::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kUnavailable), G::UNAVAILABLE);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kFailedPrecondition),
            G::FAILED_PRECONDITION);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kIOError), G::INTERNAL);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kCorruption), G::INTERNAL);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kInternal), G::INTERNAL);
  grpc::Status s = ToGrpcStatus(Status::NotFound("no such thing"), nullptr);
  EXPECT_EQ(s.error_code(), G::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such thing");
  EXPECT_TRUE(ToGrpcStatus(Status::OK(), nullptr).ok());
}

// The RPC table, the operations list and the generated descriptor agree one
// to one: a new operation (or RPC) without the other fails here.
TEST(GrpcMethodsTest, CoverOperationsAndDescriptor) {
  const google::protobuf::ServiceDescriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "proximadb.v1.ProximaDB");
  ASSERT_NE(d, nullptr);
  std::set<std::string> rpcs;
  for (int i = 0; i < d->method_count(); ++i) rpcs.insert(d->method(i)->name());

  std::set<std::string> table;
  std::set<service::Operation> ops;
  for (const GrpcMethod& m : GrpcMethods()) {
    EXPECT_TRUE(table.insert(std::string(m.rpc)).second) << m.rpc;
    EXPECT_TRUE(ops.insert(m.op).second) << m.rpc;
    EXPECT_TRUE(rpcs.count(std::string(m.rpc))) << m.rpc << " not in proto";
    EXPECT_EQ(service::OperationName(m.op), m.rpc);
  }
  for (const std::string& rpc : rpcs) {
    EXPECT_TRUE(table.count(rpc)) << "RPC " << rpc << " not in GrpcMethods()";
  }
  for (const service::OperationInfo& info : service::kOperations) {
    EXPECT_TRUE(ops.count(info.op))
        << "operation " << info.name << " has no gRPC method";
  }
  EXPECT_EQ(rpcs.size(), service::kOperations.size());
}

}  // namespace
}  // namespace proximadb::grpc_api
