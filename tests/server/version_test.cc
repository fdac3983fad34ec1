// The version is written once, in the repository's VERSION file: CMake reads
// it into project(VERSION) and the generated proximadb/version.h. What cannot
// read the file (the Python client's __version__, which its pyproject.toml
// reads in turn, the OpenAPI document, the /health examples in docs/API.md)
// is compared with it here, so a release that bumps VERSION and forgets one
// of them fails.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <string>

#include "proximadb/version.h"
#include "service/service.h"

namespace proximadb::server {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(PDB_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << "cannot read " << relative;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// VERSION holds one line, "MAJOR.MINOR.PATCH".
std::string VersionFile() {
  std::string text = ReadSourceFile("VERSION");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

TEST(VersionTest, VersionFileIsOneSemanticVersion) {
  EXPECT_TRUE(std::regex_match(VersionFile(), std::regex(R"(\d+\.\d+\.\d+)")))
      << "VERSION: \"" << VersionFile() << "\"";
}

TEST(VersionTest, ServerReportsTheVersionFile) {
  EXPECT_EQ(std::string(PROXIMADB_VERSION), VersionFile());
  EXPECT_EQ(std::string(service::kVersion), VersionFile());
}

TEST(VersionTest, PythonClientVersionIsTheVersionFile) {
  std::string init = ReadSourceFile("clients/python/proximadb/__init__.py");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(init, m,
                                std::regex(R"re(\n__version__ = "([^"]*)")re")))
      << "clients/python/proximadb/__init__.py has no __version__";
  EXPECT_EQ(m[1].str(), VersionFile());
  // pyproject.toml takes its version from __version__, never its own.
  std::string pyproject = ReadSourceFile("clients/python/pyproject.toml");
  EXPECT_EQ(pyproject.find("\nversion = \""), std::string::npos)
      << "pyproject.toml writes a version of its own";
  EXPECT_NE(pyproject.find(R"(version = { attr = "proximadb.__version__" })"),
            std::string::npos);
}

TEST(VersionTest, OpenApiVersionIsTheVersionFile) {
  std::string openapi = ReadSourceFile("api/openapi.yaml");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      openapi, m, std::regex(R"(\ninfo:\n(?:  .*\n)*?  version: (\S+)\n)")))
      << "api/openapi.yaml has no info.version";
  EXPECT_EQ(m[1].str(), VersionFile());
}

TEST(VersionTest, ApiDocHealthExamplesShowTheVersionFile) {
  std::string api = ReadSourceFile("docs/API.md");
  const std::regex kVersionInExample(R"re(version"?: "([^"]*)")re");
  int examples = 0;
  for (auto it =
           std::sregex_iterator(api.begin(), api.end(), kVersionInExample);
       it != std::sregex_iterator(); ++it) {
    ++examples;
    EXPECT_EQ((*it)[1].str(), VersionFile()) << "docs/API.md: " << it->str();
  }
  EXPECT_EQ(examples, 2) << "the REST and the gRPC /health examples";
}

}  // namespace
}  // namespace proximadb::server
