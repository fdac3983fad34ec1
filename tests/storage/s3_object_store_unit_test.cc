// S3ObjectStore without a real S3: options, URI encoding, the retry
// classifier and back-off, the XML parsers, and the retry / refusal /
// truncation paths end to end through curl against a loopback fake server
// (fake_http_server.h). The same store against a real radosgw:
// tests/s3/s3_object_store_test.cc (`ctest -L s3`).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "storage/fake_http_server.h"
#include "storage/object/s3_http.h"
#include "storage/object/s3_object_store.h"
#include "storage/object/s3_xml.h"
#include "util/crc32c.h"
#include "util/temp_dir.h"

namespace proximadb::object {
namespace {

using test_util::FakeHttpServer;
using test_util::FakeResponse;

constexpr const char* kSecret = "SeCrEtKeY0123456789abcdefSECRET";
constexpr const char* kAccess = "AKIDTESTACCESS";

S3Options Options(const std::string& endpoint) {
  S3Options o;
  o.endpoint = endpoint;
  o.bucket = "bucket";
  o.prefix = "pre/";
  o.access_key = kAccess;
  o.secret_key = kSecret;
  o.max_attempts = 3;
  o.base_backoff_ms = 20;
  o.connect_timeout_ms = 2000;
  o.request_timeout_ms = 5000;
  return o;
}

std::unique_ptr<S3ObjectStore> OpenStore(const std::string& endpoint) {
  auto s = S3ObjectStore::Open(Options(endpoint));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

void ExpectNoSecret(const Status& s) {
  EXPECT_EQ(s.message().find(kSecret), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(kAccess), std::string::npos) << s.message();
}

TEST(S3OptionsTest, ValidateNamesTheField) {
  EXPECT_TRUE(Options("http://127.0.0.1:7480").Validate().ok());
  EXPECT_TRUE(Options("https://s3.example.com/").Validate().ok());
  struct Case {
    std::function<void(S3Options*)> change;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {[](S3Options* o) { o->endpoint = "127.0.0.1:7480"; }, "endpoint"},
           {[](S3Options* o) { o->endpoint = "http://h/path"; }, "no path"},
           {[](S3Options* o) { o->region = ""; }, "region"},
           {[](S3Options* o) { o->bucket = "B_ad"; }, "bucket"},
           {[](S3Options* o) { o->prefix = "/abs/"; }, "prefix"},
           {[](S3Options* o) { o->access_key = ""; }, "access_key"},
           {[](S3Options* o) { o->secret_key = ""; }, "secret_key"},
           {[](S3Options* o) { o->max_attempts = 0; }, "max_attempts"},
           {[](S3Options* o) { o->part_size = 1 << 20; }, "part_size"},
           {[](S3Options* o) { o->upload_concurrency = 0; },
            "upload_concurrency"},
           {[](S3Options* o) { o->request_timeout_ms = 0; },
            "request_timeout_ms"},
       }) {
    S3Options o = Options("http://127.0.0.1:7480");
    c.change(&o);
    Status s = o.Validate();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.says;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
    ExpectNoSecret(s);
  }
  S3Options o = Options("http://127.0.0.1:7480");
  o.access_key = "a:b";
  EXPECT_EQ(o.Validate().code(), StatusCode::kInvalidArgument);
}

TEST(S3OptionsTest, DescribeHasNoCredentials) {
  auto store = OpenStore("http://127.0.0.1:7480/");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Describe(), "s3://bucket/pre/ at http://127.0.0.1:7480");
}

TEST(S3HttpTest, UriEncode) {
  EXPECT_EQ(s3::UriEncode("a/b c+d=e&f%~._-", true),
            "a/b%20c%2Bd%3De%26f%25~._-");
  EXPECT_EQ(s3::UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(s3::UriEncode("\xc3\xa9", true), "%C3%A9");
}

TEST(S3HttpTest, RetryClassifier) {
  for (int code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
                   CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
                   CURLE_PARTIAL_FILE, CURLE_COULDNT_RESOLVE_HOST}) {
    EXPECT_TRUE(s3::IsRetryableCurl(code)) << code;
  }
  for (int code : {CURLE_OK, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL,
                   CURLE_WRITE_ERROR, CURLE_PEER_FAILED_VERIFICATION}) {
    EXPECT_FALSE(s3::IsRetryableCurl(code)) << code;
  }
  for (long st : {500L, 502L, 503L, 504L, 429L}) {
    EXPECT_TRUE(s3::IsRetryableHttp(st)) << st;
  }
  for (long st : {200L, 204L, 206L, 400L, 403L, 404L, 409L, 416L}) {
    EXPECT_FALSE(s3::IsRetryableHttp(st)) << st;
  }
}

TEST(S3HttpTest, BackoffDoublesWithJitterAndCap) {
  EXPECT_EQ(s3::BackoffMs(1, 100, 12345), 0u);  // the first try waits not
  for (uint64_t r : {0ull, 1ull, 77ull, ~0ull}) {
    uint64_t b2 = s3::BackoffMs(2, 100, r);
    EXPECT_GE(b2, 50u);
    EXPECT_LE(b2, 100u);
    uint64_t b4 = s3::BackoffMs(4, 100, r);
    EXPECT_GE(b4, 200u);
    EXPECT_LE(b4, 400u);
    uint64_t big = s3::BackoffMs(40, 100, r);
    EXPECT_GE(big, s3::kMaxBackoffMs / 2);
    EXPECT_LE(big, s3::kMaxBackoffMs);
  }
  EXPECT_EQ(s3::BackoffMs(3, 0, 5), 0u);
}

TEST(S3XmlTest, ListObjectsV2) {
  auto r = s3::ParseListObjectsV2(
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>p/a&amp;b</Key><Size>12</Size><ETag>&quot;x&quot;</ETag></Contents><Contents><Key>p/c</Key><Size>0</Size></Contents><NextContinuationToken>p/c&lt;</NextContinuationToken><KeyCount>2</KeyCount></ListBucketResult>)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "p/a&b");
  EXPECT_EQ(r->objects[0].size, 12u);
  EXPECT_EQ(r->objects[1].key, "p/c");
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_token, "p/c<");

  auto last = s3::ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->objects.empty());
  EXPECT_FALSE(last->is_truncated);

  EXPECT_EQ(
      s3::ParseListObjectsV2("<ListBucketResult><Contents>").status().code(),
      StatusCode::kCorruption);
  EXPECT_EQ(s3::ParseListObjectsV2("<Error/>").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(s3::ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key>"
                                   "<Size>1x</Size></Contents>"
                                   "</ListBucketResult>")
                .status()
                .code(),
            StatusCode::kCorruption);
  EXPECT_EQ(
      s3::ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                             "</ListBucketResult>")
          .status()
          .code(),
      StatusCode::kCorruption);
}

