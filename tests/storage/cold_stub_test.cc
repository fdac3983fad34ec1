// The stub of a cold segment: made from a full segment file, it opens as a
// Segment with every row's id, version, metadata, norm and deleted bit but
// no vectors, and refuses any damage like a full segment does.
#include "storage/segment/cold_stub.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <tuple>
#include <vector>

#include "proximadb/env.h"
#include "storage/segment/cold_pack.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_format.h"
#include "storage/segment/segment_header.h"
#include "storage/segment/segment_writer.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/fault_injection_env.h"

namespace proximadb::segment {
namespace {

uint32_t Crc(std::string_view b) { return crc32c::Value(b.data(), b.size()); }

SegmentHeaderFields FieldsOf(const std::string& f) {
  return {DecodeFixed32(f.data() + kOffDimension),
          DecodeFixed32(f.data() + kOffMetric),
          DecodeFixed64(f.data() + kOffPointCount),
          DecodeFixed64(f.data() + kOffSegmentId),
          DecodeFixed64(f.data() + kOffMinSeq),
          DecodeFixed64(f.data() + kOffMaxSeq)};
}

std::vector<SectionEntry> TableOf(const std::string& f) {
  std::vector<SectionEntry> t;
  const uint32_t n = DecodeFixed32(f.data() + kOffSectionCount);
  for (uint32_t i = 0; i < n; ++i) {
    const char* p = f.data() + kFixedHeaderSize + i * kSectionEntrySize;
    t.push_back({DecodeFixed32(p), DecodeFixed64(p + 8), DecodeFixed64(p + 16),
                 crc32c::Unmask(DecodeFixed32(p + 24))});
  }
  return t;
}

// `f` with one more section (type, bytes) at its end, CRCs sealed.
std::string WithSection(const std::string& f, uint32_t type,
                        const std::string& bytes) {
  std::vector<SectionEntry> t = TableOf(f);
  const uint64_t old_first = AlignUp(HeaderLength(t.size()));
  const uint64_t shift = AlignUp(HeaderLength(t.size() + 1)) - old_first;
  for (SectionEntry& e : t) e.offset += shift;
  const uint64_t at = AlignUp(f.size() + shift);
  t.push_back({type, at, bytes.size(), Crc(bytes)});
  std::string out = EncodeSegmentHeader(FieldsOf(f), t);
  out.resize(old_first + shift, '\0');
  out += f.substr(old_first);
  out.resize(at, '\0');
  return out + bytes;
}

// The entry of the first section of `type`, and its bytes.
const char* SectionData(const std::string& f, uint32_t type, uint64_t* length) {
  for (const SectionEntry& e : TableOf(f)) {
    if (e.type == type) {
      *length = e.length;
      return f.data() + e.offset;
    }
  }
  ADD_FAILURE() << "no section " << type;
  return nullptr;
}

// Recomputes every section CRC and the header CRC after a deliberate edit.
void ResealSegment(std::string* f) {
  std::vector<SectionEntry> t = TableOf(*f);
  for (SectionEntry& e : t) e.crc = Crc(f->substr(e.offset, e.length));
  const std::string h = EncodeSegmentHeader(FieldsOf(*f), t);
  f->replace(0, h.size(), h);
}

class ColdStubTest : public ::testing::Test {
 protected:
  // Writes `count` rows of dimension `dim` to `path`; returns the bytes.
  std::string WriteSample(size_t count, uint32_t dim,
                          const std::string& path = "/seg/full.seg",
                          bool compress = false) {
    ids_.clear();
    meta_.clear();
    vecs_.assign(count * dim, 0);
    for (size_t i = 0; i < count; ++i) {
      char buf[16];
      snprintf(buf, sizeof buf, "id-%05zu", i);
      ids_.push_back(buf);
      meta_.push_back(i % 2 ? R"({"k":)" + std::to_string(i) + "}" : "");
      for (uint32_t j = 0; j < dim; ++j) vecs_[i * dim + j] = float(i) - j;
    }
    Status s = WriteSegment(
        env_.get(), path, {3, dim, Metric::kDotProduct, compress}, count,
        [&](size_t i) {
          return SegmentRow{ids_[i], vecs_.data() + i * dim, meta_[i],
                            100 + i * 3};
        },
        [](size_t i) { return i % 3 == 0; });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return env_->ReadFileToString(path).value();
  }

