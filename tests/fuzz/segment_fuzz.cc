// Fuzz target: Segment::Open on arbitrary bytes, served by an in-memory Env
// (whose MapFile is an exact-size heap copy, so ASan sees any read past
// the end of the "mapping").
//
// Input: flags byte, then the file.
//   flags bit 0: re-seal the section CRCs and the header CRC first, so the
//                fuzzer reaches the structural checks behind them.
//   flags bit 1: open without verifying the section CRCs.
// Invariants on a segment that opens:
//   * every accessor of every row stays inside the file (ASan), ids are
//     sorted and unique, Find and LowerBound find each row, versions lie in
//     [min_seq, max_seq], optional sections lie inside the file;
//   * the rows written again by the real writer (compressed when the input
//     was: format version 2, ids and metadata as zstd frames) open to the
//     same rows (norms recomputed; empty metadata written as "{}"), and
//     writing those once more gives identical bytes (the writer is
//     deterministic);
//   * a full segment opened with its CRCs verified makes a cold stub
//     (MakeColdStub) that opens with the same rows and the ref given; a stub
//     (is_stub: no vectors) is refused by MakeColdStub, as kInvalidArgument
//     when its CRCs were verified, and is not rewritten.
// Anything else must be kCorruption.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "storage/segment/cold_stub.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_format.h"
#include "storage/segment/segment_writer.h"

