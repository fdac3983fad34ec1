// The simdjson batch-upsert parser: same points as the nlohmann path for
// valid bodies (vectors bit for bit, metadata with the same JSON types), and
// for every body — valid or not — BatchUpsertFromBody answers exactly what
// ParseJsonBody + BatchUpsertJson answers.
#include "service/json_points_fast.h"

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "proximadb/db.h"
#include "service/json_codec.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

class JsonPointsFastTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "c3"},
                                        {"dimension", 3},
                                        {"distance_metric", "euclidean"}})
            .ok());
  }
  // The reference: what the route did before the fast path.
  Result<json> Reference(const std::string& coll, const std::string& body) {
    Result<json> parsed = ParseJsonBody(body);
    if (!parsed.ok()) return parsed.status();
    return svc_->BatchUpsertJson(coll, *parsed);
  }
};

TEST_F(JsonPointsFastTest, SamePointsAsDomPath) {
  const std::string body = R"({"vectors": [
      {"id": "a", "vector": [0.1, -2, 3e-3], "metadata": {"n": 5, "neg": -3,
       "f": 1.5, "big": 18446744073709551615, "s": "h\u00e9\n", "b": true,
       "nil": null, "arr": [1, "x", {"deep": [false]}], "dup": 1, "dup": 2}},
      {"vector": [1e-45, 3.4028234e38, 0], "id": null, "metadata": null},
      {"id": "c", "vector": [1, 2, 3]}]})";
  std::optional<std::vector<Point>> fast = ParseBatchPointsFast(body);
  ASSERT_TRUE(fast.has_value());
  Result<std::vector<Point>> ref = ParseBatch(*ParseJsonBody(body), 3, "c3");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ASSERT_EQ(fast->size(), ref->size());
  for (size_t i = 0; i < ref->size(); ++i) {
    const Point& f = (*fast)[i];
    const Point& r = (*ref)[i];
    EXPECT_EQ(f.id, r.id);
    ASSERT_EQ(f.vector.size(), r.vector.size());
    EXPECT_EQ(std::memcmp(f.vector.data(), r.vector.data(),
                          r.vector.size() * sizeof(float)),
              0)
        << i;
    EXPECT_EQ(f.metadata, r.metadata) << i;
    // Same text, hence the same stored bytes and the same types.
    EXPECT_EQ(f.metadata.dump(), r.metadata.dump()) << i;
  }
}

TEST_F(JsonPointsFastTest, RandomVectorsBitForBit) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1e3f, 1e3f);
  json items = json::array();
  for (int i = 0; i < 200; ++i) {
    json v = json::array();
    for (int d = 0; d < 3; ++d) v.push_back(u(rng));
    items.push_back(json{{"id", "p" + std::to_string(i)}, {"vector", v}});
  }
  const std::string body = json{{"vectors", items}}.dump();
  auto fast = ParseBatchPointsFast(body);
  ASSERT_TRUE(fast.has_value());
  auto ref = ParseBatch(*ParseJsonBody(body), 3, "c3");
  ASSERT_TRUE(ref.ok());
  for (size_t i = 0; i < ref->size(); ++i) {
    EXPECT_EQ(std::memcmp((*fast)[i].vector.data(), (*ref)[i].vector.data(),
                          3 * sizeof(float)),
              0);
  }
}

// Bodies the fast path leaves to the DOM path, and the answers of both
// entry points compared one by one.
TEST_F(JsonPointsFastTest, EveryAnswerMatchesTheDomPath) {
  const std::vector<std::string> bodies = {
      "",
      "   ",
      "not json",
      "[]",
      "{}",
      R"({"vectors": null})",
      R"({"vectors": {}})",
      R"({"vectors": []})",
      R"({"vectors": [1]})",
      R"({"vectors": [{"id": "a"}]})",
      R"({"vectors": [{"id": "a", "vector": null}]})",
      R"({"vectors": [{"id": "a", "vector": []}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3, 4]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, "2", 3]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 1e39]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 1e999]}]})",
      R"({"vectors": [{"id": 5, "vector": [1, 2, 3]}]})",
      R"({"vectors": [{"id": "", "vector": [1, 2, 3]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3], "metadata": [1]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3], "metadata": "x"}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3]}, {"vector": [1]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3]}]} trailing)",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3]}], "x": [1,]})",
      // Unknown keys are refused, at the top and in a point (issue 11).
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3]}], "x": 1})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3], "extra": null}]})",
      R"({"vectors": [{"id": "x", "vector": [1, 2]}], "vectors": [{"id": "y", "vector": [1, 2, 3]}]})",
      R"({"vectors": [{"id": "x", "id": "y", "vector": [1, 2, 3]}]})",
      R"({"vectors": [{"id": "a", "vector": [1, 2, 3], "metadata": {"k": 1}}]})",
      R"({"vectors": [{"vector": [4, 5, 6]}]})",
      "{\"vectors\": [{\"id\": \"bad\xff\", \"vector\": [1, 2, 3]}]}",
      "{\"vectors\": [{\"id\": \"" + std::string(300, 'x') +
          "\", \"vector\": [1, 2, 3]}]}",
  };
  for (const std::string& body : bodies) {
    for (const std::string coll : {"c3", "missing"}) {
      SCOPED_TRACE(coll + ": " + body.substr(0, 120));
      Result<json> fast = BatchUpsertFromBody(*svc_, coll, body);
      Result<json> ref = Reference(coll, body);
      ASSERT_EQ(fast.ok(), ref.ok())
          << (fast.ok() ? ref.status() : fast.status()).ToString();
      if (!ref.ok()) {
        EXPECT_EQ(fast.status().code(), ref.status().code());
        EXPECT_EQ(fast.status().message(), ref.status().message());
        continue;
      }
      EXPECT_EQ((*fast)["total_count"], (*ref)["total_count"]);
      // Ids the client chose come back the same; missing ones are UUIDs.
      for (size_t i = 0; i < (*ref)["inserted_ids"].size(); ++i) {
        const std::string r = (*ref)["inserted_ids"][i];
        if (r.size() != 36) {
          EXPECT_EQ((*fast)["inserted_ids"][i], r);
        }
      }
    }
  }
  // And what was stored through the fast path reads back as sent.
  auto got = svc_->GetPointJson("c3", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["metadata"], json({{"k", 1}}));
}

}  // namespace
}  // namespace proximadb::service
