// The REST route table against its two specs: service/operations.h (every
// operation has a route, every route serves a listed operation) and
// api/openapi.yaml (exactly the same paths and methods).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "api/rest/router.h"
#include "service/operations.h"

namespace proximadb::rest {
namespace {

using MethodPath = std::pair<std::string, std::string>;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(c));
  return s;
}

// The (METHOD, path) pairs under `paths:` of an OpenAPI document. A simple
// scan of the block layout the file uses: paths at two spaces of indent,
// methods at four. Enough for a file we write ourselves; no YAML library.
std::set<MethodPath> OpenApiRoutes(const std::string& text) {
  static const std::set<std::string> kMethods = {
      "get", "put", "post", "patch", "delete", "head", "options"};
  std::set<MethodPath> out;
  std::istringstream in(text);
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.find_first_not_of(' ') == std::string::npos) {
      continue;
    }
    size_t indent = line.find_first_not_of(' ');
    if (indent == 0) {
      in_paths = line == "paths:";
      continue;
    }
    if (!in_paths || line.back() != ':') continue;
    std::string key = line.substr(indent, line.size() - indent - 1);
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'')) {
      key = key.substr(1, key.size() - 2);
    }
    if (indent == 2) path = key;
    if (indent == 4 && kMethods.count(key) && !path.empty()) {
      out.insert({Upper(key), path});
    }
  }
  return out;
}

std::string ReadSpec() {
  // tests/server/ -> repository root.
  std::filesystem::path spec = std::filesystem::path(__FILE__).parent_path() /
                               ".." / ".." / "api" / "openapi.yaml";
  std::ifstream in(spec);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(RouteTableTest, OpenApiScannerReadsBlockLayout) {
  auto got = OpenApiRoutes(
      "openapi: 3.0.3\npaths:\n  /a:\n    parameters:\n      - x\n    get:\n"
      "      summary: s\n  \"/b/{id}\":\n    post:\n    delete:\n"
      "components:\n  /c:\n    get:\n");
  std::set<MethodPath> want = {
      {"GET", "/a"}, {"POST", "/b/{id}"}, {"DELETE", "/b/{id}"}};
  EXPECT_EQ(got, want);
}

TEST(RouteTableTest, OpenApiMatchesRouter) {
  std::string text = ReadSpec();
  ASSERT_FALSE(text.empty()) << "api/openapi.yaml not found";
  std::set<MethodPath> spec = OpenApiRoutes(text);
  std::set<MethodPath> routes;
  for (const RouteSpec& r : Routes()) {
    EXPECT_TRUE(
        routes.insert({std::string(r.method), std::string(r.pattern)}).second)
        << "duplicate route " << r.method << " " << r.pattern;
  }
  for (const MethodPath& r : routes) {
    EXPECT_TRUE(spec.count(r))
        << "route missing from api/openapi.yaml: " << r.first << " "
        << r.second;
  }
  for (const MethodPath& s : spec) {
    EXPECT_TRUE(routes.count(s)) << "api/openapi.yaml lists a route the "
                                    "server does not have: "
                                 << s.first << " " << s.second;
  }
}

TEST(RouteTableTest, EveryOperationHasARoute) {
  std::set<service::Operation> served;
  for (const RouteSpec& r : Routes()) {
    EXPECT_FALSE(r.operations.empty()) << r.method << " " << r.pattern;
    EXPECT_NE(r.handler, nullptr) << r.method << " " << r.pattern;
    for (service::Operation op : r.operations) {
      EXPECT_NE(service::OperationName(op), "")
          << r.pattern << " serves an operation missing from kOperations";
      served.insert(op);
    }
  }
  for (const service::OperationInfo& info : service::kOperations) {
    EXPECT_TRUE(served.count(info.op))
        << "operation " << info.name << " has no REST route";
  }
}

}  // namespace
}  // namespace proximadb::rest
