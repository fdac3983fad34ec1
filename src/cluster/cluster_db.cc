#include "cluster/cluster_db.h"

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <set>

#include "cluster/rpc/shard_codec.h"
#include "collection/field_values.h"
#include "collection/point_check.h"
#include "filter/index_plan.h"
#include "util/limits.h"
#include "util/mutex.h"

namespace proximadb::cluster {

namespace {

Status NotInCluster(const std::string& what) {
  return Status::FailedPrecondition(
      what +
      " is not available in cluster mode yet (docs/CLUSTER.md, "
      "\"What is promised today\")");
}

// Runs fn(shard) for every shard at once and returns the results in shard
// order.
template <typename T, typename Fn>
std::vector<Result<T>> ForEachShard(uint32_t shards, Fn fn) {
  std::vector<std::future<Result<T>>> futures;
  futures.reserve(shards);
  for (uint32_t k = 0; k < shards; ++k) {
    futures.push_back(
        std::async(std::launch::async, [&fn, k] { return fn(k); }));
  }
  std::vector<Result<T>> out;
  out.reserve(shards);
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

// The first error of a scatter, naming the shard.
template <typename T>
Status FirstError(const std::vector<Result<T>>& results) {
  for (size_t k = 0; k < results.size(); ++k) {
    if (!results[k].ok()) {
      const Status& s = results[k].status();
      if (s.code() == StatusCode::kInvalidArgument ||
          s.code() == StatusCode::kDimensionMismatch ||
          s.code() == StatusCode::kNotFound) {
        return s;  // about the request: the same on every shard
      }
      return Status(s.code(),
                    "shard " + std::to_string(k) + ": " + s.message());
    }
  }
  return Status::OK();
}

bool Better(Metric m, const SearchHit& a, const SearchHit& b) {
  if (a.score != b.score) {
    return m == Metric::kEuclidean ? a.score < b.score : a.score > b.score;
  }
  return a.id < b.id;
}

class ClusterCollection final : public Collection {
 public:
  // `c` as ClusterDB::GetCollection just read it: a handle is used for one
  // request (the service resolves the name each time), so it answers from
  // this copy, refreshed after its own changes.
  ClusterCollection(ClusterNode* node, ShardedCollection c)
      : node_(node), name_(c.name()), c_(std::move(c)) {}

  CollectionConfig config() const override {
    MutexLock l(&mu_);
    return c_.def.config;
  }

  Result<std::vector<std::string>> Upsert(std::vector<Point> points) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    const CollectionConfig& cfg = c.def.config;
    std::vector<std::string> ids;
    ids.reserve(points.size());
    std::map<uint32_t, wal::WalBatch> parts;
    const PointRules rules = RulesOf(cfg);
    const uint64_t now = Clock::Real()->NowMicros();
    for (size_t i = 0; i < points.size(); ++i) {
      PDB_ASSIGN_OR_RETURN(wal::WalOp op,
                           PointToUpsertOp(rules, now, i, &points[i]));
      ids.push_back(op.id);
      parts[ShardOf(op.id, c.shard_count())].ops.push_back(std::move(op));
    }
    if (ids.empty()) return ids;
    PDB_RETURN_IF_ERROR(
        WriteParts(c, WriteKind::kBatch, std::move(parts)).status());
    return ids;
  }

  Result<StoredPoint> Get(const std::string& id) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    Result<std::string> body =
        node_->Call(c, ShardOf(id, c.shard_count()), "get",
                    rpc_codec::EncodeJson({{"id", id}}), true);
    if (!body.ok()) return Explain(body.status());
    return rpc_codec::DecodePoint(*body);
  }

  Result<uint64_t> Delete(const std::vector<std::string>& ids) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    std::map<uint32_t, wal::WalBatch> parts;
    for (const auto& id : ids) {
      if (id.empty() || id.size() > kMaxIdBytes) {
        return Status::InvalidArgument("ids must be 1.." +
                                       std::to_string(kMaxIdBytes) + " bytes");
      }
      parts[ShardOf(id, c.shard_count())].ops.push_back(
          {wal::WalOp::Type::kDelete, id, {}, {}, {}});
    }
    if (parts.empty()) return uint64_t{0};
    PDB_ASSIGN_OR_RETURN(
        WriteOutcome out,
        WriteParts(c, WriteKind::kDeleteCounted, std::move(parts)));
    return out.count;
  }

