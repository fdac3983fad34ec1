#include "service/service.h"

#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "collection/point_check.h"
#include "service/json_codec.h"
#include "service/recommend.h"
#include "service/search_groups.h"
#include "service/search_options.h"
#include "util/limits.h"

namespace proximadb::service {

using nlohmann::json;

VectorService::VectorService(std::unique_ptr<DB> db, FlushDefaults defaults,
                             TieringDefaults tiering)
    : db_(std::move(db)), defaults_(defaults), tiering_(std::move(tiering)) {}

VectorService::~VectorService() {
  recall_.reset();  // its worker searches through db_
}

void VectorService::EnableRecallEstimate(const RecallOptions& options) {
  if (options.sample_rate <= 0) return;
  recall_ = std::make_unique<RecallEstimator>(
      options,
      [this](const std::string& name,
             const SearchRequest& r) -> Result<SearchResult> {
        PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(name));
        return c->Search(r);
      });
}

void VectorService::WaitForRecallSamples() {
  if (recall_ != nullptr) recall_->WaitIdle();
}

CollectionInfo VectorService::WithRecall(CollectionInfo info) const {
  if (recall_ != nullptr) info.recall = recall_->Get(info.config.name);
  return info;
}

Result<std::shared_ptr<Collection>> VectorService::Open(
    const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("collection name is empty");
  return db_->GetCollection(name);
}

Result<std::string> VectorService::Resolve(const std::string& name) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(name));
  return c->config().name;
}

Result<CollectionInfo> VectorService::CreateCollection(
    const CollectionConfig& config) {
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c,
                       db_->CreateCollection(config));
  return c->Info();
}

std::vector<CollectionInfo> VectorService::ListCollections() {
  std::vector<CollectionInfo> all = db_->ListCollections();
  if (recall_ != nullptr) {
    for (CollectionInfo& info : all) info = WithRecall(std::move(info));
  }
  return all;
}

Result<CollectionInfo> VectorService::GetCollection(const std::string& name) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(name));
  return WithRecall(c->Info());
}

Status VectorService::DeleteCollection(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("collection name is empty");
  PDB_RETURN_IF_ERROR(db_->DropCollection(name));
  if (recall_ != nullptr) recall_->Forget(name);
  return Status::OK();
}

Status VectorService::CheckPoints(const CollectionConfig& cfg,
                                  const std::vector<Point>& points,
                                  bool name_index) {
  for (size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    Status s;
    if (!p.id.empty()) s = ValidatePointId(p.id);
    if (s.ok() && p.vector.size() != cfg.dimension) {
      s = Status::DimensionMismatch(
          "vector has " + std::to_string(p.vector.size()) +
          " values but collection '" + cfg.name + "' has dimension " +
          std::to_string(cfg.dimension));
    }
    if (!s.ok()) {
      if (!name_index) return s;
      return Status(s.code(),
                    "vectors[" + std::to_string(i) + "]: " + s.message());
    }
  }
  return Status::OK();
}

