// TempDir: a fresh directory for one test, removed with everything in it by
// the destructor. The one implementation the test folders share (the
// collection and WAL helpers re-export it under their own namespaces).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace proximadb::test_util {

class TempDir {
 public:
  // Under `base`, else the system's temporary directory ($TMPDIR or /tmp).
  explicit TempDir(const std::string& base = "") {
    std::error_code ec;
    std::filesystem::path root = base.empty()
                                     ? std::filesystem::temp_directory_path(ec)
                                     : std::filesystem::path(base);
    if (ec) root = "/tmp";
    std::string tmpl = (root / "pdb-test-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // Empty when the directory could not be created.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace proximadb::test_util
