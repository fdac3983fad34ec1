// S3ObjectStore against a real S3: Ceph radosgw started once by the ctest
// fixture `s3_up` (tests/s3/s3_fixture.sh, scripts/s3-radosgw.sh), which
// writes S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET to
// the file named by $PDB_S3_ENV_FILE; without that file the same variables
// are read from the environment. Every test works under its own random
// prefix, so the tests run in parallel against one bucket.
//
// Runs the ObjectStore contract suite (tests/storage/object_store_contract.h)
// and what only a real S3 shows: multipart uploads, a 403 that is not
// retried, an unreachable endpoint, an object with a wrong checksum, and no
// secret in any message, a 503 retried (through a flaky loopback proxy). A
// body cut short is tested against a fake server in
// tests/storage/s3_object_store_unit_test.cc.
//
// Skips only when radosgw is not installed and PDB_REQUIRE_S3 is unset.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "s3/s3_env.h"
#include "storage/fake_http_server.h"
#include "storage/object/s3_object_store.h"
#include "storage/object_store_contract.h"
#include "util/crc32c.h"
#include "util/temp_dir.h"

namespace proximadb::object {
namespace {

using testing::Bytes;
using testing::ObjectStoreContractTest;
using testing::StoreFactory;
using testing::StoreHandle;

// Messages of every Status a test saw, to check for secrets at the end.
std::vector<std::string>& SeenMessages() {
  static std::vector<std::string> seen;
  return seen;
}
Status Seen(Status s) {
  SeenMessages().push_back(s.message());
  return s;
}

class S3Handle : public StoreHandle {
 public:
  explicit S3Handle(std::unique_ptr<S3ObjectStore> store)
      : store_(std::move(store)) {}
  ~S3Handle() override {  // best effort: leave the bucket empty
    auto all = store_->ListAll("");
    if (all.ok()) {
      for (const auto& o : *all) (void)store_->Delete(o.key);
    }
  }
  ObjectStore* store() override { return store_.get(); }

 private:
  std::unique_ptr<S3ObjectStore> store_;
};

// nullptr and `why` when S3 is not there: a skip, or a failure when it
// should have been.
std::unique_ptr<S3ObjectStore> OpenOrExplain(const S3Options& options,
                                             std::string* why) {
  const S3Env& env = LoadS3Env();
  if (!env.problem.empty()) {
    *why = env.problem;
    if (!env.skip) ADD_FAILURE() << env.problem;
    return nullptr;
  }
  auto store = S3ObjectStore::Open(options);
  if (!store.ok()) {
    *why = store.status().ToString();
    ADD_FAILURE() << *why;
    return nullptr;
  }
  return std::move(store).value();
}

INSTANTIATE_TEST_SUITE_P(
    S3, ObjectStoreContractTest,
    ::testing::Values(StoreFactory{
        "S3",
        [](std::string* why) -> std::unique_ptr<StoreHandle> {
          S3Options options;
          if (LoadS3Env().problem.empty()) options = BaseOptions();
          auto store = OpenOrExplain(options, why);
          if (!store) return nullptr;
          return std::make_unique<S3Handle>(std::move(store));
        }}),
    testing::ContractName);

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!LoadS3Env().problem.empty()) {
      auto none = OpenOrExplain(S3Options(), &why);
      GTEST_SKIP() << why;
    }
    options_ = BaseOptions();
  }
  void TearDown() override {
    for (const std::string& m : SeenMessages()) {
      EXPECT_EQ(m.find(options_.secret_key), std::string::npos) << m;
      EXPECT_EQ(m.find(options_.access_key), std::string::npos) << m;
    }
  }

  std::unique_ptr<S3ObjectStore> Open(const S3Options& o) {
    auto s = S3ObjectStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // PUT raw bytes under the store's prefix with a chosen checksum header
  // ("" for none), bypassing S3ObjectStore.
  long RawPut(const std::string& key, const std::string& body,
              const std::string& crc_header) {
    CURL* c = curl_easy_init();
    std::string url =
        options_.endpoint + "/" + options_.bucket + "/" + options_.prefix + key;
    std::string user = options_.access_key + ":" + options_.secret_key;
    std::string sigv4 = "aws:amz:" + options_.region + ":s3";
    struct curl_slist* h = nullptr;
    h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!crc_header.empty()) {
      h = curl_slist_append(h,
                            ("x-amz-meta-pdb-crc32c: " + crc_header).c_str());
    }
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, user.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION,
        +[](char*, size_t s, size_t n, void*) { return s * n; });
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
  }

  // GET <endpoint>/<bucket><query> (query pre-encoded, sorted), signed.
  std::string RawGet(const std::string& query) {
    CURL* c = curl_easy_init();
    std::string url = options_.endpoint + "/" + options_.bucket + query;
    std::string user = options_.access_key + ":" + options_.secret_key;
    std::string sigv4 = "aws:amz:" + options_.region + ":s3";
    struct curl_slist* h = nullptr;
    h = curl_slist_append(h, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    std::string body;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, user.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
          static_cast<std::string*>(u)->append(p, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return body;
  }

  S3Options options_;
  test_util::TempDir tmp_;
};

TEST_F(S3StoreTest, MultipartPutAndPutFile) {
  options_.part_size = 5ull << 20;
  options_.upload_concurrency = 3;
  auto store = Open(options_);
  ASSERT_TRUE(store);
  S3Handle cleanup(std::move(store));
  auto* s3 = static_cast<S3ObjectStore*>(cleanup.store());

  const std::string data = Bytes((12ull << 20) + 4321, 5);  // 3 parts
  ASSERT_TRUE(Seen(s3->Put("mp/put", data)).ok());
  S3Stats after_put = s3->stats();
  // initiate + 3 parts + complete.
  EXPECT_EQ(after_put.requests, 5u);
  EXPECT_GE(after_put.bytes_up, data.size());
  auto head = s3->Head("mp/put");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(head->crc32c, crc32c::Value(data.data(), data.size()));
  auto got = s3->Get("mp/put");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  auto across = s3->GetRange("mp/put", (5ull << 20) - 10, 20);  // a boundary
  ASSERT_TRUE(across.ok());
  EXPECT_EQ(*across, data.substr((5ull << 20) - 10, 20));

  const std::string in = tmp_.path() + "/in";
  const std::string file_data = Bytes(12ull << 20, 6);
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(in, file_data).ok());
  ASSERT_TRUE(Seen(s3->PutFile("mp/file", in)).ok());
  auto info = s3->GetToFile("mp/file", tmp_.path() + "/out");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, file_data.size());
  EXPECT_EQ(info->crc32c, crc32c::Value(file_data.data(), file_data.size()));
  auto back = Env::Default()->ReadFileToString(tmp_.path() + "/out");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == file_data);
  EXPECT_GE(s3->stats().bytes_down, data.size() + file_data.size());

  // A replacement by a single PUT: the whole new object, nothing of the old.
  ASSERT_TRUE(s3->Put("mp/put", "small").ok());
  auto small = s3->Get("mp/put");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(*small, "small");
}