Result<std::vector<std::string>> VectorService::Write(
    const std::string& collection, std::vector<Point> points, bool name_index) {
  if (points.empty()) {
    return Status::InvalidArgument(
        name_index ? "field 'vectors' must not be empty" : "no points given");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  // Checked here so typed callers (gRPC) get the same guarantees and the
  // same messages as JSON ones: nothing is written unless every point is
  // valid.
  PDB_RETURN_IF_ERROR(CheckPoints(c->config(), points, name_index));
  return c->Upsert(std::move(points));
}

Result<std::vector<std::string>> VectorService::Upsert(
    const std::string& collection, std::vector<Point> points) {
  return Write(collection, std::move(points), /*name_index=*/false);
}

Result<std::vector<std::string>> VectorService::BatchUpsert(
    const std::string& collection, std::vector<Point> points) {
  return Write(collection, std::move(points), /*name_index=*/true);
}

Result<StoredPoint> VectorService::GetPoint(const std::string& collection,
                                            const std::string& id) {
  PDB_RETURN_IF_ERROR(ValidatePointId(id));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Get(id);
}

Status VectorService::DeletePoint(const std::string& collection,
                                  const std::string& id) {
  PDB_RETURN_IF_ERROR(ValidatePointId(id));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(uint64_t n, c->Delete({id}));
  if (n == 0) {
    // The collection's own name, also when `collection` is an alias.
    return Status::NotFound("point '" + id + "' not found in collection '" +
                            c->config().name + "'");
  }
  return Status::OK();
}

Status VectorService::ForEachPage(
    Collection& c, const nlohmann::json& filter,
    const std::function<Status(const std::vector<std::string>&)>& fn) {
  ScrollRequest page_req;
  page_req.filter = filter;
  page_req.limit = 1000;  // one WAL batch per page
  // Every write acknowledged before the request (cluster mode).
  page_req.consistency = ReadConsistency::kStrong;
  for (;;) {
    PDB_ASSIGN_OR_RETURN(ScrollPage page, c.Scroll(page_req));
    if (page.points.empty()) break;
    std::vector<std::string> ids;
    ids.reserve(page.points.size());
    for (const StoredPoint& p : page.points) ids.push_back(p.id);
    PDB_RETURN_IF_ERROR(fn(ids));
    if (page.next_after_id.empty()) break;
    page_req.after_id = page.next_after_id;
  }
  return Status::OK();
}

Status VectorService::CheckQuery(Collection& c, const SearchRequest& r) {
  const CollectionConfig cfg = c.config();
  if (!r.using_vector.empty()) {
    // A named vector: its name here, its query where it is run (the
    // engine's CheckNamedQuery).
    if (FindNamedVector(cfg.vectors, r.using_vector) == nullptr) {
      return Status::InvalidArgument(
          "using: the collection has no vector named '" + r.using_vector + "'" +
          (cfg.vectors.empty() ? std::string(" (it declares none)")
                               : std::string()));
    }
  } else if (r.point_id.empty() && r.vector.size() != cfg.dimension) {
    // Searching by point_id: the vector is the point's (PrepareSearch).
    return Status::DimensionMismatch(
        "vector has " + std::to_string(r.vector.size()) + " values but " +
        "collection '" + cfg.name + "' has dimension " +
        std::to_string(cfg.dimension));
  }
  if (r.k < 1 || r.k > kMaxK) {
    return Status::InvalidArgument(OutOfRangeMessage("k", 1, kMaxK, r.k));
  }
  PDB_RETURN_IF_ERROR(CheckSearchOptions(r));
  if (r.ef_search && (*r.ef_search < kMinEf || *r.ef_search > kMaxEf)) {
    return Status::InvalidArgument(
        OutOfRangeMessage("ef_search", kMinEf, kMaxEf, *r.ef_search));
  }
  if (r.nprobe && (*r.nprobe < 1 || *r.nprobe > kMaxIvfNlist)) {
    return Status::InvalidArgument(
        OutOfRangeMessage("nprobe", 1, kMaxIvfNlist, *r.nprobe));
  }
  if (!r.filter.is_null() && !r.filter.is_object()) {
    return Status::InvalidArgument("field 'filter' must be an object");
  }
  return Status::OK();
}

Result<SearchResult> VectorService::Search(const std::string& collection,
                                           const SearchRequest& request) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_RETURN_IF_ERROR(CheckQuery(*c, request));
  if (!HasSearchOptions(request)) {
    PDB_ASSIGN_OR_RETURN(SearchResult result, c->Search(request));
    if (recall_ != nullptr) recall_->Offer(c->config().name, request, result);
    return result;
  }
  if (!request.group_by.empty()) return GroupedSearch(*c, request);
  PDB_ASSIGN_OR_RETURN(SearchRequest run, PrepareSearch(*c, request));
  PDB_ASSIGN_OR_RETURN(SearchResult result, c->Search(run));
  FinishSearch(request, SearchMetric(c->config(), request), &result);
  return result;
}

