#include "storage/segment/cold_pack.h"

#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

#include "storage/segment/segment_format.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::segment {
namespace {

uint64_t NanosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now() - t)
      .count();
}

Status PackCorruption(const std::string& what) {
  return Status::Corruption("cold pack: " + what);
}

uint32_t MaskedCrc(std::string_view b) {
  return crc32c::Mask(crc32c::Value(b.data(), b.size()));
}

struct ZstdCCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// ---------------------------------------------------------------- shuffle

// The first n/4*4 bytes as 4 planes, then the tail.
std::string Shuffle4(std::string_view in) {
  const size_t words = in.size() / 4;
  std::string out(in.size(), '\0');
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  for (size_t i = 0; i < words; ++i) {
    dst[i] = src[4 * i];
    dst[words + i] = src[4 * i + 1];
    dst[2 * words + i] = src[4 * i + 2];
    dst[3 * words + i] = src[4 * i + 3];
  }
  std::memcpy(dst + 4 * words, src + 4 * words, in.size() - 4 * words);
  return out;
}

void Unshuffle4(const char* in, size_t n, char* out) {
  const size_t words = n / 4;
  const auto* src = reinterpret_cast<const unsigned char*>(in);
  auto* dst = reinterpret_cast<unsigned char*>(out);
  for (size_t i = 0; i < words; ++i) {
    dst[4 * i] = src[i];
    dst[4 * i + 1] = src[words + i];
    dst[4 * i + 2] = src[2 * words + i];
    dst[4 * i + 3] = src[3 * words + i];
  }
  std::memcpy(dst + 4 * words, src + 4 * words, n - 4 * words);
}

// ---------------------------------------------------------------- encode

struct Chunk {
  uint32_t kind = 0;
  uint64_t offset = 0;  // in the segment file
  uint64_t length = 0;
};

struct PackedChunk {
  uint32_t kind = 0;
  ColdPackCodec codec = ColdPackCodec::kStored;
  std::string_view raw;
  std::string packed;  // empty for kStored (raw is written) and kZeros
  uint32_t raw_crc = 0;
  uint64_t nanos = 0;
};

// Parses the segment's header and section table, verifies its CRCs and
// returns the chunks covering the whole file in order.
Result<std::vector<Chunk>> PlanChunks(std::string_view f) {
  auto invalid = [](const std::string& what) {
    return Status::InvalidArgument("cold pack: not a segment file: " + what);
  };
  if (f.size() < kFixedHeaderSize) return invalid("shorter than a header");
  if (f.substr(kOffMagic, kMagic.size()) != kMagic) return invalid("bad magic");
  if (!KnownFormatVersion(DecodeFixed32(f.data() + kOffVersion))) {
    return invalid("unsupported format version");
  }
  const uint32_t sections = DecodeFixed32(f.data() + kOffSectionCount);
  if (sections > kMaxSections) return invalid("too many sections");
  const uint64_t header_len = HeaderLength(sections);
  if (DecodeFixed32(f.data() + kOffHeaderLength) != header_len ||
      header_len > f.size()) {
    return invalid("bad header length");
  }
  if (f.size() > kColdPackMaxDecodedSize) return invalid("larger than 64 GiB");
  const size_t crc_at = header_len - kHeaderCrcSize;
  if (crc32c::Unmask(DecodeFixed32(f.data() + crc_at)) !=
      crc32c::Value(f.data(), crc_at)) {
    return Status::Corruption("cold pack: segment header checksum mismatch");
  }
  struct Entry {
    uint32_t type;
    uint64_t offset, length;
    uint32_t crc;
  };
  std::vector<Entry> entries;
  for (uint32_t i = 0; i < sections; ++i) {
    const char* p = f.data() + kFixedHeaderSize + i * kSectionEntrySize;
    Entry e{DecodeFixed32(p), DecodeFixed64(p + 8), DecodeFixed64(p + 16),
            crc32c::Unmask(DecodeFixed32(p + 24))};
    if (e.offset < header_len || e.offset > f.size() ||
        e.length > f.size() - e.offset) {
      return invalid("section " + std::to_string(i) + " outside the file");
    }
    if (crc32c::Value(f.data() + e.offset, e.length) != e.crc) {
      return Status::Corruption("cold pack: segment section " +
                                std::to_string(i) + " (type " +
                                std::to_string(e.type) + ") checksum mismatch");
    }
    entries.push_back(e);
  }
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const Entry& a, const Entry& b) { return a.offset < b.offset; });
  std::vector<Chunk> chunks;
  uint64_t at = 0;
  // The header and the padding after it.
  const uint64_t first = entries.empty() ? f.size() : entries[0].offset;
  chunks.push_back({0, 0, first});
  at = first;
  for (const Entry& e : entries) {
    if (e.offset < at) return invalid("overlapping sections");
    if (e.offset > at) chunks.push_back({0, at, e.offset - at});  // padding
    chunks.push_back({e.type, e.offset, e.length});
    at = e.offset + e.length;
  }
  if (at < f.size()) chunks.push_back({0, at, f.size() - at});
  return chunks;
}

