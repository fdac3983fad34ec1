// Save and Load of the graph file described in hnsw/hnsw_format.h. Load
// checks every checksum and then every structural invariant the search
// relies on (list lengths, row ids, levels of linked rows), so a damaged or
// hostile file is a Corruption status and never an out-of-bounds read.
#include <bit>
#include <cmath>
#include <cstring>
#include <string_view>

#include "index/hnsw/graph_walk_inl.h"
#include "index/hnsw/hnsw_format.h"
#include "index/hnsw/hnsw_index.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::index {

namespace fmt = hnsw_format;

static_assert(std::endian::native == std::endian::little,
              "the graph file stores raw little-endian arrays");

namespace {

struct Section {
  uint32_t type;
  std::string_view bytes;
  uint64_t offset = 0;
};

uint64_t AlignUp(uint64_t x) {
  return (x + fmt::kAlign - 1) / fmt::kAlign * fmt::kAlign;
}

uint32_t Crc(std::string_view s) {
  return crc32c::Mask(crc32c::Value(s.data(), s.size()));
}

template <typename T>
std::string_view Bytes(const T* p, size_t count) {
  return {reinterpret_cast<const char*>(p), count * sizeof(T)};
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status::Corruption("hnsw file " + path + ": " + what);
}

}  // namespace

Status HnswIndex::Save(Env* env, const std::string& path) const {
  const uint32_t n = capacity_;
  const uint64_t e = entry_.load(std::memory_order_acquire);
  // Upper lists are gathered into one array with per-row offsets.
  std::vector<uint32_t> offs(n, 0), upper;
  for (uint32_t r = 0; r < n; ++r) {
    const int lv = LevelOf(r);
    if (lv <= 0) continue;
    offs[r] = static_cast<uint32_t>(upper.size());
    const uint32_t* first = List(r, 1);
    upper.insert(upper.end(), first, first + size_t(lv) * strideU_);
  }
  if (upper.size() >= UINT32_MAX)
    return Status::ResourceExhausted("hnsw: graph too large");
  std::vector<Section> secs = {
      {fmt::kLevels, Bytes(levels_, n)},
      {fmt::kLevel0, Bytes(level0_, size_t(n) * stride0_)},
      {fmt::kUpperOffsets, Bytes(offs.data(), offs.size())},
      {fmt::kUpper, Bytes(upper.data(), upper.size())},
  };
  if (codes_ != nullptr) {
    secs.push_back({fmt::kSqMins, Bytes(sq_.mins().data(), sq_.mins().size())});
    secs.push_back({fmt::kSqCodes, Bytes(codes_, size_t(n) * dim_)});
    secs.push_back({fmt::kSqTerms, Bytes(terms_, n)});
  }
  std::vector<float> bq_levels;
  if (bits_ != nullptr) {
    for (const auto* v : {&bq_.thresholds(), &bq_.lo(), &bq_.hi()}) {
      bq_levels.insert(bq_levels.end(), v->begin(), v->end());
    }
    secs.push_back({fmt::kBqLevels, Bytes(bq_levels.data(), bq_levels.size())});
    secs.push_back({fmt::kBqCodes, Bytes(bits_, size_t(n) * bq_.words())});
    secs.push_back({fmt::kBqTerms, Bytes(terms_, n)});
    secs.push_back({fmt::kBqCentroids,
                    Bytes(bq_.centroids().data(), bq_.centroids().size())});
    secs.push_back({fmt::kBqAssign, Bytes(centroid_of_, n)});
  }
  if (pq_codes_ != nullptr) {
    secs.push_back({fmt::kPqCodebooks,
                    Bytes(pq_.codebooks().data(), pq_.codebooks().size())});
    secs.push_back(
        {fmt::kPqCodes, Bytes(pq_codes_, size_t(n) * pq_.subspaces())});
    secs.push_back(
        {fmt::kPqCoarse, Bytes(pq_.coarse().data(), pq_.coarse().size())});
    secs.push_back({fmt::kPqAssign, Bytes(centroid_of_, n)});
    secs.push_back({fmt::kPqTerms, Bytes(terms_, n)});
  }
  const uint32_t count = static_cast<uint32_t>(secs.size());
  uint64_t pos = AlignUp(fmt::kHeaderSize + count * fmt::kTableEntrySize + 4);
  for (Section& s : secs) {
    s.offset = pos;
    pos = AlignUp(pos + s.bytes.size());
  }

  std::string head(fmt::kHeaderSize, '\0');
  std::memcpy(head.data(), fmt::kMagic, 8);
  const uint32_t fields[] = {fmt::kVersion,
                             fmt::kHeaderSize,
                             static_cast<uint32_t>(metric_),
                             dim_,
                             n,
                             params_.m,
                             params_.ef_construction,
                             params_.ef_search,
                             static_cast<uint32_t>(params_.quantization),
                             params_.rerank_factor,
                             uint32_t(e),
                             static_cast<uint32_t>(int(e >> 32) - 1),
                             count,
                             size()};
  for (size_t i = 0; i < std::size(fields); ++i) {
    EncodeFixed32(head.data() + 8 + 4 * i, fields[i]);
  }
  EncodeFixed64(head.data() + 64, params_.seed);
  float step = codes_ != nullptr ? sq_.step() : 0.0f;
  EncodeFixed32(head.data() + 72, std::bit_cast<uint32_t>(step));
  EncodeFixed32(head.data() + 76, pq_codes_ != nullptr ? pq_.subspaces() : 0);
  EncodeFixed32(head.data() + 124, Crc(std::string_view(head).substr(0, 124)));
  std::string table;
  for (const Section& s : secs) {
    PutFixed32(&table, s.type);
    PutFixed32(&table, 0);
    PutFixed64(&table, s.offset);
    PutFixed64(&table, s.bytes.size());
    PutFixed32(&table, Crc(s.bytes));
    PutFixed32(&table, 0);
  }
  PutFixed32(&table, Crc(table));
  head += table;

  const std::string tmp = path + ".tmp";
  PDB_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp));
  static const std::string kZeros(fmt::kAlign, '\0');
  auto pad_to = [&](uint64_t target) -> Status {
    return file->Append(
        std::string_view(kZeros).substr(0, target - file->Size()));
  };
  Status s = file->Append(head);
  for (const Section& sec : secs) {
    if (s.ok()) s = pad_to(sec.offset);
    if (s.ok()) s = file->Append(sec.bytes);
  }
  if (s.ok()) s = file->Sync();
  Status c = file->Close();
  if (s.ok()) s = c;
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (!s.ok()) {
    (void)env->RemoveFile(tmp);  // best effort; the first error is reported
    return s;
  }
  return env->SyncDir(ParentDir(path));
}