Result<SearchResult> VectorService::Recommend(const std::string& collection,
                                              const RecommendRequest& r) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_RETURN_IF_ERROR(CheckRecommendExamples(*c, r));
  // The query's k, offset, threshold, ef_search and filter, checked as a
  // search's; the examples stand in for its vector.
  SearchRequest as_search = r.query;
  as_search.vector.assign(c->config().dimension, 1.0f);
  PDB_RETURN_IF_ERROR(CheckQuery(*c, as_search));
  return service::Recommend(*c, r);
}

Result<SearchResult> VectorService::Query(const std::string& collection,
                                          const QueryRequest& r) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_RETURN_IF_ERROR(CheckQueryRequest(r));
  // Every vector (each vector prefetch's, the rescore one) and filter,
  // checked as a search's; the text prefetches by the collection.
  for (size_t i = 0; i < r.prefetch.size(); ++i) {
    const QueryPrefetch& p = r.prefetch[i];
    SearchRequest as_search;
    as_search.vector = p.kind == QueryPrefetch::Kind::kVector
                           ? p.vector
                           : std::vector<float>(c->config().dimension, 1.0f);
    if (p.kind == QueryPrefetch::Kind::kVector) {
      as_search.using_vector = p.using_;
      as_search.vector_rows = p.vector_rows;
    }
    as_search.k = p.limit == 0 ? r.limit : p.limit;
    as_search.filter = p.filter;
    as_search.ef_search = p.ef_search;
    Status st = CheckQuery(*c, as_search);
    if (!st.ok()) {
      return Status(st.code(),
                    "prefetch[" + std::to_string(i) + "]: " + st.message());
    }
  }
  if (!r.rescore.empty()) {
    SearchRequest as_search;
    as_search.vector = r.rescore;
    as_search.k = r.limit;
    Status st = CheckQuery(*c, as_search);
    if (!st.ok()) return Status(st.code(), "rescore: " + st.message());
  }
  return service::Query(*c, r);
}

Result<std::vector<StoredPoint>> VectorService::GetPoints(
    const std::string& collection, const std::vector<std::string>& ids) {
  if (ids.empty() || ids.size() > kMaxIdsPerCall) {
    return Status::InvalidArgument("field 'ids' must hold 1.." +
                                   std::to_string(kMaxIdsPerCall) +
                                   " ids, got " + std::to_string(ids.size()));
  }
  for (const auto& id : ids) PDB_RETURN_IF_ERROR(ValidatePointId(id));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  std::vector<StoredPoint> out;
  std::set<std::string_view> seen;
  for (const auto& id : ids) {
    if (!seen.insert(id).second) continue;
    Result<StoredPoint> p = c->Get(id);
    if (p.status().code() == StatusCode::kNotFound) continue;
    PDB_RETURN_IF_ERROR(p.status());
    out.push_back(std::move(p).value());
  }
  return out;
}

Result<PatchResult> VectorService::PatchMetadata(
    const std::string& collection, const std::vector<std::string>& ids,
    const MetadataPatch& patch) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->PatchMetadata(ids, patch);
}

Result<PatchResult> VectorService::PatchMetadataByFilter(
    const std::string& collection, const nlohmann::json& filter,
    const MetadataPatch& patch) {
  // An empty filter would match everything: say so explicitly with ids, or
  // update the points page by page with a filter that matches them.
  if (!filter.is_object() || filter.empty()) {
    return Status::InvalidArgument("field 'filter' must be a non-empty object");
  }
  // The patch checked once, before the first page (with a stand-in id).
  PDB_RETURN_IF_ERROR(CheckMetadataPatch({"-"}, patch));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PatchResult total;
  PDB_RETURN_IF_ERROR(
      ForEachPage(*c, filter, [&](const std::vector<std::string>& ids) {
        // A point deleted since the page was read is simply not updated.
        PDB_ASSIGN_OR_RETURN(PatchResult one, c->PatchMetadata(ids, patch));
        total.updated += one.updated;
        return Status::OK();
      }));
  return total;
}

