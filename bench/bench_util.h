// Small helpers shared by the engine-level benchmarks.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "proximadb/status.h"

namespace proximadb::bench {

using Steady = std::chrono::steady_clock;

inline double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// Exits with the error when `s` is not OK: a benchmark has no way around a
// failed step.
inline void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace proximadb::bench
