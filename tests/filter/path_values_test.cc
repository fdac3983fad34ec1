// ForEachScalarAtPathText reaches exactly the scalars the DOM walk
// (ForEachScalarAtPath, which payload indexes are built with) reaches.
#include <gtest/gtest.h>

#include <random>

#include "filter/index_plan.h"
#include "filter/path_values.h"

namespace proximadb::filter {
namespace {

using nlohmann::json;

std::vector<json> Collect(bool text, const json& doc,
                          const std::vector<std::string>& path) {
  std::vector<json> out;
  auto fn = [&](const Value& v) {
    switch (v.type) {
      case Value::Type::kNull:
        out.push_back(nullptr);
        break;
      case Value::Type::kBool:
        out.push_back(v.b);
        break;
      case Value::Type::kInt:
        out.push_back(v.i);
        break;
      case Value::Type::kUint:
        out.push_back(v.u);
        break;
      case Value::Type::kDouble:
        out.push_back(v.d);
        break;
      case Value::Type::kString:
        out.push_back(std::string(v.s));
        break;
      default:
        out.push_back("?other");
    }
  };
  if (text) {
    ForEachScalarAtPathText(doc.dump(), path, fn);
  } else {
    ForEachScalarAtPath(doc, path, fn);
  }
  return out;
}

json RandomDoc(std::mt19937& rng, int depth) {
  const char* keys[] = {"a", "b", "c\"q"};
  switch (depth > 3 ? rng() % 5 : rng() % 8) {
    case 0:
      return int(rng() % 10) - 3;
    case 1:
      return std::string("s\\") + std::to_string(rng() % 3);
    case 2:
      return rng() % 2 == 0;
    case 3:
      return nullptr;
    case 4:
      return (rng() % 100) / 7.0;
    case 5: {
      json a = json::array();
      for (int i = 0; i < int(rng() % 4); ++i)
        a.push_back(RandomDoc(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (int i = 0; i < int(rng() % 4); ++i) {
        o[keys[rng() % 3]] = RandomDoc(rng, depth + 1);
      }
      return o;
    }
  }
}

TEST(PathValuesTest, TextWalkMatchesTheDomWalk) {
  std::mt19937 rng(11);
  const std::vector<std::vector<std::string>> paths = {
      {"a"}, {"a", "b"}, {"c\"q"}, {"a", "a", "b"}, {"b", "c\"q"}};
  for (int i = 0; i < 3000; ++i) {
    json doc = json::object();
    for (const char* k : {"a", "b", "c\"q"}) {
      if (rng() % 3 != 0) doc[k] = RandomDoc(rng, 0);
    }
    for (const auto& path : paths) {
      ASSERT_EQ(Collect(true, doc, path), Collect(false, doc, path))
          << doc.dump() << " path " << path.size();
    }
  }
}

TEST(PathValuesTest, UnparsableTextReachesNothing) {
  int n = 0;
  ForEachScalarAtPathText(R"({"a": 1, "b": )", {"a"},
                          [&](const Value&) { ++n; });
  ForEachScalarAtPathText("[1, 2]", {"a"}, [&](const Value&) { ++n; });
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace proximadb::filter
