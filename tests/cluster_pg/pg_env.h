// The real PostgreSQL the `pg` tests run against: started once by the ctest
// fixture `pg_up` (tests/cluster_pg/pg_fixture.sh), which writes PDB_PG_URL
// (the tests' role, with a password), PDB_PG_ADMIN_URL (the superuser),
// PDB_PG_PASSWORD and PDB_PG_PID to the file named by $PDB_PG_ENV_FILE; or
// PG_SKIP=<why> when PostgreSQL cannot start here and PDB_REQUIRE_PG is unset.
// A test can also start a PostgreSQL of its own with the same script
// (PrivatePostgres), to stop or freeze it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace proximadb::cluster {

struct PgEnv {
  std::map<std::string, std::string> vars;
  std::string problem;  // empty: usable
  bool skip = false;    // `problem` is a reason to skip, not to fail
  const std::string& url() const { return vars.at("PDB_PG_URL"); }
  const std::string& admin_url() const { return vars.at("PDB_PG_ADMIN_URL"); }
  const std::string& password() const { return vars.at("PDB_PG_PASSWORD"); }
};

inline PgEnv ReadPgEnvFile(const std::string& file) {
  PgEnv e;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) {
      e.vars[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  const bool required = std::getenv("PDB_REQUIRE_PG") != nullptr;
  if (e.vars.count("PG_SKIP")) {
    e.problem = e.vars["PG_SKIP"];
  } else if (!e.vars.count("PDB_PG_URL") || !e.vars.count("PDB_PG_ADMIN_URL")) {
    e.problem =
        "no PostgreSQL: run through ctest (`ctest -L pg`, whose fixture "
        "pg_up starts one) or set PDB_PG_ENV_FILE to a file written by "
        "tests/cluster_pg/pg_fixture.sh up DIR FILE";
  }
  e.skip = !e.problem.empty() && !required && e.vars.count("PG_SKIP");
  return e;
}

inline const PgEnv& LoadPgEnv() {
  static const PgEnv env = [] {
    const char* file = std::getenv("PDB_PG_ENV_FILE");
    return ReadPgEnvFile(file != nullptr ? file : "");
  }();
  return env;
}

// Skips (PostgreSQL cannot run here and nobody asked for it) or fails.
#define PDB_REQUIRE_PG()                                     \
  do {                                                       \
    const auto& pg_env_ = ::proximadb::cluster::LoadPgEnv(); \
    if (!pg_env_.problem.empty()) {                          \
      if (pg_env_.skip) GTEST_SKIP() << pg_env_.problem;     \
      FAIL() << pg_env_.problem;                             \
    }                                                        \
  } while (0)

// A PostgreSQL of the test's own, in DIR (stopped and removed by the
// destructor).
class PrivatePostgres {
 public:
  explicit PrivatePostgres(const std::string& dir)
      : dir_(dir), env_file_(dir + ".env") {
    std::error_code ec;
    std::filesystem::create_directories(
        std::filesystem::path(dir_).parent_path(), ec);
    const std::string cmd = "env -u LD_PRELOAD " + std::string(PDB_PG_FIXTURE) +
                            " up " + dir_ + " " + env_file_ + " >" + dir_ +
                            ".out 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream in(dir_ + ".out");
      std::string out((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
      problem_ = "pg_fixture.sh up failed: " + out;
      return;
    }
    env_ = ReadPgEnvFile(env_file_);
    problem_ = env_.problem;
  }
  ~PrivatePostgres() { Stop(); }
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    const std::string cmd = "env -u LD_PRELOAD " + std::string(PDB_PG_FIXTURE) +
                            " down " + dir_ + " " + env_file_ +
                            " >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
    std::remove((dir_ + ".out").c_str());
  }
  const std::string& problem() const { return problem_; }
  const PgEnv& env() const { return env_; }

 private:
  std::string dir_;
  std::string env_file_;
  std::string problem_;
  PgEnv env_;
  bool stopped_ = false;
};

}  // namespace proximadb::cluster
