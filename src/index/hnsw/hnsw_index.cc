// Construction and insertion. The insertion follows the paper (Malkov &
// Yashunin 2018, algorithms 1 and 4): greedy descent to the new row's top
// level, then on each level a beam search of width ef_construction and the
// neighbour-selection heuristic, and links back from every chosen neighbour
// (pruned with the same heuristic when its list is full). Build over
// euclidean rows runs the walks on int8 codes (a float graph's are
// temporary) and re-scores the nearest candidates on floats before linking.
#include "index/hnsw/hnsw_index.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "index/hnsw/distances.h"
#include "index/hnsw/graph_walk_inl.h"
#include "util/split_mix.h"

namespace proximadb::index {

using hnsw::Neighbor;

namespace {

inline void StoreWord(uint32_t* p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

}  // namespace

HnswIndex::HnswIndex(VectorView view, Metric metric, const HnswParams& params,
                     uint32_t capacity)
    : view_(view),
      metric_(metric),
      params_(params),
      capacity_(capacity),
      dim_(view.dim),
      max_m0_(2 * params.m),
      stride0_(1 + 2 * size_t(params.m)),
      strideU_(1 + size_t(params.m)),
      level_mult_(1.0 / std::log(double(std::max(params.m, 2u)))),
      pool_(capacity) {}

HnswIndex::~HnswIndex() = default;

Result<std::unique_ptr<HnswIndex>> HnswIndex::Create(VectorView view,
                                                     Metric metric,
                                                     const HnswParams& params,
                                                     uint32_t capacity) {
  return CreateImpl(view, metric, params, capacity, /*build_codes=*/false);
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::CreateImpl(
    VectorView view, Metric metric, const HnswParams& params, uint32_t capacity,
    bool build_codes) {
  if (params.m == 0 ? params.quantization == Quantization::kNone
                    : params.m < 2 || params.m > 128) {
    return Status::InvalidArgument(
        "hnsw: m must be in 2..128 (0, codes only, needs a quantization)");
  }
  if (params.ef_construction == 0 || params.ef_search == 0) {
    return Status::InvalidArgument("hnsw: ef must be positive");
  }
  if (view.dim == 0 || (capacity > 0 && view.data == nullptr)) {
    return Status::InvalidArgument("hnsw: empty vector view");
  }
  if (metric != Metric::kEuclidean && view.norms == nullptr) {
    return Status::InvalidArgument("hnsw: cosine and dot need stored norms");
  }
  if (capacity == UINT32_MAX) {
    return Status::InvalidArgument("hnsw: too many rows");
  }
  auto idx =
      std::unique_ptr<HnswIndex>(new HnswIndex(view, metric, params, capacity));
  idx->level0_owned_.assign(size_t(capacity) * idx->stride0_, 0);
  idx->levels_owned_.assign(capacity, int8_t{-1});
  idx->level0_ = idx->level0_owned_.data();
  idx->levels_ = idx->levels_owned_.data();
  idx->upper_owned_.resize(capacity);
  idx->upper_ptr_.assign(capacity, nullptr);
  uint32_t stripes = 1;
  while (stripes < capacity && stripes < (1u << 14)) stripes <<= 1;
  idx->locks_ = std::make_unique<Mutex[]>(stripes);
  idx->lock_mask_ = stripes - 1;
  if (metric == Metric::kDotProduct) {
    // Rows added later with a larger norm get extra 0: slightly worse links
    // for them, never wrong answers (searches use the plain dot product).
    for (uint32_t r = 0; r < std::min(view.rows, capacity); ++r) {
      idx->mips_m2_ = std::max(idx->mips_m2_, view.norms[r] * view.norms[r]);
    }
  }
  if (params.quantization == Quantization::kInt8 || build_codes) {
    VectorView train = view;
    train.rows = std::min(view.rows, capacity);
    PDB_ASSIGN_OR_RETURN(idx->sq_, quant::ScalarQuantizer::Train(train));
    idx->codes_owned_.assign(size_t(capacity) * view.dim, 0);
    idx->terms_owned_.assign(capacity, 0.0f);
    idx->codes_ = idx->codes_owned_.data();
    idx->terms_ = idx->terms_owned_.data();
  } else if (params.quantization == Quantization::kBinary) {
    VectorView train = view;
    train.rows = std::min(view.rows, capacity);
    PDB_ASSIGN_OR_RETURN(idx->bq_, quant::BinaryQuantizer::Train(train));
    idx->bits_owned_.assign(size_t(capacity) * idx->bq_.words(), 0);
    idx->centroid_of_owned_.assign(capacity, 0);
    idx->centroid_of_ = idx->centroid_of_owned_.data();
    idx->terms_owned_.assign(capacity, 0.0f);
    idx->bits_ = idx->bits_owned_.data();
    idx->terms_ = idx->terms_owned_.data();
  } else if (params.quantization == Quantization::kPq) {
    VectorView train = view;
    train.rows = std::min(view.rows, capacity);
    PDB_ASSIGN_OR_RETURN(
        idx->pq_, quant::ProductQuantizer::Train(train, params.pq_subspaces));
    idx->params_.pq_subspaces = idx->pq_.subspaces();
    idx->pq_codes_owned_.assign(size_t(capacity) * idx->pq_.subspaces(), 0);
    idx->pq_codes_ = idx->pq_codes_owned_.data();
    idx->centroid_of_owned_.assign(capacity, 0);
    idx->centroid_of_ = idx->centroid_of_owned_.data();
    idx->terms_owned_.assign(capacity, 0.0f);
    idx->terms_ = idx->terms_owned_.data();
  } else if (params.quantization != Quantization::kNone) {
    return Status::InvalidArgument("hnsw: unknown quantization");
  }
  return idx;
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::Build(VectorView view,
                                                    Metric metric,
                                                    const HnswParams& params,
                                                    uint32_t threads,
                                                    const BuildStop& stop) {
  // A float graph over euclidean rows is built on temporary int8 codes
  // (dropped once every row is linked), as an int8 graph is on its own:
  // the insertion walks read a quarter of the bytes. Searches still walk
  // the floats.
  const bool build_codes = params.quantization == Quantization::kNone &&
                           metric == Metric::kEuclidean && params.m != 0 &&
                           view.rows > 0 && view.dim >= kMinBuildCodesDim;
  PDB_ASSIGN_OR_RETURN(
      auto idx, CreateImpl(view, metric, params, view.rows, build_codes));
  std::atomic<uint32_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> stopped{false};
  auto work = [&] {
    for (uint32_t row = next++; row < view.rows; row = next++) {
      // Polled before every row: a row's insert costs microseconds (and a
      // sanitizer build's tens of milliseconds), the poll nanoseconds.
      if (stop && (stopped.load(std::memory_order_relaxed) || stop())) {
        stopped.store(true, std::memory_order_relaxed);
        return;
      }
      if (!idx->Add(row).ok()) failed = true;
    }
  };
  threads = std::max(1u, threads);
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (stopped) {
    return Status::Unavailable("hnsw: build stopped after " +
                               std::to_string(idx->size()) + " of " +
                               std::to_string(view.rows) + " rows");
  }
  if (failed) return Status::Internal("hnsw: build failed to insert a row");
  if (build_codes) {
    idx->codes_ = nullptr;
    idx->terms_ = nullptr;
    std::vector<uint8_t>().swap(idx->codes_owned_);
    std::vector<float>().swap(idx->terms_owned_);
    idx->sq_ = quant::ScalarQuantizer();
  }
  return idx;
}

int HnswIndex::RandomLevel(uint32_t row) const {
  uint64_t h = SplitMix64(params_.seed ^ (uint64_t(row) * 0x9e3779b97f4a7c15));
  double u = double(h >> 11) * 0x1.0p-53;
  if (u <= 0) u = 0x1.0p-53;
  return std::min(30, int(-std::log(u) * level_mult_));
}

uint32_t* HnswIndex::MutList(uint32_t row, int level) const {
  return const_cast<uint32_t*>(List(row, level));
}

float HnswIndex::RowDistance(uint32_t a, uint32_t b) const {
  const simd::KernelTable& k = simd::ActiveKernels();
  if (codes_ != nullptr && metric_ == Metric::kEuclidean) {
    // Linking on codes (Add): the heuristic's row-to-row distances too.
    return sq_.L2(
        k.l2_u8(codes_ + size_t(a) * dim_, codes_ + size_t(b) * dim_, dim_));
  }
  const float* x = view_.data + size_t(a) * dim_;
  const float* y = view_.data + size_t(b) * dim_;
  if (metric_ == Metric::kEuclidean) return k.l2(x, y, dim_);
  if (metric_ == Metric::kDotProduct) {
    float e = hnsw::MipsExtra(mips_m2_, view_.norms[a]) -
              hnsw::MipsExtra(mips_m2_, view_.norms[b]);
    return k.l2(x, y, dim_) + e * e;
  }
  return hnsw::FromDot(metric_, k.dot(x, y, dim_), view_.norms[a],
                       view_.norms ? view_.norms[b] : 0.0f);
}

// The paper's heuristic: keep a candidate only if it is closer to `base`
// than to every neighbour already kept, which spreads links in all
// directions instead of clustering them. `cands` must be sorted by distance.
void HnswIndex::SelectNeighbors(uint32_t base, std::vector<Neighbor>* cands,
                                uint32_t limit) const {
  if (cands->size() <= limit) return;
  std::vector<Neighbor> kept;
  kept.reserve(limit);
  for (const Neighbor& c : *cands) {
    bool good = true;
    for (const Neighbor& k : kept) {
      if (RowDistance(c.id, k.id) < c.dist) {
        good = false;
        break;
      }
    }
    if (good) kept.push_back(c);
    if (kept.size() >= limit) break;
  }
  *cands = std::move(kept);
}

void HnswIndex::SetOwnList(uint32_t row, int level,
                           const std::vector<Neighbor>& chosen) {
  MutexLock l(&LockFor(row));
  uint32_t* list = MutList(row, level);
  const uint32_t n = LoadWord(list);
  std::vector<Neighbor> all = chosen;
  if (n > 0) {
    // Others linked to this row already (it became reachable on a higher
    // level first): keep those links too.
    for (uint32_t j = 1; j <= n; ++j) {
      uint32_t id = LoadWord(list + j);
      bool dup = std::any_of(all.begin(), all.end(),
                             [&](const Neighbor& x) { return x.id == id; });
      if (!dup) all.push_back({RowDistance(row, id), id});
    }
    std::sort(all.begin(), all.end(), hnsw::NearerThenLower);
    SelectNeighbors(row, &all, Cap(level));
  }
  const uint32_t cnt = std::min<uint32_t>(all.size(), Cap(level));
  for (uint32_t j = 0; j < cnt; ++j) StoreWord(list + 1 + j, all[j].id);
  StoreWord(list, cnt);
}

void HnswIndex::LinkBack(uint32_t to, uint32_t from, int level, float dist) {
  MutexLock l(&LockFor(to));
  uint32_t* list = MutList(to, level);
  const uint32_t n = LoadWord(list);
  for (uint32_t j = 1; j <= n; ++j) {
    if (LoadWord(list + j) == from) return;
  }
  const uint32_t cap = Cap(level);
  if (n < cap) {
    StoreWord(list + 1 + n, from);
    StoreWord(list, n + 1);
    return;
  }
  std::vector<Neighbor> all;
  all.reserve(n + 1);
  all.push_back({dist, from});
  for (uint32_t j = 1; j <= n; ++j) {
    uint32_t id = LoadWord(list + j);
    all.push_back({RowDistance(to, id), id});
  }
  std::sort(all.begin(), all.end(), hnsw::NearerThenLower);
  SelectNeighbors(to, &all, cap);
  for (uint32_t j = 0; j < all.size(); ++j) StoreWord(list + 1 + j, all[j].id);
  StoreWord(list, static_cast<uint32_t>(all.size()));
}

void HnswIndex::EncodeRow(uint32_t row) {
  const float* x = view_.data + size_t(row) * dim_;
  if (pq_codes_ != nullptr) {
    terms_owned_[row] =
        pq_.Encode(x, pq_codes_owned_.data() + size_t(row) * pq_.subspaces(),
                   &centroid_of_owned_[row]);
    return;
  }
  if (bits_ != nullptr) {
    terms_owned_[row] =
        bq_.Encode(x, bits_owned_.data() + size_t(row) * bq_.words(),
                   &centroid_of_owned_[row]);
    return;
  }
  uint8_t* code = codes_owned_.data() + size_t(row) * dim_;
  sq_.Encode(x, code);
  terms_owned_[row] = sq_.RowTerm(code);
}

// Links `row` into every level up to `level`, starting from the entry point
// snapshot `e`; `dist` measures from row to other rows.
template <typename Dist>
void HnswIndex::Insert(const Dist& dist, const hnsw::FloatDist* exact,
                       uint32_t row, int level, uint64_t e) {
  const int top = int(e >> 32) - 1;
  uint32_t cur = uint32_t(e);
  float cur_dist = dist(cur);
  if (top > level) cur = Greedy(dist, cur, &cur_dist, top, level + 1, nullptr);

  auto scratch = pool_.Get();
  std::vector<Neighbor> found;
  for (int lv = std::min(level, top); lv >= 0; --lv) {
    scratch->NewEpoch();
    scratch->TestAndSet(row);  // never link a row to itself
    SearchLevel(dist, cur, cur_dist, params_.ef_construction, lv, nullptr,
                scratch.get(), nullptr);
    found.assign(scratch->results.begin(), scratch->results.end());
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Neighbor& n) { return n.id == row; }),
                found.end());
    if (found.empty()) continue;
    std::sort(found.begin(), found.end(), hnsw::NearerThenLower);
    if (exact != nullptr) {
      // The walk ran on codes: the nearest candidates, those the heuristic
      // links, are put in order on exact distances.
      const size_t head =
          std::min(found.size(), size_t(kRescoredForLinks) * params_.m);
      for (size_t i = 0; i < head; ++i) found[i].dist = (*exact)(found[i].id);
      std::sort(found.begin(), found.begin() + head, hnsw::NearerThenLower);
    }
    cur = found[0].id;
    cur_dist = exact != nullptr ? dist(cur) : found[0].dist;
    SelectNeighbors(row, &found, params_.m);
    SetOwnList(row, lv, found);
    for (const Neighbor& n : found) LinkBack(n.id, row, lv, n.dist);
  }
  pool_.Put(std::move(scratch));
}

Status HnswIndex::Add(uint32_t row) {
  if (file_ != nullptr) {
    return Status::FailedPrecondition("hnsw: a loaded graph is read-only");
  }
  if (row >= capacity_ || row >= view_.rows) {
    return Status::InvalidArgument("hnsw: row outside the index capacity");
  }
  // Codes only: every row is on level 0 and linked to nothing; the row is
  // claimed with level -2 (skipped by scans like -1) and shown at level 0
  // once its code is written.
  const bool codes_only = params_.m == 0;
  const int level = codes_only ? 0 : RandomLevel(row);
  int8_t expected = -1;
  if (!__atomic_compare_exchange_n(&levels_[row], &expected,
                                   int8_t(codes_only ? -2 : level), false,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    return Status::AlreadyExists("hnsw: row already added");
  }
  // Everything a reader may touch once the row is linked is written before
  // the first link is published (release stores in SetOwnList/LinkBack).
  if (level > 0) {
    upper_owned_[row] = std::make_unique<uint32_t[]>(size_t(level) * strideU_);
    __atomic_store_n(&upper_ptr_[row], upper_owned_[row].get(),
                     __ATOMIC_RELEASE);
  }
  if (codes_ != nullptr || bits_ != nullptr || pq_codes_ != nullptr) {
    EncodeRow(row);
  }
  if (codes_only) {
    __atomic_store_n(&levels_[row], int8_t{0}, __ATOMIC_RELEASE);
    size_.fetch_add(1, std::memory_order_relaxed);
    return Status::OK();
  }

  uint64_t e = entry_.load(std::memory_order_acquire);
  if (e == 0) {
    MutexLock l(&entry_mu_);
    e = entry_.load(std::memory_order_acquire);
    if (e == 0) {
      entry_.store((uint64_t(level + 1) << 32) | row,
                   std::memory_order_release);
      size_.fetch_add(1, std::memory_order_relaxed);
      return Status::OK();
    }
  }
  const float* q = view_.data + size_t(row) * dim_;
  if (metric_ == Metric::kDotProduct) {
    Insert(hnsw::MipsBuildDist{view_.data, view_.norms, dim_, q,
                               hnsw::MipsExtra(mips_m2_, view_.norms[row]),
                               mips_m2_, &simd::ActiveKernels()},
           nullptr, row, level, e);
  } else {
    const hnsw::FloatDist fdist{view_.data,
                                view_.norms,
                                dim_,
                                metric_,
                                q,
                                view_.norms ? view_.norms[row] : 0.0f,
                                &simd::ActiveKernels()};
    if (codes_ != nullptr && metric_ == Metric::kEuclidean) {
      Insert(hnsw::CodeDist{codes_, terms_, view_.norms, dim_, metric_,
                            codes_ + size_t(row) * dim_, 0.0, 0.0f, &sq_,
                            &simd::ActiveKernels()},
             &fdist, row, level, e);
    } else {
      Insert(fdist, nullptr, row, level, e);
    }
  }

  if (level > int(e >> 32) - 1) {
    MutexLock l(&entry_mu_);
    e = entry_.load(std::memory_order_acquire);
    if (level > int(e >> 32) - 1) {
      entry_.store((uint64_t(level + 1) << 32) | row,
                   std::memory_order_release);
    }
  }
  size_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

int HnswIndex::max_level() const {
  return int(entry_.load(std::memory_order_acquire) >> 32) - 1;
}

size_t HnswIndex::HeapBytes() const {
  if (file_ != nullptr) {
    return upper_ptr_.size() * sizeof(void*) +
           (size_t(lock_mask_) + 1) * sizeof(Mutex);
  }
  return MemoryUsage();
}

size_t HnswIndex::MemoryUsage() const {
  if (file_ != nullptr) return file_->size();
  size_t bytes = level0_owned_.size() * sizeof(uint32_t) +
                 levels_owned_.size() + upper_ptr_.size() * sizeof(void*) +
                 codes_owned_.size() + bits_owned_.size() * sizeof(uint64_t) +
                 pq_codes_owned_.size() +
                 (pq_.codebooks().size() + pq_.coarse().size()) * 4 +
                 centroid_of_owned_.size() + bq_.centroids().size() * 4 +
                 terms_owned_.size() * sizeof(float) +
                 (size_t(lock_mask_) + 1) * sizeof(Mutex);
  for (uint32_t r = 0; r < capacity_; ++r) {
    int lv = levels_[r];
    if (lv > 0) bytes += size_t(lv) * strideU_ * sizeof(uint32_t);
  }
  return bytes;
}

}  // namespace proximadb::index