  Result<PatchResult> PatchMetadata(const std::vector<std::string>& ids,
                                    const MetadataPatch& patch) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    PDB_RETURN_IF_ERROR(CheckMetadataPatch(ids, patch));
    // One op per distinct id, each carrying the patch; the primaries
    // resolve the points (LocalWrite). Atomic per shard.
    const std::string body = rpc_codec::EncodeMetadataPatch(patch);
    std::map<uint32_t, wal::WalBatch> parts;
    std::set<std::string_view> seen;
    for (const auto& id : ids) {
      if (!seen.insert(id).second) continue;
      wal::WalOp op;
      op.type = wal::WalOp::Type::kUpdateMetadata;
      op.id = id;
      op.metadata_json = body;
      parts[ShardOf(id, c.shard_count())].ops.push_back(std::move(op));
    }
    PDB_ASSIGN_OR_RETURN(
        WriteOutcome out,
        WriteParts(c, WriteKind::kPatchMetadata, std::move(parts)));
    PatchResult result;
    result.updated = out.count;
    result.not_found = std::move(out.not_found);
    return result;
  }

  Status UpdateMetadata(const std::string& id,
                        nlohmann::json metadata) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    PDB_RETURN_IF_ERROR(CheckPointMetadata(metadata, "metadata"));
    wal::WalBatch batch;
    wal::WalOp op;
    op.type = wal::WalOp::Type::kUpdateMetadata;
    op.id = id;
    op.metadata_json = DumpPointMetadata(metadata);
    batch.ops.push_back(std::move(op));
    return Explain(node_
                       ->Write(c, ShardOf(id, c.shard_count()),
                               WriteKind::kUpdateMetadata, std::move(batch))
                       .status());
  }

  Result<uint64_t> Count(const nlohmann::json& filter) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    const std::string body = rpc_codec::EncodeJson({{"filter", filter}});
    auto results = ForEachShard<std::string>(c.shard_count(), [&](uint32_t k) {
      return node_->Call(c, k, "count", body, true);
    });
    PDB_RETURN_IF_ERROR(Explain(FirstError(results)));
    uint64_t total = 0;
    for (auto& r : results) {
      PDB_ASSIGN_OR_RETURN(nlohmann::json j, rpc_codec::DecodeJson(*r));
      total += j.value("count", uint64_t{0});
    }
    return total;
  }

  Result<ScrollPage> Scroll(const ScrollRequest& request) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    PDB_RETURN_IF_ERROR(CheckScrollOrder(request));
    const std::string body = rpc_codec::EncodeScrollRequest(request);
    const bool strong = request.consistency == ReadConsistency::kStrong;
    auto results = ForEachShard<std::string>(c.shard_count(), [&](uint32_t k) {
      return node_->Call(c, k, "scroll", body, strong);
    });
    PDB_RETURN_IF_ERROR(Explain(FirstError(results)));
    // Each shard returned its first `limit` points after the cursor, in the
    // page order, so the first `limit` of their union are the collection's.
    struct Entry {
      double value = 0;  // the sort value, with order_by
      StoredPoint point;
    };
    std::vector<Entry> all;
    bool more = false;
    const std::vector<std::string> path =
        request.order_by ? filter::SplitPath(request.order_by->key)
                         : std::vector<std::string>{};
    for (auto& r : results) {
      PDB_ASSIGN_OR_RETURN(ScrollPage p, rpc_codec::DecodeScrollPage(*r));
      if (!p.next_after_id.empty()) more = true;
      for (auto& pt : p.points) {
        Entry e;
        if (request.order_by) {
          // The shard listed it for its sort value, read here the same way.
          std::optional<double> v =
              SortValue(pt.metadata, path, request.order_by->descending);
          if (!v)
            return Status::Internal(
                "shard scroll: a point without a sort value");
          e.value = *v;
        }
        e.point = std::move(pt);
        all.push_back(std::move(e));
      }
    }
    const bool desc = request.order_by && request.order_by->descending;
    std::sort(all.begin(), all.end(), [&](const Entry& a, const Entry& b) {
      return SortsBefore(desc, a.value, a.point.id, b.value, b.point.id);
    });
    if (all.size() > request.limit) {
      all.resize(request.limit);
      more = true;
    }
    ScrollPage page;
    if (more && !all.empty()) {
      page.next_after_id = all.back().point.id;
      if (request.order_by) page.next_after_value = all.back().value;
    }
    for (auto& e : all) page.points.push_back(std::move(e.point));
    return page;
  }

  Result<FacetResult> Facet(const FacetRequest& request) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    PDB_RETURN_IF_ERROR(CheckFacetRequest(request));
    // Every shard's whole counts (a value's top-N of one shard says nothing
    // of another's), summed here: exact, bounded by kMaxFacetDistinctValues.
    FacetRequest all = request;
    all.limit = 0;
    const std::string body = rpc_codec::EncodeFacetRequest(all);
    const bool strong = request.consistency == ReadConsistency::kStrong;
    auto results = ForEachShard<std::string>(c.shard_count(), [&](uint32_t k) {
      return node_->Call(c, k, "facet", body, strong);
    });
    PDB_RETURN_IF_ERROR(Explain(FirstError(results)));
    FacetCounts counts;
    for (auto& r : results) {
      PDB_ASSIGN_OR_RETURN(FacetResult one, rpc_codec::DecodeFacetResult(*r));
      for (const auto& v : one.values) {
        PDB_RETURN_IF_ERROR(counts.Add(v.value, v.count));
      }
    }
    return counts.Top(request.limit);
  }

  // Two rounds, so that every shard scores with the whole collection's
  // statistics and the merged ranking is the one a single node would give:
  // the shards' statistics summed, then each shard's best k under them.
  Result<SearchResult> TextSearch(const TextSearchRequest& request) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    PDB_RETURN_IF_ERROR(CheckTextSearchRequest(request));
    PDB_ASSIGN_OR_RETURN(TextCorpusStats stats, SumTextStats(c, request));
    TextSearchRequest scored = request;
    scored.stats = std::move(stats);
    return BestOfShards(c, "text_search",
                        rpc_codec::EncodeTextSearchRequest(scored),
                        request.consistency, request.k);
  }

  Result<TextCorpusStats> TextStats(const TextSearchRequest& request) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    return SumTextStats(c, request);
  }

  // Exact per shard, so the best k of the shards' best k are the answer.
  Result<SearchResult> SparseSearch(
      const SparseSearchRequest& request) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    SparseSearchRequest req = request;
    PDB_RETURN_IF_ERROR(
        CheckSparseSearchRequest(c.def.config.sparse_vectors, &req));
    return BestOfShards(c, "sparse_search",
                        rpc_codec::EncodeSparseSearchRequest(req),
                        req.consistency, req.k);
  }

  // Sends `op` with `body` to every shard and keeps the best `k` of their
  // answers, higher score first, ties by id (the shards' orders).
  Result<SearchResult> BestOfShards(const ShardedCollection& c, const char* op,
                                    const std::string& body,
                                    ReadConsistency consistency, uint32_t k) {
    const bool strong = consistency == ReadConsistency::kStrong;
    auto results =
        ForEachShard<std::string>(c.shard_count(), [&](uint32_t shard) {
          return node_->Call(c, shard, op, body, strong);
        });
    PDB_RETURN_IF_ERROR(Explain(FirstError(results)));
    SearchResult out;
    for (auto& r : results) {
      PDB_ASSIGN_OR_RETURN(SearchResult one, rpc_codec::DecodeSearchResult(*r));
      for (auto& h : one.hits) out.hits.push_back(std::move(h));
      out.stats.points_scanned += one.stats.points_scanned;
      out.stats.distances_computed += one.stats.distances_computed;
      out.stats.sources_searched += one.stats.sources_searched;
    }
    std::sort(out.hits.begin(), out.hits.end(),
              [](const SearchHit& a, const SearchHit& b) {
                return a.score > b.score || (a.score == b.score && a.id < b.id);
              });
    if (out.hits.size() > k) out.hits.resize(k);
    return out;
  }

  Result<SearchResult> Search(const SearchRequest& request) override {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    const CollectionConfig& cfg = c.def.config;
    Metric metric = cfg.metric;
    if (request.using_vector.empty()) {
      PDB_RETURN_IF_ERROR(CheckPointVector(cfg.name, cfg.dimension, cfg.metric,
                                           request.vector, "query vector"));
    } else {
      // Exact on every shard: the best k of each, merged, are the best k.
      PDB_RETURN_IF_ERROR(CheckNamedQuery(cfg.vectors, request));
      metric = FindNamedVector(cfg.vectors, request.using_vector)->metric;
    }
    const std::string body = rpc_codec::EncodeSearchRequest(request);
    const bool strong = request.consistency == ReadConsistency::kStrong;
    auto results = ForEachShard<std::string>(c.shard_count(), [&](uint32_t k) {
      return node_->Call(c, k, "search", body, strong);
    });
    PDB_RETURN_IF_ERROR(Explain(FirstError(results)));
    SearchResult merged;
    for (auto& r : results) {
      PDB_ASSIGN_OR_RETURN(SearchResult one, rpc_codec::DecodeSearchResult(*r));
      for (auto& h : one.hits) merged.hits.push_back(std::move(h));
      merged.stats.distances_computed += one.stats.distances_computed;
      merged.stats.points_scanned += one.stats.points_scanned;
      merged.stats.nodes_visited += one.stats.nodes_visited;
      merged.stats.partitions_pruned += one.stats.partitions_pruned;
      merged.stats.sources_searched += one.stats.sources_searched;
      for (auto& p : one.explain) merged.explain.push_back(std::move(p));
    }
    std::sort(merged.hits.begin(), merged.hits.end(),
              [m = metric](const SearchHit& a, const SearchHit& b) {
                return Better(m, a, b);
              });
    if (merged.hits.size() > request.k) merged.hits.resize(request.k);
    return merged;
  }

  Status Flush() override { return OnEveryReplica("flush"); }
  Status Compact() override { return OnEveryReplica("compact"); }

  CollectionInfo Info() override {
    CollectionInfo info;
    // Fresh: policies and payload indexes may have changed since the
    // handle was made (its data calls need only the placement, fixed).
    auto c = node_->Resolve(name_);
    if (!c.ok() || c->uid != Current()->uid) c = Current();
    info.config = c->def.config;
    info.created_at_unix_ms = c->created_at_unix_ms;
    info.payload_indexes = c->def.payload_indexes;
    // Strong, like count: the points counted include every write
    // acknowledged before the request.
    auto results = ForEachShard<std::string>(c->shard_count(), [&](uint32_t k) {
      return node_->Call(*c, k, "info", "{}", /*strong=*/true);
    });
    for (auto& r : results) {
      if (!r.ok()) continue;
      auto one = rpc_codec::DecodeInfo(*r);
      if (!one.ok()) continue;
      info.point_count += one->point_count;
      info.segment_count += one->segment_count;
      info.memtable_points += one->memtable_points;
      info.wal_bytes += one->wal_bytes;
      info.oldest_unflushed_age_seconds = std::max(
          info.oldest_unflushed_age_seconds, one->oldest_unflushed_age_seconds);
      info.last_sequence += one->last_sequence;
      info.flush_count += one->flush_count;
      info.flush_bytes += one->flush_bytes;
      info.flush_seconds += one->flush_seconds;
      info.compaction_count += one->compaction_count;
      info.compaction_bytes += one->compaction_bytes;
      info.compaction_seconds += one->compaction_seconds;
      info.adaptive_graphs_kept += one->adaptive_graphs_kept;
      info.adaptive_graphs_declined += one->adaptive_graphs_declined;
      for (int t = 0; t < 3; ++t) {
        info.tiers[t].segments += one->tiers[t].segments;
        info.tiers[t].points += one->tiers[t].points;
        info.tiers[t].bytes += one->tiers[t].bytes;
      }
      // Each node's budget is its own; the shards' work adds up.
      BackgroundIo& io = info.background_io;
      const BackgroundIo& shard = one->background_io;
      io.budget_bytes_per_s =
          std::max(io.budget_bytes_per_s, shard.budget_bytes_per_s);
      for (const auto& [kind, bytes] : shard.bytes_written) {
        io.bytes_written[kind] += bytes;
      }
      io.throttled_seconds += shard.throttled_seconds;
      io.tasks.insert(io.tasks.end(), shard.tasks.begin(), shard.tasks.end());
    }
    return info;
  }

  Status SetFlushPolicy(const FlushPolicy& policy) override {
    return Change([&](CollectionDef* def) {
      def->config.flush = policy;
      return Status::OK();
    });
  }

  Status CreatePayloadIndex(const PayloadIndexDef& d) override {
    PDB_RETURN_IF_ERROR(CheckPayloadIndexField(d.field));
    return Change([&](CollectionDef* def) {
      for (const auto& have : def->payload_indexes) {
        if (have.field != d.field) continue;
        if (have.type == d.type) return Status::OK();
        return Status::AlreadyExists(
            "collection '" + name_ + "' already has a " +
            std::string(PayloadIndexTypeName(have.type)) + " index on '" +
            d.field + "'");
      }
      def->payload_indexes.push_back(d);
      std::sort(def->payload_indexes.begin(), def->payload_indexes.end(),
                [](const PayloadIndexDef& a, const PayloadIndexDef& b) {
                  return a.field < b.field;
                });
      return Status::OK();
    });
  }

  Status DropPayloadIndex(const std::string& field) override {
    return Change([&](CollectionDef* def) {
      auto& v = def->payload_indexes;
      auto it = std::find_if(v.begin(), v.end(), [&](const PayloadIndexDef& d) {
        return d.field == field;
      });
      if (it == v.end()) {
        return Status::NotFound("collection '" + name_ +
                                "' has no payload index on '" + field + "'");
      }
      v.erase(it);
      return Status::OK();
    });
  }

  Result<std::vector<SegmentInfo>> ListSegments() override {
    return NotInCluster("listing segments");
  }
  Status MoveSegment(uint64_t, Tier) override {
    return NotInCluster("moving a segment");
  }
  Status SetTieringPolicy(const TieringPolicy& policy) override {
    return Change([&](CollectionDef* def) {
      def->config.tiering = policy;
      return Status::OK();
    });
  }
  Result<std::unique_ptr<ChangeReader>> Changes(uint64_t) override {
    return NotInCluster("the change feed");
  }
  std::pair<uint64_t, uint64_t> ChangeRange() override { return {0, 0}; }

 private:
  Result<ShardedCollection> Current() {
    MutexLock l(&mu_);
    return c_;
  }

  Result<TextCorpusStats> SumTextStats(const ShardedCollection& c,
                                       const TextSearchRequest& request) {
    TextSearchRequest ask = request;
    ask.stats.reset();
    const std::string body = rpc_codec::EncodeTextSearchRequest(ask);
    const bool strong = request.consistency == ReadConsistency::kStrong;
    auto results = ForEachShard<std::string>(c.shard_count(), [&](uint32_t k) {
      return node_->Call(c, k, "text_stats", body, strong);
    });
    PDB_RETURN_IF_ERROR(Explain(FirstError(results)));
    TextCorpusStats sum;
    for (auto& r : results) {
      PDB_ASSIGN_OR_RETURN(TextCorpusStats one, rpc_codec::DecodeTextStats(*r));
      sum.docs += one.docs;
      sum.words += one.words;
      if (sum.doc_freq.empty()) sum.doc_freq.assign(one.doc_freq.size(), 0);
      if (one.doc_freq.size() != sum.doc_freq.size()) {
        return Status::Internal("shards disagree on the query's words");
      }
      for (size_t i = 0; i < one.doc_freq.size(); ++i) {
        sum.doc_freq[i] += one.doc_freq[i];
      }
    }
    return sum;
  }

  // A shard that cannot be reached may be one of a dropped collection: then
  // the answer is kNotFound, as for any handle of a dropped collection.
  Status Explain(Status s) {
    if (s.ok() || s.code() != StatusCode::kUnavailable) return s;
    auto now = node_->Resolve(name_);
    {
      MutexLock l(&mu_);
      if (now.ok() && now->uid == c_.uid) {
        c_ = std::move(now).value();  // the placement may have changed
        return s;
      }
    }
    if (now.ok() || now.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("collection '" + name_ + "' was dropped");
    }
    return s;
  }

  // Applies `change` to the descriptor in etcd and takes the result (a
  // drop and re-create of the name is another collection: kNotFound).
  Status Change(const std::function<Status(CollectionDef*)>& change) {
    PDB_RETURN_IF_ERROR(node_->UpdateDef(name_, change));
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, node_->Resolve(name_));
    MutexLock l(&mu_);
    if (c.uid != c_.uid) {
      return Status::NotFound("collection '" + name_ + "' was dropped");
    }
    c_ = std::move(c);
    return Status::OK();
  }

  // The outcomes of every shard's part summed (count) and joined
  // (not_found, in shard order).
  Result<WriteOutcome> WriteParts(const ShardedCollection& c, WriteKind kind,
                                  std::map<uint32_t, wal::WalBatch> parts) {
    std::vector<uint32_t> shards;
    std::vector<wal::WalBatch> batches;
    for (auto& [k, b] : parts) {
      shards.push_back(k);
      batches.push_back(std::move(b));
    }
    auto results = ForEachShard<WriteOutcome>(
        static_cast<uint32_t>(shards.size()), [&](uint32_t i) {
          return node_->Write(c, shards[i], kind, std::move(batches[i]));
        });
    WriteOutcome sum;
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].ok()) {
        const Status& s = results[i].status();
        const std::string partial =
            shards.size() > 1
                ? " (a batch is atomic per shard: the parts for other shards "
                  "may have been written)"
                : "";
        return Explain(Status(s.code(), "shard " + std::to_string(shards[i]) +
                                            ": " + s.message() + partial));
      }
      sum.count += results[i]->count;
      for (auto& id : results[i]->not_found) {
        sum.not_found.push_back(std::move(id));
      }
    }
    return sum;
  }

  Status OnEveryReplica(const std::string& op) {
    PDB_ASSIGN_OR_RETURN(ShardedCollection c, Current());
    auto results = ForEachShard<bool>(c.shard_count(), [&](uint32_t k) {
      Status s = node_->CallAll(c, k, op);
      return s.ok() ? Result<bool>(true) : Result<bool>(s);
    });
    return Explain(FirstError(results));
  }

  ClusterNode* const node_;
  const std::string name_;
  mutable Mutex mu_;
  ShardedCollection c_ GUARDED_BY(mu_);
};

}  // namespace