bool IsFloatSection(uint32_t kind) {
  return kind == kVectors || kind == kNorms;
}

Result<std::string> ZstdCompress(ZSTD_CCtx* cctx, std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) {
    return Status::Internal(std::string("cold pack: zstd compress: ") +
                            ZSTD_getErrorName(n));
  }
  out.resize(n);
  out.shrink_to_fit();
  return out;
}

Result<PackedChunk> PackChunk(ZSTD_CCtx* cctx, const ColdPackOptions& options,
                              uint32_t kind, std::string_view raw) {
  PackedChunk c;
  c.kind = kind;
  c.raw = raw;
  c.raw_crc = MaskedCrc(raw);
  c.codec = ColdPackCodec::kStored;
  if (raw.empty()) return c;
  if (std::all_of(raw.begin(), raw.end(), [](char b) { return b == 0; })) {
    c.codec = ColdPackCodec::kZeros;
    return c;
  }
  size_t best = raw.size();
  PDB_ASSIGN_OR_RETURN(std::string z, ZstdCompress(cctx, raw));
  if (z.size() < best) {
    best = z.size();
    c.codec = ColdPackCodec::kZstd;
    c.packed = std::move(z);
  }
  if (options.shuffle_floats && IsFloatSection(kind) && raw.size() >= 8) {
    PDB_ASSIGN_OR_RETURN(std::string s, ZstdCompress(cctx, Shuffle4(raw)));
    if (s.size() < best) {
      c.codec = ColdPackCodec::kShuffle4Zstd;
      c.packed = std::move(s);
    }
  }
  return c;
}

// ---------------------------------------------------------------- decode

struct Header {
  uint64_t decoded_size = 0;
  uint32_t decoded_crc = 0;  // unmasked
  size_t payload_at = 0;     // first chunk's packed bytes
  std::vector<ColdPackChunk> chunks;
  std::vector<uint32_t> raw_crcs;     // unmasked
  std::vector<uint32_t> packed_crcs;  // unmasked
};