  static ColdRef RefFor(const std::string& full) {
    ColdRef ref;
    ref.key = "cold/collection-1/segment-3.pack";
    Result<std::string> pack = EncodeColdPack(full);
    EXPECT_TRUE(pack.ok()) << pack.status().ToString();
    ref.object_size = pack->size();
    ref.object_crc32c = Crc(*pack);
    ref.segment_size = full.size();
    ref.segment_crc32c = Crc(full);
    return ref;
  }

  std::string Stub(const std::string& full) {
    Result<std::string> stub = MakeColdStub(full, RefFor(full));
    EXPECT_TRUE(stub.ok()) << stub.status().ToString();
    return stub.ok() ? *stub : std::string();
  }

  Result<std::shared_ptr<Segment>> OpenBytes(const std::string& bytes,
                                             bool verify = true) {
    EXPECT_TRUE(env_->WriteFileAtomically("/seg/bytes.seg", bytes).ok());
    return Segment::Open(env_.get(), "/seg/bytes.seg", verify);
  }

  void ExpectCorrupt(const std::string& bytes, const std::string& what,
                     bool verify = true) {
    auto seg = OpenBytes(bytes, verify);
    ASSERT_FALSE(seg.ok()) << what;
    EXPECT_TRUE(seg.status().IsCorruption())
        << what << ": " << seg.status().ToString();
  }

  // The stub shows the full segment's rows, all but the vectors.
  static void ExpectSameRows(const Segment& full, const Segment& stub) {
    EXPECT_FALSE(full.is_stub());
    EXPECT_EQ(full.cold_ref(), nullptr);
    EXPECT_TRUE(stub.is_stub());
    EXPECT_EQ(stub.vectors(), nullptr);
    EXPECT_EQ(stub.segment_id(), full.segment_id());
    EXPECT_EQ(stub.dimension(), full.dimension());
    EXPECT_EQ(stub.metric(), full.metric());
    EXPECT_EQ(stub.min_seq(), full.min_seq());
    EXPECT_EQ(stub.max_seq(), full.max_seq());
    ASSERT_EQ(stub.size(), full.size());
    for (size_t r = 0; r < full.size(); ++r) {
      EXPECT_EQ(stub.id(r), full.id(r));
      EXPECT_EQ(stub.version(r), full.version(r));
      EXPECT_EQ(stub.metadata_json(r), full.metadata_json(r));
      EXPECT_EQ(stub.norm(r), full.norm(r));
      EXPECT_EQ(stub.deleted_at_write(r), full.deleted_at_write(r));
      EXPECT_EQ(stub.Find(full.id(r)), r);
    }
  }