TEST_F(S3StoreTest, ListPagesOfTwoOverFive) {
  auto store = Open(options_);
  ASSERT_TRUE(store);
  S3Handle cleanup(std::move(store));
  ObjectStore* s3 = cleanup.store();
  for (int i = 0; i < 5; i++) {
    ASSERT_TRUE(s3->Put("p/" + std::to_string(i), std::string(i, 'x')).ok());
  }
  std::vector<size_t> page_sizes;
  std::string token;
  int keys = 0;
  do {
    auto page = s3->List("p/", token, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    page_sizes.push_back(page->objects.size());
    for (const auto& o : page->objects) {
      EXPECT_EQ(o.key, "p/" + std::to_string(keys));
      EXPECT_EQ(o.size, static_cast<uint64_t>(keys));
      keys++;
    }
    token = page->next_token;
  } while (!token.empty() && page_sizes.size() < 10);
  EXPECT_EQ(page_sizes, (std::vector<size_t>{2, 2, 1}));
}

TEST_F(S3StoreTest, A503IsRetriedThroughAFlakyProxy) {
  // Two 503s, then the proxy relays to radosgw byte for byte (the request is
  // signed for the proxy's host:port, which radosgw sees as the Host).
  int port =
      std::stoi(options_.endpoint.substr(options_.endpoint.rfind(':') + 1));
  using test_util::FakeHttpServer;
  using test_util::FakeResponse;
  FakeHttpServer proxy(
      std::vector<FakeResponse>{
          {503, "", "<Error><Code>SlowDown</Code></Error>"},
          {503},
          {FakeHttpServer::kForward}},
      port);
  S3Options o = options_;
  o.endpoint = proxy.endpoint();
  o.base_backoff_ms = 20;
  auto store = Open(o);
  ASSERT_TRUE(store);
  S3Handle cleanup(std::move(store));
  auto* s3 = static_cast<S3ObjectStore*>(cleanup.store());
  const std::string data = Bytes(3000, 8);
  ASSERT_TRUE(Seen(s3->Put("flaky", data)).ok());
  S3Stats st = s3->stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.retries, 2u);
  EXPECT_EQ(st.failures, 0u);
  EXPECT_EQ(proxy.requests(), 3);
  auto got = s3->Get("flaky");  // relayed too
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
}

