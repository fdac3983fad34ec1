// What the `etcd` tests share: the fixture's etcd (PDB_ETCD_ENV_FILE, written
// by tests/cluster/etcd_fixture.sh up), a key prefix no other test uses, and
// an etcd of a test's own (OwnEtcd) for the tests that stop it.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "cluster/etcd/etcd_client.h"

namespace proximadb::cluster::etcd_test {

// KEY=VALUE lines of an env file written by etcd_fixture.sh.
inline std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// Why the tests cannot run (empty when they can), and the endpoint.
struct FixtureEtcd {
  std::string skip;
  std::string endpoint;
};

inline FixtureEtcd Fixture() {
  FixtureEtcd f;
  const char* path = std::getenv("PDB_ETCD_ENV_FILE");
  if (path == nullptr) {
    f.skip = "PDB_ETCD_ENV_FILE is unset: run through `ctest -L etcd`";
    return f;
  }
  auto env = ReadEnvFile(path);
  if (env.count("ETCD_SKIP")) {
    f.skip = env["ETCD_SKIP"];
  } else if (env.count("ETCD_ENDPOINTS") == 0) {
    f.skip = std::string("no ETCD_ENDPOINTS in ") + path;
  } else {
    f.endpoint = env["ETCD_ENDPOINTS"];
  }
  if (!f.skip.empty() && std::getenv("PDB_REQUIRE_ETCD") != nullptr) {
    ADD_FAILURE() << "PDB_REQUIRE_ETCD is set but: " << f.skip;
  }
  return f;
}

#define PDB_ETCD_OR_SKIP(var)                            \
  auto var = ::proximadb::cluster::etcd_test::Fixture(); \
  if (!var.skip.empty()) GTEST_SKIP() << var.skip

// A key prefix of this test alone ("/t/<test>_<pid>/").
inline std::string TestPrefix() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string("/t/") + info->test_suite_name() + "." + info->name() +
         "_" + std::to_string(::getpid()) + "/";
}

inline EtcdOptions Options(const std::string& endpoint) {
  EtcdOptions o;
  o.endpoints = {endpoint};
  o.dial_timeout = std::chrono::milliseconds(2000);
  o.request_timeout = std::chrono::milliseconds(2000);
  return o;
}

// An etcd of one test's own, started and stopped with etcd_fixture.sh.
class OwnEtcd {
 public:
  OwnEtcd() {
    dir_ = ::testing::TempDir() + "own-etcd-" + std::to_string(::getpid()) +
           "-" + std::to_string(counter()++);
  }
  ~OwnEtcd() { Stop(); }
  bool Start() {
    if (std::system(
            (std::string(PDB_ETCD_FIXTURE) + " up " + dir_ + " >/dev/null")
                .c_str()) != 0) {
      return false;
    }
    auto env = ReadEnvFile(dir_ + "/etcd.env");
    endpoint_ = env["ETCD_ENDPOINTS"];
    return !endpoint_.empty();
  }
  // Stops it and starts it again on the same port with the same data.
  bool Restart() {
    return std::system((std::string(PDB_ETCD_FIXTURE) + " restart " + dir_ +
                        " >/dev/null")
                           .c_str()) == 0;
  }
  void Stop() {
    (void)std::system(
        (std::string(PDB_ETCD_FIXTURE) + " down " + dir_ + " >/dev/null")
            .c_str());
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string dir_;
  std::string endpoint_;
};

// Waits up to `limit` for `pred`; true when it held.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace proximadb::cluster::etcd_test