Status VectorService::FlushAll() { return db_->FlushAll(); }

Result<std::vector<AliasInfo>> VectorService::UpdateAliases(
    const std::vector<AliasAction>& actions) {
  PDB_RETURN_IF_ERROR(ValidateAliasActions(actions));
  PDB_RETURN_IF_ERROR(db_->UpdateAliases(actions));
  return db_->ListAliases();
}

std::vector<AliasInfo> VectorService::ListAliases() {
  return db_->ListAliases();
}

Result<ClusterInfo> VectorService::GetCluster() {
  return db_->GetClusterInfo();
}

Status VectorService::DrainNode(const std::string& node_id, bool drain) {
  PDB_RETURN_IF_ERROR(ValidateNodeId(node_id));
  return db_->SetNodeDraining(node_id, drain);
}

Result<std::unique_ptr<ChangeReader>> VectorService::OpenChanges(
    const std::string& collection, std::optional<uint64_t> from_seq) {
  if (from_seq && *from_seq == 0) {
    return Status::InvalidArgument(
        "from_seq must be >= 1 (sequence numbers start at 1; leave it out "
        "for the oldest retained change)");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Changes(from_seq.value_or(0));
}

Result<std::vector<QuarantineEntry>> VectorService::ListQuarantine() {
  return db_->ListQuarantine();
}

Result<uint64_t> VectorService::ClearQuarantine(const std::string& id) {
  return db_->ClearQuarantine(id);
}

HealthInfo VectorService::GetHealth() {
  const DB::UnavailableCounts u = db_->CountUnavailable();
  return HealthInfo{"healthy", kVersion, u.recovering, u.fenced};
}

void VectorService::WaitForRecovery() { db_->WaitForRecovery(); }

Result<CollectionInfo> VectorService::UpdateCollection(
    const std::string& name, const FlushPolicy& changes) {
  return UpdateCollection(name, changes, TieringPolicy{});
}

Result<CollectionInfo> VectorService::UpdateCollection(
    const std::string& name, const FlushPolicy& changes,
    const TieringPolicy& tiering) {
  const bool flush_set = changes.max_wal_age_hours || changes.max_wal_size_mb ||
                         changes.max_vector_count || changes.flush_priority ||
                         changes.enable_background_flush;
  const bool tiering_set = tiering != TieringPolicy{};
  if (!flush_set && !tiering_set) {
    return Status::InvalidArgument(
        "no flush policy or tiering field given (max_wal_age_hours, "
        "max_wal_size_mb, max_vector_count, flush_priority, "
        "enable_background_flush, tiering.warm_after_hours, "
        "tiering.cold_after_hours, tiering.warm_directory, tiering.cache_mb, "
        "tiering.wal_archive)");
  }
  // Both parts are checked before either is applied.
  PDB_RETURN_IF_ERROR(ValidateTieringPolicy(tiering));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(name));
  if (tiering_set) {
    // Read-modify-write as for the flush policy below.
    TieringPolicy next = c->config().tiering;
    if (tiering.warm_after_hours) {
      next.warm_after_hours = tiering.warm_after_hours;
    }
    if (tiering.cold_after_hours) {
      next.cold_after_hours = tiering.cold_after_hours;
    }
    if (tiering.warm_directory) next.warm_directory = tiering.warm_directory;
    if (tiering.cache_mb) next.cache_mb = tiering.cache_mb;
    if (tiering.wal_archive) next.wal_archive = tiering.wal_archive;
    if (flush_set) {
      // Validate the flush part first so that a bad flush field leaves the
      // tiering policy unchanged too.
      CollectionConfig probe = c->config();
      probe.tiering = next;
      ApplyFlushChanges(changes, &probe.flush);
      PDB_RETURN_IF_ERROR(ValidateCollectionConfig(probe));
    }
    PDB_RETURN_IF_ERROR(c->SetTieringPolicy(next));
    if (!flush_set) return c->Info();
  }
  // Read-modify-write: two concurrent patches of different fields may lose
  // one of them; the API offers no stronger promise.
  FlushPolicy next = c->config().flush;
  ApplyFlushChanges(changes, &next);
  PDB_RETURN_IF_ERROR(c->SetFlushPolicy(next));
  return c->Info();
}

