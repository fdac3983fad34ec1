// The binary-code kernel (KernelTable::bq_dot). Each instruction-set file
// includes this inside its own anonymous namespace, so every level gets a
// private copy compiled with its flags (-mpopcnt for AVX2 and AVX-512, a
// bit-twiddling popcount for the scalar level) and the linker can never pick
// one level's copy for another.
//
// Four AND + popcount per code word, one independent accumulator per plane;
// the sums are exact integers, so every level returns the same result.
uint32_t BqDot(const uint64_t* planes, const uint64_t* code, size_t words,
               uint32_t* ones) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, n = 0;
  const uint64_t* p1 = planes + words;
  const uint64_t* p2 = p1 + words;
  const uint64_t* p3 = p2 + words;
  for (size_t w = 0; w < words; ++w) {
    const uint64_t c = code[w];
    n += __builtin_popcountll(c);
    a0 += __builtin_popcountll(planes[w] & c);
    a1 += __builtin_popcountll(p1[w] & c);
    a2 += __builtin_popcountll(p2[w] & c);
    a3 += __builtin_popcountll(p3[w] & c);
  }
  *ones = static_cast<uint32_t>(n);
  return static_cast<uint32_t>(a0 + 2 * a1 + 4 * a2 + 8 * a3);
}
