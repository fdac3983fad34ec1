#include "util/coding.h"

#include <limits>

#include <gtest/gtest.h>

namespace proximadb {
namespace {

TEST(CodingTest, FixedIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(s[0], 1);
  EXPECT_EQ(s[3], 4);
  EXPECT_EQ(s[4], 1);
  EXPECT_EQ(s[11], 8);
  EXPECT_EQ(DecodeFixed32(s.data()), 0x04030201u);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ull);
}

TEST(CodingTest, VarintRoundTrip) {
  std::vector<uint64_t> values = {0,
                                  1,
                                  127,
                                  128,
                                  300,
                                  16383,
                                  16384,
                                  std::numeric_limits<uint32_t>::max(),
                                  std::numeric_limits<uint64_t>::max()};
  for (int i = 0; i < 64; ++i) values.push_back(uint64_t{1} << i);
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RejectsOverflowAndTruncation) {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 32);
  std::string_view in = s;
  uint32_t v;
  EXPECT_FALSE(GetVarint32(&in, &v));
  EXPECT_EQ(in.size(), s.size());  // untouched on failure

  s.clear();
  PutVarint32(&s, 1u << 30);
  for (size_t cut = 0; cut < s.size(); ++cut) {
    std::string_view part(s.data(), cut);
    EXPECT_FALSE(GetVarint32(&part, &v)) << cut;
  }
  std::string eleven(11, '\x80');
  std::string_view bad = eleven;
  uint64_t w;
  EXPECT_FALSE(GetVarint64(&bad, &w));
}

TEST(CodingTest, LengthPrefixed) {
  std::string s;
  PutLengthPrefixed(&s, "abc");
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, std::string(300, 'x'));
  std::string_view in = s, out;
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "abc");
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, std::string(300, 'x'));
  EXPECT_TRUE(in.empty());

  std::string t;
  PutVarint64(&t, 10);
  t += "short";
  std::string_view tin = t;
  EXPECT_FALSE(GetLengthPrefixed(&tin, &out));
}

}  // namespace
}  // namespace proximadb
