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
#include "index/hnsw/hnsw_index.h"
#include "index/ivf/ivf_index.h"

namespace proximadb {

namespace {

index::HnswParams ParamsOf(const FixedCollectionConfig& c) {
  index::HnswParams p;
  p.m = c.index.m;
  p.ef_construction = c.index.ef_construction;
  p.ef_search = c.index.ef_search;
  // ValidateCollectionConfig admitted only these names.
  if (c.index.quantization == "int8") {
    p.quantization = index::Quantization::kInt8;
  } else if (c.index.quantization == "binary") {
    p.quantization = index::Quantization::kBinary;
  } else if (c.index.quantization == "pq") {
    p.quantization = index::Quantization::kPq;
  }
  // A flat collection has no graph: with a quantization, its segments'
  // sidecars hold the codes only (UsesGraph).
  if (c.index.algorithm == "flat") p.m = 0;
  return p;
}

index::IvfParams IvfParamsOf(const FixedCollectionConfig& c) {
  index::IvfParams p;
  p.nlist = c.index.nlist;
  p.nprobe = c.index.nprobe;
  p.int8 = c.index.quantization == "int8";
  return p;
}

// Builds and saves the segment's index of the collection's kind.
Result<std::shared_ptr<const index::VectorIndex>> BuildIndex(
    Env* env, LiveSegment& s, index::VectorView view, Metric metric, bool ivf,
    const index::HnswParams& hnsw, const index::IvfParams& ivfp,
    uint32_t threads, Status* saved) {
  if (ivf) {
    PDB_ASSIGN_OR_RETURN(auto g,
                         index::IvfIndex::Build(view, metric, ivfp, threads));
    *saved = s.WriteSidecar([&] { return g->Save(env, s.graph_path()); });
    return std::shared_ptr<const index::VectorIndex>(std::move(g));
  }
  PDB_ASSIGN_OR_RETURN(auto g,
                       index::HnswIndex::Build(view, metric, hnsw, threads));
  *saved = s.WriteSidecar([&] { return g->Save(env, s.graph_path()); });
  return std::shared_ptr<const index::VectorIndex>(std::move(g));
}

index::VectorView ViewOf(const segment::Segment& s) {
  return index::VectorView{s.vectors(), s.norms(),
                           static_cast<uint32_t>(s.size()), s.dimension()};
}

}  // namespace

Result<std::shared_ptr<const index::VectorIndex>> CollectionImpl::LoadIndexFile(
    const std::string& path, index::VectorView view) const {
  if (config_.index.algorithm == "ivf") {
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
  const index::HnswParams params = ParamsOf(config_);
  const index::IvfParams ivf_params = IvfParamsOf(config_);
  const bool ivf = config_.index.algorithm == "ivf";
  const Metric metric = config_.metric;
  const std::string name = config_.name;
  Env* env = deps_.env;
  const uint32_t threads =
      deps_.options->index_build_threads != 0
          ? deps_.options->index_build_threads
          : std::max(1u, std::thread::hardware_concurrency());
  deps_.builds->Schedule(
      [weak, params, ivf_params, ivf, metric, name, env, threads] {
        // A segment compacted away or a collection dropped meanwhile has no
        // owner left: nothing to build.
        std::shared_ptr<LiveSegment> s = weak.lock();
        if (!s) return;
        const auto started = std::chrono::steady_clock::now();
        Status saved;
        auto g = BuildIndex(env, *s, ViewOf(*s->seg), metric, ivf, params,
                            ivf_params, threads, &saved);
        if (!g.ok()) {
          spdlog::error("collection {}: building the index of {}: {}", name,
                        s->seg->path(), g.status().ToString());
          return;
        }
        if (!saved.ok()) {
          // Still serve it; the next start rebuilds what was not saved.
          spdlog::warn("collection {}: saving graph {}: {}", name,
                       s->graph_path(), saved.ToString());
        }
        s->set_graph(std::move(g).value());
        spdlog::info("collection {}: {} of segment {}: {} vectors in {:.2f} s",
                     name, ivf ? "ivf index" : "graph", s->seg->segment_id(),
                     s->seg->size(),
                     std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started)
                         .count());
      });
}

}  // namespace proximadb
