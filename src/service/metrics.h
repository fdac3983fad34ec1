// Metrics: request counters and latency histograms per (protocol,
// operation), rendered with the engine's per-collection numbers in the
// Prometheus text exposition format 0.0.4 (served at GET /metrics).
//
// Recording is lock-free (relaxed atomics in fixed arrays indexed by
// protocol, operation and result code), so it costs a few atomic adds per
// request and never contends. A scrape reads the atomics one by one: a
// histogram may be a request behind its counter, which Prometheus tolerates;
// _count is derived from the buckets, so a histogram is always internally
// consistent.
//
// Metric names (see docs/API.md):
//   proximadb_requests_total{protocol,operation,code}           counter
//   proximadb_request_duration_seconds{protocol,operation}      histogram
//   proximadb_requests_rejected_total{protocol,reason}          counter
//   proximadb_inflight_requests                                 gauge
//   proximadb_collections                                       gauge
//   proximadb_collection_points{collection}                     gauge
//   proximadb_collection_segments{collection}                   gauge
//   proximadb_collection_memtable_points{collection}            gauge
//   proximadb_collection_wal_bytes{collection}                  gauge
//   proximadb_collection_oldest_unflushed_age_seconds{collection} gauge
//   proximadb_collection_{flushes,compactions}_total{collection}  counter
//   proximadb_collection_{flush,compaction}_bytes_total{collection} counter
//   proximadb_collection_{flush,compaction}_seconds_total{collection} counter
//   proximadb_collection_recall_{estimate,ci_lower,ci_upper,samples}{collection}
//   gauge proximadb_collection_recall_{samples,dropped}_total{collection}
//   counter proximadb_quarantine_entries                                gauge
//   proximadb_build_info{version}                               gauge (1)
//   proximadb_uptime_seconds                                    gauge
//   process_start_time_seconds                                  gauge
//   process_resident_memory_bytes                               gauge
// Flushes and compactions requested through the API are also the `Flush`
// and `Compact` rows of proximadb_requests_total; the per-collection
// counters include the background ones.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "service/operations.h"

namespace proximadb::service {

enum class Protocol { kRest = 0, kGrpc = 1 };
inline constexpr size_t kNumProtocols = 2;
std::string_view ProtocolName(Protocol p);

// The `code` label: StatusCodeName() of the result ("ok", "not_found", ...)
// plus the two outcomes of API-key checks.
inline constexpr size_t kNumStatusCodes =
    static_cast<size_t>(StatusCode::kInternal) + 1;
inline constexpr size_t kCodeUnauthenticated = kNumStatusCodes;
inline constexpr size_t kCodePermissionDenied = kNumStatusCodes + 1;
inline constexpr size_t kNumCodes = kNumStatusCodes + 2;
constexpr size_t CodeIndex(StatusCode c) { return static_cast<size_t>(c); }
// Index of a code label by name; unknown names count as "internal".
size_t CodeIndexByName(std::string_view name);
std::string_view CodeName(size_t index);

enum class RejectReason { kOverloaded = 0, kUnauthenticated, kForbidden };
inline constexpr size_t kNumRejectReasons = 3;

// Upper bounds of the latency buckets, seconds (+Inf is implicit). From
// 100 µs (a cached point read) to 10 s (a large durable batch or compaction).
inline constexpr std::array<double, 15> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   10};

// Process-level values sampled at scrape time.
struct ProcessSample {
  int64_t inflight_requests = 0;
  std::optional<uint64_t> resident_bytes;  // absent when /proc is not there
  // Of it: anonymous memory (RssAnon: what the memory budget governs) and
  // pages of mapped files (RssFile: segment files, reclaimable by the
  // kernel).
  std::optional<uint64_t> anonymous_bytes, file_bytes;
  // [storage] memory_limit_mb in bytes (0 = none).
  uint64_t memory_limit_bytes = 0;
  // Entries of the data directory's quarantine; absent when unreadable.
  std::optional<uint64_t> quarantine_entries;
  // Cluster mode: the shards and replicas as this node sees them (absent
  // in single-node mode or when the cluster cannot be read).
  std::optional<ClusterInfo> cluster;
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished request: its result code (kCode* or CodeIndex()) and how
  // long the transport spent on it.
  void Record(Protocol p, Operation op, size_t code,
              std::chrono::nanoseconds elapsed);
  void Reject(Protocol p, RejectReason reason);

  // Counter value, for tests.
  uint64_t Count(Protocol p, Operation op, size_t code) const;

  // The whole exposition text.
  std::string Render(const std::vector<CollectionInfo>& collections,
                     const ProcessSample& process) const;

 private:
  struct Slot {
    std::array<std::atomic<uint64_t>, kNumCodes> codes{};
    // Per-bucket (not cumulative) counts; the last one is +Inf.
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<std::array<Slot, kOperations.size()>, kNumProtocols> slots_{};
  std::array<std::array<std::atomic<uint64_t>, kNumRejectReasons>,
             kNumProtocols>
      rejected_{};
  // When the metrics (the server) started: uptime, and the start time.
  const std::chrono::steady_clock::time_point started_ =
      std::chrono::steady_clock::now();
  const std::chrono::system_clock::time_point started_wall_ =
      std::chrono::system_clock::now();
};

// "VmRSS:  1234 kB" of a /proc/<pid>/status text, in bytes.
Result<uint64_t> ParseVmRss(std::string_view status_text);
// The same for another "<key>:  <n> kB" line (key "RssAnon", "RssFile").
Result<uint64_t> ParseStatusKb(std::string_view status_text,
                               std::string_view key);
struct ProcessMemory {
  std::optional<uint64_t> resident, anonymous, file;
};
// This process's VmRSS, RssAnon and RssFile (each absent when unreadable).
ProcessMemory ReadProcessMemory();
// This process's resident memory, or nullopt when it cannot be read.
std::optional<uint64_t> ResidentMemoryBytes();

// A label value escaped for the exposition format (\\, \", \n).
std::string EscapeLabelValue(std::string_view v);

// The content type of the exposition text.
inline constexpr const char* kMetricsContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace proximadb::service
