// Writes the binary seed corpora of the fuzz targets with the engine's own
// writers (WalWriter, WriteSegment, HnswIndex::Save, SegmentPayloadIndex::
// Save, protobuf serialisation), so every seed is a real file of today's
// formats, small enough for a quick run:
//
//   fuzz_make_seeds tests/fuzz/corpus      (scripts/fuzz.sh --seeds does it)
//
// Only files named seed-* are (re)written; crash regressions and the
// hand-written text seeds beside them are left alone. The output is
// deterministic: running it again changes nothing unless a format did.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "api/grpc/proto_codec.h"
#include "collection/payload_index.h"
#include "index/distance.h"
#include "index/hnsw/hnsw_index.h"
#include "index/ivf/ivf_index.h"
#include "index/sparse.h"
#include "proximadb/env.h"
#include "storage/segment/cold_stub.h"
#include "storage/segment/segment.h"
#include "storage/segment/segment_writer.h"
#include "storage/wal/record_codec.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"
#include "util/crc32c.h"

namespace proximadb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path g_out;

void Die(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "fuzz_make_seeds: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// corpus/<target>/seed-<name>: `prefix` (the target's flag bytes) + bytes.
void Write(const std::string& target, const std::string& name,
           const std::string& prefix, const std::string& bytes) {
  fs::create_directories(g_out / target);
  std::ofstream f(g_out / target / ("seed-" + name), std::ios::binary);
  f << prefix << bytes;
  if (!f) {
    std::fprintf(stderr, "fuzz_make_seeds: cannot write %s/%s\n",
                 target.c_str(), name.c_str());
    std::exit(1);
  }
}

std::string Read(Env* env, const std::string& path) {
  auto r = env->ReadFileToString(path);
  Die(r.status(), path.c_str());
  return *r;
}

std::vector<float> Vec(uint32_t i, uint32_t dim) {
  std::vector<float> v(dim);
  for (uint32_t d = 0; d < dim; ++d) {
    v[d] = static_cast<float>((i * 5 + d * 3) % 17) / 4.0f - 1.5f;
  }
  return v;
}

// --- WAL -------------------------------------------------------------------

std::vector<wal::WalBatch> Batches() {
  using wal::WalOp;
  std::vector<wal::WalBatch> out;
  for (uint32_t i = 0; i < 4; ++i) {
    wal::WalBatch b;
    b.ops.push_back({WalOp::Type::kUpsert, "p" + std::to_string(i), Vec(i, 4),
                     json{{"i", i}, {"tag", i % 2 ? "odd" : "even"}}.dump()});
    if (i == 2) b.ops.push_back({WalOp::Type::kDelete, "p0", {}, ""});
    if (i == 3) {
      b.ops.push_back({WalOp::Type::kUpdateMetadata,
                       "p1",
                       {},
                       R"({"tag":"ü","n":[1,2.5]})"});
    }
    out.push_back(std::move(b));
  }
  return out;
}

// The WAL files of dir, in name order (one per rotation).
std::vector<std::string> WalFiles(Env* env, const std::string& dir) {
  auto names = env->GetChildren(dir);
  Die(names.status(), "list wal dir");
  std::sort(names->begin(), names->end());
  std::vector<std::string> out;
  for (const std::string& n : *names) out.push_back(Read(env, dir + "/" + n));
  return out;
}

std::vector<std::string> WriteWal(WalFormat fmt, bool rotate) {
  auto env = NewMemEnv();
  auto w = wal::WalWriter::Open(env.get(), "/wal", fmt, 1);
  Die(w.status(), "wal open");
  int n = 0;
  for (wal::WalBatch b : Batches()) {
    Die((*w)->Write(&b, [](const wal::WalBatch&) {}), "wal write");
    if (rotate && ++n == 2) Die((*w)->Rotate([](uint64_t) {}), "rotate");
  }
  Die((*w)->Close(), "wal close");
  return WalFiles(env.get(), "/wal");
}

void WalSeeds() {
  for (WalFormat fmt : {WalFormat::kNative, WalFormat::kAvro}) {
    const std::string f(WalFormatName(fmt));
    const std::string one = WriteWal(fmt, false).at(0);
    // flags, after_seq (see wal_replay_fuzz.cc)
    Write("wal_replay", f, std::string("\0\0", 2), one);
    Write("wal_replay", f + "-after2", std::string("\0\2", 2), one);
    Write("wal_replay", f + "-torn", std::string("\1\0", 2),
          one.substr(0, one.size() - 7));
    const std::vector<std::string> two = WriteWal(fmt, true);
    const size_t split = two.at(0).size();
    std::string flags = {'\2', '\0', static_cast<char>(split >> 8),
                         static_cast<char>(split & 0xff)};
    Write("wal_replay", f + "-rotated", flags, two.at(0) + two.at(1));

    auto codec = wal::NewRecordCodec(fmt);
    int i = 0;
    for (wal::WalBatch b : Batches()) {
      b.seq = 7 + i;
      auto payload = codec->Encode(b);
      Die(payload.status(), "encode");
      const char flag = fmt == WalFormat::kAvro ? '\2' : '\0';
      Write("wal_codec", f + "-" + std::to_string(i++), std::string(1, flag),
            *payload);
    }
  }
  // Structured mode (flags bit 0): FuzzedDataProvider turns any bytes
  // into a batch.
  std::string any;
  for (int i = 0; i < 96; ++i) any.push_back(static_cast<char>(i * 37 + 11));
  Write("wal_codec", "structured", "\1", any);
}

// --- segment and payload index ---------------------------------------------

struct Rows {
  std::vector<std::string> ids, meta;
  std::vector<std::vector<float>> vecs;
};

Rows MakeRows(size_t n, uint32_t dim) {
  Rows r;
  for (size_t i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "id-%03zu", i);
    r.ids.push_back(id);
    r.vecs.push_back(Vec(static_cast<uint32_t>(i), dim));
    json m = json::object();
    if (i % 4 != 3) m["kind"] = i % 2 ? "a" : "b";
    if (i % 3 != 0) m["n"] = static_cast<int>(i) - 3;
    if (i % 5 == 1) m["x"] = 0.5 * i;
    if (i % 2 == 0) m["ok"] = i % 4 == 0;
    if (i % 6 == 2) m["tags"] = json::array({"t", i});
    r.meta.push_back(i == 4 ? "" : m.dump());
  }
  return r;
}