Result<Header> ParseHeader(std::string_view pack) {
  if (pack.size() < kColdPackFixedSize + kColdPackTableCrcSize) {
    return PackCorruption("truncated header (" + std::to_string(pack.size()) +
                          " bytes)");
  }
  if (pack.substr(0, kColdPackMagic.size()) != kColdPackMagic) {
    return PackCorruption("bad magic");
  }
  const uint32_t version = DecodeFixed32(pack.data() + 8);
  if (version != kColdPackVersion) {
    return PackCorruption("unsupported version " + std::to_string(version));
  }
  const uint32_t count = DecodeFixed32(pack.data() + 12);
  if (count == 0 || count > kColdPackMaxChunks) {
    return PackCorruption("bad chunk count " + std::to_string(count));
  }
  const size_t table_end =
      kColdPackFixedSize + size_t{count} * kColdPackChunkEntrySize;
  if (pack.size() < table_end + kColdPackTableCrcSize) {
    return PackCorruption("truncated chunk table");
  }
  if (crc32c::Unmask(DecodeFixed32(pack.data() + table_end)) !=
      crc32c::Value(pack.data(), table_end)) {
    return PackCorruption("header checksum mismatch");
  }
  Header h;
  h.decoded_size = DecodeFixed64(pack.data() + 16);
  h.decoded_crc = crc32c::Unmask(DecodeFixed32(pack.data() + 24));
  if (DecodeFixed32(pack.data() + 28) != 0) {
    return PackCorruption("reserved header field not zero");
  }
  if (h.decoded_size > kColdPackMaxDecodedSize) {
    return PackCorruption("declared size " + std::to_string(h.decoded_size) +
                          " above the 64 GiB limit");
  }
  h.payload_at = table_end + kColdPackTableCrcSize;
  uint64_t raw_total = 0;
  uint64_t packed_total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const char* p =
        pack.data() + kColdPackFixedSize + i * kColdPackChunkEntrySize;
    ColdPackChunk c;
    c.kind = DecodeFixed32(p);
    const uint8_t codec = static_cast<uint8_t>(p[4]);
    if (codec > static_cast<uint8_t>(ColdPackCodec::kShuffle4Zstd)) {
      return PackCorruption("chunk " + std::to_string(i) + ": unknown codec " +
                            std::to_string(codec));
    }
    if (p[5] != 0 || p[6] != 0 || p[7] != 0) {
      return PackCorruption("chunk " + std::to_string(i) +
                            ": reserved bytes not zero");
    }
    c.codec = static_cast<ColdPackCodec>(codec);
    c.raw_bytes = DecodeFixed64(p + 8);
    c.packed_bytes = DecodeFixed64(p + 16);
    const std::string name = "chunk " + std::to_string(i);
    // Each bounded by the 64 GiB cap, so the sums cannot overflow.
    if (c.raw_bytes > h.decoded_size - raw_total) {
      return PackCorruption(name + ": chunks exceed the declared size");
    }
    if (c.packed_bytes > pack.size()) {
      return PackCorruption(name + ": packed length beyond the pack");
    }
    switch (c.codec) {
      case ColdPackCodec::kStored:
        if (c.packed_bytes != c.raw_bytes) {
          return PackCorruption(name + ": stored length mismatch");
        }
        break;
      case ColdPackCodec::kZeros:
        if (c.packed_bytes != 0) {
          return PackCorruption(name + ": zero chunk with packed bytes");
        }
        break;
      case ColdPackCodec::kZstd:
      case ColdPackCodec::kShuffle4Zstd:
        if (c.packed_bytes == 0 || c.raw_bytes == 0) {
          return PackCorruption(name + ": empty zstd chunk");
        }
        break;
    }
    raw_total += c.raw_bytes;
    packed_total += c.packed_bytes;
    h.raw_crcs.push_back(crc32c::Unmask(DecodeFixed32(p + 24)));
    h.packed_crcs.push_back(crc32c::Unmask(DecodeFixed32(p + 28)));
    h.chunks.push_back(c);
  }
  if (raw_total != h.decoded_size) {
    return PackCorruption("chunks cover " + std::to_string(raw_total) +
                          " bytes, declared " + std::to_string(h.decoded_size));
  }
  if (packed_total != pack.size() - h.payload_at) {
    return PackCorruption("pack is " + std::to_string(pack.size()) +
                          " bytes, its table needs " +
                          std::to_string(h.payload_at + packed_total));
  }
  return h;
}

