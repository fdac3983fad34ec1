// Cold tier benchmark (issue 12): how much cold packs save, and how fast the
// object stores move the bytes.
//
//   cold_bench [--phases all|compress|store] [--reps 3] [--dir PATH]
//              [--synthetic-n 100000] [--synthetic-dim 768]
//              [--fashion-limit 60000] [--sizes-mib 8,64,256]
//              [--s3-env FILE] [--zstd-level 3] [--no-shuffle]
//
// compress: Fashion-MNIST (Debian's dataset-fashion-mnist, 60k x 784 pixel
//   values as floats) and synthetic clustered Gaussian 768-d embeddings
//   (fixed seed), each written as one segment by the real writer (ids
//   "p<n>", metadata {"label":L}), packed and unpacked `reps` times: per
//   section type and in total, raw and packed bytes, ratio, and encode /
//   decode MB/s of raw bytes (median of the reps).
// store: objects of random (incompressible) bytes of each size, against a
//   real S3 (radosgw: S3_* lines from --s3-env FILE, e.g. the output of
//   scripts/s3-radosgw.sh up DIR, or S3_* environment variables) and the
//   LocalObjectStore: Put of one request, PutFile (multipart above 8 MiB
//   parts, 4 in flight), Get, GetToFile; MB/s medians of `reps`. Every
//   operation includes its client-side CRC32C.
//
// Prints markdown tables; docs/BENCHMARKS.md records the results.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "idx_reader.h"
#include "proximadb/env.h"
#include "s3_env.h"
#include "storage/object/local_object_store.h"
#include "storage/object/s3_object_store.h"
#include "storage/segment/cold_pack.h"
#include "storage/segment/segment_format.h"
#include "storage/segment/segment_writer.h"

using namespace proximadb;
using Clock_ = std::chrono::steady_clock;

