// Reads the gzipped IDX files of Debian's dataset-fashion-mnist
// (/usr/share/datasets/fashion-mnist/): images (*-idx3-ubyte.gz: big-endian
// header magic, count, rows, cols, then one uint8 per pixel) and labels
// (*-idx1-ubyte.gz: 8-byte header, one uint8 per label). Shared by the
// benchmarks so they all read the same data the same way.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace proximadb::bench {

// Reads at most `limit` images as float rows of n * dim values.
inline bool ReadIdxImages(const std::string& path, uint32_t limit,
                          uint32_t* n_out, uint32_t* dim_out,
                          std::vector<float>* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return false;
  unsigned char h[16];
  if (gzread(f, h, 16) != 16) {
    gzclose(f);
    return false;
  }
  auto be = [&](int o) {
    return uint32_t(h[o]) << 24 | uint32_t(h[o + 1]) << 16 |
           uint32_t(h[o + 2]) << 8 | h[o + 3];
  };
  uint32_t n = std::min(be(4), limit), dim = be(8) * be(12);
  std::vector<unsigned char> buf(size_t(n) * dim);
  bool ok = gzread(f, buf.data(), buf.size()) == int(buf.size());
  gzclose(f);
  if (!ok) return false;
  *n_out = n;
  *dim_out = dim;
  out->assign(buf.begin(), buf.end());
  return true;
}

// Reads the first n labels.
inline bool ReadIdxLabels(const std::string& path, uint32_t n,
                          std::vector<int>* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return false;
  unsigned char h[8];
  std::vector<unsigned char> buf(n);
  bool ok = gzread(f, h, 8) == 8 && gzread(f, buf.data(), n) == int(n);
  gzclose(f);
  out->assign(buf.begin(), buf.end());
  return ok;
}

}  // namespace proximadb::bench