// With `sparse`, most rows carry sparse vectors (the three optional
// sparse sections) and odd rows an expiry time (the kExpiry section).
// With `compress`, the ids and metadata are zstd frames (format version 2).
std::string WriteSegmentBytes(Env* env, const std::string& path, const Rows& r,
                              uint32_t dim, Metric metric, bool sparse = false,
                              bool compress = false) {
  std::vector<std::string> blobs(r.ids.size());
  for (size_t i = 0; sparse && i < blobs.size(); ++i) {
    SparseVectors v;
    if (i % 3 != 2) {
      v["kw"] = SparseVector{{uint32_t(i % 4), uint32_t(7 + i)}, {1.5f, 0.5f}};
    }
    if (i % 2 == 0) v["sp"] = SparseVector{{3}, {float(i)}};
    blobs[i] = index::EncodeSparseVectors(v);
  }
  Status s = segment::WriteSegment(
      env, path, {9, dim, metric, compress}, r.ids.size(),
      [&](size_t i) {
        const uint64_t expires_at =
            sparse && i % 2 == 1 ? 1'800'000'000'000'000ull + i : 0;
        return segment::SegmentRow{r.ids[i], r.vecs[i].data(), r.meta[i],
                                   100 + i,  blobs[i],         expires_at};
      },
      [](size_t i) { return i % 7 == 3; });
  Die(s, "write segment");
  return Read(env, path);
}