ClusterDB::~ClusterDB() = default;

Result<std::shared_ptr<Collection>> ClusterDB::CreateCollection(
    const CollectionConfig& config) {
  PDB_ASSIGN_OR_RETURN(ShardedCollection c, node_->CreateCollection(config));
  return std::shared_ptr<Collection>(
      std::make_shared<ClusterCollection>(node_.get(), std::move(c)));
}

Result<std::shared_ptr<Collection>> ClusterDB::GetCollection(
    const std::string& name) {
  PDB_ASSIGN_OR_RETURN(ShardedCollection c, node_->Resolve(name));
  return std::shared_ptr<Collection>(
      std::make_shared<ClusterCollection>(node_.get(), std::move(c)));
}

std::vector<CollectionInfo> ClusterDB::ListCollections() {
  std::vector<CollectionInfo> out;
  auto cols = node_->ListCollections();
  if (!cols.ok()) return out;
  for (auto& c : *cols) {
    ClusterCollection handle(node_.get(), std::move(c));
    out.push_back(handle.Info());
  }
  return out;
}

Status ClusterDB::DropCollection(const std::string& name) {
  return node_->DropCollection(name);
}

Status ClusterDB::UpdateAliases(const std::vector<AliasAction>& actions) {
  return node_->UpdateAliases(actions);
}

