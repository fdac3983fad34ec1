#include "hnswlib_peer.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <thread>

#ifndef PDB_PEER_FLAGS
#define PDB_PEER_FLAGS "(default)"
#endif

namespace proximadb::bench {

struct HnswlibPeer::Impl {
  explicit Impl(uint32_t dim) : space(dim) {}
  hnswlib::L2Space space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> h;
};

HnswlibPeer::HnswlibPeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HnswlibPeer::~HnswlibPeer() = default;

std::string HnswlibPeer::BuildFlags() { return PDB_PEER_FLAGS; }

std::string HnswlibPeer::SimdPath() {
#if defined(USE_AVX512)
  if (::AVX512Capable()) return "AVX-512";
#endif
#if defined(USE_AVX)
  if (::AVXCapable()) return "AVX";
#endif
#if defined(USE_SSE)
  return "SSE";
#else
  return "scalar";
#endif
}

std::unique_ptr<HnswlibPeer> HnswlibPeer::Build(const float* data, uint32_t n,
                                                uint32_t dim, uint32_t m,
                                                uint32_t ef_construction,
                                                uint32_t threads) {
  auto impl = std::make_unique<Impl>(dim);
  impl->h = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &impl->space, n, m, ef_construction, 100);
  std::atomic<uint32_t> next{0};
  auto work = [&] {
    for (uint32_t i = next++; i < n; i = next++) {
      impl->h->addPoint(data + size_t(i) * dim, i);
    }
  };
  std::vector<std::thread> ts;
  for (uint32_t w = 1; w < threads; ++w) ts.emplace_back(work);
  work();
  for (auto& t : ts) t.join();
  return std::unique_ptr<HnswlibPeer>(new HnswlibPeer(std::move(impl)));
}

std::unique_ptr<HnswlibPeer> HnswlibPeer::Load(const std::string& path,
                                               uint32_t dim) {
  auto impl = std::make_unique<Impl>(dim);
  impl->h =
      std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl->space, path);
  return std::unique_ptr<HnswlibPeer>(new HnswlibPeer(std::move(impl)));
}

void HnswlibPeer::Save(const std::string& path) { impl_->h->saveIndex(path); }

size_t HnswlibPeer::MemoryBytes() const {
  const auto& h = *impl_->h;
  size_t mem = h.cur_element_count * h.size_data_per_element_;
  for (size_t i = 0; i < h.cur_element_count; ++i) {
    mem += size_t(h.element_levels_[i]) * h.size_links_per_element_;
  }
  return mem;
}

void HnswlibPeer::Search(const float* q, uint32_t ef, uint32_t k,
                         std::vector<uint32_t>* ids) {
  // Written only when it changes, so threads searching at one ef (after a
  // first call set it) never write it.
  if (impl_->h->ef_ != ef) impl_->h->setEf(ef);
  auto res = impl_->h->searchKnn(q, k);
  const size_t first = ids->size();
  while (!res.empty()) {  // farthest first
    ids->push_back(uint32_t(res.top().second));
    res.pop();
  }
  std::reverse(ids->begin() + first, ids->end());
}

}  // namespace proximadb::bench
