#include "service/metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <span>
#include <sstream>

#include "service/service.h"

namespace proximadb::service {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// Shortest fixed-point text that reads back as the same double ("0.00025",
// never "2.5e-04": bucket bounds are compared as text by humans and tools).
std::string Num(double v) {
  char buf[512];  // fixed notation of a huge double is long
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

void Header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// name{labels} value
void Sample(std::string& out, std::string_view name, std::string_view labels,
            std::string_view value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

std::string Label(std::string_view key, std::string_view value) {
  return std::string(key) + "=\"" + EscapeLabelValue(value) + "\"";
}

std::string OpLabels(size_t proto, size_t op) {
  return Label("protocol", ProtocolName(static_cast<Protocol>(proto))) + "," +
         Label("operation", kOperations[op].name);
}

void RenderTiers(std::string& out,
                 const std::vector<CollectionInfo>& collections);
void RenderBackgroundIo(std::string& out,
                        const std::vector<CollectionInfo>& collections);
void RenderRecovery(std::string& out,
                    const std::vector<CollectionInfo>& collections);

// The live recall estimate (service/recall_estimator.h): only collections
// with one, and the mean only when it has samples.
void RenderRecall(std::string& out,
                  const std::vector<CollectionInfo>& collections) {
  struct Series {
    std::string_view name, type, help;
    double (*get)(const RecallEstimate&);
    bool needs_samples;
  };
  static const Series kSeries[] = {
      {"proximadb_collection_recall_estimate", "gauge",
       "Mean recall@k of sampled searches against their exact re-run.",
       [](const RecallEstimate& r) { return r.recall; }, true},
      {"proximadb_collection_recall_ci_lower", "gauge",
       "Lower bound of the estimate's 95% Wilson interval.",
       [](const RecallEstimate& r) { return r.ci_lower; }, true},
      {"proximadb_collection_recall_ci_upper", "gauge",
       "Upper bound of the estimate's 95% Wilson interval.",
       [](const RecallEstimate& r) { return r.ci_upper; }, true},
      {"proximadb_collection_recall_samples", "gauge",
       "Samples the estimate is computed over (the newest ones).",
       [](const RecallEstimate& r) { return double(r.samples); }, false},
      {"proximadb_collection_recall_samples_total", "counter",
       "Sampled searches re-run exactly since the server started.",
       [](const RecallEstimate& r) { return double(r.samples_total); }, false},
      {"proximadb_collection_recall_dropped_total", "counter",
       "Sampled searches dropped because the estimator was busy.",
       [](const RecallEstimate& r) { return double(r.dropped_total); }, false},
  };
  for (const Series& s : kSeries) {
    bool header = false;
    for (const CollectionInfo& c : collections) {
      if (!c.recall || (s.needs_samples && c.recall->samples == 0)) continue;
      if (!header) Header(out, s.name, s.type, s.help);
      header = true;
      Sample(out, s.name, Label("collection", c.config.name),
             Num(s.get(*c.recall)));
    }
  }
}
void RenderMigrations(std::string& out,
                      const std::vector<CollectionInfo>& collections);

// Cluster mode (docs/CLUSTER.md): live nodes, and per shard its log's end
// and per replica what it applied, its lag and whether it is the primary.
void RenderCluster(std::string& out, const ClusterInfo& c) {
  Header(out, "proximadb_cluster_nodes", "gauge",
         "Live nodes of the cluster (membership leases held).");
  const auto alive = std::count_if(c.nodes.begin(), c.nodes.end(),
                                   [](const auto& n) { return n.alive; });
  Sample(out, "proximadb_cluster_nodes", "", std::to_string(alive));
  struct ShardGauge {
    std::string_view name;
    std::string_view help;
    uint64_t (*get)(const ClusterShardInfo&);
  };
  static const ShardGauge kShard[] = {
      {"proximadb_cluster_shard_last_sequence",
       "The shard log's last acknowledged entry.",
       [](const ClusterShardInfo& s) { return s.last_seq; }},
      {"proximadb_cluster_shard_first_sequence",
       "The shard log's first entry still held (0: empty); entries before "
       "it were removed once a snapshot held them.",
       [](const ClusterShardInfo& s) { return s.first_seq; }},
      {"proximadb_cluster_shard_snapshot_sequence",
       "The log entry the shard's newest snapshot holds everything up to "
       "(0: no snapshot).",
       [](const ClusterShardInfo& s) { return s.snapshot_seq; }},
  };
  for (const ShardGauge& g : kShard) {
    Header(out, g.name, "gauge", g.help);
    for (const ClusterShardInfo& s : c.shards) {
      Sample(out, g.name,
             Label("collection", s.collection) + "," +
                 Label("shard", std::to_string(s.shard)),
             std::to_string(g.get(s)));
    }
  }
  struct Gauge {
    std::string_view name;
    std::string_view help;
    uint64_t (*get)(const ClusterReplicaInfo&);
  };
  static const Gauge kReplica[] = {
      {"proximadb_cluster_replica_applied_sequence",
       "The last shard log entry the replica applied (replicas that "
       "answered).",
       [](const ClusterReplicaInfo& r) { return r.applied_seq; }},
      {"proximadb_cluster_replica_lag",
       "Shard log entries the replica has not applied yet.",
       [](const ClusterReplicaInfo& r) { return r.lag; }},
      {"proximadb_cluster_replica_primary",
       "1 for the replica that is its shard's primary.",
       [](const ClusterReplicaInfo& r) { return uint64_t{r.primary}; }},
  };
  for (const Gauge& g : kReplica) {
    Header(out, g.name, "gauge", g.help);
    for (const ClusterShardInfo& s : c.shards) {
      for (const ClusterReplicaInfo& r : s.replicas) {
        if (!r.reported) continue;
        Sample(out, g.name,
               Label("collection", s.collection) + "," +
                   Label("shard", std::to_string(s.shard)) + "," +
                   Label("node", r.node_id),
               std::to_string(g.get(r)));
      }
    }
  }
}

void RenderCollections(std::string& out,
                       const std::vector<CollectionInfo>& collections) {
  struct Gauge {
    std::string_view name;
    std::string_view help;
    double (*get)(const CollectionInfo&);
  };
  static const Gauge kGauges[] = {
      {"proximadb_collection_points", "Live points in the collection.",
       [](const CollectionInfo& c) { return double(c.point_count); }},
      {"proximadb_collection_segments", "Immutable segments on disk.",
       [](const CollectionInfo& c) { return double(c.segment_count); }},
      {"proximadb_collection_memtable_points",
       "Points written but not yet flushed to a segment.",
       [](const CollectionInfo& c) { return double(c.memtable_points); }},
      {"proximadb_collection_wal_bytes", "Bytes in the collection's live WAL.",
       [](const CollectionInfo& c) { return double(c.wal_bytes); }},
      {"proximadb_collection_oldest_unflushed_age_seconds",
       "Age of the oldest write not yet flushed (0 when none).",
       [](const CollectionInfo& c) { return c.oldest_unflushed_age_seconds; }},
  };
  for (const Gauge& g : kGauges) {
    Header(out, g.name, "gauge", g.help);
    for (const CollectionInfo& c : collections) {
      Sample(out, g.name, Label("collection", c.config.name), Num(g.get(c)));
    }
  }
  Header(out, "proximadb_collection_memory_bytes", "gauge",
         "What the collection holds in process memory, by part (the "
         "memory budget's accounting).");
  for (const CollectionInfo& c : collections) {
    for (size_t i = 0; i < std::size(kMemoryComponents); ++i) {
      Sample(out, "proximadb_collection_memory_bytes",
             Label("collection", c.config.name) + "," +
                 Label("component", kMemoryComponentNames[i]),
             std::to_string(c.memory.*kMemoryComponents[i]));
    }
  }
  // Counted since the collection was opened: a restart resets them, which
  // Prometheus' rate() treats as a counter reset.
  static const Gauge kCounters[] = {
      {"proximadb_collection_flushes_total",
       "Flushes committed (background and requested).",
       [](const CollectionInfo& c) { return double(c.flush_count); }},
      {"proximadb_collection_flush_bytes_total",
       "Bytes of segment files written by flushes.",
       [](const CollectionInfo& c) { return double(c.flush_bytes); }},
      {"proximadb_collection_flush_seconds_total",
       "Wall time spent in committed flushes.",
       [](const CollectionInfo& c) { return c.flush_seconds; }},
      {"proximadb_collection_compactions_total",
       "Compactions committed (background and requested).",
       [](const CollectionInfo& c) { return double(c.compaction_count); }},
      {"proximadb_collection_compaction_bytes_total",
       "Bytes of segment files written by compactions.",
       [](const CollectionInfo& c) { return double(c.compaction_bytes); }},
      {"proximadb_collection_compaction_seconds_total",
       "Wall time spent in committed compactions.",
       [](const CollectionInfo& c) { return c.compaction_seconds; }},
      {"proximadb_collection_adaptive_graphs_kept_total",
       "viper segments whose adaptive graph won its calibration and serves.",
       [](const CollectionInfo& c) { return double(c.adaptive_graphs_kept); }},
      {"proximadb_collection_adaptive_graphs_declined_total",
       "viper segments whose adaptive graph lost its calibration (they keep "
       "their IVF index).",
       [](const CollectionInfo& c) {
         return double(c.adaptive_graphs_declined);
       }},
  };
  for (const Gauge& g : kCounters) {
    Header(out, g.name, "counter", g.help);
    for (const CollectionInfo& c : collections) {
      Sample(out, g.name, Label("collection", c.config.name), Num(g.get(c)));
    }
  }
  RenderRecall(out, collections);
  RenderTiers(out, collections);
  RenderMigrations(out, collections);
  RenderBackgroundIo(out, collections);
  RenderRecovery(out, collections);
}

// Collections this process recovered at its start (docs/OPERATIONS.md,
// "Recovery time").
void RenderRecovery(std::string& out,
                    const std::vector<CollectionInfo>& collections) {
  struct Gauge {
    std::string_view name, help;
    double (*get)(const RecoveryInfo&);
  };
  static const Gauge kGauges[] = {
      {"proximadb_collection_recovery_seconds",
       "How long the start took to check the collection's files, replay its "
       "WAL and start it.",
       [](const RecoveryInfo& r) { return r.seconds; }},
      {"proximadb_collection_recovery_wal_bytes",
       "Bytes of WAL after its last flush that the start replayed.",
       [](const RecoveryInfo& r) { return double(r.wal_bytes); }},
      {"proximadb_collection_recovery_wal_records",
       "WAL records the start replayed.",
       [](const RecoveryInfo& r) { return double(r.wal_records); }},
  };
  for (const Gauge& g : kGauges) {
    Header(out, g.name, "gauge", g.help);
    for (const CollectionInfo& c : collections) {
      if (!c.recovery) continue;
      Sample(out, g.name, Label("collection", c.config.name),
             Num(g.get(*c.recovery)));
    }
  }
}

// Background writes per collection (docs/API.md, "Background I/O"): bytes
// by kind, time waited for the budget, and the running tasks' progress
// summed per kind.
void RenderBackgroundIo(std::string& out,
                        const std::vector<CollectionInfo>& collections) {
  if (collections.empty()) return;
  Header(out, "proximadb_background_io_budget_bytes_per_second", "gauge",
         "[storage] background_io_mb_per_s in bytes per second (0 = no "
         "limit).");
  Sample(out, "proximadb_background_io_budget_bytes_per_second", "",
         Num(double(collections.front().background_io.budget_bytes_per_s)));
  Header(out, "proximadb_collection_background_bytes_written_total", "counter",
         "Bytes written by background work (flush, compaction, index_build, "
         "payload_index, tier_move, other) since the collection was opened.");
  for (const CollectionInfo& c : collections) {
    for (const auto& [kind, bytes] : c.background_io.bytes_written) {
      Sample(out, "proximadb_collection_background_bytes_written_total",
             Label("collection", c.config.name) + "," + Label("kind", kind),
             Num(double(bytes)));
    }
  }
  Header(out, "proximadb_collection_background_throttled_seconds_total",
         "counter",
         "Time the collection's background writers waited for the I/O "
         "budget.");
  for (const CollectionInfo& c : collections) {
    Sample(out, "proximadb_collection_background_throttled_seconds_total",
           Label("collection", c.config.name),
           Num(c.background_io.throttled_seconds));
  }
  // The running tasks, summed per kind (every task kind, 0 when idle).
  const std::span<const std::string_view> kinds(kBackgroundKindNames,
                                                kBackgroundTaskKinds);
  struct PerKind {
    double tasks = 0, done = 0, total = 0, eta = -1;
  };
  struct Series {
    std::string_view name, help;
    double PerKind::*field;
  };
  static const Series kSeries[] = {
      {"proximadb_collection_background_tasks", "Background tasks running now.",
       &PerKind::tasks},
      {"proximadb_collection_background_task_bytes_done",
       "Bytes the running tasks have written.", &PerKind::done},
      {"proximadb_collection_background_task_bytes_total",
       "Bytes the running tasks will write (estimated; tasks whose size is "
       "known).",
       &PerKind::total},
      {"proximadb_collection_background_task_eta_seconds",
       "Until the slowest running task of the kind has written its bytes "
       "(only while known).",
       &PerKind::eta},
  };
  std::vector<std::array<PerKind, kBackgroundTaskKinds>> sums(
      collections.size());
  for (size_t i = 0; i < collections.size(); ++i) {
    for (const BackgroundTask& t : collections[i].background_io.tasks) {
      auto k = std::find(kinds.begin(), kinds.end(), t.kind);
      if (k == kinds.end()) continue;
      PerKind& p = sums[i][k - kinds.begin()];
      p.tasks += 1;
      p.done += double(t.bytes_done);
      p.total += double(t.bytes_total);
      p.eta = std::max(p.eta, t.eta_seconds);
    }
  }
  for (const Series& s : kSeries) {
    Header(out, s.name, "gauge", s.help);
    for (size_t i = 0; i < collections.size(); ++i) {
      for (size_t k = 0; k < kinds.size(); ++k) {
        const double v = sums[i][k].*s.field;
        if (s.field == &PerKind::eta && v < 0) continue;
        Sample(out, s.name,
               Label("collection", collections[i].config.name) + "," +
                   Label("kind", kinds[k]),
               Num(v));
      }
    }
  }
}

// Per collection with a migration (docs/API.md, "Live migration"): its
// progress, and 1 while it runs.
void RenderMigrations(std::string& out,
                      const std::vector<CollectionInfo>& collections) {
  struct Gauge {
    std::string_view name;
    std::string_view help;
    double (*get)(const MigrationStatus&);
  };
  static const Gauge kGauges[] = {
      {"proximadb_migration_running",
       "1 while a live migration of the collection's layout runs.",
       [](const MigrationStatus& m) {
         return m.record.state == "running" ? 1.0 : 0.0;
       }},
      {"proximadb_migration_segments_done",
       "Segments whose index has the collection's layout.",
       [](const MigrationStatus& m) { return double(m.segments_done); }},
      {"proximadb_migration_segments_total", "Segments to migrate.",
       [](const MigrationStatus& m) { return double(m.segments_total); }},
      {"proximadb_migration_points_done",
       "Rows of the segments whose index has the collection's layout.",
       [](const MigrationStatus& m) { return double(m.points_done); }},
      {"proximadb_migration_points_total", "Rows of the segments to migrate.",
       [](const MigrationStatus& m) { return double(m.points_total); }},
  };
  for (const Gauge& g : kGauges) {
    Header(out, g.name, "gauge", g.help);
    for (const CollectionInfo& c : collections) {
      if (!c.migration) continue;
      Sample(out, g.name, Label("collection", c.config.name),
             Num(g.get(*c.migration)));
    }
  }
}

// Per collection and tier: segments and their bytes; per collection: tier
// moves, the object store's traffic and the cold-segment cache.
void RenderTiers(std::string& out,
                 const std::vector<CollectionInfo>& collections) {
  struct PerTier {
    std::string_view name;
    std::string_view help;
    uint64_t TierTotals::*field;
  };
  static const PerTier kPerTier[] = {
      {"proximadb_segments", "Segments in the tier.", &TierTotals::segments},
      {"proximadb_segment_bytes", "Bytes of the segments in the tier.",
       &TierTotals::bytes},
  };
  for (const PerTier& g : kPerTier) {
    Header(out, g.name, "gauge", g.help);
    for (const CollectionInfo& c : collections) {
      for (Tier t : {Tier::kHot, Tier::kWarm, Tier::kCold}) {
        Sample(out, g.name,
               Label("collection", c.config.name) + "," +
                   Label("tier", TierName(t)),
               std::to_string(c.tiers[static_cast<size_t>(t)].*g.field));
      }
    }
  }
  struct Counter {
    std::string_view name;
    std::string_view type;
    std::string_view help;
    uint64_t TieringCounters::*field;
  };
  // Counted since the collection was opened, like the flush counters.
  static const Counter kTiering[] = {
      {"proximadb_tier_moves_total", "counter",
       "Segment moves between tiers committed.", &TieringCounters::moves},
      {"proximadb_tier_move_failures_total", "counter",
       "Segment moves that failed (the segment stayed where it was).",
       &TieringCounters::move_failures},
      {"proximadb_object_uploads_total", "counter",
       "Objects uploaded to the object store.", &TieringCounters::uploads},
      {"proximadb_object_upload_bytes_total", "counter",
       "Bytes uploaded to the object store.", &TieringCounters::upload_bytes},
      {"proximadb_object_downloads_total", "counter",
       "Objects (or ranges) downloaded from the object store.",
       &TieringCounters::downloads},
      {"proximadb_object_download_bytes_total", "counter",
       "Bytes downloaded from the object store.",
       &TieringCounters::download_bytes},
      {"proximadb_object_retries_total", "counter",
       "Object-store requests retried.", &TieringCounters::retries},
      {"proximadb_object_failures_total", "counter",
       "Object-store requests that failed after their retries.",
       &TieringCounters::failures},
      {"proximadb_cache_hits_total", "counter",
       "Reads of cold segments served by the local cache.",
       &TieringCounters::cache_hits},
      {"proximadb_cache_misses_total", "counter",
       "Reads of cold segments the local cache had to fetch.",
       &TieringCounters::cache_misses},
      {"proximadb_cache_evictions_total", "counter",
       "Entries evicted from the local cache of cold segments.",
       &TieringCounters::cache_evictions},
      {"proximadb_cache_bytes", "gauge",
       "Bytes held by the local cache of cold segments.",
       &TieringCounters::cache_bytes},
  };
  for (const Counter& g : kTiering) {
    Header(out, g.name, g.type, g.help);
    for (const CollectionInfo& c : collections) {
      Sample(out, g.name, Label("collection", c.config.name),
             std::to_string(c.tiering.*g.field));
    }
  }
}

}  // namespace

std::string_view ProtocolName(Protocol p) {
  return p == Protocol::kRest ? "rest" : "grpc";
}

std::string_view CodeName(size_t index) {
  if (index < kNumStatusCodes) {
    return StatusCodeName(static_cast<StatusCode>(index));
  }
  if (index == kCodeUnauthenticated) return "unauthenticated";
  if (index == kCodePermissionDenied) return "permission_denied";
  return "internal";
}

size_t CodeIndexByName(std::string_view name) {
  for (size_t i = 0; i < kNumCodes; ++i) {
    if (CodeName(i) == name) return i;
  }
  return CodeIndex(StatusCode::kInternal);
}

void Metrics::Record(Protocol p, Operation op, size_t code,
                     std::chrono::nanoseconds elapsed) {
  Slot& s = slots_[static_cast<size_t>(p)][OperationIndex(op)];
  s.codes[code < kNumCodes ? code : CodeIndex(StatusCode::kInternal)].fetch_add(
      1, kRelaxed);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  s.buckets[b].fetch_add(1, kRelaxed);
  s.sum_ns.fetch_add(static_cast<uint64_t>(elapsed.count()), kRelaxed);
}

void Metrics::Reject(Protocol p, RejectReason reason) {
  rejected_[static_cast<size_t>(p)][static_cast<size_t>(reason)].fetch_add(
      1, kRelaxed);
}

uint64_t Metrics::Count(Protocol p, Operation op, size_t code) const {
  return slots_[static_cast<size_t>(p)][OperationIndex(op)].codes[code].load(
      kRelaxed);
}

std::string Metrics::Render(const std::vector<CollectionInfo>& collections,
                            const ProcessSample& process) const {
  std::string out;
  out.reserve(16 * 1024);
  // Only (protocol, operation, code) triples that happened are listed: the
  // full cross product would be several hundred always-zero series.
  Header(out, "proximadb_requests_total", "counter",
         "Requests served, by protocol, operation and result code.");
  for (size_t p = 0; p < kNumProtocols; ++p) {
    for (size_t op = 0; op < kOperations.size(); ++op) {
      for (size_t c = 0; c < kNumCodes; ++c) {
        uint64_t n = slots_[p][op].codes[c].load(kRelaxed);
        if (n == 0) continue;
        Sample(out, "proximadb_requests_total",
               OpLabels(p, op) + "," + Label("code", CodeName(c)),
               std::to_string(n));
      }
    }
  }
  const std::string_view hist = "proximadb_request_duration_seconds";
  Header(out, hist, "histogram",
         "Time from a decoded request to its encoded answer.");
  for (size_t p = 0; p < kNumProtocols; ++p) {
    for (size_t op = 0; op < kOperations.size(); ++op) {
      const Slot& s = slots_[p][op];
      uint64_t cumulative = 0;
      std::string lines;
      const std::string labels = OpLabels(p, op);
      for (size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
        cumulative += s.buckets[b].load(kRelaxed);
        std::string le = b < kLatencyBuckets.size() ? Num(kLatencyBuckets[b])
                                                    : std::string("+Inf");
        Sample(lines, std::string(hist) + "_bucket",
               labels + "," + Label("le", le), std::to_string(cumulative));
      }
      if (cumulative == 0) continue;
      out += lines;
      Sample(out, std::string(hist) + "_sum", labels,
             Num(double(s.sum_ns.load(kRelaxed)) / 1e9));
      Sample(out, std::string(hist) + "_count", labels,
             std::to_string(cumulative));
    }
  }
  Header(out, "proximadb_requests_rejected_total", "counter",
         "Requests refused before reaching the service.");
  static constexpr std::string_view kReasons[] = {
      "overloaded", "unauthenticated", "permission_denied"};
  for (size_t p = 0; p < kNumProtocols; ++p) {
    for (size_t r = 0; r < kNumRejectReasons; ++r) {
      Sample(out, "proximadb_requests_rejected_total",
             Label("protocol", ProtocolName(static_cast<Protocol>(p))) + "," +
                 Label("reason", kReasons[r]),
             std::to_string(rejected_[p][r].load(kRelaxed)));
    }
  }
  Header(out, "proximadb_inflight_requests", "gauge",
         "Requests being served now (both protocols).");
  Sample(out, "proximadb_inflight_requests", "",
         std::to_string(process.inflight_requests));
  Header(out, "proximadb_collections", "gauge", "Collections.");
  Sample(out, "proximadb_collections", "", std::to_string(collections.size()));
  // Collections that do not serve (yet) have no per-collection samples.
  std::vector<CollectionInfo> serving;
  size_t by_state[3] = {0, 0, 0};
  for (const CollectionInfo& c : collections) {
    ++by_state[static_cast<int>(c.state)];
    if (c.state == CollectionState::kServing) serving.push_back(c);
  }
  Header(out, "proximadb_collections_by_state", "gauge",
         "Collections serving, recovering (start-up replay still running) "
         "and fenced (damaged: docs/OPERATIONS.md).");
  for (CollectionState st :
       {CollectionState::kServing, CollectionState::kRecovering,
        CollectionState::kFenced}) {
    Sample(out, "proximadb_collections_by_state",
           Label("state", std::string(CollectionStateName(st))),
           std::to_string(by_state[static_cast<int>(st)]));
  }
  RenderCollections(out, serving);
  if (process.quarantine_entries) {
    Header(out, "proximadb_quarantine_entries", "gauge",
           "Entries of the data directory's quarantine: files start-up could "
           "not account for (GET /api/v1/admin/quarantine).");
    Sample(out, "proximadb_quarantine_entries", "",
           std::to_string(*process.quarantine_entries));
  }
  if (process.cluster) RenderCluster(out, *process.cluster);
  Header(out, "proximadb_build_info", "gauge", "Always 1; labels the version.");
  Sample(out, "proximadb_build_info", Label("version", kVersion), "1");
  Header(out, "proximadb_uptime_seconds", "gauge",
         "Seconds since the server started.");
  Sample(out, "proximadb_uptime_seconds", "",
         Num(std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           started_)
                 .count()));
  Header(out, "process_start_time_seconds", "gauge",
         "Start time of the process since the Unix epoch, in seconds.");
  Sample(out, "process_start_time_seconds", "",
         Num(std::chrono::duration<double>(started_wall_.time_since_epoch())
                 .count()));
  // The process's memory, each when /proc said it.
  const struct {
    const std::optional<uint64_t>& value;
    std::string_view name, help;
  } kProcessMemory[] = {
      {process.resident_bytes, "process_resident_memory_bytes",
       "Resident memory size in bytes (VmRSS)."},
      {process.anonymous_bytes, "proximadb_process_anonymous_memory_bytes",
       "Resident anonymous memory (RssAnon): what [storage] "
       "memory_limit_mb governs."},
      {process.file_bytes, "proximadb_process_file_memory_bytes",
       "Resident pages of mapped files (RssFile: segment files; the kernel "
       "reclaims them under pressure)."},
  };
  for (const auto& m : kProcessMemory) {
    if (!m.value) continue;
    Header(out, m.name, "gauge", m.help);
    Sample(out, m.name, "", std::to_string(*m.value));
  }
  Header(out, "proximadb_memory_budget_bytes", "gauge",
         "[storage] memory_limit_mb in bytes (0 = no budget).");
  Sample(out, "proximadb_memory_budget_bytes", "",
         std::to_string(process.memory_limit_bytes));
  Header(out, "proximadb_memory_accounted_bytes", "gauge",
         "What the collections hold in process memory, by part, as the "
         "memory budget counts it.");
  for (size_t i = 0; i < std::size(kMemoryComponents); ++i) {
    uint64_t sum = 0;
    for (const CollectionInfo& c : collections) {
      sum += c.memory.*kMemoryComponents[i];
    }
    Sample(out, "proximadb_memory_accounted_bytes",
           Label("component", kMemoryComponentNames[i]), std::to_string(sum));
  }
  return out;
}

Result<uint64_t> ParseVmRss(std::string_view text) {
  return ParseStatusKb(text, "VmRSS");
}

Result<uint64_t> ParseStatusKb(std::string_view text, std::string_view key) {
  const std::string kKey = std::string(key) + ":";
  size_t at = text.find(kKey);
  while (at != std::string_view::npos && at != 0 && text[at - 1] != '\n') {
    at = text.find(kKey, at + 1);
  }
  if (at == std::string_view::npos) {
    return Status::NotFound("no " + std::string(key) + " line");
  }
  std::string_view rest = text.substr(at + kKey.size());
  rest = rest.substr(0, rest.find('\n'));
  size_t digit = rest.find_first_not_of(" \t");
  if (digit == std::string_view::npos) {
    return Status::InvalidArgument("empty " + std::string(key) + " line");
  }
  rest.remove_prefix(digit);
  uint64_t kb = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kb);
  std::string_view unit(end, rest.data() + rest.size());
  if (ec != std::errc() || unit.find("kB") == std::string_view::npos ||
      kb > (UINT64_MAX >> 10)) {
    return Status::InvalidArgument("malformed " + std::string(key) + " line");
  }
  return kb << 10;
}

ProcessMemory ReadProcessMemory() {
  ProcessMemory out;
  std::ifstream in("/proc/self/status");
  if (!in) return out;
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  auto get = [&](std::string_view key) -> std::optional<uint64_t> {
    Result<uint64_t> v = ParseStatusKb(text, key);
    if (!v.ok()) return std::nullopt;
    return v.value();
  };
  out.resident = get("VmRSS");
  out.anonymous = get("RssAnon");
  out.file = get("RssFile");
  return out;
}

std::optional<uint64_t> ResidentMemoryBytes() {
  std::ifstream in("/proc/self/status");
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  Result<uint64_t> rss = ParseVmRss(ss.str());
  if (!rss.ok()) return std::nullopt;
  return rss.value();
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace proximadb::service