TEST(S3XmlTest, UploadIdAndErrorCode) {
  auto id = s3::ParseUploadId(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>2~abc</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "2~abc");
  EXPECT_FALSE(s3::ParseUploadId("<X/>").ok());
  EXPECT_EQ(s3::ParseErrorCode("<Error><Code>AccessDenied</Code><Resource>"
                               "/b/secret-key-name</Resource></Error>"),
            "AccessDenied");
  EXPECT_EQ(s3::ParseErrorCode(""), "");
  EXPECT_EQ(s3::ParseErrorCode("<Error><Code>a b</Code></Error>"), "");
}

TEST(S3FakeServerTest, RetriesA503ThenSucceeds) {
  FakeHttpServer server(std::vector<FakeResponse>{{503}, {503}, {204}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->Delete("k").ok());
  EXPECT_EQ(server.requests(), 3);
  S3Stats st = store->stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.retries, 2u);
  EXPECT_EQ(st.failures, 0u);
  auto lines = server.request_lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "DELETE /bucket/pre/k HTTP/1.1");
}

TEST(S3FakeServerTest, GivesUpAfterMaxAttemptsWithBackoff) {
  FakeHttpServer server(std::vector<FakeResponse>{{503}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  auto t0 = std::chrono::steady_clock::now();
  Status s = store->Put("k", "data");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("HTTP 503 after 3 attempts"), std::string::npos)
      << s.message();
  ExpectNoSecret(s);
  EXPECT_EQ(server.requests(), 3);
  // Waits of [10, 20] then [20, 40] ms.
  EXPECT_GE(ms, 30);
  S3Stats st = store->stats();
  EXPECT_EQ(st.retries, 2u);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_EQ(st.bytes_up, 3 * 4u);
}

TEST(S3FakeServerTest, RetriesA429) {
  FakeHttpServer server(
      std::vector<FakeResponse>{{429}, {200, "Content-Length: 0\r\n"}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->Put("k", "").ok());
  EXPECT_EQ(store->stats().retries, 1u);
}

TEST(S3FakeServerTest, A403IsRefusedWithoutRetryOrKey) {
  FakeHttpServer server(
      {{403, "", "<Error><Code>SignatureDoesNotMatch</Code></Error>"}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  auto got = store->Get("private/name");
  EXPECT_EQ(got.status().code(), StatusCode::kFailedPrecondition);
  const Status status = got.status();
  const std::string& m = status.message();
  EXPECT_NE(m.find("HTTP 403 (SignatureDoesNotMatch)"), std::string::npos) << m;
  EXPECT_NE(m.find("s3://bucket/pre/"), std::string::npos) << m;
  EXPECT_EQ(m.find("private/name"), std::string::npos) << m;
  ExpectNoSecret(got.status());
  EXPECT_EQ(server.requests(), 1);
  S3Stats st = store->stats();
  EXPECT_EQ(st.requests, 1u);
  EXPECT_EQ(st.retries, 0u);
  EXPECT_EQ(st.failures, 1u);
}

TEST(S3FakeServerTest, ClosedPortIsUnavailableAfterMaxAttempts) {
  auto store = OpenStore("http://127.0.0.1:" +
                         std::to_string(FakeHttpServer::ClosedPort()));
  ASSERT_TRUE(store);
  auto head = store->Head("k");
  EXPECT_EQ(head.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(head.status().message().find("unreachable after 3 attempts"),
            std::string::npos)
      << head.status().message();
  EXPECT_EQ(store->stats().requests, 3u);
  EXPECT_EQ(store->stats().retries, 2u);
}

TEST(S3FakeServerTest, TruncatedBodyIsRetriedThenCorruption) {
  const std::string body(100, 'b');
  const std::string crc =
      "x-amz-meta-pdb-crc32c: " + std::string("00000000") + "\r\n";
  FakeHttpServer server(std::vector<FakeResponse>{{200, crc, body, 50}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  auto got = store->Get("k");
  EXPECT_EQ(got.status().code(), StatusCode::kCorruption)
      << got.status().ToString();
  EXPECT_EQ(server.requests(), 3);
  test_util::TempDir tmp;
  EXPECT_EQ(store->GetToFile("k", tmp.path() + "/out").status().code(),
            StatusCode::kCorruption);
}

TEST(S3FakeServerTest, TruncationRecoversOnRetry) {
  const std::string body(100, 'b');
  char hex[9];
  snprintf(hex, sizeof(hex), "%08x", crc32c::Value(body.data(), body.size()));
  const std::string h = std::string("x-amz-meta-pdb-crc32c: ") + hex + "\r\n";
  FakeHttpServer server(
      std::vector<FakeResponse>{{200, h, body, 10}, {200, h, body}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  test_util::TempDir tmp;
  auto info = store->GetToFile("k", tmp.path() + "/out");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 100u);
  auto back = Env::Default()->ReadFileToString(tmp.path() + "/out");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, body);  // the retry started the file afresh
}

TEST(S3FakeServerTest, BadOrMissingChecksumIsCorruption) {
  FakeHttpServer server(
      {{200, "", "no checksum"},
       {200, "x-amz-meta-pdb-crc32c: 12345678\r\n", "wrong checksum"}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  auto none = store->Get("k");
  EXPECT_EQ(none.status().code(), StatusCode::kCorruption);
  EXPECT_NE(none.status().message().find("no x-amz-meta-pdb-crc32c"),
            std::string::npos);
  auto wrong = store->Get("k");
  EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
  EXPECT_NE(wrong.status().message().find("checksum mismatch"),
            std::string::npos);
}

TEST(S3FakeServerTest, ListQueryIsSortedAndEncoded) {
  FakeHttpServer server(std::vector<FakeResponse>{
      {200, "",
       "<ListBucketResult><IsTruncated>false</IsTruncated>"
       "<Contents><Key>pre/a b</Key><Size>3</Size>"
       "</Contents></ListBucketResult>"}});
  auto store = OpenStore(server.endpoint());
  ASSERT_TRUE(store);
  auto page = store->List("x/", "tok+/=", 5);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "a b");
  EXPECT_EQ(page->objects[0].size, 3u);
  EXPECT_EQ(page->next_token, "");
  EXPECT_EQ(server.request_lines()[0],
            "GET /bucket?continuation-token=tok%2B%2F%3D&list-type=2&"
            "max-keys=5&prefix=pre%2Fx%2F HTTP/1.1");
}

}  // namespace
}  // namespace proximadb::object