TEST_F(S3StoreTest, FailedMultipartIsAbortedAndKeepsTheOldObject) {
  int port =
      std::stoi(options_.endpoint.substr(options_.endpoint.rfind(':') + 1));
  using test_util::FakeHttpServer;
  using test_util::FakeResponse;
  // Relayed: the first PUT, the initiate; refused: the part; relayed again:
  // the abort and everything after.
  FakeHttpServer proxy(
      std::vector<FakeResponse>{{FakeHttpServer::kForward},
                                {FakeHttpServer::kForward},
                                {403, "",
                                 "<Error><Code>AccessDenied</Code>"
                                 "</Error>"},
                                {FakeHttpServer::kForward}},
      port);
  S3Options o = options_;
  o.endpoint = proxy.endpoint();
  o.part_size = 5ull << 20;
  o.upload_concurrency = 1;
  auto store = Open(o);
  ASSERT_TRUE(store);
  S3Handle cleanup(std::move(store));
  ObjectStore* s3 = cleanup.store();
  ASSERT_TRUE(s3->Put("mp/keep", "old").ok());
  Status s = Seen(s3->Put("mp/keep", Bytes(5ull << 20, 2)));  // one part
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  auto lines = proxy.request_lines();
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[1].rfind("POST ", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("?uploads="), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].rfind("PUT ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("DELETE ", 0), 0u) << lines[3];
  EXPECT_NE(lines[3].find("?uploadId="), std::string::npos) << lines[3];
  auto got = s3->Get("mp/keep");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "old");
  // The upload is gone: the bucket lists no upload under our prefix.
  std::string uploads = RawGet("?uploads=");
  EXPECT_NE(uploads.find("ListMultipartUploadsResult"), std::string::npos)
      << uploads;
  EXPECT_EQ(uploads.find(options_.prefix), std::string::npos) << uploads;
}

TEST_F(S3StoreTest, WrongSecretIsRefusedOnceWithoutSecrets) {
  S3Options bad = options_;
  bad.secret_key = "WRONG" + options_.secret_key.substr(5);
  auto store = Open(bad);
  ASSERT_TRUE(store);
  Status s = Seen(store->Put("secret/key/name", "x"));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("HTTP 403"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(options_.bucket), std::string::npos);
  EXPECT_EQ(s.message().find("secret/key/name"), std::string::npos);
  EXPECT_EQ(s.message().find(bad.secret_key), std::string::npos);
  S3Stats st = store->stats();
  EXPECT_EQ(st.requests, 1u);
  EXPECT_EQ(st.retries, 0u);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_EQ(Seen(store->Get("k").status()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Seen(store->List("", "", 10).status()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->stats().retries, 0u);
}

TEST_F(S3StoreTest, UnreachableEndpointIsUnavailableAfterBackoff) {
  // A port that was free a moment ago: connection refused.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  S3Options o = options_;
  o.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.max_attempts = 3;
  o.base_backoff_ms = 50;
  auto store = Open(o);
  ASSERT_TRUE(store);
  auto t0 = std::chrono::steady_clock::now();
  Status s = Seen(store->Put("k", "v"));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("unreachable after 3 attempts"), std::string::npos)
      << s.message();
  EXPECT_GE(ms, 75);  // back-offs of [25, 50] and [50, 100] ms
  S3Stats st = store->stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.retries, 2u);
  EXPECT_EQ(st.failures, 1u);
}

TEST_F(S3StoreTest, WrongChecksumIsCorruption) {
  auto store = Open(options_);
  ASSERT_TRUE(store);
  S3Handle cleanup(std::move(store));
  ObjectStore* s3 = cleanup.store();
  const std::string body = "these bytes do not match their checksum";
  ASSERT_EQ(RawPut("bad", body, "01234567"), 200);
  auto got = s3->Get("bad");
  EXPECT_EQ(Seen(got.status()).code(), StatusCode::kCorruption);
  EXPECT_NE(got.status().message().find("'bad'"), std::string::npos);
  auto to_file = s3->GetToFile("bad", tmp_.path() + "/bad");
  EXPECT_EQ(Seen(to_file.status()).code(), StatusCode::kCorruption);
  auto head = s3->Head("bad");  // Head does not read the body
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->crc32c, 0x01234567u);

  ASSERT_EQ(RawPut("bare", body, ""), 200);  // no checksum at all
  EXPECT_EQ(Seen(s3->Get("bare").status()).code(), StatusCode::kCorruption);
  ASSERT_EQ(RawPut("junk", body, "zzzz"), 200);
  EXPECT_EQ(Seen(s3->Get("junk").status()).code(), StatusCode::kCorruption);
}

TEST_F(S3StoreTest, MessagesNeverHoldSecrets) {
  auto store = Open(options_);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Describe().find(options_.access_key), std::string::npos);
  EXPECT_EQ(store->Describe().find(options_.secret_key), std::string::npos);
  EXPECT_FALSE(Seen(store->Get("missing").status()).ok());
  EXPECT_FALSE(Seen(store->Head("missing").status()).ok());
  EXPECT_FALSE(Seen(store->GetRange("missing", 0, 5).status()).ok());
  EXPECT_FALSE(Seen(store->Put("", "x")).ok());
  EXPECT_FALSE(Seen(store->List("", "", 0).status()).ok());
  S3Options o = options_;
  o.part_size = 1;
  EXPECT_FALSE(Seen(o.Validate()).ok());
  o = options_;
  o.bucket = "NOPE_bucket";
  EXPECT_FALSE(Seen(o.Validate()).ok());
  o = options_;
  o.bucket = "no-such-bucket-here";
  auto other = Open(o);
  ASSERT_TRUE(other);
  EXPECT_FALSE(Seen(other->Put("k", "v")).ok());
  EXPECT_FALSE(Seen(other->List("", "", 5).status()).ok());
  EXPECT_GE(SeenMessages().size(), 9u);  // TearDown checks them all
}

}  // namespace
}  // namespace proximadb::object
