// HNSW graphs of immutable segments: built in the background after a flush
// or compaction (searches use the exact scan until the graph is there),
// saved as a sidecar file and served from mmap after a restart. A flat
// collection with a quantization gets the same sidecar holding only the
// quantized codes (HnswParams::m 0), which its searches scan.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "collection/collection_impl.h"
#include "collection/column_stats.h"
#include "index/hnsw/hnsw_index.h"
#include "index/ivf/ivf_index.h"

namespace proximadb {

namespace {

index::HnswParams ParamsOf(const IndexConfig& c) {
  index::HnswParams p;
  p.m = c.m;
  p.ef_construction = c.ef_construction;
  p.ef_search = c.ef_search;
  // ValidateCollectionConfig admitted only these names.
  if (c.quantization == "int8") {
    p.quantization = index::Quantization::kInt8;
  } else if (c.quantization == "binary") {
    p.quantization = index::Quantization::kBinary;
  } else if (c.quantization == "pq") {
    p.quantization = index::Quantization::kPq;
  }
  // A flat collection has no graph: with a quantization, its segments'
  // sidecars hold the codes only (UsesGraph).
  if (c.algorithm == "flat") p.m = 0;
  return p;
}

index::IvfParams IvfParamsOf(const IndexConfig& c) {
  index::IvfParams p;
  p.nlist = c.nlist;
  p.nprobe = c.nprobe;
  p.int8 = c.quantization == "int8";
  return p;
}

index::VectorView ViewOf(const segment::Segment& s) {
  return index::VectorView{s.vectors(), s.norms(),
                           static_cast<uint32_t>(s.size()), s.dimension()};
}

}  // namespace

Result<std::shared_ptr<const index::VectorIndex>> BuildSegmentIndex(
    Env* env, LiveSegment& s, Metric metric, const LayoutSettings& layout,
    uint32_t threads, Status* saved) {
  const index::VectorView view = ViewOf(*s.seg);
  const IndexConfig& config = layout.index;
  if (config.algorithm == "ivf") {
    PDB_ASSIGN_OR_RETURN(
        auto g,
        index::IvfIndex::Build(view, metric, IvfParamsOf(config), threads));
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
      auto g, index::HnswIndex::Build(view, metric, ParamsOf(config), threads));
  *saved = s.WriteSidecar([&] { return g->Save(env, s.graph_path()); });
  return std::shared_ptr<const index::VectorIndex>(std::move(g));
}

bool CollectionImpl::IndexMatches(const LiveSegment& seg,
                                  const LayoutSettings& layout) {
  const IndexConfig& want = layout.index;
  if (seg.seg->size() == 0) return true;  // nothing is built for no rows
  std::shared_ptr<const index::VectorIndex> g = seg.graph();
  if (!UsesGraph(want)) return g == nullptr;
  if (!g) return false;
  const auto rows = static_cast<uint32_t>(seg.seg->size());
  if (want.algorithm == "ivf") {
    const auto* ivf = dynamic_cast<const index::IvfIndex*>(g.get());
    return ivf != nullptr && ivf->int8() == (want.quantization == "int8") &&
           ivf->nlist() == index::IvfIndex::NlistFor(want.nlist, rows) &&
           ColumnsMatch(ivf->columns(), layout.filterable_columns);
  }
  const auto* h = dynamic_cast<const index::HnswIndex*>(g.get());
  if (h == nullptr) return false;
  const index::HnswParams p = ParamsOf(want);
  const index::HnswParams& have = h->params();
  return have.m == p.m && have.quantization == p.quantization &&
         (p.m == 0 || have.ef_construction == p.ef_construction);
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
  Env* env = deps_.env;
  const uint32_t threads = BuildThreads();
  seg->build_queued.store(true, std::memory_order_release);
  deps_.builds->Schedule([weak, layout, metric, name, env, threads] {
    // A segment compacted away or a collection dropped meanwhile has no
    // owner left: nothing to build.
    std::shared_ptr<LiveSegment> s = weak.lock();
    if (!s) return;
    struct Done {
      LiveSegment* s;
      ~Done() { s->build_queued.store(false, std::memory_order_release); }
    } done{s.get()};
    const std::shared_ptr<const LayoutSettings> now = layout->Get();
    // Built by a migration meanwhile, or no index wanted any more.
    if (IndexMatches(*s, *now) || !UsesGraph(now->index)) return;
    const auto started = std::chrono::steady_clock::now();
    Status saved;
    auto g = BuildSegmentIndex(env, *s, metric, *now, threads, &saved);
    if (!g.ok()) {
      spdlog::error("collection {}: building the index of {}: {}", name,
                    s->seg->path(), g.status().ToString());
      return;
    }
    if (!saved.ok()) {
      // Still serve it; the next start rebuilds what was not saved.
      spdlog::warn("collection {}: saving graph {}: {}", name, s->graph_path(),
                   saved.ToString());
    }
    s->set_graph(std::move(g).value());
    spdlog::info("collection {}: {} of segment {}: {} vectors in {:.2f} s",
                 name, now->index.algorithm == "ivf" ? "ivf index" : "graph",
                 s->seg->segment_id(), s->seg->size(),
                 std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - started)
                     .count());
  });
}

uint32_t CollectionImpl::BuildThreads() const {
  return deps_.options->index_build_threads != 0
             ? deps_.options->index_build_threads
             : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace proximadb
