// The real S3 the `s3` tests run against: Ceph radosgw started once by the
// ctest fixture `s3_up` (tests/s3/s3_fixture.sh, scripts/s3-radosgw.sh),
// which writes S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY,
// S3_BUCKET to the file named by $PDB_S3_ENV_FILE; without that file the
// same variables are read from the environment. Shared by the s3 tests.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "storage/object/s3_object_store.h"

namespace proximadb::object {

struct S3Env {
  std::map<std::string, std::string> vars;
  std::string problem;  // empty: usable
  bool skip = false;    // `problem` is a reason to skip, not to fail
};

inline const S3Env& LoadS3Env() {
  static const S3Env env = [] {
    S3Env e;
    const char* file = std::getenv("PDB_S3_ENV_FILE");
    if (file != nullptr && *file != '\0') {
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        size_t eq = line.find('=');
        if (eq != std::string::npos) {
          e.vars[line.substr(0, eq)] = line.substr(eq + 1);
        }
      }
    }
    for (const char* name : {"S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY",
                             "S3_SECRET_KEY", "S3_BUCKET"}) {
      const char* v = std::getenv(name);
      if (v != nullptr && e.vars.count(name) == 0) e.vars[name] = v;
    }
    bool installed = ::access("/usr/bin/radosgw", X_OK) == 0;
    bool required = std::getenv("PDB_REQUIRE_S3") != nullptr;
    if (e.vars.count("S3_SKIP")) {
      e.problem = e.vars["S3_SKIP"];
    } else if (!e.vars.count("S3_ENDPOINT") || !e.vars.count("S3_BUCKET")) {
      e.problem =
          "no S3 endpoint: run through ctest (`ctest -L s3`, whose fixture "
          "s3_up starts radosgw) or set PDB_S3_ENV_FILE / S3_* (see "
          "scripts/s3-radosgw.sh)";
    }
    e.skip = !e.problem.empty() && !required &&
             (!installed || e.vars.count("S3_SKIP"));
    return e;
  }();
  return env;
}

inline std::string RandomPrefix() {
  std::random_device rd;
  char buf[32];
  snprintf(buf, sizeof(buf), "t-%08x%08x/", rd(), rd());
  return buf;
}

// Options for the fixture's radosgw; the test's own prefix.
inline S3Options BaseOptions() {
  const auto& v = LoadS3Env().vars;
  S3Options o;
  o.endpoint = v.at("S3_ENDPOINT");
  o.region = v.count("S3_REGION") ? v.at("S3_REGION") : "us-east-1";
  o.bucket = v.at("S3_BUCKET");
  o.access_key = v.count("S3_ACCESS_KEY") ? v.at("S3_ACCESS_KEY") : "";
  o.secret_key = v.count("S3_SECRET_KEY") ? v.at("S3_SECRET_KEY") : "";
  o.prefix = RandomPrefix();
  o.max_attempts = 3;
  o.base_backoff_ms = 50;
  return o;
}

}  // namespace proximadb::object