// Decodes chunk `i` (packed bytes `packed`) into out[0, raw_bytes), checking
// both CRCs. `scratch` is reused across chunks (shuffled planes).
Status DecodeChunk(ZSTD_DCtx* dctx, const Header& h, size_t i,
                   std::string_view packed, char* out, std::string* scratch) {
  const ColdPackChunk& c = h.chunks[i];
  const std::string name = "chunk " + std::to_string(i);
  if (crc32c::Value(packed.data(), packed.size()) != h.packed_crcs[i]) {
    return PackCorruption(name + ": packed checksum mismatch");
  }
  switch (c.codec) {
    case ColdPackCodec::kStored:
      if (c.raw_bytes > 0) std::memcpy(out, packed.data(), c.raw_bytes);
      break;
    case ColdPackCodec::kZeros:
      std::memset(out, 0, c.raw_bytes);
      break;
    case ColdPackCodec::kZstd:
    case ColdPackCodec::kShuffle4Zstd: {
      const unsigned long long content =
          ZSTD_getFrameContentSize(packed.data(), packed.size());
      if (content != c.raw_bytes) {
        return PackCorruption(name + ": zstd frame content size mismatch");
      }
      if (ZSTD_findFrameCompressedSize(packed.data(), packed.size()) !=
          packed.size()) {
        return PackCorruption(name + ": zstd frame length mismatch");
      }
      char* dst = out;
      if (c.codec == ColdPackCodec::kShuffle4Zstd) {
        scratch->resize(c.raw_bytes);
        dst = scratch->data();
      }
      size_t n = ZSTD_decompressDCtx(dctx, dst, c.raw_bytes, packed.data(),
                                     packed.size());
      if (ZSTD_isError(n) || n != c.raw_bytes) {
        return PackCorruption(
            name + ": zstd: " +
            (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame"));
      }
      if (c.codec == ColdPackCodec::kShuffle4Zstd) {
        Unshuffle4(dst, c.raw_bytes, out);
      }
      break;
    }
  }
  if (crc32c::Value(out, c.raw_bytes) != h.raw_crcs[i]) {
    return PackCorruption(name + ": decoded checksum mismatch");
  }
  return Status::OK();
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

const char* ColdPackCodecName(ColdPackCodec codec) {
  switch (codec) {
    case ColdPackCodec::kStored:
      return "stored";
    case ColdPackCodec::kZeros:
      return "zeros";
    case ColdPackCodec::kZstd:
      return "zstd";
    case ColdPackCodec::kShuffle4Zstd:
      return "shuffle4+zstd";
  }
  return "?";
}

Result<std::string> EncodeColdPack(std::string_view segment_file,
                                   const ColdPackOptions& options) {
  return EncodeColdPack(segment_file, options, nullptr);
}

Result<std::string> EncodeColdPack(std::string_view segment_file,
                                   const ColdPackOptions& options,
                                   std::vector<ColdPackChunk>* chunks_out) {
  PDB_ASSIGN_OR_RETURN(std::vector<Chunk> plan, PlanChunks(segment_file));
  std::unique_ptr<ZSTD_CCtx, ZstdCCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) return Status::Internal("cold pack: ZSTD_createCCtx failed");
  size_t r = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel,
                                    options.zstd_level);
  if (!ZSTD_isError(r)) {
    r = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  }
  if (!ZSTD_isError(r) && options.zstd_workers > 0) {
    r = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_nbWorkers,
                               options.zstd_workers);
  }
  if (ZSTD_isError(r)) {
    return Status::InvalidArgument(std::string("cold pack: zstd options: ") +
                                   ZSTD_getErrorName(r));
  }
  std::vector<PackedChunk> chunks;
  chunks.reserve(plan.size());
  uint64_t packed_total = 0;
  for (const Chunk& c : plan) {
    const auto start = std::chrono::steady_clock::now();
    PDB_ASSIGN_OR_RETURN(PackedChunk p,
                         PackChunk(cctx.get(), options, c.kind,
                                   segment_file.substr(c.offset, c.length)));
    p.nanos = NanosSince(start);
    packed_total +=
        p.codec == ColdPackCodec::kStored ? p.raw.size() : p.packed.size();
    chunks.push_back(std::move(p));
  }
  std::string out;
  out.reserve(kColdPackFixedSize + chunks.size() * kColdPackChunkEntrySize +
              kColdPackTableCrcSize + packed_total);
  out.append(kColdPackMagic);
  PutFixed32(&out, kColdPackVersion);
  PutFixed32(&out, static_cast<uint32_t>(chunks.size()));
  PutFixed64(&out, segment_file.size());
  PutFixed32(&out, MaskedCrc(segment_file));
  PutFixed32(&out, 0);
  for (const PackedChunk& c : chunks) {
    std::string_view packed =
        c.codec == ColdPackCodec::kStored ? c.raw : std::string_view(c.packed);
    PutFixed32(&out, c.kind);
    out.push_back(static_cast<char>(c.codec));
    out.append(3, '\0');
    PutFixed64(&out, c.raw.size());
    PutFixed64(&out, packed.size());
    PutFixed32(&out, c.raw_crc);
    PutFixed32(&out, MaskedCrc(packed));
  }
  PutFixed32(&out, MaskedCrc(out));
  if (chunks_out != nullptr) {
    chunks_out->clear();
    for (const PackedChunk& c : chunks) {
      chunks_out->push_back(
          {c.kind, c.codec, c.raw.size(),
           c.codec == ColdPackCodec::kStored ? c.raw.size() : c.packed.size(),
           c.nanos});
    }
  }
  for (const PackedChunk& c : chunks) {
    out.append(c.codec == ColdPackCodec::kStored ? c.raw
                                                 : std::string_view(c.packed));
  }
  return out;
}