void VectorService::ApplyFlushChanges(const FlushPolicy& changes,
                                      FlushPolicy* next) {
  if (changes.max_wal_age_hours) {
    next->max_wal_age_hours = changes.max_wal_age_hours;
  }
  if (changes.max_wal_size_mb) next->max_wal_size_mb = changes.max_wal_size_mb;
  if (changes.max_vector_count) {
    next->max_vector_count = changes.max_vector_count;
  }
  if (changes.flush_priority) next->flush_priority = changes.flush_priority;
  if (changes.enable_background_flush) {
    next->enable_background_flush = changes.enable_background_flush;
  }
}

Result<std::vector<SegmentInfo>> VectorService::ListSegments(
    const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->ListSegments();
}

Result<MigrationStatus> VectorService::Migrate(const std::string& collection,
                                               const LayoutSettings& to) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Migrate(to);
}

Result<MigrationStatus> VectorService::GetMigration(
    const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->GetMigration();
}

Result<MigrationStatus> VectorService::CancelMigration(
    const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->CancelMigration();
}

Result<SegmentInfo> VectorService::MoveSegment(const std::string& collection,
                                               uint64_t id,
                                               const std::string& tier) {
  if (id == 0) {
    return Status::InvalidArgument(
        "segment id must be a positive integer, got '0'");
  }
  std::optional<Tier> t = ParseTier(tier);
  if (!t) {
    return Status::InvalidArgument(
        "field 'tier' must be hot, warm or cold, got '" + tier.substr(0, 64) +
        "'");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_RETURN_IF_ERROR(c->MoveSegment(id, *t));
  PDB_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, c->ListSegments());
  for (SegmentInfo& s : segments) {
    if (s.id == id) return std::move(s);
  }
  // Merged away by a compaction right after the move committed.
  return Status::NotFound("collection '" + c->config().name +
                          "' has no segment " + std::to_string(id) +
                          " any more (compacted)");
}