  std::unique_ptr<Env> env_ = [] {
    auto env = NewMemEnv();
    EXPECT_TRUE(env->CreateDirIfMissing("/seg").ok());
    return env;
  }();
  std::vector<std::string> ids_, meta_;
  std::vector<float> vecs_;
};

TEST_F(ColdStubTest, RoundTrip) {
  const std::string full = WriteSample(200, 32);
  const ColdRef ref = RefFor(full);
  ASSERT_TRUE(
      WriteColdStub(env_.get(), "/seg/full.seg", ref, "/seg/stub.seg").ok());
  EXPECT_EQ(env_->ReadFileToString("/seg/full.seg").value(), full);
  EXPECT_FALSE(env_->FileExists("/seg/stub.seg.tmp"));

  auto f = Segment::Open(env_.get(), "/seg/full.seg");
  auto s = Segment::Open(env_.get(), "/seg/stub.seg");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectSameRows(**f, **s);
  ASSERT_NE((*s)->cold_ref(), nullptr);
  EXPECT_EQ(*(*s)->cold_ref(), ref);
  EXPECT_EQ((*s)->Section(kVectors).size(), 0u);
  EXPECT_EQ((*s)->Section(kColdRef), EncodeColdRef(ref));
  // 200 x 32 floats are 25,600 of the full file's bytes.
  EXPECT_LT((*s)->file_bytes() * 3, (*f)->file_bytes())
      << (*s)->file_bytes() << " vs " << (*f)->file_bytes();
  // The stub in memory is the file written.
  EXPECT_EQ(env_->ReadFileToString("/seg/stub.seg").value(),
            MakeColdStub(full, ref).value());
}

TEST_F(ColdStubTest, EmptySegment) {
  const std::string full = WriteSample(0, 7);
  auto f = OpenBytes(full);
  ASSERT_TRUE(f.ok());
  auto s = OpenBytes(Stub(full));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectSameRows(**f, **s);
  EXPECT_EQ((*s)->cold_ref()->segment_size, full.size());
}

// A stub holds no vector bytes, so the plausibility bound on the point count
// must not charge 4 * dimension bytes per row.
TEST_F(ColdStubTest, HighDimensionStubOpens) {
  const std::string full = WriteSample(40, 4096);
  const std::string stub = Stub(full);
  EXPECT_LT(stub.size(), 40u * 4096 * 4);
  auto f = OpenBytes(full);
  ASSERT_TRUE(f.ok());
  auto s = OpenBytes(stub);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectSameRows(**f, **s);
}

// A compressed segment (format version 2) makes a stub that keeps its
// compressed id and metadata sections, and the version.
TEST_F(ColdStubTest, CompressedSegmentKeepsItsCompression) {
  const std::string full = WriteSample(300, 4, "/seg/full.seg", true);
  EXPECT_EQ(DecodeFixed32(full.data() + kOffVersion), kFormatVersionCompressed);
  const std::string stub = Stub(full);
  EXPECT_EQ(DecodeFixed32(stub.data() + kOffVersion), kFormatVersionCompressed);
  auto f = OpenBytes(full);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto s = OpenBytes(stub);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectSameRows(**f, **s);
  EXPECT_TRUE((*s)->compressed());
  EXPECT_GT((*s)->unpacked_bytes(), 0u);
}

TEST_F(ColdStubTest, OtherSectionsAreKept) {
  const std::string extra = "graph bytes";
  const std::string full = WithSection(WriteSample(10, 3), kHnswFirst, extra);
  auto s = OpenBytes(Stub(full));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Section(kHnswFirst), extra);
  EXPECT_TRUE((*s)->is_stub());
}

TEST_F(ColdStubTest, DamagedSegmentNeverBecomesAStub) {
  const std::string full = WriteSample(20, 3);
  const ColdRef ref = RefFor(full);
  ASSERT_TRUE(MakeColdStub(full, ref).ok());
  for (size_t pos = 0; pos < full.size(); ++pos) {
    std::string bad = full;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x20);
    Result<std::string> stub = MakeColdStub(bad, ref);
    ASSERT_FALSE(stub.ok()) << "flip at " << pos;
    if (pos >= kOffHeaderLength) {  // past magic and version
      EXPECT_TRUE(stub.status().IsCorruption())
          << "flip at " << pos << ": " << stub.status().ToString();
    }
  }
  for (size_t len = 0; len < full.size(); ++len) {
    EXPECT_FALSE(MakeColdStub(full.substr(0, len), ref).ok()) << len;
  }
  // Behind sealed CRCs: no vectors section, or one that is not count rows.
  std::string bad = full;
  EncodeFixed32(bad.data() + kFixedHeaderSize, 9);  // first entry: kVectors
  ResealSegment(&bad);
  EXPECT_TRUE(MakeColdStub(bad, RefFor(bad)).status().IsCorruption());
  bad = full;
  EncodeFixed64(bad.data() + kOffPointCount, 21);
  ResealSegment(&bad);
  EXPECT_TRUE(MakeColdStub(bad, RefFor(bad)).status().IsCorruption());
}

TEST_F(ColdStubTest, StubOfAStubIsInvalid) {
  const std::string stub = Stub(WriteSample(10, 3));
  ColdRef ref = RefFor(stub);
  Result<std::string> again = MakeColdStub(stub, ref);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kInvalidArgument)
      << again.status().ToString();
}

