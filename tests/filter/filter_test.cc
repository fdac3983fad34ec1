#include "filter/filter.h"

#include <gtest/gtest.h>

namespace proximadb::filter {
namespace {

using nlohmann::json;

TEST(FilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Filter::Parse(json()).value().Matches(json::object()));
  EXPECT_TRUE(Filter::Parse(json::object()).value().Matches({{"a", 1}}));
  EXPECT_TRUE(Filter().MatchesText("not json"));
}

TEST(FilterTest, EqualityTable) {
  struct Case {
    json filter, metadata;
    bool match;
  } cases[] = {
      {{{"user", "alice"}}, {{"user", "alice"}}, true},
      {{{"user", "alice"}}, {{"user", "bob"}}, false},
      {{{"user", "alice"}}, json::object(), false},
      {{{"user", "alice"}}, {{"user", "alice"}, {"x", 1}}, true},
      {{{"user", "alice"}, {"x", 1}}, {{"user", "alice"}, {"x", 2}}, false},
      {{{"x", 1}}, {{"x", 1.0}}, true},   // numbers as numbers
      {{{"x", 1}}, {{"x", "1"}}, false},  // type mismatch: no match
      {{{"x", true}}, {{"x", 1}}, false},
      {{{"x", nullptr}}, {{"x", nullptr}}, true},
      {{{"t", "a"}}, {{"t", {"b", "a"}}}, true},  // any array element
      {{{"t", "c"}}, {{"t", {"b", "a"}}}, false},
  };
  for (const auto& c : cases) {
    auto f = Filter::Parse(c.filter);
    ASSERT_TRUE(f.ok()) << c.filter;
    EXPECT_EQ(f->Matches(c.metadata), c.match)
        << c.filter << " vs " << c.metadata;
    EXPECT_EQ(f->MatchesText(c.metadata.dump()), c.match);
  }
}

TEST(FilterTest, RejectsWhatItCannotEvaluate) {
  for (const json& bad :
       {json::array(), json("x"), json(1), json({{"$and", json::array()}}),
        json({{"a", {{"$gt", 1}}}}), json({{"a", {1, 2}}}), json({{"", 1}})}) {
    EXPECT_EQ(Filter::Parse(bad).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace proximadb::filter