Result<std::string> EncodeColdPackFile(Env* env, const std::string& path,
                                       const ColdPackOptions& options) {
  PDB_ASSIGN_OR_RETURN(auto file, env->MapFile(path));
  auto packed =
      EncodeColdPack(std::string_view(file->data(), file->size()), options);
  if (!packed.ok()) {
    Status s = packed.status();
    return Status(s.code(), s.message() + " (" + path + ")");
  }
  return packed;
}

Result<std::vector<ColdPackChunk>> ListColdPack(std::string_view pack) {
  PDB_ASSIGN_OR_RETURN(Header h, ParseHeader(pack));
  return std::move(h.chunks);
}

Result<std::string> DecodeColdPack(std::string_view pack) {
  return DecodeColdPack(pack, nullptr);
}

Result<std::string> DecodeColdPack(std::string_view pack,
                                   std::vector<ColdPackChunk>* chunks_out) {
  PDB_ASSIGN_OR_RETURN(Header h, ParseHeader(pack));
  std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::Internal("cold pack: ZSTD_createDCtx failed");
  std::string out(h.decoded_size, '\0');
  std::string scratch;
  uint64_t at = 0;
  size_t in = h.payload_at;
  for (size_t i = 0; i < h.chunks.size(); ++i) {
    ColdPackChunk& c = h.chunks[i];
    const auto start = std::chrono::steady_clock::now();
    PDB_RETURN_IF_ERROR(DecodeChunk(dctx.get(), h, i,
                                    pack.substr(in, c.packed_bytes),
                                    out.data() + at, &scratch));
    c.nanos = NanosSince(start);
    at += c.raw_bytes;
    in += c.packed_bytes;
  }
  if (crc32c::Value(out.data(), out.size()) != h.decoded_crc) {
    return PackCorruption("decoded file checksum mismatch");
  }
  if (chunks_out != nullptr) *chunks_out = std::move(h.chunks);
  return out;
}

Status DecodeColdPackToFile(Env* env, std::string_view pack,
                            const std::string& path) {
  PDB_ASSIGN_OR_RETURN(Header h, ParseHeader(pack));
  std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::Internal("cold pack: ZSTD_createDCtx failed");
  const std::string tmp = path + ".tmp";
  Status s;
  {
    auto file = env->NewWritableFile(tmp);
    if (!file.ok()) return file.status();
    std::string buf;
    std::string scratch;
    uint32_t crc = 0;
    size_t in = h.payload_at;
    for (size_t i = 0; s.ok() && i < h.chunks.size(); ++i) {
      const ColdPackChunk& c = h.chunks[i];
      buf.resize(c.raw_bytes);
      s = DecodeChunk(dctx.get(), h, i, pack.substr(in, c.packed_bytes),
                      buf.data(), &scratch);
      if (s.ok()) s = (*file)->Append(buf);
      crc = crc32c::Extend(crc, buf.data(), buf.size());
      in += c.packed_bytes;
    }
    if (s.ok() && crc != h.decoded_crc) {
      s = PackCorruption("decoded file checksum mismatch");
    }
    if (s.ok()) s = (*file)->Sync();
    Status closed = (*file)->Close();
    if (s.ok()) s = closed;
  }
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (!s.ok()) {
    (void)env->RemoveFile(tmp);  // best effort: `s` is the error to report
    return s;
  }
  return env->SyncDir(DirName(path));
}

}  // namespace proximadb::segment
