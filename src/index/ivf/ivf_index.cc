// IvfIndex: k-means partitions built at once, probed at search time (see
// ivf_index.h), and its file (docs/FORMATS.md, "IVF sidecar").
#include "index/ivf/ivf_index.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "index/distance.h"
#include "index/hnsw/distances.h"
#include "index/quant/kmeans.h"
#include "index/simd/dispatch.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/parallel_for.h"

namespace proximadb::index {

static_assert(std::endian::native == std::endian::little,
              "the IVF file stores raw little-endian arrays");

namespace {

constexpr char kMagic[8] = {'P', 'D', 'B', 'I', 'V', 'F', '0', '1'};
// Version 1: no columns; 2: followed by the column statistics; 3: by the
// statistics and the row columns (written only when the index has columns,
// so other files keep their bytes).
constexpr uint32_t kVersion = 1;
constexpr uint32_t kVersionStats = 2;
constexpr uint32_t kVersionColumns = 3;
// Magic, then version, dim, metric, rows, nlist, nprobe, quantization (0
// none, 1 int8, 2 binary, 3 pq), rerank_factor (u32 each) and the int8 step
// (f32; 0 for the other kinds).
constexpr size_t kHeaderSize = 8 + 8 * 4 + 4;

uint32_t Crc(const char* p, size_t n) {
  return crc32c::Mask(crc32c::Value(p, n));
}

template <typename T>
void PutArray(std::string* dst, const std::vector<T>& v) {
  dst->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status::Corruption("ivf file " + path + ": " + what);
}

}  // namespace

uint32_t IvfIndex::DefaultNlist(uint32_t rows) {
  const uint32_t n =
      static_cast<uint32_t>(std::lround(std::sqrt(double(rows))));
  return std::clamp(n, 1u, kMaxNlist);
}

uint32_t IvfIndex::DefaultNprobe(uint32_t nlist) {
  // A sixteenth of the partitions, at least 8 (docs/BENCHMARKS.md, "IVF
  // segments"): recall@10 0.9986 on Fashion-MNIST (245 partitions, probe
  // 15), where a quarter of that probe already gives 0.906; it errs wide,
  // for data less clustered than these.
  return std::min(nlist, std::max(8u, (nlist + 15) / 16));
}

void IvfIndex::ToCentroidSpace(const float* x, float norm, float* out) const {
  const uint32_t dim = view_.dim;
  if (metric_ == Metric::kCosine && norm > 0) {
    for (uint32_t d = 0; d < dim; ++d) out[d] = x[d] / norm;
  } else {
    std::copy(x, x + dim, out);
  }
}

uint32_t IvfIndex::DefaultRerankFactor(Quantization q) {
  switch (q) {
    case Quantization::kInt8:
      return 4;
    case Quantization::kPq:
      return 8;
    case Quantization::kBinary:
      return 32;
    case Quantization::kNone:
      // Unused without codes; files without codes always carried 4.
      break;
  }
  return 4;
}

uint32_t IvfIndex::NlistFor(uint32_t configured, uint32_t rows) {
  return std::min(
      rows,
      std::min(kMaxNlist, configured != 0 ? configured : DefaultNlist(rows)));
}

Result<std::unique_ptr<IvfIndex>> IvfIndex::Build(VectorView view,
                                                  Metric metric,
                                                  const IvfParams& params,
                                                  uint32_t threads,
                                                  const BuildStop& stop) {
  const auto stopped = [&] { return stop && stop(); };
  const auto interrupted = [] {
    return Status::Unavailable("ivf: build stopped");
  };
  if (view.rows == 0 || view.dim == 0) {
    return Status::InvalidArgument("an IVF index needs at least one row");
  }
  std::unique_ptr<IvfIndex> ix(new IvfIndex(view, metric));
  const uint32_t n = view.rows;
  const uint32_t dim = view.dim;
  const uint32_t nlist = NlistFor(params.nlist, n);
  ix->nlist_ = nlist;
  ix->nprobe_ = std::min(
      nlist, params.nprobe != 0 ? params.nprobe : DefaultNprobe(nlist));
  ix->quantization_ = params.quantization;
  ix->rerank_factor_ = params.rerank_factor != 0
                           ? params.rerank_factor
                           : DefaultRerankFactor(params.quantization);

  // Train on an even stride of rows (in the centroid space).
  const uint32_t sample =
      uint32_t(std::min<uint64_t>(n, uint64_t(nlist) * kTrainRowsPerList));
  std::vector<float> rows(size_t(sample) * dim);
  for (uint32_t i = 0; i < sample; ++i) {
    const uint32_t r = uint32_t(uint64_t(i) * n / sample);
    ix->ToCentroidSpace(view.data + size_t(r) * dim,
                        view.norms ? view.norms[r] : 0.0f,
                        rows.data() + size_t(i) * dim);
  }
  // Lloyd rounds with the assignment pass split over the threads.
  std::vector<float>& c = ix->centroids_;
  c = quant::Kmeans(rows, sample, dim, nlist, kTrainRounds, threads);
  rows = {};
  if (!quant::AllFinite(c)) {
    return Status::InvalidArgument(
        "IVF training produced non-finite centroids");
  }
  if (stopped()) return interrupted();

  // Every row to its nearest centroid; partitions in row order.
  std::vector<uint32_t> list_of(n);
  ParallelFor(n, threads, [&](uint32_t b, uint32_t e) {
    std::vector<float> x(dim);
    for (uint32_t r = b; r < e; ++r) {
      ix->ToCentroidSpace(view.data + size_t(r) * dim,
                          view.norms ? view.norms[r] : 0.0f, x.data());
      list_of[r] = quant::NearestOf(x.data(), c.data(), nlist, dim);
    }
  });
  ix->offsets_.assign(nlist + 1, 0);
  for (uint32_t r = 0; r < n; ++r) ++ix->offsets_[list_of[r] + 1];
  for (uint32_t j = 0; j < nlist; ++j) {
    ix->offsets_[j + 1] += ix->offsets_[j];
  }
  ix->order_.resize(n);
  {
    std::vector<uint32_t> next(ix->offsets_.begin(), ix->offsets_.end() - 1);
    for (uint32_t r = 0; r < n; ++r) ix->order_[next[list_of[r]]++] = r;
  }
  if (stopped()) return interrupted();

  PDB_RETURN_IF_ERROR(ix->EncodeRows(threads));
  return ix;
}

Status IvfIndex::EncodeRows(uint32_t threads) {
  const VectorView& view = view_;
  const uint32_t n = view.rows, dim = view.dim;
  switch (quantization_) {
    case Quantization::kNone:
      return Status::OK();
    case Quantization::kInt8: {
      PDB_ASSIGN_OR_RETURN(sq_, quant::ScalarQuantizer::Train(view));
      codes_.resize(size_t(n) * dim);
      break;
    }
    case Quantization::kBinary: {
      PDB_ASSIGN_OR_RETURN(bq_, quant::BinaryQuantizer::Train(view));
      bits_.resize(size_t(n) * bq_.words());
      centroid_of_.resize(n);
      break;
    }
    case Quantization::kPq: {
      PDB_ASSIGN_OR_RETURN(pq_, quant::ProductQuantizer::Train(view, 0));
      codes_.resize(size_t(n) * pq_.subspaces());
      centroid_of_.resize(n);
      break;
    }
    default:
      return Status::InvalidArgument("IVF: unknown quantization");
  }
  terms_.resize(n);
  norms_.resize(n);
  ParallelFor(n, threads, [&](uint32_t b, uint32_t e) {
    for (uint32_t p = b; p < e; ++p) {
      const uint32_t r = order_[p];
      const float* x = view.data + size_t(r) * dim;
      if (quantization_ == Quantization::kInt8) {
        uint8_t* code = codes_.data() + size_t(p) * dim;
        sq_.Encode(x, code);
        terms_[p] = sq_.RowTerm(code);
      } else if (quantization_ == Quantization::kBinary) {
        terms_[p] =
            bq_.Encode(x, bits_.data() + p * bq_.words(), &centroid_of_[p]);
      } else {
        terms_[p] = pq_.Encode(x, codes_.data() + size_t(p) * pq_.subspaces(),
                               &centroid_of_[p]);
      }
      norms_[p] = view.norms ? view.norms[r] : 0.0f;
    }
  });
  return Status::OK();
}

std::vector<std::pair<float, uint32_t>> IvfIndex::Probe(
    const float* q, uint32_t nprobe, const std::vector<uint8_t>* mask) const {
  const uint32_t dim = view_.dim;
  std::vector<std::pair<float, uint32_t>> d;
  d.reserve(nlist_);
  for (uint32_t j = 0; j < nlist_; ++j) {
    if (mask != nullptr && (*mask)[j] == 0) continue;
    const float* c = centroids_.data() + size_t(j) * dim;
    // Cosine centroids are unit vectors: -<q, c> ranks them like the
    // angle; dot ranks by the inner product itself.
    d.push_back(
        {metric_ == Metric::kEuclidean ? L2Sqr(q, c, dim) : -Dot(q, c, dim),
         j});
  }
  std::partial_sort(d.begin(), d.begin() + std::min<size_t>(nprobe, d.size()),
                    d.end());
  return d;
}

template <typename Dist, typename More, typename Scan, typename Keep>
void IvfIndex::ProbeCodes(const Dist& cdist, const hnsw::FloatDist& fd,
                          const std::vector<std::pair<float, uint32_t>>& lists,
                          uint32_t k, const More& probe_more, const Scan& scan,
                          const Keep& keep, TopK* top, uint64_t* scored,
                          uint64_t* examined, uint32_t* holding,
                          SearchCounters* counters) const {
  // Never more than there are rows: the factor comes from the file, which
  // a damaged (or fuzzed) one can make huge, and the heap reserves it.
  const auto want = static_cast<uint32_t>(std::min<uint64_t>(
      std::max<uint64_t>(uint64_t(k) * rerank_factor_, kMinRescored),
      std::max(1u, view_.rows)));
  TopK best(want);  // Candidate::row holds the position in order_
  for (uint32_t i = 0; probe_more(i, best.size()); ++i) {
    const uint32_t list = lists[i].second;
    const uint32_t b = offsets_[list], e = offsets_[list + 1];
    *examined += e - b;
    const uint64_t scored_before = *scored;
    for (uint32_t pos = b; pos < e; ++pos) {
      if (!scan(pos)) continue;
      const float d = cdist(pos);
      ++*scored;
      if (d < best.threshold() && keep(pos)) best.Push({pos, d});
    }
    if (*scored > scored_before) ++*holding;
  }
  const std::vector<Candidate> shortlist = best.Take();
  for (const Candidate& cand : shortlist) {
    const uint32_t row = order_[cand.row];
    top->Push({row, fd(row)});
  }
  if (counters) counters->distances_computed += shortlist.size();
}

void IvfIndex::Search(const SearchParams& p, const RowFilter& accept,
                      std::vector<Candidate>* out,
                      SearchCounters* counters) const {
  if (p.k == 0 || nlist_ == 0) return;
  const uint32_t dim = view_.dim;
  const simd::KernelTable& kt = simd::ActiveKernels();
  // An exact search probes every partition on the floats: a full scan.
  const bool exact = p.exact;
  const std::vector<uint8_t>* mask =
      p.partition_mask != nullptr && p.partition_mask->size() == nlist_
          ? p.partition_mask
          : nullptr;
  const uint32_t want = exact ? nlist_ : (p.nprobe != 0 ? p.nprobe : nprobe_);
  std::vector<std::pair<float, uint32_t>> lists = Probe(p.query, want, mask);
  // The partitions that can hold an accepted row.
  const auto open = static_cast<uint32_t>(lists.size());
  const uint32_t nprobe = std::min(open, want);
  if (counters) {
    counters->nodes_visited += open;
    counters->partitions_pruned += nlist_ - open;
  }
  const hnsw::FloatDist fd{view_.data, view_.norms,  dim, metric_,
                           p.query,    p.query_norm, &kt};
  // With a cheap filter, the probe goes on until `want` partitions that
  // hold accepted rows were probed and AcceptedRowsToScore accepted rows
  // were scored, or kMaxProbeFactor * want partitions were probed
  // (vector_index.h, accept_cheap).
  const bool count = p.accept_cheap && accept && !exact;
  const uint64_t target = count ? AcceptedRowsToScore(want) : 0;
  uint64_t scored = 0, examined = 0;
  uint32_t holding = 0;  // probed partitions that held an accepted row
  // Partition i of the probe order, for i >= nprobe only once the first
  // nprobe are done: a filter that left fewer than k rows accepted (or,
  // counting, too few) widens the probe to the next partitions, one at a
  // time, so that k hits come back when k exist.
  bool rest_sorted = nprobe >= open;
  // Counting: the accepted rows the first nprobe partitions held, and the
  // rows they held. When the accepted rows are at least half as dense
  // there as over the whole probe so far, the filter is not away from the
  // query (one independent of the vectors is about as dense everywhere)
  // and kMaxProbeFactor * want partitions are enough.
  uint64_t near = 0, near_rows = 0;
  auto probe_more = [&](uint32_t i, size_t accepted) {
    if (i < nprobe) return true;
    if (i == nprobe) {
      near = scored;
      near_rows = examined;
    }
    if (i >= open) return false;
    const bool enough_near = uint64_t(i) >= uint64_t(kMaxProbeFactor) * want &&
                             near > 0 &&
                             2 * near * examined >= scored * near_rows;
    if (accepted >= p.k &&
        (!count || (holding >= want && (scored >= target || enough_near)))) {
      return false;
    }
    if (!rest_sorted) {
      std::sort(lists.begin() + nprobe, lists.end());
      rest_sorted = true;
    }
    return true;
  };
  TopK top(p.k);
  auto scan = [&](uint32_t pos) { return !count || accept(order_[pos]); };
  auto keep = [&](uint32_t pos) {
    return count || !accept || accept(order_[pos]);
  };
  if (quantization_ == Quantization::kNone || exact) {
    for (uint32_t i = 0; probe_more(i, top.size()); ++i) {
      const uint32_t list = lists[i].second;
      const uint32_t b = offsets_[list], e = offsets_[list + 1];
      examined += e - b;
      const uint64_t scored_before = scored;
      for (uint32_t pos = b; pos < e; ++pos) {
        const uint32_t row = order_[pos];
        if (!scan(pos)) continue;
        if (pos + 2 < e) fd.Prefetch(order_[pos + 2]);
        const float d = fd(row);
        ++scored;
        if (d < top.threshold() && keep(pos)) top.Push({row, d});
      }
      if (scored > scored_before) ++holding;
    }
  } else if (quantization_ == Quantization::kInt8) {
    std::vector<uint8_t> qc(dim);
    sq_.Encode(p.query, qc.data());
    const hnsw::CodeDist cd{
        codes_.data(), terms_.data(),          norms_.data(), dim,  metric_,
        qc.data(),     sq_.QueryTerm(p.query), p.query_norm,  &sq_, &kt};
    ProbeCodes(cd, fd, lists, p.k, probe_more, scan, keep, &top, &scored,
               &examined, &holding, counters);
  } else if (quantization_ == Quantization::kBinary) {
    const quant::BinaryQuery bquery = bq_.Prepare(p.query, metric_);
    const hnsw::BitDist bd{bits_.data(),  centroid_of_.data(), terms_.data(),
                           norms_.data(), bq_.words(),         metric_,
                           &bquery,       p.query_norm,        &kt};
    ProbeCodes(bd, fd, lists, p.k, probe_more, scan, keep, &top, &scored,
               &examined, &holding, counters);
  } else {
    quant::PqQuery pquery;
    pq_.Prepare(p.query, metric_, &pquery);
    const hnsw::PqDist pd{codes_.data(), centroid_of_.data(), terms_.data(),
                          norms_.data(), pq_.subspaces(),     metric_,
                          &pquery,       p.query_norm};
    ProbeCodes(pd, fd, lists, p.k, probe_more, scan, keep, &top, &scored,
               &examined, &holding, counters);
  }
  if (counters) {
    counters->distances_computed += scored;
    counters->points_scanned += examined;
  }
  for (const Candidate& c : top.Take()) out->push_back(c);
}

size_t IvfIndex::MemoryUsage() const {
  return centroids_.size() * sizeof(float) +
         offsets_.size() * sizeof(uint32_t) + order_.size() * sizeof(uint32_t) +
         codes_.size() + bits_.size() * sizeof(uint64_t) + centroid_of_.size() +
         terms_.size() * sizeof(float) + norms_.size() * sizeof(float) +
         sq_.mins().size() * sizeof(float) +
         (bq_.thresholds().size() * 3 + bq_.centroids().size() +
          pq_.codebooks().size() + pq_.coarse().size()) *
             sizeof(float) +
         (columns_ ? columns_->MemoryUsage() : 0) +
         (row_columns_ ? row_columns_->MemoryUsage() : 0);
}

Status IvfIndex::Save(Env* env, const std::string& path) const {
  std::string out;
  out.append(kMagic, sizeof(kMagic));
  if (row_columns_ && !columns_) {
    return Status::Internal("IVF index: row columns without statistics");
  }
  PutFixed32(&out, row_columns_ ? kVersionColumns
                   : columns_   ? kVersionStats
                                : kVersion);
  PutFixed32(&out, view_.dim);
  PutFixed32(&out, static_cast<uint32_t>(metric_));
  PutFixed32(&out, view_.rows);
  PutFixed32(&out, nlist_);
  PutFixed32(&out, nprobe_);
  const bool int8 = quantization_ == Quantization::kInt8;
  PutFixed32(&out, static_cast<uint32_t>(quantization_));
  PutFixed32(&out, rerank_factor_);
  PutFixed32(&out, std::bit_cast<uint32_t>(int8 ? sq_.step() : 0.0f));
  PutArray(&out, centroids_);
  PutArray(&out, offsets_);
  PutArray(&out, order_);
  switch (quantization_) {
    case Quantization::kNone:
      break;
    case Quantization::kInt8:
      PutArray(&out, sq_.mins());
      PutArray(&out, codes_);
      break;
    case Quantization::kBinary:
      PutFixed32(&out, bq_.centroid_count());
      PutArray(&out, bq_.thresholds());
      PutArray(&out, bq_.lo());
      PutArray(&out, bq_.hi());
      PutArray(&out, bq_.centroids());
      PutArray(&out, bits_);
      PutArray(&out, centroid_of_);
      break;
    case Quantization::kPq:
      PutFixed32(&out, pq_.subspaces());
      PutFixed32(&out, pq_.coarse_count());
      PutArray(&out, pq_.codebooks());
      PutArray(&out, pq_.coarse());
      PutArray(&out, codes_);
      PutArray(&out, centroid_of_);
      break;
  }
  if (quantization_ != Quantization::kNone) {
    PutArray(&out, terms_);
    PutArray(&out, norms_);
  }
  auto put_block = [&](const auto& block) -> Status {
    uint64_t raw_size = 0;
    PDB_ASSIGN_OR_RETURN(std::string packed, block.Encode(&raw_size));
    PutFixed64(&out, raw_size);
    PutFixed64(&out, packed.size());
    out += packed;
    return Status::OK();
  };
  if (columns_) PDB_RETURN_IF_ERROR(put_block(*columns_));
  if (row_columns_) PDB_RETURN_IF_ERROR(put_block(*row_columns_));
  PutFixed32(&out, Crc(out.data(), out.size()));
  return env->WriteFileAtomically(path, out);
}

Result<std::unique_ptr<IvfIndex>> IvfIndex::Load(Env* env,
                                                 const std::string& path,
                                                 VectorView view,
                                                 Metric metric) {
  PDB_ASSIGN_OR_RETURN(auto file, env->MapFile(path));
  const char* base = file->data();
  const uint64_t size = file->size();
  if (size < kHeaderSize + 4) return Corrupt(path, "truncated header");
  if (std::memcmp(base, kMagic, sizeof(kMagic)) != 0) {
    return Corrupt(path, "bad magic");
  }
  if (Crc(base, size - 4) != DecodeFixed32(base + size - 4)) {
    return Corrupt(path, "checksum mismatch");
  }
  auto field = [&](int i) { return DecodeFixed32(base + 8 + 4 * i); };
  const uint32_t version = field(0);
  if (version < kVersion || version > kVersionColumns) {
    return Corrupt(path, "unknown version " + std::to_string(version));
  }
  const uint32_t dim = field(1), rows = field(3), nlist = field(4);
  if (dim != view.dim || field(2) != static_cast<uint32_t>(metric) ||
      rows != view.rows) {
    return Corrupt(path, "does not match its segment (dimension " +
                             std::to_string(dim) + ", rows " +
                             std::to_string(rows) + ")");
  }
  if (nlist == 0 || nlist > kMaxNlist || nlist > rows || field(5) == 0 ||
      field(5) > nlist || field(6) > 3 || field(7) == 0) {
    return Corrupt(path, "bad parameters");
  }
  std::unique_ptr<IvfIndex> ix(new IvfIndex(view, metric));
  ix->nlist_ = nlist;
  ix->nprobe_ = field(5);
  ix->quantization_ = static_cast<Quantization>(field(6));
  ix->rerank_factor_ = field(7);
  const float step = std::bit_cast<float>(field(8));
  const uint64_t codes_at = kHeaderSize + uint64_t(nlist) * dim * 4 +
                            uint64_t(nlist + 1) * 4 + uint64_t(rows) * 4;
  uint64_t need = codes_at + 4;
  // The codes' section: its counts (binary: centroids; pq: subspaces and
  // coarse centroids) lead it, and bound its size.
  uint32_t counts[2] = {0, 0};
  const uint32_t p_dim = quant::BinaryQuantizer::RotatedDim(dim);
  const uint64_t words = quant::BinaryQuantizer::WordsFor(dim);
  switch (ix->quantization_) {
    case Quantization::kNone:
      break;
    case Quantization::kInt8:
      need += uint64_t(dim) * 4 + uint64_t(rows) * (dim + 8);
      break;
    case Quantization::kBinary:
      if (size < need + 4) return Corrupt(path, "wrong size");
      counts[0] = DecodeFixed32(base + codes_at);
      if (counts[0] == 0 || counts[0] > 256) {
        return Corrupt(path, "bad centroid count");
      }
      need += 4 + uint64_t(p_dim) * 4 * (3 + counts[0]) +
              uint64_t(rows) * (words * 8 + 1 + 8);
      break;
    case Quantization::kPq:
      if (size < need + 8) return Corrupt(path, "wrong size");
      counts[0] = DecodeFixed32(base + codes_at);
      counts[1] = DecodeFixed32(base + codes_at + 4);
      if (counts[0] == 0 || counts[0] > dim || counts[1] == 0 ||
          counts[1] > quant::ProductQuantizer::kMaxCoarse) {
        return Corrupt(path, "bad product quantizer counts");
      }
      need +=
          8 +
          uint64_t(quant::ProductQuantizer::kCentroids + counts[1]) * dim * 4 +
          uint64_t(rows) * (counts[0] + 1 + 8);
      break;
  }
  // The column blocks (version 2: statistics; 3: and row columns), each
  // its raw and packed sizes then the zstd frame, between the arrays and
  // the checksum.
  struct Block {
    uint64_t raw = 0, packed = 0, at = 0;
  };
  Block blocks[2];
  const int block_count = static_cast<int>(version) - 1;
  for (int b = 0; b < block_count; ++b) {
    const uint64_t start = need - 4;  // where the checksum would be
    if (size < need + 16) return Corrupt(path, "wrong size");
    blocks[b].raw = DecodeFixed64(base + start);
    blocks[b].packed = DecodeFixed64(base + start + 8);
    if (blocks[b].packed > size - need - 16) {
      return Corrupt(path, "wrong size");
    }
    blocks[b].at = start + 16;
    need += 16 + blocks[b].packed;
  }
  // Every array below is read from where the header says it is.
  if (size != need) return Corrupt(path, "wrong size");
  const char* at = base + kHeaderSize;
  auto take = [&](auto* v, size_t count) {
    using T = typename std::remove_reference_t<decltype(*v)>::value_type;
    v->resize(count);
    std::memcpy(v->data(), at, count * sizeof(T));
    at += count * sizeof(T);
  };
  take(&ix->centroids_, size_t(nlist) * dim);
  take(&ix->offsets_, size_t(nlist) + 1);
  take(&ix->order_, rows);
  if (!quant::AllFinite(ix->centroids_)) {
    return Corrupt(path, "non-finite centroid");
  }
  if (ix->offsets_[0] != 0 || ix->offsets_[nlist] != rows ||
      !std::is_sorted(ix->offsets_.begin(), ix->offsets_.end())) {
    return Corrupt(path, "bad partition offsets");
  }
  std::vector<bool> seen(rows);
  for (uint32_t r : ix->order_) {
    if (r >= rows || seen[r]) return Corrupt(path, "bad row list");
    seen[r] = true;
  }
  switch (ix->quantization_) {
    case Quantization::kNone:
      break;
    case Quantization::kInt8: {
      std::vector<float> mins;
      take(&mins, dim);
      auto sq = quant::ScalarQuantizer::FromParts(std::move(mins), step);
      if (!sq.ok()) return Corrupt(path, sq.status().ToString());
      ix->sq_ = std::move(sq).value();
      take(&ix->codes_, size_t(rows) * dim);
      break;
    }
    case Quantization::kBinary: {
      at += 4;
      std::vector<float> t, lo, hi, c;
      take(&t, p_dim);
      take(&lo, p_dim);
      take(&hi, p_dim);
      take(&c, size_t(p_dim) * counts[0]);
      auto bq = quant::BinaryQuantizer::FromParts(
          dim, std::move(t), std::move(lo), std::move(hi), std::move(c));
      if (!bq.ok()) return Corrupt(path, bq.status().message());
      ix->bq_ = std::move(bq).value();
      take(&ix->bits_, size_t(rows) * words);
      take(&ix->centroid_of_, rows);
      break;
    }
    case Quantization::kPq: {
      at += 8;
      std::vector<float> books, coarse;
      take(&books, size_t(quant::ProductQuantizer::kCentroids) * dim);
      take(&coarse, size_t(counts[1]) * dim);
      auto pq = quant::ProductQuantizer::FromParts(
          dim, counts[0], std::move(books), std::move(coarse));
      if (!pq.ok()) return Corrupt(path, pq.status().message());
      ix->pq_ = std::move(pq).value();
      take(&ix->codes_, size_t(rows) * counts[0]);
      take(&ix->centroid_of_, rows);
      break;
    }
  }
  // The search indexes the query's centroid table with these.
  for (uint8_t c : ix->centroid_of_) {
    const uint32_t k = ix->quantization_ == Quantization::kBinary
                           ? ix->bq_.centroid_count()
                           : ix->pq_.coarse_count();
    if (c >= k) return Corrupt(path, "bad centroid number");
  }
  if (ix->quantization_ != Quantization::kNone) {
    take(&ix->terms_, rows);
    take(&ix->norms_, rows);
  }
  if (block_count >= 1) {
    const Block& b = blocks[0];
    auto cols = PartitionColumns::Decode(
        std::string_view(base + b.at, b.packed), b.raw, nlist);
    if (!cols.ok()) return Corrupt(path, cols.status().message());
    ix->columns_ =
        std::make_shared<const PartitionColumns>(std::move(cols).value());
  }
  if (block_count >= 2) {
    const Block& b = blocks[1];
    auto cells = RowColumns::Decode(std::string_view(base + b.at, b.packed),
                                    b.raw, rows);
    if (!cells.ok()) return Corrupt(path, cells.status().message());
    const auto& have = cells->columns();
    const auto& named = ix->columns_->columns();
    bool same = have.size() == named.size();
    for (size_t c = 0; same && c < have.size(); ++c) {
      same = have[c].name == named[c].name;
    }
    if (!same) return Corrupt(path, "row columns differ from the statistics");
    ix->row_columns_ =
        std::make_shared<const RowColumns>(std::move(cells).value());
  }
  return ix;
}

}  // namespace proximadb::index
