// RFC 3339 times (util/time_format.h): what the change feed writes reads
// back; zones, fractions and the refusals.
#include <gtest/gtest.h>

#include "util/time_format.h"

namespace proximadb {
namespace {

TEST(TimeFormatTest, WrittenTimesReadBack) {
  for (uint64_t t : {uint64_t{0}, uint64_t{1'790'000'000'123'456},
                     uint64_t{951'782'400'000'001},  // 2000-02-29
                     uint64_t{253'402'300'799'999'999}}) {
    auto back = ParseRfc3339(Rfc3339Micros(t), "as_of");
    ASSERT_TRUE(back.ok()) << Rfc3339Micros(t) << back.status().ToString();
    EXPECT_EQ(*back, t) << Rfc3339Micros(t);
  }
  EXPECT_EQ(Rfc3339Micros(1'790'000'000'123'456),
            "2026-09-21T14:13:20.123456Z");
}

TEST(TimeFormatTest, ZonesAndFractions) {
  auto at = [](const char* s) {
    auto r = ParseRfc3339(s, "as_of");
    EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
    return r.ok() ? *r : 0;
  };
  const uint64_t base = at("2026-11-30T09:15:00Z");
  EXPECT_EQ(base, 1'796'030'100'000'000u);
  EXPECT_EQ(at("2026-11-30T10:15:00+01:00"), base);
  EXPECT_EQ(at("2026-11-30T04:45:00-04:30"), base);
  EXPECT_EQ(at("2026-11-30t09:15:00z"), base);
  EXPECT_EQ(at("2026-11-30 09:15:00Z"), base);
  EXPECT_EQ(at("2026-11-30T09:15:00.5Z"), base + 500'000);
  EXPECT_EQ(at("2026-11-30T09:15:00.123456789Z"), base + 123'456);
}

TEST(TimeFormatTest, Refusals) {
  for (const char* s :
       {"", "yesterday", "2026-11-30", "2026-11-30T09:15:00",
        "2026-11-30T09:15Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-31T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T09:60:00Z",
        "2026-11-30T09:15:00.Z", "2026-11-30T09:15:00+1:00",
        "2026-11-30T09:15:00Zjunk", "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+00:01", "2026-11-30T09:15:00+24:00"}) {
    auto r = ParseRfc3339(s, "as_of");
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << s;
      EXPECT_NE(r.status().message().find("as_of"), std::string::npos);
    }
  }
}

// The signed form the filter language uses (datetime ranges).
TEST(TimeFormatTest, InstantParser) {
  auto at = [](const char* s) {
    int64_t t = 0;
    EXPECT_TRUE(ParseRfc3339Instant(s, &t)) << s;
    return t;
  };
  const int64_t base = at("2026-11-30T09:15:00Z");
  EXPECT_EQ(base, 1'796'030'100'000'000);
  EXPECT_EQ(at("2026-11-30T10:15:00+01:00"), base);
  EXPECT_EQ(at("2026-11-30t04:45:00-04:30"), base);
  EXPECT_EQ(at("2026-11-30T09:15:00.123456789z"), base + 123'456);
  EXPECT_EQ(at("2026-11-30T09:15:00.1Z"), base + 100'000);
  EXPECT_EQ(at("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(at("1969-12-31T23:59:59.5Z"), -500'000);
  EXPECT_EQ(at("1970-01-01T00:00:00+00:01"), -60'000'000);
  EXPECT_EQ(at("0000-01-01T00:00:00Z"), -62'167'219'200'000'000);
  EXPECT_EQ(at("9999-12-31T23:59:59.999999Z"), 253'402'300'799'999'999);
  // Leap years: 2000 and 2024 have a February 29th, 1900 and 2100 do not.
  EXPECT_EQ(at("2000-03-01T00:00:00Z") - at("2000-02-28T00:00:00Z"),
            2 * 86'400'000'000LL);
  at("2024-02-29T00:00:00Z");
  for (const char* s : {"",
                        "2026",
                        "2026-11-30",
                        "2026-11-30T09:15:00",
                        "2026-11-30T09:15Z",
                        "2026-00-01T00:00:00Z",
                        "2026-13-01T00:00:00Z",
                        "2026-01-00T00:00:00Z",
                        "2026-01-32T00:00:00Z",
                        "2026-04-31T00:00:00Z",
                        "2026-02-29T00:00:00Z",
                        "1900-02-29T00:00:00Z",
                        "2100-02-29T00:00:00Z",
                        "2026-11-30T24:00:00Z",
                        "2026-11-30T09:60:00Z",
                        "2026-11-30T09:15:60Z",
                        "2026-11-30T09:15:00.Z",
                        "2026-11-30T09:15:00+1:00",
                        "2026-11-30T09:15:00+01",
                        "2026-11-30T09:15:00+0100",
                        "2026-11-30T09:15:00+24:00",
                        "2026-11-30T09:15:00+01:60",
                        "2026-11-30T09:15:00Zjunk",
                        "2026-11-30X09:15:00Z",
                        "+2026-11-30T09:15:00Z",
                        "-0001-01-01T00:00:00Z",
                        "2026-1-30T09:15:00Z"}) {
    int64_t t = 7;
    EXPECT_FALSE(ParseRfc3339Instant(s, &t)) << s;
    EXPECT_EQ(t, 7) << s;  // untouched on failure
  }
}

}  // namespace
}  // namespace proximadb
