// HNSW graphs of immutable segments: built in the background after a flush
// or compaction (searches use the exact scan until the graph is there),
// saved as a sidecar file and served from mmap after a restart. A flat
// collection with a quantization gets the same sidecar holding only the
// quantized codes (HnswParams::m 0), which its searches scan.
#include <malloc.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "collection/collection_impl.h"
#include "collection/column_stats.h"
#include "index/calibrate.h"
#include "index/hnsw/hnsw_index.h"
#include "index/ivf/ivf_index.h"

namespace proximadb {

namespace {

// The configuration's quantization name (ValidateCollectionConfig admitted
// only these) as the index kind.
index::Quantization QuantizationOf(const IndexConfig& c) {
  if (c.quantization == "int8") return index::Quantization::kInt8;
  if (c.quantization == "binary") return index::Quantization::kBinary;
  if (c.quantization == "pq") return index::Quantization::kPq;
  return index::Quantization::kNone;
}

index::HnswParams ParamsOf(const IndexConfig& c) {
  index::HnswParams p;
  p.m = c.m;
  p.ef_construction = c.ef_construction;
  p.ef_search = c.ef_search;
  p.quantization = QuantizationOf(c);
  // A flat collection has no graph: with a quantization, its segments'
  // sidecars hold the codes only (UsesGraph).
  if (c.algorithm == "flat") p.m = 0;
  return p;
}

index::IvfParams IvfParamsOf(const IndexConfig& c) {
  index::IvfParams p;
  p.nlist = c.nlist;
  p.nprobe = c.nprobe;
  p.quantization = QuantizationOf(c);
  return p;
}

index::VectorView ViewOf(const segment::Segment& s) {
  return index::VectorView{s.vectors(), s.norms(),
                           static_cast<uint32_t>(s.size()), s.dimension()};
}

// The adaptive rule (docs/ARCHITECTURE.md, "Adaptive graphs"): a viper
// segment this large is served by an HNSW graph once it is old enough.
bool AdaptiveGraphFits(const LiveSegment& seg, const LayoutSettings& layout,
                       uint64_t min_points) {
  return min_points > 0 && layout.storage_strategy == "viper" &&
         layout.index.algorithm == "ivf" && seg.seg->size() >= min_points;
}

// The calibration's queries: rows of the segment, at an even stride.
constexpr uint32_t kAdaptiveCalibrationQueries = 200;
// How much lower the graph's recall may be than the IVF index's.
constexpr double kAdaptiveRecallSlack = 0.01;

// The calibration's verdict (a: the IVF index at its nprobe, b: the graph
// at the layout's ef_search): the graph answers faster at about the same
// recall or better.
bool AdaptiveGraphWins(const index::Calibration& c) {
  return c.queries > 0 && c.b.micros < c.a.micros &&
         c.b.recall >= c.a.recall - kAdaptiveRecallSlack;
}

// What the rule builds: the layout's graph settings (m, ef_construction)
// and quantization, as an HNSW index; no columns.
LayoutSettings AdaptiveLayout(const LayoutSettings& layout) {
  LayoutSettings graph = layout;
  graph.index.algorithm = "hnsw";
  graph.filterable_columns.clear();
  return graph;
}

bool HnswMatches(const index::VectorIndex* g, const IndexConfig& want) {
  const auto* h = dynamic_cast<const index::HnswIndex*>(g);
  if (h == nullptr) return false;
  const index::HnswParams p = ParamsOf(want);
  const index::HnswParams& have = h->params();
  return have.m == p.m && have.quantization == p.quantization &&
         (p.m == 0 || have.ef_construction == p.ef_construction);
}

// Logs a background build's end and serves its index.
void ServeBuilt(const std::string& name, LiveSegment& s,
                Result<std::shared_ptr<const index::VectorIndex>> g,
                const Status& saved, const char* what,
                std::chrono::steady_clock::time_point started,
                const index::BuildStop& stop) {
  if (!g.ok() && stop()) {
    // Not a failure: nobody needs the index any more (a start rebuilds
    // what a shutdown stopped).
    spdlog::info("collection {}: {} of segment {} stopped: {}", name, what,
                 s.seg->segment_id(), g.status().ToString());
    return;
  }
  if (!g.ok()) {
    spdlog::error("collection {}: building the {} of {}: {}", name, what,
                  s.seg->path(), g.status().ToString());
    return;
  }
  if (!saved.ok()) {
    // Still serve it; the next start rebuilds what was not saved.
    spdlog::warn("collection {}: saving {} {}: {}", name, what, s.graph_path(),
                 saved.ToString());
  }
  s.set_graph(std::move(g).value());
  spdlog::info(
      "collection {}: {} of segment {}: {} vectors in {:.2f} s", name, what,
      s.seg->segment_id(), s.seg->size(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count());
}

// Clears LiveSegment::build_queued when a queued build ends.
struct BuildDone {
  LiveSegment* s;
  ~BuildDone() { s->build_queued.store(false, std::memory_order_release); }
};

}  // namespace

index::BuildStop SegmentBuildStop(
    std::shared_ptr<const std::atomic<bool>> closing, const LiveSegment* seg,
    std::shared_ptr<const LayoutCell> layout,
    std::shared_ptr<const LayoutSettings> built_for) {
  return [closing = std::move(closing), seg, layout = std::move(layout),
          built_for = std::move(built_for)] {
    return closing->load(std::memory_order_acquire) || seg->retired() ||
           (layout != nullptr && layout->ChangedFrom(built_for));
  };
}

uint64_t EstimateBuildBytes(uint64_t rows, uint32_t dim, Metric metric,
                            const IndexConfig& config) {
  uint64_t code = 0;
  if (config.quantization == "int8" ||
      (config.quantization == "none" && metric == Metric::kEuclidean &&
       config.algorithm != "ivf")) {
    code = dim + sizeof(float);
  }
  if (config.quantization == "pq") code = (dim + 3) / 4;
  if (config.quantization == "binary") code = (dim + 7) / 8;
  if (config.algorithm == "ivf") return rows * (code + 16);
  const uint64_t m = std::max<uint32_t>(config.m, 2);
  return rows * (2 * m * sizeof(uint32_t) + m + code + 32);
}

Result<std::shared_ptr<const index::VectorIndex>> BuildSegmentIndex(
    BackgroundIoEnv* env, LiveSegment& s, Metric metric,
    const LayoutSettings& layout, uint32_t threads,
    const index::BuildStop& stop, Status* saved) {
  // One task from the start: its size is not known before the build.
  BackgroundIoEnv::Task task(env, BackgroundKind::kIndexBuild, 1, 0);
  const index::VectorView view = ViewOf(*s.seg);
  const IndexConfig& config = layout.index;
  // What the build holds until it is served, counted from its start; what
  // it freed goes back to the system after it (under a budget).
  MemoryBudget* memory = env != nullptr ? env->memory() : nullptr;
  struct TrimAfter {
    MemoryBudget* m;
    ~TrimAfter() {
      if (m != nullptr && m->limit() > 0) malloc_trim(0);
    }
  } trim{memory};
  MemoryBudget::Hold hold(
      memory, EstimateBuildBytes(view.rows, view.dim, metric, config));
  if (config.algorithm == "ivf") {
    PDB_ASSIGN_OR_RETURN(
        auto g, index::IvfIndex::Build(view, metric, IvfParamsOf(config),
                                       threads, stop));
    if (!layout.filterable_columns.empty()) {
      PDB_ASSIGN_OR_RETURN(
          SegmentColumns cols,
          BuildSegmentColumns(layout.filterable_columns, *g, [&](uint32_t row) {
            return s.seg->metadata_json(row);
          }));
      g->set_columns(std::move(cols.stats), std::move(cols.rows));
    }
    *saved = s.WriteSidecar([&] { return g->Save(env, s.graph_path()); });
    return std::shared_ptr<const index::VectorIndex>(std::move(g));
  }
  PDB_ASSIGN_OR_RETURN(
      auto g,
      index::HnswIndex::Build(view, metric, ParamsOf(config), threads, stop));
  *saved = s.WriteSidecar([&] { return g->Save(env, s.graph_path()); });
  return std::shared_ptr<const index::VectorIndex>(std::move(g));
}

bool CollectionImpl::IndexMatches(const LiveSegment& seg,
                                  const LayoutSettings& layout,
                                  uint64_t graph_min_points) {
  const IndexConfig& want = layout.index;
  if (seg.seg->size() == 0) return true;  // nothing is built for no rows
  std::shared_ptr<const index::VectorIndex> g = seg.graph();
  if (!UsesGraph(want)) return g == nullptr;
  if (!g) return false;
  const auto rows = static_cast<uint32_t>(seg.seg->size());
  if (want.algorithm == "ivf") {
    const auto* ivf = dynamic_cast<const index::IvfIndex*>(g.get());
    if (ivf == nullptr) {
      // The adaptive rule's graph is as much this layout's as the IVF.
      return AdaptiveGraphFits(seg, layout, graph_min_points) &&
             HnswMatches(g.get(), AdaptiveLayout(layout).index);
    }
    return ivf->quantization() == IvfParamsOf(want).quantization &&
           ivf->nlist() == index::IvfIndex::NlistFor(want.nlist, rows) &&
           ColumnsMatch(*ivf, layout.filterable_columns);
  }
  return HnswMatches(g.get(), want);
}

Result<std::shared_ptr<const index::VectorIndex>> CollectionImpl::LoadIndexFile(
    const std::string& path, index::VectorView view) const {
  // The file says its kind (its magic): during a migration segments hold
  // indexes of both the old and the new layout.
  char magic[8] = {};
  {
    PDB_ASSIGN_OR_RETURN(auto f, deps_.env->NewRandomAccessFile(path));
    std::string_view got;
    PDB_RETURN_IF_ERROR(f->Read(0, sizeof(magic), magic, &got));
    if (got.size() != sizeof(magic)) {
      return Status::Corruption(path + ": too short for an index file");
    }
  }
  if (std::string_view(magic, sizeof(magic)) == "PDBIVF01") {
    PDB_ASSIGN_OR_RETURN(
        auto g, index::IvfIndex::Load(deps_.env, path, view, config_.metric));
    return std::shared_ptr<const index::VectorIndex>(std::move(g));
  }
  PDB_ASSIGN_OR_RETURN(
      auto g, index::HnswIndex::Load(deps_.env, path, view, config_.metric));
  return std::shared_ptr<const index::VectorIndex>(std::move(g));
}

bool CollectionImpl::LoadGraph(const std::shared_ptr<LiveSegment>& seg) {
  if (!UsesGraph()) return true;
  const std::string path = seg->graph_path();
  if (deps_.env->FileExists(path)) {
    auto g = LoadIndexFile(path, ViewOf(*seg->seg));
    if (g.ok()) {
      seg->set_graph(std::move(g).value());
      return true;
    }
    // A graph is derived data: a damaged one is rebuilt, never fatal.
    spdlog::warn("collection {}: graph {} unreadable ({}); rebuilding",
                 config_.name, path, g.status().ToString());
  }
  return false;
}

void CollectionImpl::ScheduleGraphBuild(
    const std::shared_ptr<LiveSegment>& seg) {
  if (!UsesGraph() || seg->seg->size() == 0) return;
  std::weak_ptr<LiveSegment> weak = seg;
  // The layout is read when the build runs: a migration committed
  // meanwhile is built at once, not rebuilt after.
  std::shared_ptr<LayoutCell> layout = layout_;
  const Metric metric = config_.metric;
  const std::string name = config_.name;
  std::shared_ptr<BackgroundIoEnv> env = io_env_;
  const uint32_t threads = BuildThreads();
  const uint64_t min_points = deps_.options->viper_graph_min_points;
  std::shared_ptr<const std::atomic<bool>> closing = closing_;
  seg->build_queued.store(true, std::memory_order_release);
  deps_.builds->Schedule([weak, layout, metric, name, env, threads, min_points,
                          closing] {
    // A segment compacted away or a collection dropped meanwhile has no
    // owner left: nothing to build.
    std::shared_ptr<LiveSegment> s = weak.lock();
    if (!s) return;
    BuildDone done{s.get()};
    const std::shared_ptr<const LayoutSettings> now = layout->Get();
    // Built by a migration meanwhile, or no index wanted any more.
    if (IndexMatches(*s, *now, min_points) || !UsesGraph(now->index)) return;
    const auto started = std::chrono::steady_clock::now();
    // Also stopped by a migration committed meanwhile: its worker waits
    // for this job, then builds the segment in the new layout.
    const index::BuildStop stop =
        SegmentBuildStop(closing, s.get(), layout, now);
    Status saved;
    auto g =
        BuildSegmentIndex(env.get(), *s, metric, *now, threads, stop, &saved);
    ServeBuilt(name, *s, std::move(g), saved,
               now->index.algorithm == "ivf" ? "ivf index" : "graph", started,
               stop);
  });
}

Result<uint64_t> CollectionImpl::GrowGraphsIfWanted() {
  const uint64_t min_points = deps_.options->viper_graph_min_points;
  const std::shared_ptr<const LayoutSettings> layout = Layout();
  if (min_points == 0 || layout->storage_strategy != "viper") return 0;
  {
    // A migration rebuilds indexes itself; the rule waits for its end.
    MutexLock m(&migrate_mu_);
    if (converging_) return 0;
  }
  const uint64_t min_age_ms =
      uint64_t{deps_.options->viper_graph_min_age_s} * 1000;
  const uint64_t now_ms = deps_.clock->NowMicros() / 1000;
  std::vector<std::shared_ptr<LiveSegment>> due;
  {
    ReaderLock life(&lifecycle_mu_);
    PDB_RETURN_IF_ERROR(CheckOpen());
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      if (s->cold() || !AdaptiveGraphFits(*s, *layout, min_points) ||
          s->build_queued.load(std::memory_order_acquire) ||
          s->adaptive_declined.load(std::memory_order_acquire)) {
        continue;
      }
      // Old: its newest write is min_age old (a segment written before
      // the catalog recorded that time counts as old).
      const uint64_t t = s->newest_write_unix_ms;
      if (min_age_ms > 0 && t != 0 && (now_ms < t || now_ms - t < min_age_ms)) {
        continue;
      }
      // Only a segment served by the layout's own IVF: not one still
      // scanned (its build is coming) nor one with its graph already.
      std::shared_ptr<const index::VectorIndex> g = s->graph();
      if (dynamic_cast<const index::IvfIndex*>(g.get()) == nullptr ||
          !IndexMatches(*s, *layout, min_points)) {
        continue;
      }
      due.push_back(s);
    }
  }
  for (const auto& s : due) ScheduleAdaptiveGraph(s);
  return due.size();
}

void CollectionImpl::ScheduleAdaptiveGraph(
    const std::shared_ptr<LiveSegment>& seg) {
  std::weak_ptr<LiveSegment> weak = seg;
  std::shared_ptr<LayoutCell> layout = layout_;
  const Metric metric = config_.metric;
  const std::string name = config_.name;
  std::shared_ptr<BackgroundIoEnv> env = io_env_;
  // This build makes an already served segment faster: requests first.
  const uint32_t threads = RebuildThreads();
  const uint64_t min_points = deps_.options->viper_graph_min_points;
  const bool calibrate = deps_.options->viper_graph_calibrate;
  std::shared_ptr<AdaptiveCounts> counts = adaptive_;
  std::shared_ptr<const std::atomic<bool>> closing = closing_;
  seg->build_queued.store(true, std::memory_order_release);
  deps_.builds->Schedule([weak, layout, metric, name, env, threads, min_points,
                          calibrate, counts, closing] {
    std::shared_ptr<LiveSegment> s = weak.lock();
    if (!s) return;  // compacted away or dropped meanwhile
    BuildDone done{s.get()};
    // Checked again when it runs: a migration committed since then owns
    // the segment's index (it waits for this build, then rebuilds what
    // does not match its layout).
    const std::shared_ptr<const LayoutSettings> now = layout->Get();
    std::shared_ptr<const index::VectorIndex> before = s->graph();
    if (!AdaptiveGraphFits(*s, *now, min_points) ||
        dynamic_cast<const index::IvfIndex*>(before.get()) == nullptr ||
        !IndexMatches(*s, *now, min_points)) {
      return;
    }
    const auto started = std::chrono::steady_clock::now();
    const index::BuildStop stop =
        SegmentBuildStop(closing, s.get(), layout, now);
    if (!calibrate) {
      Status saved;
      auto g = BuildSegmentIndex(env.get(), *s, metric, AdaptiveLayout(*now),
                                 threads, stop, &saved);
      ServeBuilt(name, *s, std::move(g), saved, "adaptive graph", started,
                 stop);
      return;
    }
    // Built in memory first; saved (over the IVF file) only if it wins.
    BackgroundIoEnv::Task task(env.get(), BackgroundKind::kIndexBuild, 1, 0);
    const LayoutSettings graph_layout = AdaptiveLayout(*now);
    const index::VectorView view = ViewOf(*s->seg);
    auto built = index::HnswIndex::Build(
        view, metric, ParamsOf(graph_layout.index), threads, stop);
    if (!built.ok()) {
      ServeBuilt(name, *s, built.status(), Status::OK(), "adaptive graph",
                 started, stop);
      return;
    }
    const index::Calibration c = index::CompareOnRows(
        *before, index::SearchParams{}, **built, index::SearchParams{}, view,
        metric, kAdaptiveCalibrationQueries, 10);
    const bool wins = AdaptiveGraphWins(c);
    spdlog::info(
        "collection {}: segment {} {}: on {} of its rows the graph answered "
        "in {:.1f} us at recall {:.3f}, the IVF index in {:.1f} us at recall "
        "{:.3f}",
        name, s->seg->segment_id(),
        wins ? "takes the graph" : "keeps its IVF index", c.queries, c.b.micros,
        c.b.recall, c.a.micros, c.a.recall);
    if (!wins) {
      s->adaptive_declined.store(true, std::memory_order_release);
      counts->declined.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const index::HnswIndex& graph = **built;
    const Status saved =
        s->WriteSidecar([&] { return graph.Save(env.get(), s->graph_path()); });
    ServeBuilt(
        name, *s,
        std::shared_ptr<const index::VectorIndex>(std::move(built).value()),
        saved, "adaptive graph", started, stop);
    counts->kept.fetch_add(1, std::memory_order_relaxed);
  });
}

uint32_t CollectionImpl::BuildThreads() const {
  return deps_.options->index_build_threads != 0
             ? deps_.options->index_build_threads
             : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace proximadb