std::vector<AliasInfo> ClusterDB::ListAliases() {
  auto a = node_->ListAliases();
  return a.ok() ? std::move(a).value() : std::vector<AliasInfo>{};
}

Status ClusterDB::FlushAll() { return node_->engine()->FlushAll(); }

Result<ClusterInfo> ClusterDB::GetClusterInfo() { return node_->Info(); }

Status ClusterDB::SetNodeDraining(const std::string& node_id, bool draining) {
  return node_->SetDraining(node_id, draining);
}

Result<std::vector<QuarantineEntry>> ClusterDB::ListQuarantine() {
  return node_->engine()->ListQuarantine();
}

Result<uint64_t> ClusterDB::ClearQuarantine(const std::string& id) {
  return node_->engine()->ClearQuarantine(id);
}

Result<SnapshotInfo> ClusterDB::CreateSnapshot(const std::string&,
                                               SnapshotTarget) {
  return NotInCluster("a snapshot");
}
Result<std::vector<SnapshotInfo>> ClusterDB::ListSnapshots(const std::string&) {
  return NotInCluster("listing snapshots");
}
Result<SnapshotInfo> ClusterDB::GetSnapshot(const std::string&,
                                            const std::string&) {
  return NotInCluster("a snapshot");
}
Status ClusterDB::DeleteSnapshot(const std::string&, const std::string&) {
  return NotInCluster("deleting a snapshot");
}
Result<RestoreResult> ClusterDB::RestoreSnapshot(const std::string&,
                                                 const std::string&,
                                                 const RestoreOptions&) {
  return NotInCluster("restoring a snapshot");
}
Result<RestoreResult> ClusterDB::RestorePointInTime(const std::string&,
                                                    const PointInTimeOptions&) {
  return NotInCluster("point-in-time restore");
}
Result<SnapshotInfo> ClusterDB::CreateDatabaseSnapshot(SnapshotTarget) {
  return NotInCluster("a database snapshot");
}

}  // namespace proximadb::cluster
