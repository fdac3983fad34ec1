// The dashboard's files as the REST port serves them (api/rest/dashboard.h):
// loading a built directory, routes, caching headers, the page shown when
// nothing was built, and the gates (no key needed for the files, still
// needed for the API).
#include "api/rest/dashboard.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "service/auth.h"
#include "util/service_fixture.h"
#include "util/temp_dir.h"

namespace proximadb::rest {
namespace {

namespace fs = std::filesystem;
using test_util::ServiceFixture;
using test_util::TempDir;

void WriteFile(const fs::path& p, const std::string& body) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << body;
}

std::string HeaderOf(const RestResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = fs::path(tmp_.path()) / "dist";
    WriteFile(dir_ / "index.html", "<!doctype html><div id=root></div>");
    WriteFile(dir_ / "assets" / "index-3f2a.js", "console.log('x')");
    WriteFile(dir_ / "assets" / "index-9c1d.css", "body{}");
    WriteFile(dir_ / "favicon.svg", "<svg/>");
  }
  TempDir tmp_;
  fs::path dir_;
};

TEST_F(DashboardTest, ServesTheBuiltFilesWithTheirTypesAndCaching) {
  auto d = DashboardFiles::Load(dir_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->built());
  EXPECT_EQ(d->file_count(), 4u);

  RestResponse index = d->Serve("GET", "/dashboard/", "");
  EXPECT_EQ(index.status, 200u);
  EXPECT_EQ(index.body, "<!doctype html><div id=root></div>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(index, "Cache-Control"), "no-cache");
  EXPECT_NE(
      HeaderOf(index, "Content-Security-Policy").find("script-src 'self'"),
      std::string::npos);
  EXPECT_EQ(HeaderOf(index, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(d->Serve("GET", "/dashboard/index.html", "").body, index.body);

  RestResponse js = d->Serve("GET", "/dashboard/assets/index-3f2a.js", "");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.body, "console.log('x')");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(js, "Cache-Control"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(js, "Content-Security-Policy"), "");
  EXPECT_EQ(
      d->Serve("GET", "/dashboard/assets/index-9c1d.css", "").content_type,
      "text/css; charset=utf-8");
  EXPECT_EQ(d->Serve("GET", "/dashboard/favicon.svg", "").content_type,
            "image/svg+xml");

  RestResponse redirect = d->Serve("GET", "/dashboard", "");
  EXPECT_EQ(redirect.status, 308u);
  EXPECT_EQ(HeaderOf(redirect, "Location"), "/dashboard/");

  RestResponse missing = d->Serve("GET", "/dashboard/assets/nope.js", "");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.error, "not_found");
  EXPECT_EQ(d->Serve("GET", "/dashboard/../index.html", "").status, 404u);

  RestResponse post = d->Serve("POST", "/dashboard/", "");
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.allow, "GET");
}

TEST_F(DashboardTest, AnUnchangedFileRevalidatesWith304) {
  auto d = DashboardFiles::Load(dir_);
  ASSERT_TRUE(d.ok());
  RestResponse first = d->Serve("GET", "/dashboard/", "");
  std::string etag = HeaderOf(first, "ETag");
  ASSERT_EQ(etag.front(), '"');
  RestResponse again = d->Serve("GET", "/dashboard/", etag);
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(d->Serve("GET", "/dashboard/", "\"x\", " + etag).status, 304u);
  EXPECT_EQ(d->Serve("GET", "/dashboard/", "\"other\"").status, 200u);
  // Another content has another tag.
  EXPECT_NE(HeaderOf(d->Serve("GET", "/dashboard/favicon.svg", ""), "ETag"),
            etag);
}

TEST_F(DashboardTest, LinksAreNotFollowedAndBoundsHold) {
  ASSERT_EQ(::symlink("/etc/passwd", (dir_ / "passwd").c_str()), 0);
  auto d = DashboardFiles::Load(dir_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->file_count(), 4u);
  EXPECT_EQ(d->Serve("GET", "/dashboard/passwd", "").status, 404u);

  for (size_t i = 0; i <= kMaxDashboardFiles; ++i) {
    WriteFile(dir_ / "many" / (std::to_string(i) + ".txt"), "x");
  }
  auto too_many = DashboardFiles::Load(dir_);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(too_many.status().message().find("more than"), std::string::npos);
}

TEST_F(DashboardTest, ADirectoryWithoutIndexIsNotADashboard) {
  auto none = DashboardFiles::Load(fs::path(tmp_.path()) / "absent");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  fs::remove(dir_ / "index.html");
  auto no_index = DashboardFiles::Load(dir_);
  ASSERT_FALSE(no_index.ok());
  EXPECT_EQ(no_index.status().code(), StatusCode::kNotFound);
}

TEST(DashboardNotBuiltTest, EveryPathSaysHowToBuildIt) {
  DashboardFiles d = DashboardFiles::NotBuilt("Looked in <here> & there.");
  EXPECT_FALSE(d.built());
  for (const char* path : {"/dashboard/", "/dashboard/assets/x.js"}) {
    RestResponse r = d.Serve("GET", path, "");
    EXPECT_EQ(r.status, 503u) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("./scripts/build-dashboard.sh"), std::string::npos);
    EXPECT_NE(r.body.find("Looked in &lt;here&gt; &amp; there."),
              std::string::npos)
        << r.body;
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
  }
  EXPECT_EQ(d.Serve("GET", "/dashboard", "").status, 308u);
}

TEST(DashboardPathTest, OnlyTheDashboardsOwnPaths) {
  EXPECT_TRUE(IsDashboardPath("/dashboard"));
  EXPECT_TRUE(IsDashboardPath("/dashboard/"));
  EXPECT_TRUE(IsDashboardPath("/dashboard/assets/a.js"));
  EXPECT_FALSE(IsDashboardPath("/dashboards"));
  EXPECT_FALSE(IsDashboardPath("/dashboardx/a"));
  EXPECT_FALSE(IsDashboardPath("/api/v1/dashboard"));
  EXPECT_FALSE(IsDashboardPath("/"));
  EXPECT_EQ(DashboardContentType("a.woff2"), "font/woff2");
  EXPECT_EQ(DashboardContentType("a.map"), "application/json");
  EXPECT_EQ(DashboardContentType("noext"), "application/octet-stream");
}

// Through the router: the files need no API key, the API still does, and
// without a dashboard (dashboard_enabled = false) its paths are unknown.
class DashboardRouteTest : public ServiceFixture {};

TEST_F(DashboardRouteTest, FilesNeedNoKeyTheApiDoesAndOffIs404) {
  TempDir tmp;
  fs::path dir = fs::path(tmp.path()) / "dist";
  WriteFile(dir / "index.html", "<p>dash</p>");
  auto d = DashboardFiles::Load(dir);
  ASSERT_TRUE(d.ok());
  auto keys = service::ApiKeys::Parse({"secret-key-1"});
  ASSERT_TRUE(keys.ok());
  RequestContext ctx;
  ctx.api_keys = &*keys;
  ctx.dashboard = &*d;
  RestResponse page = HandleRequest(*svc_, "GET", "/dashboard/?x=1", "", ctx);
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.body, "<p>dash</p>");
  EXPECT_EQ(HandleRequest(*svc_, "GET", "/api/v1/collections", "", ctx).status,
            401u);

  ctx.dashboard = nullptr;
  RestResponse off = HandleRequest(*svc_, "GET", "/dashboard/", "", ctx);
  EXPECT_EQ(off.status, 404u);
  EXPECT_EQ(off.error, "not_found");
}

}  // namespace
}  // namespace proximadb::rest