void SegmentSeeds() {
  auto env = NewMemEnv();
  Die(env->CreateDirIfMissing("/s"), "mkdir");
  const std::string small = WriteSegmentBytes(
      env.get(), "/s/a.pdb", MakeRows(10, 4), 4, Metric::kCosine);
  Write("segment", "10x4", std::string(1, '\0'), small);
  Write("segment", "10x4-unverified", "\2", small);
  Write("segment", "empty", std::string(1, '\0'),
        WriteSegmentBytes(env.get(), "/s/b.pdb", MakeRows(0, 2), 2,
                          Metric::kEuclidean));
  Write("segment", "65x1", std::string(1, '\0'),
        WriteSegmentBytes(env.get(), "/s/c.pdb", MakeRows(65, 1), 1,
                          Metric::kDotProduct));
  // The stub of a cold segment (no vectors, a kColdRef section). The pack's
  // size and CRC are made up: zstd's output may change between versions.
  const segment::ColdRef ref{"cold/seed/segment-9.pack", 1234, 0x5eed,
                             small.size(),
                             crc32c::Value(small.data(), small.size())};
  auto stub = segment::MakeColdStub(small, ref);
  Die(stub.status(), "make cold stub");
  Write("segment", "10x4-stub", std::string(1, '\0'), *stub);
  Write("segment", "10x4-sparse", std::string(1, '\0'),
        WriteSegmentBytes(env.get(), "/s/d.pdb", MakeRows(10, 4), 4,
                          Metric::kCosine, /*sparse=*/true));
  Write("segment", "10x4-zstd", std::string(1, '\0'),
        WriteSegmentBytes(env.get(), "/s/e.pdb", MakeRows(10, 4), 4,
                          Metric::kCosine, /*sparse=*/false,
                          /*compress=*/true));

  auto seg = segment::Segment::Open(env.get(), "/s/a.pdb");
  Die(seg.status(), "open segment");
  const std::vector<PayloadIndexDef> defs = {
      {"kind", PayloadIndexType::kKeyword},
      {"n", PayloadIndexType::kInteger},
      {"ok", PayloadIndexType::kBool},
      {"tags", PayloadIndexType::kKeyword},
      {"x", PayloadIndexType::kFloat}};
  auto idx = SegmentPayloadIndex::Build(**seg, defs);
  Die(idx->Save(env.get(), "/s/a.pidx"), "save pidx");
  Write("payload_index", "5-fields", std::string(1, '\0'),
        Read(env.get(), "/s/a.pidx"));
  // Datetime and geo fields (file version 2), on rows of their own.
  Rows geo_rows = MakeRows(6, 1);
  for (size_t i = 0; i < geo_rows.meta.size(); ++i) {
    json m = {
        {"ts", i % 2 ? "2026-01-01T00:00:00Z" : "2026-01-01T01:00:00+02:00"},
        {"loc", {{"lat", 10.0 * i - 20}, {"lon", 170.0 + 2 * i}}}};
    if (i == 3) m["loc"] = json::array({m["loc"], {{"lat", 0}, {"lon", 0}}});
    if (i == 5) m["ts"] = "not a time";
    geo_rows.meta[i] = m.dump();
  }
  WriteSegmentBytes(env.get(), "/s/g.pdb", geo_rows, 1, Metric::kEuclidean);
  auto geo_seg = segment::Segment::Open(env.get(), "/s/g.pdb");
  Die(geo_seg.status(), "open segment");
  auto geo = SegmentPayloadIndex::Build(
      **geo_seg,
      {{"loc", PayloadIndexType::kGeo}, {"ts", PayloadIndexType::kDatetime}});
  Die(geo->Save(env.get(), "/s/g.pidx"), "save pidx");
  Write("payload_index", "datetime-geo", std::string(1, '\0'),
        Read(env.get(), "/s/g.pidx"));
  // A text field (file version 3): words of short sentences.
  Rows text_rows = MakeRows(5, 1);
  const char* kTexts[] = {"The quick brown fox", "Écoute: le RENARD brun",
                          "fox\u00a0trot, 狐狸", "", "quick quick fox"};
  for (size_t i = 0; i < text_rows.meta.size(); ++i) {
    text_rows.meta[i] = json{{"body", kTexts[i]}}.dump();
  }
  WriteSegmentBytes(env.get(), "/s/t.pdb", text_rows, 1, Metric::kEuclidean);
  auto text_seg = segment::Segment::Open(env.get(), "/s/t.pdb");
  Die(text_seg.status(), "open segment");
  auto text = SegmentPayloadIndex::Build(**text_seg,
                                         {{"body", PayloadIndexType::kText}});
  Die(text->Save(env.get(), "/s/t.pidx"), "save pidx");
  Write("payload_index", "text", std::string(1, '\0'),
        Read(env.get(), "/s/t.pidx"));
  auto none = SegmentPayloadIndex::Build(**seg, {});
  Die(none->Save(env.get(), "/s/b.pidx"), "save pidx");
  Write("payload_index", "no-fields", std::string(1, '\0'),
        Read(env.get(), "/s/b.pidx"));
}

// --- HNSW graph --------------------------------------------------------------

// links 0: codes only (a flat collection's sidecar).
void GraphSeed(const std::string& name, uint32_t rows, uint32_t dim,
               Metric metric, index::Quantization q, uint32_t links = 4) {
  std::vector<float> data, norms;
  for (uint32_t i = 0; i < rows; ++i) {
    std::vector<float> v = Vec(i, dim);
    v[0] += 0.25f;  // never all zeros (cosine)
    data.insert(data.end(), v.begin(), v.end());
    norms.push_back(index::Norm(v.data(), dim));
  }
  index::HnswParams p;
  p.m = links;
  p.ef_construction = 16;
  p.ef_search = 8;
  p.quantization = q;
  auto g = index::HnswIndex::Build({data.data(), norms.data(), rows, dim},
                                   metric, p, /*threads=*/1);
  Die(g.status(), "build graph");
  auto env = NewMemEnv();
  Die(env->CreateDirIfMissing("/g"), "mkdir");
  Die((*g)->Save(env.get(), "/g/x.hnsw"), "save graph");
  const std::string bytes = Read(env.get(), "/g/x.hnsw");
  Write("hnsw_load", name, std::string(1, '\0'), bytes);
  Write("hnsw_load", name + "-wider-view", "\2", bytes);
}

