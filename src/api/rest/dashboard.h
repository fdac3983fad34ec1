// The web dashboard's files (dashboard/, built by npm into dashboard/dist),
// served by the REST port at /dashboard/ when [server] dashboard_enabled.
//
// The files are read once, at start, into memory (a built dashboard is a few
// hundred KB), so serving one is a map lookup: no path from a request ever
// reaches the file system, and a rebuilt dashboard is picked up by the next
// start. Routes:
//   GET /dashboard          308 to /dashboard/ (relative asset paths need it)
//   GET /dashboard/         index.html
//   GET /dashboard/<path>   that file, else 404 not_found
// Files under assets/ carry content hashes in their names (Vite) and are
// cached for a year ("immutable"); everything else is "no-cache" with an
// ETag, so a browser revalidates index.html and gets 304 when it is
// unchanged. HTML answers carry a Content-Security-Policy that allows only
// the server's own scripts and connections. The files need no API key (they
// hold no data); the API calls the page makes do.
//
// When no built dashboard was found, every /dashboard path answers 503 with
// a page that says how to build it; the server itself starts either way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "api/rest/router.h"
#include "proximadb/status.h"

namespace proximadb::rest {

// Bounds of what Load reads: a built dashboard is ~100 files and < 5 MB;
// the bounds keep a mistaken dashboard_dir (a home directory, /) from
// filling the server's memory.
inline constexpr size_t kMaxDashboardFiles = 2000;
inline constexpr uint64_t kMaxDashboardBytes = 64ull << 20;

// The Content-Type for a file name, by its extension;
// application/octet-stream when unknown.
std::string_view DashboardContentType(std::string_view name);

class DashboardFiles {
 public:
  // Reads every regular file under `dir` (recursively; symbolic links are
  // not followed). `dir` must hold index.html. Errors: NotFound when `dir`
  // or its index.html is missing, ResourceExhausted beyond the bounds
  // above, IOError when a file cannot be read.
  static Result<DashboardFiles> Load(const std::filesystem::path& dir);

  // No built dashboard: /dashboard paths answer 503 with a page naming
  // `reason` and the commands that build it.
  static DashboardFiles NotBuilt(std::string reason);

  // The answer for a GET of `path` (no query), which starts with
  // "/dashboard"; `if_none_match` is the request's If-None-Match header.
  RestResponse Serve(std::string_view method, std::string_view path,
                     std::string_view if_none_match) const;

  bool built() const { return !files_.empty(); }
  size_t file_count() const { return files_.size(); }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  struct File {
    std::string body;
    std::string etag;  // quoted, from the content's crc32c and size
  };
  DashboardFiles() = default;

  std::map<std::string, File, std::less<>> files_;  // by relative path
  uint64_t total_bytes_ = 0;
  std::string not_built_reason_;
};

// True when `path` (no query) is /dashboard or below it.
bool IsDashboardPath(std::string_view path);

}  // namespace proximadb::rest