TEST_F(ColdStubTest, BadRefOrInputIsInvalid) {
  const std::string full = WriteSample(10, 3);
  auto invalid = [&](const ColdRef& ref, std::string_view in) {
    Result<std::string> s = MakeColdStub(in, ref);
    return !s.ok() && s.status().code() == StatusCode::kInvalidArgument;
  };
  ColdRef ref = RefFor(full);
  ref.key.clear();
  EXPECT_TRUE(invalid(ref, full));
  ref.key.assign(kColdRefMaxKeySize + 1, 'k');
  EXPECT_TRUE(invalid(ref, full));
  ref.key.assign(kColdRefMaxKeySize, 'k');
  EXPECT_TRUE(MakeColdStub(full, ref).ok());
  ref = RefFor(full);
  ref.segment_size += 1;
  EXPECT_TRUE(invalid(ref, full));
  ref = RefFor(full);
  ref.segment_crc32c ^= 1;
  EXPECT_TRUE(invalid(ref, full));
  EXPECT_TRUE(invalid(RefFor(full), "not a segment file at all"));
  EXPECT_TRUE(invalid(RefFor(full), ""));
  Status same =
      WriteColdStub(env_.get(), "/seg/full.seg", RefFor(full), "/seg/full.seg");
  EXPECT_EQ(same.code(), StatusCode::kInvalidArgument) << same.ToString();
  EXPECT_EQ(env_->ReadFileToString("/seg/full.seg").value(), full);
  EXPECT_FALSE(
      WriteColdStub(env_.get(), "/seg/missing.seg", ref, "/seg/x.seg").ok());
  EXPECT_FALSE(env_->FileExists("/seg/x.seg"));
}

TEST_F(ColdStubTest, EveryFlippedByteOfAStubIsDetected) {
  const std::string stub = Stub(WriteSample(70, 3));
  ASSERT_TRUE(OpenBytes(stub).ok());
  for (size_t pos = 0; pos < stub.size(); ++pos) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string bad = stub;
      bad[pos] = static_cast<char>(bad[pos] ^ mask);
      ExpectCorrupt(bad, "flip at " + std::to_string(pos));
      // Without section CRCs the damage may go unseen, but must be harmless.
      auto seg = OpenBytes(bad, /*verify=*/false);
      ASSERT_TRUE(seg.ok() || seg.status().IsCorruption());
    }
  }
  for (size_t len = 0; len < stub.size(); ++len) {
    ExpectCorrupt(stub.substr(0, len), "truncated to " + std::to_string(len));
  }
}

TEST_F(ColdStubTest, ColdRefNeedsEmptyVectors) {
  const std::string full = WriteSample(10, 3);
  const std::string ref = EncodeColdRef(RefFor(full));
  ExpectCorrupt(WithSection(full, kColdRef, ref), "cold ref + vectors");
  ExpectCorrupt(WithSection(full, kColdRef, ref), "cold ref + vectors", false);
}

TEST_F(ColdStubTest, TwoColdRefsAreCorrupt) {
  const std::string full = WriteSample(10, 3);
  const std::string ref = EncodeColdRef(RefFor(full));
  ExpectCorrupt(WithSection(Stub(full), kColdRef, ref), "two cold refs");
}

TEST_F(ColdStubTest, MalformedColdRefIsCorrupt) {
  const std::string stub = Stub(WriteSample(10, 3));
  uint64_t len = 0;
  const size_t at = SectionData(stub, kColdRef, &len) - stub.data();
  // Behind sealed CRCs: the decoder itself must refuse.
  for (auto [what, off, value] :
       {std::tuple<const char*, size_t, uint32_t>{"version", 0, 2},
        {"key length 0", 4, 0},
        {"key length 1025", 4, 1025},
        {"key length + 1", 4, static_cast<uint32_t>(len - 28 + 1)}}) {
    std::string bad = stub;
    EncodeFixed32(bad.data() + at + off, value);
    ResealSegment(&bad);
    ExpectCorrupt(bad, what);
  }
}