// --- IVF index ---------------------------------------------------------------

// Over the vectors ivf_load_fuzz.cc makes for the header's shape; with
// `columns`, column statistics of every type (file version 2).
void IvfSeed(const std::string& name, uint32_t rows, uint32_t dim,
             Metric metric, index::Quantization quant, bool columns) {
  const bool int8 = quant == index::Quantization::kInt8;
  std::vector<float> data(size_t{rows} * dim), norms;
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<float>((i * 7 + i / dim * 3) % 11) - 4.5f;
  }
  for (uint32_t r = 0; r < rows; ++r) {
    norms.push_back(index::Norm(data.data() + size_t{r} * dim, dim));
  }
  index::IvfParams p;
  p.nlist = 5;
  p.quantization = quant;
  auto ix = index::IvfIndex::Build({data.data(), norms.data(), rows, dim},
                                   metric, p, /*threads=*/1);
  Die(ix.status(), "build ivf");
  if (columns) {
    using PC = index::PartitionColumns;
    std::vector<PC::Column> cols = {{"tag", PC::Type::kString, {}},
                                    {"a.n", PC::Type::kInt, {}},
                                    {"f", PC::Type::kFloat, {}},
                                    {"b", PC::Type::kBool, {}},
                                    {"t", PC::Type::kDatetime, {}}};
    for (uint32_t part = 0; part < (*ix)->nlist(); ++part) {
      for (PC::Column& c : cols) {
        PC::Stats st;
        for (uint32_t r : (*ix)->partition_rows(part)) {
          if (c.type == PC::Type::kString) {
            st.AddString("v" + std::to_string(r % (part == 0 ? 40 : 3)));
          } else if (c.type == PC::Type::kFloat) {
            st.AddFloat(r * 0.5);
          } else {
            st.AddInt(c.type == PC::Type::kBool ? r % 2 : r * 1000);
          }
        }
        st.irregular = part == 1 && c.type == PC::Type::kInt;
        c.parts.push_back(st);
      }
    }
    // The int8 seed carries row columns too (version 3), the other only
    // the statistics (version 2).
    std::shared_ptr<const index::RowColumns> cells;
    if (int8) {
      using RC = index::RowColumns;
      RC::Column tag{"tag", {}, {}, {"v0", "v1", "v2"}};
      RC::Column n{"a.n", {}, {}, {}};
      for (uint32_t r = 0; r < rows; ++r) {
        tag.tags.push_back(static_cast<uint8_t>(RC::Tag::kString));
        tag.values.push_back(r % 3);
        n.tags.push_back(
            static_cast<uint8_t>(r % 2 ? RC::Tag::kInt : RC::Tag::kAbsent));
        n.values.push_back(r % 2 ? r * 1000 : 0);
      }
      std::vector<RC::Column> rc = {tag, n};
      for (size_t c = 2; c < cols.size(); ++c) {
        RC::Column other{cols[c].name, {}, {}, {}};
        other.tags.assign(rows, static_cast<uint8_t>(RC::Tag::kIrregular));
        other.values.assign(rows, 0);
        rc.push_back(std::move(other));
      }
      cells = std::make_shared<const RC>(std::move(rc), rows);
    }
    (*ix)->set_columns(std::make_shared<const PC>(std::move(cols)),
                       std::move(cells));
  }
  auto env = NewMemEnv();
  Die(env->CreateDirIfMissing("/g"), "mkdir");
  Die((*ix)->Save(env.get(), "/g/x.hnsw"), "save ivf");
  Write("ivf_load", name, std::string(1, '\0'), Read(env.get(), "/g/x.hnsw"));
}

// --- gRPC requests -----------------------------------------------------------

// Struct fields are a map: deterministic serialisation writes them in key
// order, so the seeds do not change from run to run.
std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

