// Metrics: the exposition text (format 0.0.4), histogram bucketing, label
// escaping and the VmRSS parser.
#include "service/metrics.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "proximadb/db.h"

namespace proximadb::service {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, CountersAndHistogramText) {
  Metrics m;
  m.Record(Protocol::kRest, Operation::kSearch, CodeIndex(StatusCode::kOk),
           microseconds(300));
  m.Record(Protocol::kRest, Operation::kSearch, CodeIndex(StatusCode::kOk),
           milliseconds(20));
  m.Record(Protocol::kRest, Operation::kSearch,
           CodeIndex(StatusCode::kNotFound), milliseconds(2));
  m.Record(Protocol::kGrpc, Operation::kUpsert, kCodeUnauthenticated,
           microseconds(1));
  m.Reject(Protocol::kGrpc, RejectReason::kUnauthenticated);
  EXPECT_EQ(m.Count(Protocol::kRest, Operation::kSearch, 0), 2u);

  const std::string t =
      m.Render({}, ProcessSample{3, 4096, std::nullopt, std::nullopt});
  EXPECT_TRUE(Has(t, "# TYPE proximadb_requests_total counter"));
  EXPECT_TRUE(Has(t,
                  "proximadb_requests_total{protocol=\"rest\",operation="
                  "\"Search\",code=\"ok\"} 2"));
  EXPECT_TRUE(Has(t,
                  "proximadb_requests_total{protocol=\"rest\",operation="
                  "\"Search\",code=\"not_found\"} 1"));
  EXPECT_TRUE(Has(t,
                  "proximadb_requests_total{protocol=\"grpc\",operation="
                  "\"Upsert\",code=\"unauthenticated\"} 1"));
  // Unused combinations are not listed.
  EXPECT_EQ(t.find("operation=\"Compact\""), std::string::npos);

  // Cumulative buckets: 300 µs falls in le=0.0005, 2 ms in le=0.0025, 20 ms
  // in le=0.025.
  const std::string h =
      "proximadb_request_duration_seconds_bucket{protocol=\"rest\","
      "operation=\"Search\",le=";
  EXPECT_TRUE(Has(t, h + "\"0.00025\"} 0"));
  EXPECT_TRUE(Has(t, h + "\"0.0005\"} 1"));
  EXPECT_TRUE(Has(t, h + "\"0.0025\"} 2"));
  EXPECT_TRUE(Has(t, h + "\"0.025\"} 3"));
  EXPECT_TRUE(Has(t, h + "\"+Inf\"} 3"));
  EXPECT_TRUE(Has(t,
                  "proximadb_request_duration_seconds_count{protocol="
                  "\"rest\",operation=\"Search\"} 3"));
  EXPECT_TRUE(Has(t,
                  "proximadb_request_duration_seconds_sum{protocol="
                  "\"rest\",operation=\"Search\"} 0.0223"));
  EXPECT_TRUE(Has(t,
                  "proximadb_requests_rejected_total{protocol=\"grpc\","
                  "reason=\"unauthenticated\"} 1"));
  EXPECT_TRUE(Has(t, "proximadb_inflight_requests 3"));
  EXPECT_TRUE(Has(t, "process_resident_memory_bytes 4096"));
  EXPECT_TRUE(Has(t, "proximadb_collections 0"));
}

TEST(MetricsTest, CollectionGaugesEscapeNames) {
  CollectionInfo c;
  c.config.name = "a\"b\\c";
  c.point_count = 7;
  c.segment_count = 2;
  c.memtable_points = 3;
  c.wal_bytes = 1234;
  c.oldest_unflushed_age_seconds = 1.5;
  Metrics m;
  const std::string t = m.Render({c}, ProcessSample{});
  const std::string l = "{collection=\"a\\\"b\\\\c\"}";
  EXPECT_TRUE(Has(t, "proximadb_collection_points" + l + " 7"));
  EXPECT_TRUE(Has(t, "proximadb_collection_segments" + l + " 2"));
  EXPECT_TRUE(Has(t, "proximadb_collection_memtable_points" + l + " 3"));
  EXPECT_TRUE(Has(t, "proximadb_collection_wal_bytes" + l + " 1234"));
  EXPECT_TRUE(
      Has(t, "proximadb_collection_oldest_unflushed_age_seconds" + l + " 1.5"));
  EXPECT_TRUE(Has(t, "proximadb_collections 1"));
  // No RSS sample: the metric is left out rather than reported as 0.
  EXPECT_EQ(t.find("process_resident_memory_bytes"), std::string::npos);
}