Result<uint64_t> VectorService::DeleteByIds(
    const std::string& collection, const std::vector<std::string>& ids) {
  if (ids.empty()) return Status::InvalidArgument("field 'ids' is empty");
  for (size_t i = 0; i < ids.size(); ++i) {
    Status s = ValidatePointId(ids[i]);
    if (!s.ok()) {
      return Status(s.code(), "ids[" + std::to_string(i) + "]: " + s.message());
    }
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Delete(ids);
}

Result<uint64_t> VectorService::DeleteByFilter(const std::string& collection,
                                               const nlohmann::json& filter) {
  // An empty filter would match everything: dropping the collection is the
  // explicit way to do that.
  if (!filter.is_object() || filter.empty()) {
    return Status::InvalidArgument("field 'filter' must be a non-empty object");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  uint64_t deleted = 0;
  PDB_RETURN_IF_ERROR(
      ForEachPage(*c, filter, [&](const std::vector<std::string>& ids) {
        PDB_ASSIGN_OR_RETURN(uint64_t n, c->Delete(ids));
        deleted += n;
        return Status::OK();
      }));
  return deleted;
}

Status VectorService::UpdateMetadata(const std::string& collection,
                                     const std::string& id,
                                     nlohmann::json metadata) {
  PDB_RETURN_IF_ERROR(ValidatePointId(id));
  if (!metadata.is_object()) {
    return Status::InvalidArgument("field 'metadata' must be an object");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->UpdateMetadata(id, std::move(metadata));
}

Result<uint64_t> VectorService::Count(const std::string& collection,
                                      const nlohmann::json& filter) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Count(filter);
}

Result<ScrollPage> VectorService::Scroll(const std::string& collection,
                                         const ScrollRequest& request) {
  if (request.limit < 1 || request.limit > kMaxScrollLimit) {
    return Status::InvalidArgument(
        OutOfRangeMessage("limit", 1, kMaxScrollLimit, request.limit));
  }
  if (request.after_id.size() > kMaxIdBytes) {
    return Status::InvalidArgument("field 'after_id' is longer than " +
                                   std::to_string(kMaxIdBytes) + " bytes");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Scroll(request);
}

Result<FacetResult> VectorService::Facet(const std::string& collection,
                                         const FacetRequest& request) {
  if (request.limit < 1 || request.limit > kMaxFacetLimit) {
    return Status::InvalidArgument(
        OutOfRangeMessage("limit", 1, kMaxFacetLimit, request.limit));
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Facet(request);
}

Result<std::vector<SearchResult>> VectorService::BatchSearch(
    const std::string& collection, const std::vector<SearchRequest>& queries) {
  if (queries.empty() || queries.size() > kMaxBatchQueries) {
    return Status::InvalidArgument(
        "field 'queries' must hold 1.." + std::to_string(kMaxBatchQueries) +
        " queries, got " + std::to_string(queries.size()));
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  // Validate all first so that a bad query k fails the call before any work.
  bool options = false;
  for (size_t i = 0; i < queries.size(); ++i) {
    Status s = CheckQuery(*c, queries[i]);
    if (!s.ok()) {
      return Status(s.code(),
                    "queries[" + std::to_string(i) + "]: " + s.message());
    }
    options = options || HasSearchOptions(queries[i]);
  }
  if (!options) {
    PDB_ASSIGN_OR_RETURN(std::vector<SearchResult> results,
                         c->SearchBatch(queries));
    if (recall_ != nullptr) {
      for (size_t i = 0; i < results.size(); ++i) {
        recall_->Offer(c->config().name, queries[i], results[i]);
      }
    }
    return results;
  }
  auto in_query = [](size_t i, const Status& s) {
    return Status(s.code(),
                  "queries[" + std::to_string(i) + "]: " + s.message());
  };
  // The plain queries (options or not) run as one batch; grouped ones each
  // on their own (several searches each).
  std::vector<SearchRequest> run;
  std::vector<size_t> plain;  // run[j] is queries[plain[j]]
  for (size_t i = 0; i < queries.size(); ++i) {
    if (!queries[i].group_by.empty()) continue;
    Result<SearchRequest> one = PrepareSearch(*c, queries[i]);
    if (!one.ok()) return in_query(i, one.status());
    run.push_back(std::move(one).value());
    plain.push_back(i);
  }
  std::vector<SearchResult> results(queries.size());
  if (!run.empty()) {
    PDB_ASSIGN_OR_RETURN(std::vector<SearchResult> ran, c->SearchBatch(run));
    const Metric metric = c->config().metric;
    for (size_t j = 0; j < ran.size(); ++j) {
      FinishSearch(queries[plain[j]], metric, &ran[j]);
      results[plain[j]] = std::move(ran[j]);
    }
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    if (queries[i].group_by.empty()) continue;
    Result<SearchResult> one = GroupedSearch(*c, queries[i]);
    if (!one.ok()) return in_query(i, one.status());
    results[i] = std::move(one).value();
  }
  return results;
}

Status VectorService::Flush(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Flush();
}

Status VectorService::Compact(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Compact();
}

Result<std::vector<PayloadIndexDef>> VectorService::CreatePayloadIndex(
    const std::string& collection, const PayloadIndexDef& def) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_RETURN_IF_ERROR(c->CreatePayloadIndex(def));
  return c->Info().payload_indexes;
}

Result<std::vector<PayloadIndexDef>> VectorService::ListPayloadIndexes(
    const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Info().payload_indexes;
}

Result<std::vector<PayloadIndexDef>> VectorService::DeletePayloadIndex(
    const std::string& collection, const std::string& field) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_RETURN_IF_ERROR(c->DropPayloadIndex(field));
  return c->Info().payload_indexes;
}

Result<CollectionInfo> VectorService::CollectionStats(
    const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return WithRecall(c->Info());
}

}  // namespace proximadb::service
