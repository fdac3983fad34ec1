// SplitMix64 (Steele, Lea & Flood 2014): a fast 64-bit mix whose outputs
// for consecutive inputs look independent. Used where a fixed, portable
// pseudo-random function of an integer is part of a format (HNSW row
// levels, the binary quantizer's rotation signs), so it must never change.
#pragma once

#include <cstdint>

namespace proximadb {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace proximadb
