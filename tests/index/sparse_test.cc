#include "index/sparse.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/limits.h"

namespace proximadb::index {
namespace {

SparseVector Sv(std::vector<uint32_t> i, std::vector<float> v) {
  return SparseVector{std::move(i), std::move(v)};
}

// A random canonical vector with up to `max_nnz` of `dims` dimensions.
SparseVector RandomSparse(std::mt19937& rng, uint32_t dims, size_t max_nnz) {
  std::uniform_int_distribution<size_t> n(0, max_nnz);
  std::uniform_real_distribution<float> val(-2.0f, 2.0f);
  std::map<uint32_t, float> m;
  const size_t want = n(rng);
  for (size_t k = 0; k < want; ++k) {
    m[std::uniform_int_distribution<uint32_t>(0, dims - 1)(rng)] = val(rng);
  }
  SparseVector v;
  for (const auto& [i, x] : m) {
    v.indices.push_back(i);
    v.values.push_back(x);
  }
  return v;
}

// The dot product the way the module promises to sum it: in double, in
// ascending dimension order.
bool ReferenceDot(const SparseVector& a, const SparseVector& b, double* dot) {
  std::map<uint32_t, float> bm;
  for (size_t j = 0; j < b.indices.size(); ++j) bm[b.indices[j]] = b.values[j];
  double sum = 0;
  bool any = false;
  for (size_t j = 0; j < a.indices.size(); ++j) {
    auto it = bm.find(a.indices[j]);
    if (it == bm.end()) continue;
    sum += double(a.values[j]) * double(it->second);
    any = true;
  }
  *dot = sum;
  return any;
}

TEST(SparseVectorsTest, EncodeDecodeRoundTrips) {
  SparseVectors in;
  in["bm25"] = Sv({1, 7, 4000000000u}, {0.5f, -1.25f, 3.0f});
  in["empty"] = Sv({}, {});
  in["splade"] = Sv({0}, {2.0f});
  const std::string blob = EncodeSparseVectors(in);
  EXPECT_TRUE(ValidPointVectorsBlob(blob));
  SparseVectors out;
  ASSERT_TRUE(DecodeSparseVectors(blob, &out).ok());
  EXPECT_EQ(out, in);
  EXPECT_EQ(EncodeSparseVectors({}), "");
  ASSERT_TRUE(DecodeSparseVectors("", &out).ok());
  EXPECT_TRUE(out.empty());

  SparseRef ref;
  ASSERT_TRUE(FindSparse(blob, "splade", &ref));
  EXPECT_EQ(ref.nnz, 1u);
  EXPECT_FALSE(FindSparse(blob, "other", &ref));
  EXPECT_FALSE(FindSparse(blob, "a", &ref));
  EXPECT_FALSE(FindSparse(blob, "zzz", &ref));
}

TEST(SparseVectorsTest, EveryTruncationAndFlippedOrderIsRefused) {
  SparseVectors in;
  in["a"] = Sv({1, 2, 3}, {1, 2, 3});
  in["b"] = Sv({5}, {1});
  const std::string blob = EncodeSparseVectors(in);
  SparseVectors out;
  for (size_t n = 1; n < blob.size(); ++n) {
    EXPECT_FALSE(ValidPointVectorsBlob(blob.substr(0, n))) << n;
    EXPECT_FALSE(DecodeSparseVectors(blob.substr(0, n), &out).ok()) << n;
  }
  EXPECT_FALSE(ValidPointVectorsBlob(blob + "x"));
  // Indices out of order: swap the first two of "a".
  std::string swapped = blob;
  const size_t at = 4 + 4 + 1 + 4;  // count, name length, "a", nnz
  std::swap_ranges(swapped.begin() + at, swapped.begin() + at + 4,
                   swapped.begin() + at + 4);
  EXPECT_FALSE(ValidPointVectorsBlob(swapped));
  EXPECT_FALSE(DecodeSparseVectors(swapped, &out).ok());
  // Random bytes never crash either reader.
  std::mt19937 rng(7);
  for (int t = 0; t < 2000; ++t) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng() % 8);
    (void)ValidPointVectorsBlob(junk);
    (void)DecodeSparseVectors(junk, &out);
    SparseRef ref;
    (void)FindSparse(junk, "a", &ref);
  }
}

