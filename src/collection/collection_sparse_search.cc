// Exact search by a sparse vector (SparseSearchRequest) over the memtables
// and segments, under one shared lock. Memtables score every row that holds
// a vector under the name from its blob; segments answer from their
// inverted index (index/sparse.h), which sums the same products in the same
// order, so a point scores the same wherever it is. ScoredTopK and
// HitsLocked, which text search uses too, are here.
#include <algorithm>
#include <string_view>
#include <vector>

#include "collection/collection_impl.h"
#include "collection/point_check.h"
#include "filter/filter.h"
#include "index/sparse.h"

namespace proximadb {

Result<SearchResult> CollectionImpl::SparseSearch(
    const SparseSearchRequest& request) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  SparseSearchRequest req = request;
  PDB_RETURN_IF_ERROR(CheckSparseSearchRequest(config_.sparse_vectors, &req));
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    PDB_ASSIGN_OR_RETURN(std::optional<SearchResult> r,
                         SparseSearchOnce(req, filt, pins, &missing));
    if (r) return std::move(*r);
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
}

Result<std::optional<SearchResult>> CollectionImpl::SparseSearchOnce(
    const SparseSearchRequest& req, const filter::Filter& filt,
    const ColdPins& pins, std::vector<LiveSegment*>* missing) {
  ScoredTopK best(req.k);
  uint64_t scored = 0, sources = 0;
  auto offer = [&](const ScoredRow& row, std::string_view metadata) {
    ++scored;
    if (best.Wants(row.score, row.id) && filt.MatchesText(metadata)) {
      best.Offer(row);
    }
  };

  ReaderLock lock(&state_mu_);
  auto from_mem = [&](Memtable* m, Location::Kind kind) {
    ++sources;
    index::SparseRef ref;
    double dot;
    for (uint32_t r = 0; r < m->rows(); ++r) {
      if (m->dead(r) || !index::FindSparse(m->sparse(r), req.name, &ref) ||
          !index::SparseDot(ref, req.vector, &dot)) {
        continue;
      }
      offer(ScoredRow{dot, m->id(r), Location{kind, m, nullptr, r, true}},
            m->metadata(r));
    }
  };
  from_mem(mem_.get(), Location::kMemtable);
  if (frozen_) from_mem(frozen_.get(), Location::kFrozen);
  std::vector<std::pair<uint32_t, double>> rows;
  for (const auto& s : segments_) {
    ++sources;
    const auto& seg = *s->seg;
    seg.sparse_index().Score(req.name, req.vector, &rows);
    for (const auto& [r, dot] : rows) {
      if (s->dead(r)) continue;
      offer(ScoredRow{dot, seg.id(r),
                      Location{Location::kSegment, nullptr, s.get(), r, true}},
            seg.metadata_json(r));
    }
  }

  SearchResult result;
  if (!HitsLocked(best.Take(), req.include_vector, req.include_metadata, pins,
                  missing, &result)) {
    return std::optional<SearchResult>();
  }
  result.stats.points_scanned = scored;
  result.stats.distances_computed = scored;
  result.stats.sources_searched = sources;
  return std::optional<SearchResult>(std::move(result));
}

void CollectionImpl::ScoredTopK::Offer(const ScoredRow& row) {
  if (!Wants(row.score, row.id)) return;
  // Ordered by Better, a heap keeps its worst row at the front.
  if (heap_.size() == k_) {
    std::pop_heap(heap_.begin(), heap_.end(), Better);
    heap_.pop_back();
  }
  heap_.push_back(row);
  std::push_heap(heap_.begin(), heap_.end(), Better);
}

std::vector<CollectionImpl::ScoredRow> CollectionImpl::ScoredTopK::Take() {
  std::vector<ScoredRow> out = std::move(heap_);
  heap_.clear();
  std::sort(out.begin(), out.end(), Better);
  return out;
}

bool CollectionImpl::HitsLocked(const std::vector<ScoredRow>& found,
                                bool include_vector, bool include_metadata,
                                const ColdPins& pins,
                                std::vector<LiveSegment*>* missing,
                                SearchResult* out) const {
  if (include_vector) {
    for (const ScoredRow& s : found) pins.Need(s.loc, missing);
    if (!missing->empty()) return false;
  }
  for (const ScoredRow& s : found) {
    StoredPoint p =
        MaterializeLocked(s.loc, include_vector, include_metadata, pins);
    SearchHit h;
    h.id = std::move(p.id);
    h.score = static_cast<float>(s.score);
    h.metadata = std::move(p.metadata);
    h.vector = std::move(p.vector);
    h.sparse_vectors = std::move(p.sparse_vectors);
    h.named_vectors = std::move(p.named_vectors);
    out->hits.push_back(std::move(h));
  }
  return true;
}

}  // namespace proximadb
