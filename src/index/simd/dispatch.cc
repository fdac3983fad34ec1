#include "index/simd/dispatch.h"

#include <cstdlib>
#include <string>

namespace proximadb::index::simd {
namespace {

bool CpuHas(SimdLevel level) {
#if defined(__x86_64__) || defined(__i386__)
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("popcnt");
    case SimdLevel::kAvx512:
      return __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
  }
  return false;
#else
  return level == SimdLevel::kScalar;
#endif
}

const KernelTable* Compiled(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return internal::ScalarKernels();
    case SimdLevel::kAvx2:
      return internal::Avx2Kernels();
    case SimdLevel::kAvx512:
      return internal::Avx512Kernels();
  }
  return nullptr;
}

SimdLevel Choose() {
  auto levels = SupportedSimdLevels();
  SimdLevel best = levels.back();
  const char* env = std::getenv("PDB_SIMD");
  if (env == nullptr) return best;
  std::string want(env);
  SimdLevel asked = best;
  if (want == "scalar") asked = SimdLevel::kScalar;
  if (want == "avx2") asked = SimdLevel::kAvx2;
  if (want == "avx512") asked = SimdLevel::kAvx512;
  // Highest supported level not above the request.
  SimdLevel pick = SimdLevel::kScalar;
  for (SimdLevel l : levels) {
    if (static_cast<int>(l) <= static_cast<int>(asked)) pick = l;
  }
  return pick;
}

}  // namespace

std::string_view SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::vector<SimdLevel> SupportedSimdLevels() {
  std::vector<SimdLevel> out;
  for (SimdLevel l :
       {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (CpuHas(l) && Compiled(l) != nullptr) out.push_back(l);
  }
  return out;
}

SimdLevel ActiveSimdLevel() {
  static const SimdLevel level = Choose();
  return level;
}

const KernelTable& ActiveKernels() {
  static const KernelTable* table = Compiled(ActiveSimdLevel());
  return *table;
}

const KernelTable* KernelsFor(SimdLevel level) {
  return CpuHas(level) ? Compiled(level) : nullptr;
}

}  // namespace proximadb::index::simd