TEST(SparseVectorsTest, CanonicalizeSortsAndRefuses) {
  SparseVector v = Sv({9, 2, 5}, {0.9f, 0.2f, 0.5f});
  ASSERT_TRUE(CanonicalizeSparse(&v, "v").ok());
  EXPECT_EQ(v, Sv({2, 5, 9}, {0.2f, 0.5f, 0.9f}));

  SparseVector dup = Sv({3, 1, 3}, {1, 2, 3});
  Status s = CanonicalizeSparse(&dup, "q");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "q repeats index 3");

  SparseVector lengths = Sv({1, 2}, {1});
  EXPECT_EQ(CanonicalizeSparse(&lengths, "q").message(),
            "q has 2 indices but 1 values");

  SparseVector nan = Sv({1}, {std::numeric_limits<float>::quiet_NaN()});
  EXPECT_EQ(CanonicalizeSparse(&nan, "q").message(),
            "q.values[0] is not a finite number");

  SparseVector big;
  for (uint32_t i = 0; i <= kMaxSparseNonZeros; ++i) {
    big.indices.push_back(i);
    big.values.push_back(1);
  }
  EXPECT_EQ(CanonicalizeSparse(&big, "q").code(), StatusCode::kInvalidArgument);
}

TEST(SparseIndexTest, ScoresEqualTheMergeDotOfEveryRow) {
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    const uint32_t rows = 1 + rng() % 300;
    const uint32_t dims = 1 + rng() % 200;
    std::vector<std::string> blobs(rows);
    std::vector<SparseVectors> vectors(rows);
    SparseIndexBuilder builder;
    for (uint32_t r = 0; r < rows; ++r) {
      if (rng() % 4 != 0) vectors[r]["a"] = RandomSparse(rng, dims, 12);
      if (rng() % 3 == 0) vectors[r]["b"] = RandomSparse(rng, dims, 5);
      blobs[r] = EncodeSparseVectors(vectors[r]);
      builder.AddRow(r, blobs[r]);
    }
    // The section as a segment would hold it: 8-byte aligned.
    const std::string encoded = builder.Encode();
    std::vector<uint64_t> storage(encoded.size() / 8 + 1);
    std::memcpy(storage.data(), encoded.data(), encoded.size());
    auto idx = SparseIndex::Parse(
        std::string_view(reinterpret_cast<const char*>(storage.data()),
                         encoded.size()),
        rows);
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    for (const char* name : {"a", "b", "c"}) {
      for (int q = 0; q < 10; ++q) {
        const SparseVector query = RandomSparse(rng, dims, 8);
        std::vector<std::pair<uint32_t, double>> got;
        idx->Score(name, query, &got);
        std::vector<std::pair<uint32_t, double>> want;
        for (uint32_t r = 0; r < rows; ++r) {
          SparseRef ref;
          double dot, ref_dot;
          auto it = vectors[r].find(name);
          const bool in_ref = it != vectors[r].end() &&
                              ReferenceDot(it->second, query, &ref_dot);
          const bool in_blob =
              FindSparse(blobs[r], name, &ref) && SparseDot(ref, query, &dot);
          ASSERT_EQ(in_blob, in_ref);
          if (in_blob) {
            EXPECT_EQ(dot, ref_dot);  // same order, same sum
            want.emplace_back(r, dot);
          }
        }
        EXPECT_EQ(got, want) << name;
      }
    }
  }
}