TEST_F(ColdStubTest, ColdRefEncoding) {
  ColdRef ref{"k", 1, 2, 3, 4};
  ColdRef back;
  ASSERT_TRUE(DecodeColdRef(EncodeColdRef(ref), &back).ok());
  EXPECT_EQ(back, ref);
  ref = {std::string(kColdRefMaxKeySize, '\xff'), UINT64_MAX, UINT32_MAX,
         UINT64_MAX - 1, 0x12345678};
  const std::string bytes = EncodeColdRef(ref);
  EXPECT_EQ(bytes.size(), 4 + 4 + kColdRefMaxKeySize + 8 + 4 + 8 + 4);
  ASSERT_TRUE(DecodeColdRef(bytes, &back).ok());
  EXPECT_EQ(back, ref);
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_TRUE(DecodeColdRef(bytes.substr(0, len), &back).IsCorruption())
        << len;
  }
  EXPECT_TRUE(DecodeColdRef(bytes + '\0', &back).IsCorruption());
  ref.key.push_back('x');  // 1025 bytes
  EXPECT_TRUE(DecodeColdRef(EncodeColdRef(ref), &back).IsCorruption());
  ref.key.clear();
  EXPECT_TRUE(DecodeColdRef(EncodeColdRef(ref), &back).IsCorruption());
}

class ColdStubFaultTest : public ColdStubTest {
 protected:
  void SetUp() override {
    full_ = WriteSample(30, 4);
    ref_ = RefFor(full_);
    want_ = Stub(full_);
  }
  Status Write() {
    return WriteColdStub(&faults_, "/seg/full.seg", ref_, "/seg/stub.seg");
  }
  // After a failed write: nothing left behind, the segment untouched.
  void ExpectNothingLeft(const Status& s, const std::string& what) {
    EXPECT_FALSE(s.ok()) << what;
    EXPECT_FALSE(env_->FileExists("/seg/stub.seg")) << what;
    EXPECT_FALSE(env_->FileExists("/seg/stub.seg.tmp")) << what;
    EXPECT_EQ(env_->ReadFileToString("/seg/full.seg").value(), full_) << what;
  }
  void ExpectStub() {
    EXPECT_EQ(env_->ReadFileToString("/seg/stub.seg").value(), want_);
    EXPECT_FALSE(env_->FileExists("/seg/stub.seg.tmp"));
  }

  FaultInjectionEnv faults_{env_.get()};
  std::string full_, want_;
  ColdRef ref_;
};

TEST_F(ColdStubFaultTest, EachFailingStepLeavesNothing) {
  faults_.FailAppends(EIO, 1);
  ExpectNothingLeft(Write(), "append");
  faults_.FailAppends(ENOSPC, 1);
  faults_.SetPartialAppend(true);
  ExpectNothingLeft(Write(), "torn append");
  faults_.ClearFaults();
  faults_.FailSyncs(1);
  ExpectNothingLeft(Write(), "sync");
  faults_.FailRenames(1);
  ExpectNothingLeft(Write(), "rename");
  ASSERT_TRUE(Write().ok());
  ExpectStub();
}

// Every I/O call in turn fails once (the directory sync included).
TEST_F(ColdStubFaultTest, SteppedFaults) {
  for (uint64_t n = 1;; ++n) {
    ASSERT_LT(n, 100u);
    faults_.FailIoCall(n, /*sticky=*/false);
    Status s = Write();
    const std::string call = faults_.injected_call();
    faults_.FailIoCall(0, false);
    if (call.empty()) {  // n is past the last call
      ASSERT_TRUE(s.ok()) << s.ToString();
      // create, append, sync, close, rename, sync the directory
      EXPECT_GE(n, 7u);
      ExpectStub();
      break;
    }
    ExpectNothingLeft(s, "failed " + call);
  }
}

// A crash at call n (nothing lands after it): the stub path holds either
// nothing or the complete stub.
TEST_F(ColdStubFaultTest, StickyFaultsLeaveNoPartialStub) {
  for (uint64_t n = 1; n < 20; ++n) {
    faults_.FailIoCall(n, /*sticky=*/true);
    Status s = Write();
    faults_.FailIoCall(0, false);
    if (s.ok()) break;
    if (env_->FileExists("/seg/stub.seg")) {
      EXPECT_EQ(env_->ReadFileToString("/seg/stub.seg").value(), want_) << n;
    }
    (void)env_->RemoveFile("/seg/stub.seg");
    (void)env_->RemoveFile("/seg/stub.seg.tmp");
  }
}

}  // namespace
}  // namespace proximadb::segment