Result<std::unique_ptr<HnswIndex>> HnswIndex::Load(Env* env,
                                                   const std::string& path,
                                                   VectorView view,
                                                   Metric metric) {
  PDB_ASSIGN_OR_RETURN(auto file, env->MapFile(path));
  const char* base = file->data();
  const uint64_t size = file->size();
  if (size < fmt::kHeaderSize) return Corrupt(path, "truncated header");
  if (std::memcmp(base, fmt::kMagic, 8) != 0) return Corrupt(path, "bad magic");
  if (Crc({base, 124}) != DecodeFixed32(base + 124)) {
    return Corrupt(path, "header checksum mismatch");
  }
  auto field = [&](int i) { return DecodeFixed32(base + 8 + 4 * i); };
  if (field(0) != fmt::kVersion) return Corrupt(path, "unsupported version");
  if (field(1) != fmt::kHeaderSize) return Corrupt(path, "bad header size");
  HnswParams params;
  const uint32_t file_metric = field(2), dim = field(3), n = field(4);
  params.m = field(5);
  params.ef_construction = field(6);
  params.ef_search = field(7);
  const uint32_t quant = field(8);
  params.rerank_factor = field(9);
  const uint32_t entry = field(10);
  const int max_level = static_cast<int32_t>(field(11));
  const uint32_t count = field(12), inserted = field(13);
  params.seed = DecodeFixed64(base + 64);
  const float step = std::bit_cast<float>(DecodeFixed32(base + 72));
  const uint32_t pq_m = DecodeFixed32(base + 76);
  const bool pq = quant == static_cast<uint32_t>(Quantization::kPq);
  // m 0: codes only (no links; every row inserted is on level 0 and the
  // graph has no entry point).
  const bool codes_only = params.m == 0;
  if ((codes_only ? quant == 0 || max_level != -1
                  : params.m < 2 || params.m > 128) ||
      params.ef_construction == 0 || params.ef_search == 0 || quant > 3 ||
      (pq ? pq_m == 0 || pq_m > dim : pq_m != 0) || max_level < -1 ||
      max_level > 30 || count > fmt::kMaxSections || inserted > n ||
      n == UINT32_MAX) {
    return Corrupt(path, "header field out of range");
  }
  if (max_level >= 0 && entry >= n) return Corrupt(path, "bad entry row");
  params.quantization = static_cast<Quantization>(quant);
  params.pq_subspaces = pq_m;
  if (file_metric != static_cast<uint32_t>(metric)) {
    return Status::InvalidArgument("hnsw file " + path + ": metric differs");
  }
  if (dim != view.dim || n > view.rows || (n > 0 && view.data == nullptr) ||
      (metric == Metric::kCosine && view.norms == nullptr)) {
    return Status::InvalidArgument("hnsw file " + path +
                                   ": does not match the vector view");
  }
  if (reinterpret_cast<uintptr_t>(base) % alignof(uint32_t) != 0) {
    return Status::Internal("hnsw: mapping is not word aligned");
  }

  const uint64_t table_end = fmt::kHeaderSize + uint64_t(count) * 32;
  if (table_end + 4 > size) return Corrupt(path, "truncated section table");
  if (Crc({base + fmt::kHeaderSize, table_end - fmt::kHeaderSize}) !=
      DecodeFixed32(base + table_end)) {
    return Corrupt(path, "section table checksum mismatch");
  }
  std::string_view sec[fmt::kMaxSectionType + 1];
  for (uint32_t i = 0; i < count; ++i) {
    const char* t = base + fmt::kHeaderSize + 32 * i;
    const uint32_t type = DecodeFixed32(t);
    const uint64_t off = DecodeFixed64(t + 8), len = DecodeFixed64(t + 16);
    if (type < 1 || type > fmt::kMaxSectionType ||
        sec[type].data() != nullptr) {
      return Corrupt(path, "bad section type");
    }
    if (off % fmt::kAlign != 0 || off < table_end || off > size ||
        len > size - off) {
      return Corrupt(path, "section outside the file");
    }
    sec[type] = std::string_view(base + off, len);
    if (Crc(sec[type]) != DecodeFixed32(t + 24)) {
      return Corrupt(path, "section checksum mismatch");
    }
  }
  const size_t stride0 = 1 + 2 * size_t(params.m), strideU = 1 + params.m;
  const bool int8 = params.quantization == Quantization::kInt8;
  const bool binary = params.quantization == Quantization::kBinary;
  const size_t words = quant::BinaryQuantizer::WordsFor(dim);
  if (sec[fmt::kLevels].size() != n ||
      sec[fmt::kLevel0].size() != size_t(n) * stride0 * 4 ||
      sec[fmt::kUpperOffsets].size() != size_t(n) * 4 ||
      sec[fmt::kUpper].size() % 4 != 0 || sec[fmt::kLevels].data() == nullptr ||
      sec[fmt::kUpper].data() == nullptr ||
      (int8 && (sec[fmt::kSqMins].size() != size_t(dim) * 4 ||
                sec[fmt::kSqCodes].size() != size_t(n) * dim ||
                sec[fmt::kSqTerms].size() != size_t(n) * 4)) ||
      (binary &&
       (sec[fmt::kBqLevels].size() !=
            size_t(quant::BinaryQuantizer::RotatedDim(dim)) * 3 * 4 ||
        sec[fmt::kBqCodes].size() != size_t(n) * words * 8 ||
        sec[fmt::kBqTerms].size() != size_t(n) * 4 ||
        sec[fmt::kBqCentroids].size() %
                (size_t(quant::BinaryQuantizer::RotatedDim(dim)) * 4) !=
            0 ||
        sec[fmt::kBqAssign].size() != n)) ||
      (pq && (sec[fmt::kPqCodebooks].size() !=
                  size_t(quant::ProductQuantizer::kCentroids) * dim * 4 ||
              sec[fmt::kPqCodes].size() != size_t(n) * pq_m ||
              sec[fmt::kPqCoarse].size() % (size_t(dim) * 4) != 0 ||
              sec[fmt::kPqAssign].size() != n ||
              sec[fmt::kPqTerms].size() != size_t(n) * 4))) {
    return Corrupt(path, "section size does not match the header");
  }

  // Structure: what the walk trusts without checking.
  const auto* levels =
      reinterpret_cast<const int8_t*>(sec[fmt::kLevels].data());
  const auto* l0 = reinterpret_cast<const uint32_t*>(sec[fmt::kLevel0].data());
  const auto* offs =
      reinterpret_cast<const uint32_t*>(sec[fmt::kUpperOffsets].data());
  const auto* up = reinterpret_cast<const uint32_t*>(sec[fmt::kUpper].data());
  const uint64_t up_words = sec[fmt::kUpper].size() / 4;
  uint32_t present = 0;
  const int top_level = codes_only ? 0 : max_level;
  for (uint32_t r = 0; r < n; ++r) {
    if (levels[r] < -1 || levels[r] > top_level)
      return Corrupt(path, "bad level");
    present += levels[r] >= 0;
  }
  if (present != inserted) return Corrupt(path, "row count mismatch");
  if ((!codes_only && (max_level >= 0) != (inserted > 0)) ||
      (max_level >= 0 && levels[entry] != max_level)) {
    return Corrupt(path, "bad entry point");
  }
  auto check_list = [&](const uint32_t* list, uint32_t cap, int level) {
    if (list[0] > cap) return false;
    for (uint32_t j = 1; j <= list[0]; ++j) {
      if (list[j] >= n || levels[list[j]] < level) return false;
    }
    return true;
  };
  for (uint32_t r = 0; r < n; ++r) {
    const uint32_t* list = l0 + size_t(r) * stride0;
    if (!check_list(list, 2 * params.m, 0) || (levels[r] < 0 && list[0] != 0)) {
      return Corrupt(path, "bad level-0 list");
    }
    for (int lv = 1; lv <= levels[r]; ++lv) {
      if (uint64_t(offs[r]) + uint64_t(levels[r]) * strideU > up_words ||
          !check_list(up + offs[r] + size_t(lv - 1) * strideU, params.m, lv)) {
        return Corrupt(path, "bad upper-level list");
      }
    }
  }

  auto idx = std::unique_ptr<HnswIndex>(new HnswIndex(view, metric, params, n));
  idx->level0_ = const_cast<uint32_t*>(l0);  // never written: Add refuses
  idx->levels_ = const_cast<int8_t*>(levels);
  idx->upper_off_ = offs;
  idx->upper_data_ = up;
  if (int8) {
    std::vector<float> mins(dim);
    std::memcpy(mins.data(), sec[fmt::kSqMins].data(), size_t(dim) * 4);
    auto sq = quant::ScalarQuantizer::FromParts(std::move(mins), step);
    if (!sq.ok()) return Corrupt(path, sq.status().message());
    idx->sq_ = std::move(sq).value();
    idx->codes_ = reinterpret_cast<const uint8_t*>(sec[fmt::kSqCodes].data());
    idx->terms_ = reinterpret_cast<const float*>(sec[fmt::kSqTerms].data());
  }
  if (binary) {
    const size_t p = quant::BinaryQuantizer::RotatedDim(dim);
    std::vector<float> levels3(p * 3);
    std::memcpy(levels3.data(), sec[fmt::kBqLevels].data(), levels3.size() * 4);
    auto part = [&](int i) {
      return std::vector<float>(levels3.begin() + i * p,
                                levels3.begin() + (i + 1) * p);
    };
    const std::string_view cs = sec[fmt::kBqCentroids];
    std::vector<float> centroids(cs.size() / 4);
    if (!cs.empty()) std::memcpy(centroids.data(), cs.data(), cs.size());
    auto bq = quant::BinaryQuantizer::FromParts(dim, part(0), part(1), part(2),
                                                std::move(centroids));
    if (!bq.ok()) return Corrupt(path, bq.status().message());
    // The walk indexes the query's centroid table with these.
    const auto* assign =
        reinterpret_cast<const uint8_t*>(sec[fmt::kBqAssign].data());
    const uint32_t k = bq->centroid_count();
    for (uint32_t r = 0; r < n; ++r) {
      if (assign[r] >= k) return Corrupt(path, "bad centroid number");
    }
    idx->centroid_of_ = assign;
    idx->bq_ = std::move(bq).value();
    idx->bits_ = reinterpret_cast<const uint64_t*>(sec[fmt::kBqCodes].data());
    idx->terms_ = reinterpret_cast<const float*>(sec[fmt::kBqTerms].data());
  }
  if (pq) {
    std::vector<float> books(sec[fmt::kPqCodebooks].size() / 4);
    std::memcpy(books.data(), sec[fmt::kPqCodebooks].data(), books.size() * 4);
    const std::string_view cs = sec[fmt::kPqCoarse];
    std::vector<float> coarse(cs.size() / 4);
    if (!cs.empty()) std::memcpy(coarse.data(), cs.data(), cs.size());
    auto pqz = quant::ProductQuantizer::FromParts(dim, pq_m, std::move(books),
                                                  std::move(coarse));
    if (!pqz.ok()) return Corrupt(path, pqz.status().message());
    // Every code byte names a codeword; the centroid numbers index the
    // query's centroid table, so they are checked.
    const auto* assign =
        reinterpret_cast<const uint8_t*>(sec[fmt::kPqAssign].data());
    for (uint32_t r = 0; r < n; ++r) {
      if (assign[r] >= pqz->coarse_count()) {
        return Corrupt(path, "bad centroid number");
      }
    }
    idx->pq_ = std::move(pqz).value();
    idx->pq_codes_ =
        reinterpret_cast<const uint8_t*>(sec[fmt::kPqCodes].data());
    idx->centroid_of_ = assign;
    idx->terms_ = reinterpret_cast<const float*>(sec[fmt::kPqTerms].data());
  }
  if (max_level >= 0) idx->entry_ = (uint64_t(max_level + 1) << 32) | entry;
  idx->size_ = inserted;
  idx->file_ = std::move(file);
  return idx;
}

}  // namespace proximadb::index
