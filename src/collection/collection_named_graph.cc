// HNSW graphs of named vectors (NamedVectorConfig::index "hnsw"): one per
// segment and name, over the name's vectors gathered from the segment's
// point vectors blobs (index/sparse.h) into one array; for a multivector
// name every row of every matrix is a graph row, mapped back to its point
// (NamedGraph::row_of), and searches re-score the points found by MaxSim
// (collection_named_search.cc). Built in the background after a flush, a
// compaction, a tier move and at open; held in RAM only (a restart
// rebuilds them; searches scan the segment exactly until then).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include "collection/collection_impl.h"
#include "index/distance.h"
#include "index/hnsw/hnsw_index.h"
#include "index/sparse.h"

namespace proximadb {

namespace {

// The graph of `nv` over `seg`; null when no row holds a vector under it.
Result<std::shared_ptr<const NamedGraph>> BuildNamedGraph(
    const segment::Segment& seg, const NamedVectorConfig& nv, uint32_t threads,
    const index::BuildStop& stop) {
  auto g = std::make_shared<NamedGraph>();
  const uint32_t dim = nv.dimension;
  index::DenseRef ref;
  for (uint32_t r = 0; r < seg.size(); ++r) {
    if (!index::FindDense(seg.sparse(r), nv.name, &ref) || ref.dim != dim) {
      continue;
    }
    if (g->row_of.size() + ref.rows >
        std::numeric_limits<uint32_t>::max() - 1) {
      return Status::ResourceExhausted(
          "the segment holds more than 2^32 - 2 vectors under '" + nv.name +
          "'");
    }
    const size_t at = g->vectors.size();
    g->vectors.resize(at + size_t{ref.rows} * dim);
    std::memcpy(g->vectors.data() + at, ref.values,
                size_t{ref.rows} * dim * sizeof(float));
    g->row_of.insert(g->row_of.end(), ref.rows, r);
  }
  if (g->row_of.empty()) return std::shared_ptr<const NamedGraph>();
  const auto rows = static_cast<uint32_t>(g->row_of.size());
  g->norms.resize(rows);
  for (uint32_t i = 0; i < rows; ++i) {
    g->norms[i] = index::Norm(g->vectors.data() + size_t{i} * dim, dim);
  }
  index::HnswParams p;
  p.m = nv.index.m;
  p.ef_construction = nv.index.ef_construction;
  p.ef_search = nv.index.ef_search;
  const index::VectorView view{g->vectors.data(), g->norms.data(), rows, dim};
  PDB_ASSIGN_OR_RETURN(
      std::unique_ptr<index::HnswIndex> graph,
      index::HnswIndex::Build(view, nv.metric, p, threads, stop));
  g->bytes = graph->MemoryUsage() + g->vectors.size() * sizeof(float) +
             g->norms.size() * sizeof(float) +
             g->row_of.size() * sizeof(uint32_t);
  g->graph = std::shared_ptr<const index::VectorIndex>(std::move(graph));
  return std::shared_ptr<const NamedGraph>(std::move(g));
}

}  // namespace

void CollectionImpl::ScheduleNamedGraphBuild(
    const std::shared_ptr<LiveSegment>& seg) {
  std::vector<NamedVectorConfig> names;
  for (const NamedVectorConfig& nv : config_.vectors) {
    if (nv.index.algorithm == "hnsw") names.push_back(nv);
  }
  if (names.empty() || seg->seg->size() == 0) return;
  std::weak_ptr<LiveSegment> weak = seg;
  const std::string collection = config_.name;
  const uint32_t threads =
      deps_.options->index_build_threads != 0
          ? deps_.options->index_build_threads
          : std::max(1u, std::thread::hardware_concurrency());
  std::shared_ptr<const std::atomic<bool>> closing = closing_;
  deps_.builds->Schedule([weak, names, collection, threads, closing] {
    for (const NamedVectorConfig& nv : names) {
      // A segment compacted away or a collection dropped meanwhile has no
      // owner left: nothing to build. A name it already has (carried over
      // by a tier move, or built by an earlier job) is kept.
      std::shared_ptr<LiveSegment> s = weak.lock();
      if (!s) return;
      if (s->named_graph(nv.name)) continue;
      const auto started = std::chrono::steady_clock::now();
      const index::BuildStop stop = SegmentBuildStop(closing, s.get());
      auto g = BuildNamedGraph(*s->seg, nv, threads, stop);
      if (!g.ok() && stop()) {
        spdlog::info(
            "collection {}: graph of vector '{}' of segment {} stopped: {}",
            collection, nv.name, s->seg->segment_id(), g.status().ToString());
        return;
      }
      if (!g.ok()) {
        spdlog::error(
            "collection {}: building the graph of vector '{}' of {}: "
            "{}",
            collection, nv.name, s->seg->path(), g.status().ToString());
        continue;
      }
      if (*g == nullptr) continue;  // no row holds the name
      spdlog::info(
          "collection {}: graph of vector '{}' of segment {}: {} vectors in "
          "{:.2f} s",
          collection, nv.name, s->seg->segment_id(), (*g)->row_of.size(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                        started)
              .count());
      // This job is the segment's only writer of the map but a tier move
      // may carry it over meanwhile: copy, add, publish.
      auto next = std::make_shared<NamedGraphs>();
      if (auto now = s->named_graphs()) *next = *now;
      (*next)[nv.name] = std::move(g).value();
      s->set_named_graphs(std::move(next));
    }
  });
}

}  // namespace proximadb