TEST(SparseIndexTest, DamagedSectionsAreRefused) {
  SparseIndexBuilder builder;
  SparseVectors v;
  v["a"] = Sv({1, 5}, {1, 2});
  builder.AddRow(0, EncodeSparseVectors(v));
  v["a"] = Sv({5}, {3});
  builder.AddRow(1, EncodeSparseVectors(v));
  const std::string good = builder.Encode();
  // 8-byte aligned, as a segment's section is; it outlives each parse's
  // use (a SparseIndex reads the bytes in place).
  std::vector<uint64_t> storage;
  auto parse = [&storage](const std::string& bytes, uint64_t rows) {
    storage.assign(bytes.size() / 8 + 1, 0);
    std::memcpy(storage.data(), bytes.data(), bytes.size());
    return SparseIndex::Parse(
        std::string_view(reinterpret_cast<const char*>(storage.data()),
                         bytes.size()),
        rows);
  };
  ASSERT_TRUE(parse(good, 2).ok());
  EXPECT_FALSE(parse(good, 1).ok());  // a posting names row 1
  for (size_t n = 8; n < good.size(); n += 8) {
    EXPECT_FALSE(parse(good.substr(0, n), 2).ok()) << n;
  }
  // Every single-byte change either is refused or parses into postings
  // within the rows (never a crash, checked under the sanitizers).
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] ^= 0x41;
    auto r = parse(bad, 2);
    if (r.ok()) {
      std::vector<std::pair<uint32_t, double>> out;
      r->Score("a", Sv({1, 5}, {1, 1}), &out);
      for (const auto& [row, s] : out) EXPECT_LT(row, 2u);
    }
  }
  EXPECT_TRUE(parse("", 2).ok());
}

TEST(PointVectorsBlobTest, SparseAndNamedVectorsRoundTripSideBySide) {
  SparseVectors sparse{{"b", Sv({2, 5}, {1.0f, -2.0f})},
                       {"d", Sv({7}, {0.5f})}};
  NamedVectors dense{{"a", NamedVector{{1, 2, 3}, 1, false}},
                     {"c", NamedVector{{1, 0, 0, 1}, 2, true}}};
  const std::string blob = EncodePointVectors(sparse, dense);
  EXPECT_TRUE(ValidPointVectorsBlob(blob));
  SparseVectors s2;
  NamedVectors d2;
  ASSERT_TRUE(DecodePointVectors(blob, &s2, &d2).ok());
  EXPECT_EQ(s2, sparse);
  EXPECT_EQ(d2, dense);
  // The sparse-only decoder skips the dense entries.
  ASSERT_TRUE(DecodeSparseVectors(blob, &s2).ok());
  EXPECT_EQ(s2, sparse);
  // Lookups find each name only as its own kind.
  SparseRef sref;
  DenseRef dref;
  EXPECT_TRUE(FindSparse(blob, "b", &sref));
  EXPECT_EQ(sref.nnz, 2u);
  EXPECT_FALSE(FindSparse(blob, "a", &sref));
  EXPECT_FALSE(FindDense(blob, "b", &dref));
  ASSERT_TRUE(FindDense(blob, "c", &dref));
  EXPECT_EQ(dref.rows, 2u);
  EXPECT_EQ(dref.dim, 2u);
  ASSERT_TRUE(FindDense(blob, "a", &dref));
  EXPECT_EQ(dref.rows, 1u);
  EXPECT_EQ(dref.dim, 3u);
  // A blob of sparse vectors only is the bytes builds before named vectors
  // wrote.
  EXPECT_EQ(EncodePointVectors(sparse, {}), EncodeSparseVectors(sparse));
  // The inverted index leaves the dense entries out.
  SparseIndexBuilder b;
  b.AddRow(0, blob);
  SparseIndexBuilder only_sparse;
  only_sparse.AddRow(0, EncodeSparseVectors(sparse));
  EXPECT_EQ(b.Encode(), only_sparse.Encode());
  // Every truncation is refused.
  for (size_t n = 1; n < blob.size(); ++n) {
    EXPECT_FALSE(ValidPointVectorsBlob(blob.substr(0, n))) << n;
  }
  // A one-vector entry claiming two rows is malformed.
  std::string bad =
      EncodePointVectors({}, {{"a", NamedVector{{1, 2}, 1, false}}});
  bad[4 + 4 + 1] = 2;  // count, word, "a", rows
  EXPECT_FALSE(ValidPointVectorsBlob(bad));
}

}  // namespace
}  // namespace proximadb::index
