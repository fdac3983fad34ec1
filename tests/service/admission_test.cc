// The admission chain shared by REST and gRPC (service/admission.h), on its
// own: health bypass, key, permission, in-flight slot, rejection metric,
// exceptions to internal errors, latency metric.
#include "service/admission.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace proximadb::service {
namespace {

// A transport whose answer is just a text, to see which path ran.
struct Answer {
  std::string text;
  size_t code;
};

class AdmissionTest : public testing::Test {
 protected:
  void SetUp() override {
    auto keys = ApiKeys::Parse({"ro:reader-key-1", "writer-key-1"});
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(keys).value();
  }

  // Runs `handler` for `op` with `key` through the whole chain.
  template <typename Handler>
  Answer Run(Operation op, std::string_view key, Handler handler) {
    return Admit(
        gates_, Protocol::kRest, op, key, std::chrono::steady_clock::now(),
        handler,
        [](const Refusal& r) {
          return Answer{"refused: " + r.message, r.code};
        },
        [](const Status& s) {
          return Answer{"failed: " + s.message(), CodeIndex(s.code())};
        },
        [](const Answer& a) { return a.code; });
  }
  static Answer Ok() { return Answer{"ok", CodeIndex(StatusCode::kOk)}; }

  ApiKeys keys_;
  InflightLimit inflight_{1};
  Metrics metrics_;
  AdmissionGates gates_{&keys_, &inflight_, &metrics_};
};

TEST_F(AdmissionTest, KeysAndPermissions) {
  Answer a = Run(Operation::kListCollections, "", Ok);
  EXPECT_EQ(
      a.text,
      "refused: " + std::string(AuthMessage(AuthOutcome::kUnauthenticated)));
  EXPECT_EQ(a.code, kCodeUnauthenticated);
  EXPECT_EQ(Run(Operation::kListCollections, "reader-key-1", Ok).text, "ok");
  a = Run(Operation::kCreateCollection, "reader-key-1", Ok);
  EXPECT_EQ(a.code, kCodePermissionDenied);
  EXPECT_EQ(
      a.text,
      "refused: " + std::string(AuthMessage(AuthOutcome::kPermissionDenied)));
  EXPECT_EQ(Run(Operation::kCreateCollection, "writer-key-1", Ok).text, "ok");
  // Every answer was recorded under its operation and code.
  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kListCollections,
                           kCodeUnauthenticated),
            1u);
  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kCreateCollection,
                           kCodePermissionDenied),
            1u);
  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kCreateCollection,
                           CodeIndex(StatusCode::kOk)),
            1u);
}

TEST_F(AdmissionTest, InflightSlotIsHeldWhileTheHandlerRuns) {
  Answer inner;
  Answer outer = Run(Operation::kCount, "reader-key-1", [&] {
    EXPECT_EQ(inflight_.current(), 1);
    // The only slot is taken: a second request is refused for load, a
    // health probe is not, and neither takes a slot.
    inner = Run(Operation::kSearch, "reader-key-1", Ok);
    EXPECT_EQ(Run(Operation::kHealth, "", Ok).text, "ok");
    return Ok();
  });
  EXPECT_EQ(outer.text, "ok");
  EXPECT_EQ(inner.text,
            "refused: too many requests in flight (limit 1); retry shortly");
  EXPECT_EQ(inner.code, CodeIndex(StatusCode::kUnavailable));
  EXPECT_EQ(inflight_.current(), 0);
  EXPECT_EQ(Run(Operation::kSearch, "reader-key-1", Ok).text, "ok");
}

TEST_F(AdmissionTest, HealthIsAlwaysOpen) {
  EXPECT_EQ(Run(Operation::kHealth, "", Ok).text, "ok");
  EXPECT_EQ(Run(Operation::kHealth, "wrong-key-123", Ok).text, "ok");
}

TEST_F(AdmissionTest, ExceptionsBecomeInternalErrors) {
  Answer a = Run(Operation::kCount, "reader-key-1",
                 []() -> Answer { throw std::runtime_error("boom"); });
  EXPECT_EQ(a.text, "failed: unexpected error: boom");
  EXPECT_EQ(a.code, CodeIndex(StatusCode::kInternal));
  a = Run(Operation::kCount, "reader-key-1", []() -> Answer { throw 7; });
  EXPECT_EQ(a.text, "failed: unexpected error");
  EXPECT_EQ(inflight_.current(), 0);  // the slot came back
  EXPECT_EQ(metrics_.Count(Protocol::kRest, Operation::kCount,
                           CodeIndex(StatusCode::kInternal)),
            2u);
}

TEST_F(AdmissionTest, NoGatesAdmitsEverything) {
  gates_ = AdmissionGates{};
  EXPECT_EQ(Run(Operation::kCreateCollection, "", Ok).text, "ok");
}

}  // namespace
}  // namespace proximadb::service
