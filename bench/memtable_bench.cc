// Memtable kinds (issue 17): the "btree" kind (absl::btree_map, always in id
// order) against the "hash" kind (absl::flat_hash_map, sorted on demand), on
// the Memtable class alone, one thread, in process. For each --n and kind:
//
//   upsert fresh      N upserts of new ids, as the collection writes them
//                     (Find, then Append): upserts/s
//   upsert 50% over   N upserts of which half rewrite an id written earlier
//                     in the run (Find + Kill + Append): upserts/s
//   flush scan        one ScanLiveFrom("") over the N fresh rows, the walk a
//                     flush makes (for hash: with the sort): ms
//   rescan            the same scan again, nothing written in between (hash:
//                     the cached order): ms
//   find              N lookups of present ids, in random order: lookups/s
//   scroll page       one upsert of a new id, then a page of 100 rows after a
//                     random cursor: what a scroll of a memtable under writes
//                     pays per page (hash: the order is extended first):
//                     pages/s
//
// Ids are UUID v4 strings cut to 16..36 characters at random. The kinds run
// interleaved (their order alternates by repetition); the table gives the
// median, min and max of --reps repetitions.
//
//   memtable_bench [--n 200000,1000000] [--reps 5] [--dim 128]
//                  [--pages 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "collection/memtable.h"

using namespace proximadb;

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::vector<std::string> MakeIds(size_t n, std::mt19937_64& rng) {
  static const char* kHex = "0123456789abcdef";
  std::uniform_int_distribution<int> len(16, 36);
  std::vector<std::string> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t hi = rng(), lo = rng();
    hi = (hi & ~0xf000ull) | 0x4000ull;        // version 4
    lo = (lo & ~(3ull << 62)) | (2ull << 62);  // variant
    std::string s(36, '-');
    int pos = 0;
    for (int nib = 0; nib < 32; ++nib) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      const uint64_t word = nib < 16 ? hi : lo;
      s[pos++] = kHex[(word >> (60 - 4 * (nib % 16))) & 0xf];
    }
    s.resize(len(rng));
    ids.push_back(std::move(s));
  }
  // Cut UUIDs are still unique here with near certainty; make sure.
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    std::fprintf(stderr, "duplicate id generated; change the seed\n");
    std::exit(1);
  }
  return ids;
}

struct Sample {
  std::string kind, op, unit;
  size_t n;
  std::vector<double> values;
};

struct Inputs {
  uint32_t dim;
  std::vector<std::string> ids;         // N fresh ids
  std::vector<std::string> extra;       // fresh ids for the scroll pages
  std::vector<uint32_t> overwrite_ops;  // indexes into ids: ~50% repeats
  std::vector<uint32_t> find_order;     // a permutation of 0..N-1
  std::vector<uint32_t> cursors;        // indexes into ids
  std::vector<float> vectors;           // a pool of vectors, cycled
  size_t pool = 0;
  const float* vec(size_t i) const { return vectors.data() + (i % pool) * dim; }
};

// What the collection does for one upsert into its memtable.
inline void Upsert(Memtable* m, std::string_view id, const float* v,
                   uint64_t version) {
  if (auto old = m->Find(id)) m->Kill(*old);
  m->Append(id, v, std::string(), std::string(), 0, version, 1);
}

uint64_t sink = 0;  // keeps the compiler from dropping the measured work