namespace proximadb::fuzz {
namespace {

using segment::Segment;
namespace sf = segment;

void Seal(std::string* f) {
  if (f->size() < sf::kFixedHeaderSize) return;
  const uint32_t count = DecodeFixed32(f->data() + sf::kOffSectionCount);
  if (count > sf::kMaxSections) return;
  const uint64_t header = sf::HeaderLength(count);
  if (header > f->size()) return;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t e = sf::kFixedHeaderSize + uint64_t{i} * 32;
    const uint64_t off = DecodeFixed64(f->data() + e + 8);
    const uint64_t len = DecodeFixed64(f->data() + e + 16);
    if (off <= f->size() && len <= f->size() - off) {
      SealCrc(f, off, off + len, e + 24);
    }
  }
  SealCrc(f, 0, header - 4, header - 4);
}

// Reads every byte the accessors hand out, so a bad bound is an ASan report.
uint64_t TouchRow(const Segment& s, size_t r) {
  uint64_t sum = 0;
  for (char c : s.id(r)) sum += static_cast<unsigned char>(c);
  for (char c : s.metadata_json(r)) sum += static_cast<unsigned char>(c);
  uint32_t bits;
  for (uint32_t d = 0; d < s.dimension() && !s.is_stub(); ++d) {
    std::memcpy(&bits, s.vector(r) + d, 4);
    sum += bits;
  }
  std::memcpy(&bits, s.norms() + r, 4);
  return sum + bits + s.deleted_at_write(r);
}

void CheckRows(const Segment& s) {
  uint64_t sum = 0;
  for (size_t r = 0; r < s.size(); ++r) {
    sum += TouchRow(s, r);
    FUZZ_CHECK(s.version(r) >= s.min_seq() && s.version(r) <= s.max_seq());
    if (r > 0) FUZZ_CHECK(s.id(r - 1) < s.id(r), "ids not sorted/unique");
    FUZZ_CHECK(s.Find(s.id(r)) == r);
    FUZZ_CHECK(s.LowerBound(s.id(r)) == r);
    // An id just after this one (and before the next) is absent.
    std::string after(s.id(r));
    after.push_back('\0');
    if (r + 1 == s.size() || s.id(r + 1) != after) {
      FUZZ_CHECK(!s.Find(after).has_value());
      FUZZ_CHECK(s.LowerBound(after) == r + 1);
    }
  }
  for (uint32_t t = 1; t <= sf::kPayloadIndexLast; ++t) {
    std::string_view sec = s.Section(t);
    for (char c : sec) sum += static_cast<unsigned char>(c);
  }
  // Sparse vectors: every accepted row blob decodes, and the index only
  // names rows of the segment, once each and ascending. (Whether the index
  // agrees with the blobs is not checked: an unverified open may take a
  // damaged section whose CRC would have said so.)
  const SparseVector query{{0, 1, 3, 8, 9}, {1, 1, 1, 1, 1}};
  for (const char* name : {"kw", "sp"}) {
    std::vector<std::pair<uint32_t, double>> hits;
    s.sparse_index().Score(name, query, &hits);
    for (size_t i = 0; i < hits.size(); ++i) {
      FUZZ_CHECK(hits[i].first < s.size());
      FUZZ_CHECK(i == 0 || hits[i - 1].first < hits[i].first);
      sum += hits[i].first;
    }
  }
  for (size_t r = 0; r < s.size(); ++r) {
    SparseVectors v;
    FUZZ_CHECK(proximadb::index::DecodeSparseVectors(s.sparse(r), &v).ok());
  }
  FUZZ_CHECK(sum != 1);  // keeps the reads from being optimised away
}

Result<std::shared_ptr<Segment>> Rewrite(Env* env, const Segment& s,
                                         const std::string& path) {
  Status st = sf::WriteSegment(
      env, path, {s.segment_id(), s.dimension(), s.metric(), s.compressed()},
      s.size(),
      [&](size_t r) {
        return sf::SegmentRow{s.id(r),      s.vector(r), s.metadata_json(r),
                              s.version(r), s.sparse(r), s.expires_at(r)};
      },
      [&](size_t r) { return s.deleted_at_write(r); });
  FUZZ_CHECK(st.ok(), st);
  return Segment::Open(env, path);
}

void CheckRewrite(Env* env, const Segment& s) {
  auto again = Rewrite(env, s, "/seg/rewritten.pdb");
  FUZZ_CHECK(again.ok(), again.status());
  const Segment& a = **again;
  FUZZ_CHECK(a.size() == s.size() && a.dimension() == s.dimension() &&
             a.metric() == s.metric() && a.segment_id() == s.segment_id() &&
             a.compressed() == s.compressed());
  for (size_t r = 0; r < s.size(); ++r) {
    FUZZ_CHECK(a.id(r) == s.id(r) && a.version(r) == s.version(r) &&
               a.deleted_at_write(r) == s.deleted_at_write(r));
    FUZZ_CHECK(
        std::memcmp(a.vector(r), s.vector(r), size_t{s.dimension()} * 4) == 0);
    const std::string_view m = s.metadata_json(r);
    FUZZ_CHECK(a.metadata_json(r) == (m.empty() ? "{}" : m));
    FUZZ_CHECK(a.sparse(r) == s.sparse(r));
    FUZZ_CHECK(a.expires_at(r) == s.expires_at(r));
  }
  auto twice = Rewrite(env, a, "/seg/rewritten2.pdb");
  FUZZ_CHECK(twice.ok(), twice.status());
  auto b1 = env->ReadFileToString("/seg/rewritten.pdb");
  auto b2 = env->ReadFileToString("/seg/rewritten2.pdb");
  FUZZ_CHECK(b1.ok() && b2.ok() && *b1 == *b2, "writer is not deterministic");
}

void CheckStub(Env* env, const std::string& bytes, const Segment& s,
               bool verified) {
  if (s.is_stub()) {
    FUZZ_CHECK(s.cold_ref() != nullptr && s.vectors() == nullptr &&
               s.Section(sf::kVectors).empty());
    auto again = sf::MakeColdStub(bytes, *s.cold_ref());
    FUZZ_CHECK(!again.ok());
    FUZZ_CHECK(
        !verified || again.status().code() == StatusCode::kInvalidArgument,
        again.status());
    return;
  }
  FUZZ_CHECK(s.cold_ref() == nullptr);
  if (!verified) return;  // MakeColdStub verifies every CRC
  const sf::ColdRef ref{"fuzz/pack", 1, 2, bytes.size(),
                        crc32c::Value(bytes.data(), bytes.size())};
  auto stub = sf::MakeColdStub(bytes, ref);
  if (DecodeFixed32(bytes.data() + sf::kOffSectionCount) == sf::kMaxSections) {
    FUZZ_CHECK(stub.status().code() == StatusCode::kInvalidArgument);
    return;  // no room left for the cold ref section
  }
  FUZZ_CHECK(stub.ok(), stub.status());
  PutFile(env, "/seg/stub.pdb", *stub);
  auto opened = Segment::Open(env, "/seg/stub.pdb");
  FUZZ_CHECK(opened.ok(), opened.status());
  const Segment& t = **opened;
  FUZZ_CHECK(t.is_stub() && *t.cold_ref() == ref && t.vectors() == nullptr);
  FUZZ_CHECK(t.size() == s.size() && t.dimension() == s.dimension() &&
             t.metric() == s.metric() && t.segment_id() == s.segment_id() &&
             t.min_seq() == s.min_seq() && t.max_seq() == s.max_seq());
  for (size_t r = 0; r < s.size(); ++r) {
    FUZZ_CHECK(t.id(r) == s.id(r) && t.version(r) == s.version(r) &&
               t.metadata_json(r) == s.metadata_json(r) &&
               t.deleted_at_write(r) == s.deleted_at_write(r) &&
               std::memcmp(t.norms() + r, s.norms() + r, 4) == 0);
  }
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  std::string_view in = AsView(data, size);
  const uint8_t flags = TakeFlags(&in);
  std::string bytes(in);
  if (flags & 1) Seal(&bytes);
  Env* env = MemEnvWithDir("/seg");
  PutFile(env, "/seg/input.pdb", bytes);
  auto seg = segment::Segment::Open(env, "/seg/input.pdb", (flags & 2) == 0);
  if (!seg.ok()) {
    FUZZ_CHECK(seg.status().IsCorruption(), seg.status());
    return 0;
  }
  CheckRows(**seg);
  CheckStub(env, bytes, **seg, (flags & 2) == 0);
  if (!(*seg)->is_stub()) CheckRewrite(env, **seg);
  return 0;
}