// Every line is a comment or `name{labels} value`, and every sample's
// family was declared with # TYPE before it.
TEST(MetricsTest, WellFormedLines) {
  Metrics m;
  m.Record(Protocol::kGrpc, Operation::kHealth, 0, microseconds(5));
  CollectionInfo c;
  c.config.name = "docs";
  const std::string t =
      m.Render({c}, ProcessSample{0, 1, std::nullopt, std::nullopt});
  std::string declared;
  size_t pos = 0;
  while (pos < t.size()) {
    size_t nl = t.find('\n', pos);
    ASSERT_NE(nl, std::string::npos) << "text must end with a newline";
    std::string line = t.substr(pos, nl - pos);
    pos = nl + 1;
    ASSERT_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      declared = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_EQ(name.rfind(declared, 0), 0u) << line;
    EXPECT_NE(line.rfind(' '), std::string::npos);
  }
}

// The flush and compaction counters come from the engine: a real DB is
// flushed twice and compacted once, and the text says so.
TEST(MetricsTest, EngineFlushAndCompactionCounters) {
  char tmpl[] = "/tmp/pdb_metrics_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    DBOptions options;
    options.background_threads = false;
    auto db = DB::Open(options, dir + "/db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    CollectionConfig cfg;
    cfg.name = "docs";
    cfg.dimension = 4;
    cfg.index.algorithm = "flat";
    auto coll = (*db)->CreateCollection(cfg);
    ASSERT_TRUE(coll.ok()) << coll.status().ToString();

    auto render = [&] {
      return Metrics().Render((*db)->ListCollections(), ProcessSample{});
    };
    const std::string l = "{collection=\"docs\"}";
    std::string t = render();
    EXPECT_TRUE(Has(t, "# TYPE proximadb_collection_flushes_total counter"));
    EXPECT_TRUE(Has(t, "proximadb_collection_flushes_total" + l + " 0"));
    EXPECT_TRUE(Has(t, "proximadb_collection_compactions_total" + l + " 0"));

    for (int round = 0; round < 2; ++round) {
      std::vector<Point> points;
      for (int i = 0; i < 10; ++i) {
        points.push_back(Point{"p" + std::to_string(round * 10 + i),
                               {1.0f, float(i), 2.0f, 3.0f},
                               nlohmann::json::object()});
      }
      ASSERT_TRUE((*coll)->Upsert(points).ok());
      ASSERT_TRUE((*coll)->Flush().ok());
    }
    // A flush with nothing new to write is not counted.
    ASSERT_TRUE((*coll)->Flush().ok());
    ASSERT_TRUE((*coll)->Compact().ok());

    CollectionInfo info = (*db)->ListCollections().at(0);
    EXPECT_EQ(info.flush_count, 2u);
    EXPECT_EQ(info.compaction_count, 1u);
    EXPECT_GT(info.flush_bytes, 0u);
    EXPECT_GT(info.compaction_bytes, 0u);
    // The merged segment holds both flushed ones' rows.
    EXPECT_GT(info.compaction_bytes, info.flush_bytes / 2);
    EXPECT_GT(info.flush_seconds, 0.0);
    t = render();
    EXPECT_TRUE(Has(t, "proximadb_collection_flushes_total" + l + " 2"));
    EXPECT_TRUE(Has(t, "proximadb_collection_compactions_total" + l + " 1"));
    EXPECT_TRUE(Has(t, "proximadb_collection_flush_bytes_total" + l + " " +
                           std::to_string(info.flush_bytes)));
    EXPECT_TRUE(Has(t, "proximadb_collection_segments" + l + " 1"));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(MetricsTest, ParseVmRss) {
  auto r = ParseVmRss("Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t   2048 kB\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2048u * 1024);
  EXPECT_FALSE(ParseVmRss("Name:\tx\n").ok());
  EXPECT_FALSE(ParseVmRss("VmRSS:\t  abc kB\n").ok());
  EXPECT_FALSE(ParseVmRss("VmRSS:\t  12 MB\n").ok());
  EXPECT_FALSE(ParseVmRss("XVmRSS: 1 kB\n").ok());
  auto self = ResidentMemoryBytes();
  ASSERT_TRUE(self.has_value());
  EXPECT_GT(*self, 0u);
}

TEST(MetricsTest, CodeNames) {
  EXPECT_EQ(CodeName(CodeIndex(StatusCode::kOk)), "ok");
  EXPECT_EQ(CodeName(kCodePermissionDenied), "permission_denied");
  EXPECT_EQ(CodeIndexByName("not_found"), CodeIndex(StatusCode::kNotFound));
  EXPECT_EQ(CodeIndexByName("unauthenticated"), kCodeUnauthenticated);
  EXPECT_EQ(CodeIndexByName("bogus"), CodeIndex(StatusCode::kInternal));
}

}  // namespace
}  // namespace proximadb::service
