// Request ids and the access log: id validation and generation, the logfmt
// line, and HandleRequest echoing the id and logging one line per request
// (captured with a spdlog ostream sink installed as the default logger).
#include "service/request_log.h"

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "api/rest/router.h"
#include "proximadb/db.h"
#include "util/service_fixture.h"

namespace proximadb::rest {
namespace {

using service::IsValidRequestId;

TEST(RequestIdTest, Validation) {
  EXPECT_TRUE(IsValidRequestId("abc-123"));
  EXPECT_TRUE(IsValidRequestId("4b1f2c3d-aaaa-4bbb-8ccc-0123456789ab"));
  EXPECT_TRUE(IsValidRequestId("trace:span/1+x=y@z_w.v"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidRequestId("has space"));
  EXPECT_FALSE(IsValidRequestId("quote\""));
  EXPECT_FALSE(IsValidRequestId("new\nline"));
  EXPECT_FALSE(IsValidRequestId("caf\xc3\xa9"));
}

TEST(RequestIdTest, GeneratedIdsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = service::NewRequestId();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_TRUE(IsValidRequestId(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(service::RequestIdOrNew("mine-1"), "mine-1");
  EXPECT_EQ(service::RequestIdOrNew("not mine").size(), 32u);
}

TEST(RequestIdTest, AccessLineIsLogfmtAndEscapes) {
  service::AccessRecord a;
  a.request_id = "r1";
  a.protocol = "rest";
  a.operation = "Search";
  a.method = "POST";
  a.target = "/api/v1/collections/a b/search";
  a.status = 404;
  a.code = "not_found";
  a.latency_ms = 1.23456;
  a.bytes_in = 10;
  a.bytes_out = 20;
  a.message = "collection \"a b\" not found\n";
  EXPECT_EQ(service::FormatAccess(a),
            "access request_id=r1 protocol=rest operation=Search method=POST "
            "target=\"/api/v1/collections/a b/search\" status=404 "
            "code=not_found latency_ms=1.235 bytes_in=10 bytes_out=20 "
            "message=\"collection \\\"a b\\\" not found\\x0a\"");
}

// Clients control targets and messages: the line must stay valid UTF-8
// (valid sequences kept, every other high byte escaped).
TEST(RequestIdTest, AccessLineIsAlwaysValidUtf8) {
  service::AccessRecord a;
  a.request_id = "r2";
  a.protocol = "rest";
  a.operation = "GetCollection";
  a.method = "GET";
  a.target = "/api/v1/collections/caf\xc3\xa9";  // "café", valid
  // AccessRecord holds views: the bytes must outlive it.
  const std::string message = "bad \xff\xc3 \xed\xa0\x80 \xf0\x9f\x98\x80";
  a.message = message;
  std::string line = service::FormatAccess(a);
  EXPECT_NE(line.find("target=\"/api/v1/collections/caf\xc3\xa9\""),
            std::string::npos)
      << line;
  // 0xff, a truncated 2-byte lead and an encoded surrogate are escaped; the
  // 4-byte emoji is kept.
  EXPECT_NE(line.find("message=\"bad \\xff\\xc3 \\xed\\xa0\\x80 "
                      "\xf0\x9f\x98\x80\""),
            std::string::npos)
      << line;
}

// Undecodable gRPC requests are logged through a LogLimiter: one line per
// interval, the next one carrying how many were dropped.
TEST(LogLimiterTest, OneLinePerIntervalWithTheDroppedCount) {
  using std::chrono::milliseconds;
  service::LogLimiter limiter(std::chrono::seconds(1));
  const auto t0 =
      service::LogLimiter::Clock::time_point{} + std::chrono::hours(1);
  uint64_t dropped = 99;
  ASSERT_TRUE(limiter.Admit(t0, &dropped));
  EXPECT_EQ(dropped, 0u);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_FALSE(limiter.Admit(t0 + milliseconds(150 * i), &dropped));
  }
  ASSERT_TRUE(limiter.Admit(t0 + milliseconds(1000), &dropped));
  EXPECT_EQ(dropped, 5u);
  ASSERT_TRUE(limiter.Admit(t0 + milliseconds(2500), &dropped));
  EXPECT_EQ(dropped, 0u);

  service::AccessRecord a;
  a.request_id = "r3";
  a.protocol = "grpc";
  a.operation = "Upsert";
  a.status = 3;
  a.code = "invalid_argument";
  a.message = "m";
  a.suppressed = 5;
  EXPECT_NE(service::FormatAccess(a).find(" message=m suppressed=5"),
            std::string::npos)
      << service::FormatAccess(a);
}

// Installs a default logger writing "<level> <message>" lines to a string
// for the test's lifetime.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

class RequestLogRouterTest : public test_util::ServiceFixture {
 protected:
  RestResponse Do(const char* method, const std::string& target,
                  std::string_view id, const std::string& body = "") {
    RequestContext ctx;
    ctx.request_id = id;
    ctx.access_log = true;
    return HandleRequest(*svc_, method, target, body, ctx);
  }
  static std::string Header(const RestResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }
};

TEST_F(RequestLogRouterTest, EchoesIdAndLogsOneLinePerRequest) {
  CapturedLog log;
  const std::string body = R"({"name":"docs","dimension":3})";
  RestResponse ok = Do("POST", "/api/v1/collections", "req-ok-1", body);
  EXPECT_EQ(ok.status, 201u);
  EXPECT_EQ(Header(ok, "X-Request-Id"), "req-ok-1");
  RestResponse missing = Do("GET", "/api/v1/collections/nope", "req-missing-2");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(Header(missing, "X-Request-Id"), "req-missing-2");
  RestResponse unrouted = Do("GET", "/no/such/route", "req-noroute-3");
  EXPECT_EQ(Header(unrouted, "X-Request-Id"), "req-noroute-3");

  const std::string t = log.text();
  EXPECT_NE(t.find("info access request_id=req-ok-1 protocol=rest "
                   "operation=CreateCollection method=POST "
                   "target=/api/v1/collections status=201 code=ok "),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("bytes_in=" + std::to_string(body.size()) +
                   " bytes_out=" + std::to_string(ok.body.size())),
            std::string::npos)
      << t;
  // Errors are logged at warn with their message and the id.
  EXPECT_NE(t.find("warning access request_id=req-missing-2 protocol=rest "
                   "operation=GetCollection method=GET "
                   "target=/api/v1/collections/nope status=404 "
                   "code=not_found "),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("message="), std::string::npos) << t;
  EXPECT_NE(t.find("request_id=req-noroute-3 protocol=rest operation=- "),
            std::string::npos)
      << t;
  // One access line per request (the engine logs its own lines too).
  size_t lines = 0;
  for (size_t at = 0;
       (at = t.find(" access request_id=", at)) != std::string::npos; ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 3u) << t;
}

TEST_F(RequestLogRouterTest, NoLogWhenOffAndNoHeaderWithoutId) {
  CapturedLog log;
  RequestContext ctx;  // access_log off, no id
  RestResponse r = HandleRequest(*svc_, "GET", "/health", "", ctx);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(Header(r, "X-Request-Id"), "");
  EXPECT_EQ(log.text(), "");
}

}  // namespace
}  // namespace proximadb::rest
