// The S3 endpoint a benchmark runs against: the S3_* lines that
// scripts/s3-radosgw.sh prints (S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY,
// S3_SECRET_KEY, S3_BUCKET), from the environment, overridden by `file`
// (KEY=VALUE lines) when given. Shared by cold_bench and tier_bench.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace proximadb::bench {

inline std::map<std::string, std::string> ReadS3Env(const std::string& file) {
  std::map<std::string, std::string> v;
  for (const char* name : {"S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY",
                           "S3_SECRET_KEY", "S3_BUCKET"}) {
    if (const char* e = std::getenv(name)) v[name] = e;
  }
  if (!file.empty()) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      size_t eq = line.find('=');
      if (eq != std::string::npos) v[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return v;
}

}  // namespace proximadb::bench
