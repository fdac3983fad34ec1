// Run-time choice of the distance kernels: the best level this CPU supports
// is picked once, on first use. PDB_SIMD=scalar|avx2|avx512 in the
// environment overrides it (tests run every level that way; an unsupported
// request falls back to the best supported level below it).
#pragma once

#include <string_view>
#include <vector>

#include "index/simd/kernels.h"

namespace proximadb::index::simd {

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

std::string_view SimdLevelName(SimdLevel level);  // "scalar"|"avx2"|"avx512"

// Levels this CPU (and this build) can run, scalar first.
std::vector<SimdLevel> SupportedSimdLevels();

// The level chosen at start-up.
SimdLevel ActiveSimdLevel();

// The active table; the reference is stable for the life of the process.
const KernelTable& ActiveKernels();

// A given level's table, or nullptr when it is not supported here. For tests
// and benchmarks that compare levels side by side.
const KernelTable* KernelsFor(SimdLevel level);

}  // namespace proximadb::index::simd
