// The README's configuration reference is the user's contract: every key the
// parser accepts must be documented there with its real default, and every
// documented key must exist. This test reads README.md and checks both ways.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "server/config.h"

namespace proximadb::server {
namespace {

// "section.key" -> default as written in the README (a TOML literal).
std::map<std::string, std::string> ReadmeReference() {
  std::ifstream in(std::string(PDB_SOURCE_DIR) + "/README.md");
  EXPECT_TRUE(in.good()) << "cannot read README.md";
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t start = text.find("## Configuration reference");
  EXPECT_NE(start, std::string::npos)
      << "README has no configuration reference";
  size_t end = text.find("\n## ", start + 1);
  std::istringstream section(text.substr(start, end - start));
  // A table row: | `server.node_id` | `"node-1"` | meaning |
  static const std::regex kRow(
      R"(^\| `([a-z_]+\.[a-z0-9_]+)` \| `([^`]*)` \|)");
  std::map<std::string, std::string> rows;
  std::string line;
  while (std::getline(section, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRow)) {
      EXPECT_TRUE(rows.emplace(m[1], m[2]).second)
          << "README documents " << m[1] << " twice";
    }
  }
  return rows;
}

TEST(ConfigReadmeTest, EveryParserKeyIsDocumented) {
  auto rows = ReadmeReference();
  for (const std::string& key : ConfigKeyNames()) {
    EXPECT_TRUE(rows.count(key)) << key
                                 << " is accepted by the parser but missing "
                                    "from README's configuration reference";
  }
}

TEST(ConfigReadmeTest, EveryDocumentedKeyExistsWithItsRealDefault) {
  auto rows = ReadmeReference();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.size(), ConfigKeyNames().size());
  for (const auto& [key, literal] : rows) {
    size_t dot = key.find('.');
    std::string toml = "[" + key.substr(0, dot) + "]\n" + key.substr(dot + 1) +
                       " = " + literal + "\n";
    ServerConfig config;
    Status s = ApplyToml(toml, "README", &config);
    ASSERT_TRUE(s.ok()) << key << " = " << literal << ": " << s.ToString();
    // Applying the documented default must leave the defaults unchanged.
    EXPECT_TRUE(config == ServerConfig{})
        << "README says " << key << " defaults to " << literal
        << ", but the parser's default differs";
  }
}

// The Debian package's /etc/proximadb/config.toml (packaging/config.toml,
// docs/OPERATIONS.md): it loads, sets what the package promises, and every
// commented-out "# key = value" line shows that key's real default, so the
// file an operator edits never lies.
TEST(ConfigReadmeTest, ThePackagedConfigLoadsAndItsCommentsShowTheDefaults) {
  std::ifstream in(std::string(PDB_SOURCE_DIR) + "/packaging/config.toml");
  ASSERT_TRUE(in.good()) << "cannot read packaging/config.toml";
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  ServerConfig config;
  Status s = ApplyToml(text, "packaging/config.toml", &config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(config.storage.data_directory, "/var/lib/proximadb");
  EXPECT_EQ(config.server.bind_address, "127.0.0.1");
  // Nothing else differs from the built-in defaults.
  config.storage.data_directory = ServerConfig{}.storage.data_directory;
  config.server.bind_address = ServerConfig{}.server.bind_address;
  EXPECT_TRUE(config == ServerConfig{});

  const auto rows = ReadmeReference();
  static const std::regex kSection(R"(^\[([a-z_]+)\]\s*$)");
  static const std::regex kCommented(R"(^# ([a-z0-9_]+) = (.+)$)");
  std::istringstream lines(text);
  std::string line, section;
  int commented = 0;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kSection)) {
      section = m[1];
    } else if (std::regex_match(line, m, kCommented)) {
      ++commented;
      const std::string key = section + "." + std::string(m[1]);
      auto it = rows.find(key);
      ASSERT_NE(it, rows.end()) << line << ": no key " << key;
      EXPECT_EQ(std::string(m[2]), it->second)
          << key << ": the packaged config's comment shows " << m[2]
          << ", the default is " << it->second;
    }
  }
  EXPECT_GE(commented, 20);
}

}  // namespace
}  // namespace proximadb::server
