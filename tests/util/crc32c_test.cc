#include "util/crc32c.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace proximadb::crc32c {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Value("123456789", 9), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Value("", 0), 0u);
  for (auto fn : {&ExtendSoftware, &ExtendHardware}) {
    if (fn == &ExtendHardware && !HardwareAvailable()) continue;
    EXPECT_EQ(fn(0, "123456789", 9), 0xE3069283u);
    EXPECT_EQ(fn(0, zeros.data(), zeros.size()), 0x8A9136AAu);
  }
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello, write-ahead log";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(Extend(Value(s.data(), cut), s.data() + cut, s.size() - cut),
              Value(s.data(), s.size()));
  }
}

TEST(Crc32cTest, HardwareMatchesSoftwareOnRandomBuffers) {
  if (!HardwareAvailable()) GTEST_SKIP() << "no SSE4.2";
  std::mt19937 rng(42);
  std::string buf(4096 + 16, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (int i = 0; i < 500; ++i) {
    size_t off = rng() % 16;  // unaligned starts
    size_t len = rng() % 4096;
    uint32_t init = rng();
    EXPECT_EQ(ExtendHardware(init, buf.data() + off, len),
              ExtendSoftware(init, buf.data() + off, len));
  }
}

TEST(Crc32cTest, MaskRoundTripsAndDiffers) {
  uint32_t crc = Value("foo", 3);
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

}  // namespace
}  // namespace proximadb::crc32c