namespace {

struct Args {
  std::string phases = "all";
  int reps = 3;
  std::string dir = "/tmp/pdb-cold-bench";
  uint32_t synthetic_n = 100000;
  uint32_t synthetic_dim = 768;
  uint32_t fashion_limit = 60000;
  std::vector<uint64_t> sizes_mib = {8, 64, 256};
  std::string s3_env;
  int zstd_level = 3;
  bool shuffle = true;
};

double Seconds(Clock_::time_point a) {
  return std::chrono::duration<double>(Clock_::now() - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "cold_bench: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

// ------------------------------------------------------------ data sets

struct DataSet {
  std::string name;
  uint32_t n = 0, dim = 0;
  std::vector<float> vectors;  // row-major, in row (sorted id) order
  std::vector<std::string> ids, meta;
};

// Ids "p<n>" sorted bytewise (the segment's row order); row i gets point
// order[i]'s vector and label.
void Finish(DataSet* d, const std::vector<float>& by_point,
            const std::vector<int>& labels) {
  std::vector<std::pair<std::string, uint32_t>> ids;
  for (uint32_t i = 0; i < d->n; ++i)
    ids.push_back({std::string("p").append(std::to_string(i)), i});
  std::sort(ids.begin(), ids.end());
  d->vectors.resize(size_t(d->n) * d->dim);
  for (uint32_t r = 0; r < d->n; ++r) {
    uint32_t p = ids[r].second;
    std::memcpy(&d->vectors[size_t(r) * d->dim], &by_point[size_t(p) * d->dim],
                d->dim * sizeof(float));
    d->ids.push_back(ids[r].first);
    d->meta.push_back(R"({"label":)" + std::to_string(labels[p]) + "}");
  }
}

bool LoadFashion(uint32_t limit, DataSet* d) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  std::vector<float> v;
  std::vector<int> labels;
  if (!bench::ReadIdxImages(dir + "train-images-idx3-ubyte.gz", limit, &d->n,
                            &d->dim, &v) ||
      !bench::ReadIdxLabels(dir + "train-labels-idx1-ubyte.gz", d->n,
                            &labels)) {
    return false;
  }
  d->name =
      "Fashion-MNIST " + std::to_string(d->n) + " x " + std::to_string(d->dim);
  Finish(d, v, labels);
  return true;
}

// 100 cluster centres N(0, 1) per coordinate, points = centre + N(0, 0.3),
// then L2-normalised (as embedding models emit them); label = cluster % 10.
DataSet Synthetic(uint32_t n, uint32_t dim) {
  DataSet d;
  d.n = n;
  d.dim = dim;
  d.name =
      "synthetic clustered " + std::to_string(n) + " x " + std::to_string(dim);
  std::mt19937_64 rng(20261130);
  std::normal_distribution<float> g(0, 1);
  const int kCenters = 100;
  std::vector<float> centers(size_t(kCenters) * dim);
  for (auto& x : centers) x = g(rng);
  std::vector<float> v(size_t(n) * dim);
  std::vector<int> labels(n);
  for (uint32_t i = 0; i < n; ++i) {
    int c = int(rng() % kCenters);
    labels[i] = c % 10;
    double norm = 0;
    float* row = &v[size_t(i) * dim];
    for (uint32_t k = 0; k < dim; ++k) {
      row[k] = centers[size_t(c) * dim + k] + 0.3f * g(rng);
      norm += double(row[k]) * row[k];
    }
    float inv = float(1.0 / std::sqrt(norm));
    for (uint32_t k = 0; k < dim; ++k) row[k] *= inv;
  }
  Finish(&d, v, labels);
  return d;
}

// ------------------------------------------------------------ compression

const char* KindName(uint32_t kind) {
  using namespace segment;
  switch (kind) {
    case 0:
      return "header+padding";
    case kVectors:
      return "vectors (f32)";
    case kNorms:
      return "norms (f32)";
    case kVersions:
      return "versions (u64)";
    case kIdOffsets:
      return "id offsets";
    case kIdBytes:
      return "id bytes";
    case kMetaOffsets:
      return "metadata offsets";
    case kMetaBytes:
      return "metadata bytes";
    case kDeleted:
      return "deletion bitmap";
  }
  return "other";
}

void CompressOne(const Args& a, Env* env, const DataSet& d) {
  const std::string path = a.dir + "/segment.pdb";
  auto t = Clock_::now();
  Status s = segment::WriteSegment(
      env, path, {1, d.dim, Metric::kEuclidean}, d.n,
      [&](size_t i) {
        return segment::SegmentRow{d.ids[i], &d.vectors[i * d.dim], d.meta[i],
                                   1000 + i};
      },
      [](size_t) { return false; });
  if (!s.ok()) Die("WriteSegment", s);
  std::printf("\n### %s\n\nsegment written in %.1f s\n\n", d.name.c_str(),
              Seconds(t));
  auto file = env->MapFile(path);
  if (!file.ok()) Die("MapFile", file.status());
  std::string_view bytes((*file)->data(), (*file)->size());

  segment::ColdPackOptions opts;
  opts.zstd_level = a.zstd_level;
  opts.shuffle_floats = a.shuffle;
  std::vector<segment::ColdPackChunk> enc_chunks, dec_chunks;
  // Per kind: encode / decode seconds of each rep.
  std::map<uint32_t, std::vector<double>> enc_s, dec_s;
  std::vector<double> enc_total, dec_total;
  std::string pack;
  for (int r = 0; r < a.reps; ++r) {
    t = Clock_::now();
    auto p = segment::EncodeColdPack(bytes, opts, &enc_chunks);
    enc_total.push_back(Seconds(t));
    if (!p.ok()) Die("EncodeColdPack", p.status());
    t = Clock_::now();
    auto back = segment::DecodeColdPack(*p, &dec_chunks);
    dec_total.push_back(Seconds(t));
    if (!back.ok()) Die("DecodeColdPack", back.status());
    if (*back != bytes) {
      std::fprintf(stderr, "cold_bench: decoded file differs\n");
      std::exit(1);
    }
    std::map<uint32_t, double> e, dd;
    for (const auto& c : enc_chunks) e[c.kind] += c.nanos / 1e9;
    for (const auto& c : dec_chunks) dd[c.kind] += c.nanos / 1e9;
    for (auto& [k, v] : e) enc_s[k].push_back(v);
    for (auto& [k, v] : dd) dec_s[k].push_back(v);
    pack = std::move(p).value();
  }
  struct Row {
    uint64_t raw = 0, packed = 0;
    std::string codecs;
  };
  std::map<uint32_t, Row> rows;
  for (const auto& c : enc_chunks) {
    Row& r = rows[c.kind];
    r.raw += c.raw_bytes;
    r.packed += c.packed_bytes;
    std::string name = segment::ColdPackCodecName(c.codec);
    if (r.codecs.find(name) == std::string::npos) {
      r.codecs += (r.codecs.empty() ? "" : ", ") + name;
    }
  }
  auto mbps = [](uint64_t raw, double sec) {
    return sec > 0 ? raw / 1e6 / sec : 0.0;
  };
  std::printf(
      "| section | codec | raw bytes | packed bytes | ratio | encode MB/s | "
      "decode MB/s |\n|---|---|---:|---:|---:|---:|---:|\n");
  for (const auto& [kind, r] : rows) {
    char ratio[32] = "all zero";
    if (r.packed) {
      std::snprintf(ratio, sizeof ratio, "%.2f", double(r.raw) / r.packed);
    }
    std::printf("| %s | %s | %llu | %llu | %s | %.0f | %.0f |\n",
                KindName(kind), r.codecs.c_str(), (unsigned long long)r.raw,
                (unsigned long long)r.packed, ratio,
                mbps(r.raw, Median(enc_s[kind])),
                mbps(r.raw, Median(dec_s[kind])));
  }
  std::printf("| **total (pack file)** | | %zu | %zu | %.2f | %.0f | %.0f |\n",
              bytes.size(), pack.size(), double(bytes.size()) / pack.size(),
              mbps(bytes.size(), Median(enc_total)),
              mbps(bytes.size(), Median(dec_total)));
  std::fflush(stdout);
  (void)env->RemoveFile(path);
}

// ------------------------------------------------------------ object stores

struct StoreUnderTest {
  std::string name;
  object::ObjectStore* single;     // Put in one request
  object::ObjectStore* multipart;  // PutFile (multipart when large)
};

void StoreBench(const Args& a, Env* env) {
  std::vector<std::unique_ptr<object::ObjectStore>> owned;
  std::vector<StoreUnderTest> stores;
  auto v = bench::ReadS3Env(a.s3_env);
  if (v.count("S3_ENDPOINT") && v.count("S3_BUCKET")) {
    object::S3Options o;
    o.endpoint = v["S3_ENDPOINT"];
    if (v.count("S3_REGION")) o.region = v["S3_REGION"];
    o.bucket = v["S3_BUCKET"];
    o.access_key = v["S3_ACCESS_KEY"];
    o.secret_key = v["S3_SECRET_KEY"];
    o.prefix = "cold-bench/";
    o.request_timeout_ms = 600000;
    auto multi = object::S3ObjectStore::Open(o, env);
    if (!multi.ok()) Die("S3ObjectStore::Open", multi.status());
    o.part_size = 5ull << 30;  // never multipart: one PUT per object
    auto single = object::S3ObjectStore::Open(o, env);
    if (!single.ok()) Die("S3ObjectStore::Open", single.status());
    stores.push_back({"S3 (radosgw, loopback)", single->get(), multi->get()});
    owned.push_back(std::move(multi).value());
    owned.push_back(std::move(single).value());
  } else {
    std::printf("(no S3_* settings: S3 skipped; pass --s3-env FILE)\n");
  }
  auto local = object::LocalObjectStore::Open(env, a.dir + "/local-store");
  if (!local.ok()) Die("LocalObjectStore::Open", local.status());
  stores.push_back({"LocalObjectStore", local->get(), local->get()});
  owned.push_back(std::move(local).value());

  std::printf(
      "\n| store | size | PUT (1 request) MB/s | PutFile (multipart) MB/s | "
      "GET MB/s | GET s | GetToFile MB/s "
      "|\n|---|---:|---:|---:|---:|---:|---:|\n");
  std::mt19937_64 rng(7);
  for (uint64_t mib : a.sizes_mib) {
    std::string data(mib << 20, '\0');
    for (size_t i = 0; i + 8 <= data.size(); i += 8) {
      uint64_t x = rng();
      std::memcpy(&data[i], &x, 8);
    }
    const std::string src = a.dir + "/object.src";
    const std::string dst = a.dir + "/object.dst";
    {
      auto f = env->NewWritableFile(src);
      if (!f.ok()) Die("write source", f.status());
      Status s = (*f)->Append(data);
      if (s.ok()) s = (*f)->Sync();
      if (s.ok()) s = (*f)->Close();
      if (!s.ok()) Die("write source", s);
    }
    const double mb = data.size() / 1e6;
    for (const auto& st : stores) {
      const std::string key = "obj-" + std::to_string(mib) + "m";
      std::vector<double> put, putfile, get, gettofile;
      for (int r = 0; r < a.reps; ++r) {
        auto t = Clock_::now();
        Status s = st.single->Put(key, data);
        if (!s.ok()) Die(st.name + " Put", s);
        put.push_back(mb / Seconds(t));
        t = Clock_::now();
        s = st.multipart->PutFile(key, src);
        if (!s.ok()) Die(st.name + " PutFile", s);
        putfile.push_back(mb / Seconds(t));
        t = Clock_::now();
        auto g = st.multipart->Get(key);
        if (!g.ok()) Die(st.name + " Get", g.status());
        get.push_back(mb / Seconds(t));
        if (g->size() != data.size())
          Die(st.name + " Get", Status::Internal("size"));
        g = Status::Internal("dropped");  // free before the next read
        t = Clock_::now();
        auto gf = st.multipart->GetToFile(key, dst);
        if (!gf.ok()) Die(st.name + " GetToFile", gf.status());
        gettofile.push_back(mb / Seconds(t));
        (void)env->RemoveFile(dst);
      }
      (void)st.multipart->Delete(key);
      std::printf("| %s | %llu MiB | %.0f | %.0f | %.0f | %.3f | %.0f |\n",
                  st.name.c_str(), (unsigned long long)mib, Median(put),
                  Median(putfile), Median(get), mb / Median(get),
                  Median(gettofile));
      std::fflush(stdout);
    }
    (void)env->RemoveFile(src);
  }
}

std::vector<uint64_t> ParseList(const std::string& s) {
  std::vector<uint64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoull(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cold_bench: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--phases")
      a.phases = next();
    else if (k == "--reps")
      a.reps = std::stoi(next());
    else if (k == "--dir")
      a.dir = next();
    else if (k == "--synthetic-n")
      a.synthetic_n = std::stoul(next());
    else if (k == "--synthetic-dim")
      a.synthetic_dim = std::stoul(next());
    else if (k == "--fashion-limit")
      a.fashion_limit = std::stoul(next());
    else if (k == "--sizes-mib")
      a.sizes_mib = ParseList(next());
    else if (k == "--s3-env")
      a.s3_env = next();
    else if (k == "--zstd-level")
      a.zstd_level = std::stoi(next());
    else if (k == "--no-shuffle")
      a.shuffle = false;
    else {
      std::fprintf(stderr, "cold_bench: unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  Env* env = Env::Default();
  std::filesystem::create_directories(a.dir);
  std::printf("cold_bench: reps %d (medians), zstd level %d%s, dir %s\n",
              a.reps, a.zstd_level, a.shuffle ? "" : ", no shuffle",
              a.dir.c_str());
  if (a.phases == "all" || a.phases == "compress") {
    {
      DataSet fashion;
      if (LoadFashion(a.fashion_limit, &fashion)) {
        CompressOne(a, env, fashion);
      } else {
        std::printf(
            "Fashion-MNIST not found (apt install dataset-fashion-mnist)\n");
      }
    }
    if (a.synthetic_n > 0) {
      DataSet syn = Synthetic(a.synthetic_n, a.synthetic_dim);
      CompressOne(a, env, syn);
    }
  }
  if (a.phases == "all" || a.phases == "store") StoreBench(a, env);
  return 0;
}
