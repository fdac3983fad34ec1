#include "api/rest/dashboard.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "util/crc32c.h"
#include "util/markup_escape.h"

namespace proximadb::rest {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "/dashboard";
constexpr std::string_view kIndex = "index.html";
// Content hashes in the names: the same name never changes content.
constexpr std::string_view kImmutableDir = "assets/";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
// The page may load only the server's own scripts, styles, images and
// fonts and talk only to the server; inline styles are allowed (React's
// style attributes), inline scripts are not. No framing (clickjacking).
constexpr std::string_view kHtmlPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'";

Result<std::string> ReadWhole(const fs::path& path, uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Status::IOError(
        fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  std::string out;
  std::array<char, 65536> buf;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Status::IOError(
          fmt::format("cannot read {}: {}", path.string(), std::strerror(e)));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::ResourceExhausted(
          fmt::format("the dashboard's files exceed {} bytes (at {})",
                      kMaxDashboardBytes, path.string()));
    }
    out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view DashboardContentType(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 15>
      kTypes = {{
          {".html", "text/html; charset=utf-8"},
          {".js", "text/javascript; charset=utf-8"},
          {".mjs", "text/javascript; charset=utf-8"},
          {".css", "text/css; charset=utf-8"},
          {".json", "application/json"},
          {".map", "application/json"},
          {".svg", "image/svg+xml"},
          {".png", "image/png"},
          {".jpg", "image/jpeg"},
          {".ico", "image/x-icon"},
          {".webp", "image/webp"},
          {".woff", "font/woff"},
          {".woff2", "font/woff2"},
          {".txt", "text/plain; charset=utf-8"},
          {".webmanifest", "application/manifest+json"},
      }};
  for (const auto& [ext, type] : kTypes) {
    if (EndsWith(name, ext)) return type;
  }
  return "application/octet-stream";
}

bool IsDashboardPath(std::string_view path) {
  return path == kPrefix || (path.size() > kPrefix.size() &&
                             path.substr(0, kPrefix.size()) == kPrefix &&
                             path[kPrefix.size()] == '/');
}

Result<DashboardFiles> DashboardFiles::Load(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / kIndex, ec)) {
    return Status::NotFound(
        fmt::format("no built dashboard in {} (no {})", dir.string(), kIndex));
  }
  DashboardFiles d;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) {
    return Status::IOError(
        fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    // symlink_status: a link is neither followed nor served.
    fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (!fs::is_regular_file(st)) continue;
    if (d.files_.size() == kMaxDashboardFiles) {
      return Status::ResourceExhausted(
          fmt::format("{} holds more than {} files: is it a built dashboard?",
                      dir.string(), kMaxDashboardFiles));
    }
    std::string rel = it->path().lexically_relative(dir).generic_string();
    PDB_ASSIGN_OR_RETURN(
        std::string body,
        ReadWhole(it->path(), kMaxDashboardBytes - d.total_bytes_));
    d.total_bytes_ += body.size();
    File f;
    f.etag = fmt::format("\"{:08x}-{:x}\"",
                         crc32c::Value(body.data(), body.size()), body.size());
    f.body = std::move(body);
    d.files_.emplace(std::move(rel), std::move(f));
  }
  if (ec) {
    return Status::IOError(
        fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  return d;
}

DashboardFiles DashboardFiles::NotBuilt(std::string reason) {
  DashboardFiles d;
  d.not_built_reason_ = std::move(reason);
  return d;
}

RestResponse DashboardFiles::Serve(std::string_view method,
                                   std::string_view path,
                                   std::string_view if_none_match) const {
  if (method != "GET") {
    RestResponse r = ErrorResponse(405, "method_not_allowed",
                                   "the dashboard's files allow only GET");
    r.allow = "GET";
    return r;
  }
  if (path == kPrefix) {
    RestResponse r;
    r.status = 308;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "/dashboard/\n";
    r.headers.emplace_back("Location", "/dashboard/");
    return r;
  }
  if (!built()) {
    RestResponse r;
    r.status = 503;
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Content-Security-Policy", std::string(kHtmlPolicy));
    r.body = fmt::format(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>ProximaDB dashboard not built</title></head>\n<body>\n"
        "<h1>The ProximaDB dashboard was not built</h1>\n<p>{}</p>\n"
        "<p>Build it from the repository root with</p>\n"
        "<pre>./scripts/build-dashboard.sh</pre>\n"
        "<p>(it runs <code>npm ci &amp;&amp; npm run build</code> in "
        "<code>dashboard/</code>) and restart the server, or point "
        "<code>[server] dashboard_dir</code> at a built "
        "<code>dashboard/dist</code>. The API and <code>/metrics</code> "
        "work without it.</p>\n</body></html>\n",
        MarkupEscape(not_built_reason_));
    return r;
  }
  std::string_view rel = path.substr(kPrefix.size() + 1);
  if (rel.empty()) rel = kIndex;
  auto f = files_.find(rel);
  if (f == files_.end()) {
    return ErrorResponse(404, "not_found",
                         "no dashboard file " + std::string(path));
  }
  RestResponse r;
  r.content_type = std::string(DashboardContentType(rel));
  const bool immutable = rel.substr(0, kImmutableDir.size()) == kImmutableDir;
  r.headers.emplace_back("Cache-Control",
                         immutable ? std::string(kImmutable) : "no-cache");
  r.headers.emplace_back("ETag", f->second.etag);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (EndsWith(rel, ".html")) {
    r.headers.emplace_back("Content-Security-Policy", std::string(kHtmlPolicy));
  }
  if (!if_none_match.empty() &&
      (if_none_match == "*" ||
       if_none_match.find(f->second.etag) != std::string_view::npos)) {
    r.status = 304;
    return r;
  }
  r.body = f->second.body;
  return r;
}

}  // namespace proximadb::rest
