// Decoding gRPC requests from their bytes (api/grpc/request_decode.h): the
// wire walk's verdicts and messages, UTF-8 as protobuf judges it, the depth
// counted as for a REST body, and the registered methods' types.
#include "api/grpc/request_decode.h"

#include <random>
#include <string>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <gtest/gtest.h>

#include "api/grpc/grpc_service.h"
#include "api/grpc/proto_codec.h"
#include "grpc/wire_bytes.h"
#include "proximadb/v1/proximadb.pb.h"
#include "util/limits.h"

namespace proximadb::grpc_api {
namespace {

namespace pb = ::proximadb::v1;
namespace gpb = google::protobuf;

using ::proximadb::testing::Field;
using ::proximadb::testing::NestedStructBytes;

template <typename M>
Status Check(const std::string& bytes) {
  return CheckWire(bytes, *M::descriptor(), kMaxRequestDepth);
}

std::string Upsert(const std::string& id, const std::string& metadata_bytes) {
  pb::Point p;
  p.set_id(id);
  p.add_vector(1);
  p.add_vector(2);
  std::string point = p.SerializeAsString() + Field(3, metadata_bytes);
  return Field(1, "c") + Field(2, point);
}

TEST(Utf8Test, AgreesWithProtobuf) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii, long enough for the fast path"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(IsValidUtf8("abcdefgh\x80"));      // after an ASCII run
  // The oracle: protobuf's own parser on a proto3 string field.
  std::mt19937 rng(3);
  const unsigned char kBytes[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0xa0,
                                  0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed,
                                  0xef, 0xf0, 0xf4, 0xf5, 0xff};
  for (int i = 0; i < 20000; ++i) {
    std::string s(1 + rng() % 6, '\0');
    for (char& c : s) c = static_cast<char>(kBytes[rng() % sizeof kBytes]);
    pb::GetRequest req;
    const bool protobuf_ok = req.ParseFromString(Field(2, s));
    ASSERT_EQ(IsValidUtf8(s), protobuf_ok) << ::testing::PrintToString(s);
  }
}

TEST(CheckWireTest, ValidRequestsPass) {
  pb::BatchUpsertRequest b;
  b.set_collection("c");
  for (int i = 0; i < 3; ++i) {
    pb::Point* p = b.add_points();
    p->set_id("p" + std::to_string(i));
    p->add_vector(1.5f);
    JsonToStruct({{"s", "\xc3\xa9"}, {"l", {1, {{"x", nullptr}}}}},
                 p->mutable_metadata());
  }
  EXPECT_TRUE(Check<pb::BatchUpsertRequest>(b.SerializeAsString()).ok());
  EXPECT_TRUE(Check<pb::HealthRequest>("").ok());
  // A known field sent with another wire type is an unknown field to
  // protobuf; it is passed on (protobuf keeps it aside).
  const std::string odd = "\x08\x05";  // field 1 (a string) as varint 5
  EXPECT_TRUE(Check<pb::GetRequest>(odd).ok());
  pb::GetRequest g;
  EXPECT_TRUE(g.ParseFromString(odd));
}

// A field number the request type does not have is refused, named with its
// path, as REST refuses an unknown key (issue 11).
TEST(CheckWireTest, UnknownFieldsAreRefused) {
  Status s = Check<pb::GetRequest>(Field(99, "\xff\xff"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown field number 99 in proximadb.v1.GetRequest");
  pb::BatchSearchRequest b;
  b.set_collection("c");
  b.add_queries()->add_vector(1);
  std::string q = b.queries(0).SerializeAsString() + Field(99, "x");
  s = Check<pb::BatchSearchRequest>(Field(1, "c") + Field(2, q));
  EXPECT_EQ(s.message(),
            "queries[0]: unknown field number 99 in proximadb.v1.SearchRequest")
      << s.ToString();
}

TEST(CheckWireTest, MalformedBytesAreNamed) {
  struct Case {
    std::string bytes, message;
  };
  const std::string up =
      "request is not a valid proximadb.v1.UpsertRequest "
      "message: ";
  pb::UpsertRequest ok;
  ok.set_collection("c");
  ok.mutable_point()->set_id("p");
  const std::string full = ok.SerializeAsString();
  const std::vector<Case> cases = {
      {std::string(16, '\xff'), up + "malformed field tag at byte 0"},
      {full.substr(0, full.size() - 1),
       up + "truncated length-delimited field at byte 3"},
      {"\x0f", up + "invalid wire type 7 at byte 0"},
      {"\x0b", up + "group fields are not supported at byte 0"},
      {std::string("\x00\x00", 2), up + "field number 0 at byte 0"},
      {"\x18" + std::string(11, '\x80'),
       up + "truncated or overlong varint at byte 0"},
      {"\x19\x01\x02", up + "truncated fixed-width field at byte 0"},
      {Field(2, Field(2, std::string("\x00\x00\x80\x3f\x00", 5))),
       up + "packed field 'point.vector' is not a whole number of values at "
            "byte 2"},
  };
  for (const Case& c : cases) {
    Status s = Check<pb::UpsertRequest>(c.bytes);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), c.message) << ::testing::PrintToString(c.bytes);
    pb::UpsertRequest m;  // gRPC's own decoding refused these too
    if (c.message.find("packed") == std::string::npos) {
      EXPECT_FALSE(m.ParseFromString(c.bytes))
          << ::testing::PrintToString(c.bytes);
    }
  }
}

TEST(CheckWireTest, InvalidUtf8NamesTheField) {
  const std::string bad = "x\xff";
  struct Case {
    std::string bytes;
    const gpb::Descriptor* type;
    std::string message;
  };
  pb::BatchUpsertRequest batch;
  batch.add_points()->set_id("fine");
  const std::string two_points =
      batch.SerializeAsString() + Field(2, Field(1, bad));
  std::string bad_key = Field(1, Field(1, bad) + Field(2, "\x20\x01"));
  std::string bad_value =
      Field(1, Field(1, "k") + Field(2, Field(3, bad)));  // string_value
  const std::vector<Case> cases = {
      {Field(1, bad), pb::UpsertRequest::descriptor(),
       "field 'collection' is not valid UTF-8"},
      {Field(1, bad), pb::CreateCollectionRequest::descriptor(),
       "field 'name' is not valid UTF-8"},
      {Field(2, Field(1, bad)), pb::UpsertRequest::descriptor(),
       "field 'point.id' is not valid UTF-8"},
      {two_points, pb::BatchUpsertRequest::descriptor(),
       "field 'points[1].id' is not valid UTF-8"},
      {Field(2, "a") + Field(2, "b") + Field(2, bad),
       pb::DeleteByIdsRequest::descriptor(),
       "field 'ids[2]' is not valid UTF-8"},
      {Field(2, Field(3, bad_key)), pb::UpsertRequest::descriptor(),
       "a key or string value in 'point.metadata' is not valid UTF-8"},
      {Field(4, bad_value), pb::SearchRequest::descriptor(),
       "a key or string value in 'filter' is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    Status s = CheckWire(c.bytes, *c.type, kMaxRequestDepth);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(CheckWireTest, DepthCountsLikeARestBody) {
  // UpsertRequest (1) > Point (2) > metadata levels: the deepest metadata
  // the request limit lets through is two levels short of it.
  const size_t max_meta = kMaxRequestDepth - 2;
  EXPECT_TRUE(
      Check<pb::UpsertRequest>(Upsert("p", NestedStructBytes(max_meta))).ok());
  Status s =
      Check<pb::UpsertRequest>(Upsert("p", NestedStructBytes(max_meta + 1)));
  EXPECT_EQ(s.message(), RequestTooDeepMessage());
  // The 60,000 levels (and more): refused without recursion.
  for (size_t depth : {size_t{60000}, size_t{1000000}}) {
    s = Check<pb::SearchRequest>(Field(4, NestedStructBytes(depth)));
    EXPECT_EQ(s.message(), RequestTooDeepMessage()) << depth;
  }
  // Lists count one level each, like JSON arrays: CountRequest (1) >
  // filter Struct (2) > lists.
  auto count_with_lists = [](size_t lists) {
    std::string v("\x08\x00", 2);  // Value{null_value}
    for (size_t i = 0; i < lists; ++i) {
      v = Field(6, Field(1, v));  // Value{list_value{values: [v]}}
    }
    return Field(2, Field(1, Field(1, "k") + Field(2, v)));
  };
  EXPECT_TRUE(
      Check<pb::CountRequest>(count_with_lists(kMaxRequestDepth - 2)).ok());
  EXPECT_EQ(
      Check<pb::CountRequest>(count_with_lists(kMaxRequestDepth - 1)).message(),
      RequestTooDeepMessage());
}

TEST(DecodeRequestTest, ParsesWhatTheWalkAccepts) {
  pb::SearchRequest req;
  req.set_collection("c");
  req.add_vector(0.5f);
  JsonToStruct({{"a", {{"$gt", 1}}}}, req.mutable_filter());
  const std::string bytes = req.SerializeAsString();
  // Split in two slices, as gRPC may hand them over.
  ::grpc::Slice parts[2] = {::grpc::Slice(bytes.substr(0, 5)),
                            ::grpc::Slice(bytes.substr(5))};
  ::grpc::ByteBuffer buf(parts, 2);
  pb::SearchRequest out;
  ASSERT_TRUE(DecodeRequest(buf, &out).ok());
  EXPECT_EQ(out.SerializeAsString(), bytes);

  ::grpc::Slice garbage(std::string(16, '\xff'));
  ::grpc::ByteBuffer bad(&garbage, 1);
  Status s = DecodeRequest(bad, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ::grpc::ByteBuffer none;
  EXPECT_EQ(DecodeRequest(none, &out).message(),
            "the call carries no proximadb.v1.SearchRequest message");
}

// Structs built in process (not decoded from the wire) get the same limit.
TEST(StructDepthTest, StructToJsonRefusesWithoutRecursing) {
  auto parse = [](size_t depth, gpb::Struct* s) {
    const std::string bytes = NestedStructBytes(depth);
    gpb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
    in.SetRecursionLimit(1000);
    return s->ParseFromCodedStream(&in);
  };
  gpb::Struct s, deeper;
  ASSERT_TRUE(parse(kMaxRequestDepth, &s));
  EXPECT_TRUE(StructToJson(s).ok());
  ASSERT_TRUE(parse(kMaxRequestDepth + 1, &deeper));
  EXPECT_EQ(StructToJson(deeper).status().message(), RequestTooDeepMessage());
}

// Each raw registration takes and returns what the proto says.
TEST(GrpcServiceTest, RegisteredTypesMatchTheDescriptor) {
  GrpcService service(nullptr);
  const gpb::ServiceDescriptor* d =
      gpb::DescriptorPool::generated_pool()->FindServiceByName(
          "proximadb.v1.ProximaDB");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(service.method_types().size(),
            static_cast<size_t>(d->method_count()));
  for (const GrpcMethodTypes& t : service.method_types()) {
    const gpb::MethodDescriptor* m =
        d->FindMethodByName(std::string(service::OperationName(t.op)));
    ASSERT_NE(m, nullptr) << service::OperationName(t.op);
    EXPECT_EQ(m->input_type(), t.request) << m->name();
    EXPECT_EQ(m->output_type(), t.response) << m->name();
  }
}

}  // namespace
}  // namespace proximadb::grpc_api
