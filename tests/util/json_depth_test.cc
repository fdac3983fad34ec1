// Nesting depth of JSON values and of JSON text, computed without
// recursion (util/json_depth.h).
#include "util/json_depth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "util/limits.h"

namespace proximadb {
namespace {

std::string Nested(size_t depth, const std::string& open = "{\"a\":",
                   const std::string& close = "}") {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += open;
  s += "1";
  for (size_t i = 0; i < depth; ++i) s += close;
  return s;
}

TEST(JsonTextDepthTest, CountsObjectsAndArrays) {
  EXPECT_FALSE(JsonTextDeeperThan("1", 0));
  EXPECT_FALSE(JsonTextDeeperThan("{}", 1));
  EXPECT_TRUE(JsonTextDeeperThan("{}", 0));
  EXPECT_FALSE(JsonTextDeeperThan(Nested(36), 36));
  EXPECT_TRUE(JsonTextDeeperThan(Nested(37), 36));
  EXPECT_FALSE(JsonTextDeeperThan(Nested(10, "[", "]"), 10));
  EXPECT_TRUE(JsonTextDeeperThan(Nested(11, "[", "]"), 10));
  // Siblings do not add up; only nesting does.
  EXPECT_FALSE(JsonTextDeeperThan("[[1],[2],{\"a\":[3]}]", 3));
  EXPECT_TRUE(JsonTextDeeperThan("[[1],[2],{\"a\":[[3]]}]", 3));
}

TEST(JsonTextDepthTest, BracketsInsideStringsDoNotCount) {
  EXPECT_FALSE(JsonTextDeeperThan(R"({"k": "[[[[{{{{"})", 1));
  // An escaped quote does not end the string; an escaped backslash does not
  // escape the quote after it.
  EXPECT_FALSE(JsonTextDeeperThan(R"({"k": "\"[[[["})", 1));
  EXPECT_TRUE(JsonTextDeeperThan(R"({"k": "\\", "x": [[1]]})", 2));
  EXPECT_FALSE(JsonTextDeeperThan(R"({"k": "\\", "x": [[1]]})", 3));
  EXPECT_FALSE(JsonTextDeeperThan(R"({"[": "]"})", 1));
}

TEST(JsonTextDepthTest, MalformedTextIsScannedWithoutHarm) {
  EXPECT_TRUE(JsonTextDeeperThan(std::string(100000, '['), 36));
  EXPECT_FALSE(JsonTextDeeperThan(std::string(100000, ']'), 0));
  EXPECT_FALSE(JsonTextDeeperThan("\"unterminated [[[[", 0));
  EXPECT_FALSE(JsonTextDeeperThan("\\", 0));
  // Millions deep: no recursion, no stack to overflow.
  EXPECT_TRUE(JsonTextDeeperThan(Nested(2000000), kMaxRequestDepth));
}

// The byte-at-a-time definition, against which the 16-bytes-at-a-time scan
// is checked on random text (escapes across block boundaries included).
size_t ReferenceDepth(std::string_view t) {
  size_t depth = 0, max = 0;
  bool in_string = false;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '{' || c == '[') {
      max = std::max(max, ++depth);
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    } else if (c == '"') {
      in_string = true;
    }
  }
  return max;
}

TEST(JsonTextDepthTest, MatchesTheByteAtATimeDefinition) {
  std::mt19937 rng(5);
  const char kAlphabet[] = "{}[]\"\\\\\"ab1 ,:";
  for (int round = 0; round < 20000; ++round) {
    std::string t(rng() % 80, ' ');
    for (char& c : t) c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
    const size_t d = ReferenceDepth(t);
    ASSERT_FALSE(JsonTextDeeperThan(t, d)) << t;
    if (d > 0) {
      ASSERT_TRUE(JsonTextDeeperThan(t, d - 1)) << t;
    }
  }
}

TEST(JsonValueDepthTest, MatchesTheTextScan) {
  for (size_t d : {0, 1, 5, 32, 33}) {
    const std::string text = Nested(d);
    const nlohmann::json j = nlohmann::json::parse(text);
    for (size_t max : {size_t{0}, d == 0 ? 0 : d - 1, d, d + 1}) {
      EXPECT_EQ(JsonDeeperThan(j, max), JsonTextDeeperThan(text, max))
          << d << " " << max;
    }
  }
}

TEST(LimitsTest, MessageNamesBothLimits) {
  EXPECT_EQ(RequestTooDeepMessage(),
            "request is nested deeper than 36 levels (metadata may nest at "
            "most 32 levels)");
}

}  // namespace
}  // namespace proximadb