void RunKind(MemtableKind kind, const Inputs& in, uint32_t pages,
             std::vector<Sample>* out, size_t base) {
  const size_t n = in.ids.size();
  auto record = [&](size_t slot, double v) {
    (*out)[base + slot].values.push_back(v);
  };
  {
    Memtable m(in.dim, Metric::kEuclidean, kind);
    auto t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) Upsert(&m, in.ids[i], in.vec(i), i + 1);
    record(0, n / SecondsSince(t0));

    t0 = Clock::now();
    uint64_t seen = 0;
    m.ScanLiveFrom("", [&](uint32_t row) {
      seen += row;
      return true;
    });
    record(2, SecondsSince(t0) * 1e3);
    sink += seen;

    t0 = Clock::now();
    seen = 0;
    m.ScanLiveFrom("", [&](uint32_t row) {
      seen += row;
      return true;
    });
    record(3, SecondsSince(t0) * 1e3);
    sink += seen;

    t0 = Clock::now();
    uint64_t found = 0;
    for (uint32_t i : in.find_order) found += *m.Find(in.ids[i]);
    record(4, n / SecondsSince(t0));
    sink += found;

    t0 = Clock::now();
    for (uint32_t p = 0; p < pages; ++p) {
      Upsert(&m, in.extra[p], in.vec(p), n + p + 1);
      const std::string& after = in.ids[in.cursors[p]];
      int got = 0;
      m.ScanLiveFrom(after, [&](uint32_t row) {
        sink += row;
        return ++got < 100;
      });
    }
    record(5, pages / SecondsSince(t0));
  }
  {
    Memtable m(in.dim, Metric::kEuclidean, kind);
    auto t0 = Clock::now();
    uint64_t version = 0;
    for (uint32_t i : in.overwrite_ops) {
      Upsert(&m, in.ids[i], in.vec(version), version + 1);
      ++version;
    }
    record(1, in.overwrite_ops.size() / SecondsSince(t0));
    sink += m.live();
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> ns = {200000, 1000000};
  uint32_t reps = 5, dim = 128, pages = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--n") {
      ns.clear();
      std::string list = next();
      size_t start = 0;
      while (start < list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        ns.push_back(std::stoull(list.substr(start, comma - start)));
        start = comma + 1;
      }
    } else if (a == "--reps") {
      reps = std::stoul(next());
    } else if (a == "--dim") {
      dim = std::stoul(next());
    } else if (a == "--pages") {
      pages = std::stoul(next());
    } else {
      std::fprintf(stderr,
                   "usage: memtable_bench [--n N[,N...]] [--reps R] "
                   "[--dim D] [--pages P]\n");
      return 2;
    }
  }
  if (ns.empty() || reps == 0 || dim == 0) {
    std::fprintf(stderr, "--n, --reps and --dim must be positive\n");
    return 2;
  }
  std::printf("memtable_bench: n=");
  for (size_t k = 0; k < ns.size(); ++k) {
    std::printf("%s%zu", k ? "," : "", ns[k]);
  }
  std::printf(" reps=%u dim=%u pages=%u; load average at start: %s\n", reps,
              dim, pages, LoadAverage().c_str());
  std::fflush(stdout);

  static const char* kOps[] = {"upsert fresh", "upsert 50% over",
                               "flush scan",   "rescan",
                               "find",         "scroll page"};
  static const char* kUnits[] = {"upserts/s", "upserts/s", "ms",
                                 "ms",        "lookups/s", "pages/s"};
  const MemtableKind kinds[] = {MemtableKind::kBTree, MemtableKind::kHash};
  std::vector<Sample> samples;
  for (size_t n : ns) {
    std::mt19937_64 rng(42 + n);
    Inputs in;
    in.dim = dim;
    std::vector<std::string> all = MakeIds(n + pages, rng);
    in.extra.assign(all.begin() + n, all.end());
    all.resize(n);
    in.ids = std::move(all);
    // Half of the ops rewrite an id already written in this run.
    std::uniform_real_distribution<double> coin(0, 1);
    uint32_t fresh = 0;
    for (size_t i = 0; i < n; ++i) {
      if (fresh > 0 && coin(rng) < 0.5) {
        in.overwrite_ops.push_back(
            std::uniform_int_distribution<uint32_t>(0, fresh - 1)(rng));
      } else {
        in.overwrite_ops.push_back(fresh++);
      }
    }
    in.find_order.resize(n);
    for (uint32_t i = 0; i < n; ++i) in.find_order[i] = i;
    std::shuffle(in.find_order.begin(), in.find_order.end(), rng);
    std::uniform_int_distribution<uint32_t> any(0, n - 1);
    for (uint32_t p = 0; p < pages; ++p) in.cursors.push_back(any(rng));
    in.pool = std::min<size_t>(n, 65536);
    in.vectors.resize(in.pool * dim);
    std::normal_distribution<float> gauss(0, 1);
    for (float& x : in.vectors) x = gauss(rng);

    const size_t base = samples.size();
    for (MemtableKind kind : kinds) {
      for (size_t op = 0; op < std::size(kOps); ++op) {
        samples.push_back(
            {MemtableKindName(kind), kOps[op], kUnits[op], n, {}});
      }
    }
    for (uint32_t r = 0; r < reps; ++r) {
      for (size_t k = 0; k < 2; ++k) {
        const size_t which = r % 2 ? 1 - k : k;  // alternate who goes first
        RunKind(kinds[which], in, pages, &samples,
                base + which * std::size(kOps));
      }
    }
  }

  std::printf("\n| kind | n | op | unit | median | min | max |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Sample& s : samples) {
    const auto [lo, hi] = std::minmax_element(s.values.begin(), s.values.end());
    const bool ms = s.unit == "ms";
    auto fmt = [&](double v) {
      char buf[32];
      if (ms) {
        std::snprintf(buf, sizeof(buf), "%.1f", v);
      } else {
        std::snprintf(buf, sizeof(buf), "%.0f", v);
      }
      return std::string(buf);
    };
    std::printf("| %s | %zu | %s | %s | %s | %s | %s |\n", s.kind.c_str(), s.n,
                s.op.c_str(), s.unit.c_str(), fmt(Median(s.values)).c_str(),
                fmt(*lo).c_str(), fmt(*hi).c_str());
  }
  std::printf("\nload average at end: %s (checksum %llu)\n",
              LoadAverage().c_str(), static_cast<unsigned long long>(sink));
  return 0;
}