void GrpcSeeds() {
  namespace pb = proximadb::v1;
  auto write = [](char kind, const std::string& name,
                  const google::protobuf::Message& m) {
    Write("grpc_request", name, std::string(1, kind), Serialize(m));
  };
  json meta = {{"user", "alice"},
               {"n", 7},
               {"x", 0.5},
               {"tags", {"a", "b"}},
               {"nested", {{"ok", true}}},
               {"none", nullptr}};
  json filter = {{"$or", {{{"user", "alice"}}, {{"n", {{"$gte", 5}}}}}},
                 {"tags", {{"$in", {"a", "z"}}}}};
  pb::Point point;
  point.set_id("p1");
  for (float f : {0.1f, -2.0f, 3.5f}) point.add_vector(f);
  grpc_api::JsonToStruct(meta, point.mutable_metadata());

  pb::UpsertRequest up;
  up.set_collection("c");
  *up.mutable_point() = point;
  write(0, "upsert", up);
  pb::BatchUpsertRequest batch;
  batch.set_collection("c");
  *batch.add_points() = point;
  pb::Point* bare = batch.add_points();
  bare->add_vector(1.0f);
  write(1, "batch-upsert", batch);
  pb::SearchRequest search;
  search.set_collection("c");
  for (float f : {0.1f, 0.2f, 0.3f}) search.add_vector(f);
  search.set_k(5);
  search.set_ef_search(32);
  search.set_include_vector(true);
  grpc_api::JsonToStruct(filter, search.mutable_filter());
  write(2, "search", search);
  pb::BatchSearchRequest bs;
  bs.set_collection("c");
  *bs.add_queries() = search;
  bs.add_queries()->add_vector(1.0f);
  write(3, "batch-search", bs);
  pb::ScrollRequest scroll;
  scroll.set_collection("c");
  scroll.set_after_id("p0");
  scroll.set_limit(10);
  grpc_api::JsonToStruct(filter, scroll.mutable_filter());
  write(4, "scroll", scroll);
  pb::CountRequest count;
  count.set_collection("c");
  grpc_api::JsonToStruct({{"n", {{"$lt", 3}}}}, count.mutable_filter());
  write(5, "count", count);
  pb::DeleteByFilterRequest del;
  del.set_collection("c");
  grpc_api::JsonToStruct({{"$not", {{"user", "bob"}}}}, del.mutable_filter());
  write(6, "delete-by-filter", del);
  pb::UpdateMetadataRequest upd;
  upd.set_collection("c");
  upd.set_id("p1");
  grpc_api::JsonToStruct(meta, upd.mutable_metadata());
  write(7, "update-metadata", upd);
  pb::CreateCollectionRequest create;
  create.set_name("embeddings");
  create.set_dimension(768);
  create.set_distance_metric("euclidean");
  create.set_indexing_algorithm("hnsw");
  create.set_m(32);
  create.set_ef_construction(100);
  create.set_quantization("int8");
  create.set_wal_format("avro");
  create.mutable_flush_policy()->set_max_wal_size_mb(32);
  create.mutable_flush_policy()->set_flush_priority(80);
  write(8, "create-collection", create);
  pb::CreateCollectionRequest minimal;
  minimal.set_name("c");
  minimal.set_dimension(3);
  write(8, "create-minimal", minimal);
}

}  // namespace
}  // namespace proximadb

int main(int argc, char** argv) {
  using namespace proximadb;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds <corpus dir>\n");
    return 2;
  }
  g_out = argv[1];
  WalSeeds();
  SegmentSeeds();
  GraphSeed("40x4-l2", 40, 4, Metric::kEuclidean, index::Quantization::kNone);
  using Q = index::Quantization;
  IvfSeed("30x4-l2", 30, 4, Metric::kEuclidean, Q::kNone, false);
  IvfSeed("30x4-cosine-int8", 30, 4, Metric::kCosine, Q::kInt8, false);
  IvfSeed("30x4-l2-columns", 30, 4, Metric::kEuclidean, Q::kNone, true);
  IvfSeed("30x6-dot-int8-columns", 30, 6, Metric::kDotProduct, Q::kInt8, true);
  IvfSeed("30x4-l2-binary", 30, 4, Metric::kEuclidean, Q::kBinary, false);
  IvfSeed("30x4-cosine-pq", 30, 4, Metric::kCosine, Q::kPq, false);
  GraphSeed("40x4-cosine-int8", 40, 4, Metric::kCosine,
            index::Quantization::kInt8);
  GraphSeed("12x3-dot", 12, 3, Metric::kDotProduct, index::Quantization::kNone);
  GraphSeed("40x70-l2-binary", 40, 70, Metric::kEuclidean,
            index::Quantization::kBinary);
  GraphSeed("40x12-cosine-pq", 40, 12, Metric::kCosine,
            index::Quantization::kPq);
  GraphSeed("40x4-l2-int8-codes-only", 40, 4, Metric::kEuclidean,
            index::Quantization::kInt8, /*links=*/0);
  GrpcSeeds();
  return 0;
}
