// Helpers for the start-up recovery tests: a data directory with a
// collection, whole-directory snapshots to prove a refused start changed
// nothing, and byte-level damage to files.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "collection/test_util.h"
#include "proximadb/db.h"

namespace proximadb::testing {

namespace fs = std::filesystem;

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Every regular file under `dir` by relative path, with its bytes; SQLite's
// shared-memory index (catalog.db-shm) is left out: it is SQLite's own
// scratch file, rebuilt by whoever opens the database.
inline std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), dir).string();
    if (rel == "catalog.db-shm") continue;
    out[rel] = ReadAll(e.path().string());
  }
  return out;
}

// Names of the files present in the snapshot `a` but not in `b`, and of
// those whose bytes differ, for failure messages.
inline std::string Diff(const std::map<std::string, std::string>& a,
                        const std::map<std::string, std::string>& b) {
  std::string out;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end())
      out += " gone:" + k;
    else if (it->second != v)
      out += " changed:" + k;
  }
  for (const auto& [k, v] : b) {
    if (!a.count(k)) out += " new:" + k;
  }
  return out;
}

// Flips bit `bit` of every occurrence of `needle` in the file; returns how
// many it flipped.
inline int FlipEvery(const std::string& path, const std::string& needle,
                     size_t byte_in_needle, int bit) {
  std::string data = ReadAll(path);
  int n = 0;
  for (size_t at = data.find(needle); at != std::string::npos;
       at = data.find(needle, at + 1)) {
    data[at + byte_in_needle] ^= static_cast<char>(1 << bit);
    ++n;
  }
  WriteAll(path, data);
  return n;
}

inline DBOptions ManualOptions() {
  DBOptions o;
  o.background_threads = false;
  // These tests count and move WAL files: no retention after flushes
  // (change_feed_test covers it).
  o.wal_retention_hours = 0;
  return o;
}

inline std::unique_ptr<DB> OpenOk(const std::string& dir,
                                  const DBOptions& o = ManualOptions()) {
  auto db = DB::Open(o, dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

inline Point P(const std::string& id, float x, nlohmann::json meta = {}) {
  return Point{id, {x, 1.0f, 2.0f, 3.0f}, std::move(meta)};
}

inline std::vector<Point> Range(const std::string& prefix, int from, int to) {
  std::vector<Point> out;
  for (int i = from; i < to; ++i) {
    out.push_back(P(prefix + std::to_string(i), static_cast<float>(i),
                    {{"i", i}, {"p", prefix}}));
  }
  return out;
}

// The single entry of <dir>/collections (the test's collection directory).
inline std::string OnlyCollectionDir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir + "/collections")) {
    names.push_back(e.path().string());
  }
  EXPECT_EQ(names.size(), 1u);
  return names.empty() ? "" : names[0];
}

inline std::string SegName(uint64_t id) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "seg-%020llu.pdb",
                static_cast<unsigned long long>(id));
  return buf;
}

// The fixture of the start-up recovery and catalog rebuild tests: dir_, a
// data directory (not created yet) inside a fresh temporary directory.
class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path() + "/data"; }

  // DB::Open must refuse dir_, mention every `needle`, and change nothing.
  Status ExpectRefused(const std::vector<std::string>& needles) {
    auto before = Snapshot(dir_);
    auto db = DB::Open(ManualOptions(), dir_);
    EXPECT_FALSE(db.ok()) << "opened a data directory it must refuse";
    if (db.ok()) return Status::OK();
    for (const std::string& n : needles) {
      EXPECT_NE(db.status().message().find(n), std::string::npos)
          << "no '" << n << "' in: " << db.status().ToString();
    }
    auto after = Snapshot(dir_);
    // The one file a refused open may add: the empty LOCK of a directory
    // that had none (RELIABILITY.md, promise 5).
    if (!before.count("LOCK") && after.count("LOCK") && after["LOCK"].empty()) {
      after.erase("LOCK");
    }
    EXPECT_TRUE(before == after)
        << "a refused start changed:" << Diff(before, after);
    return db.status();
  }

  TempDir tmp_;
  std::string dir_;
};

}  // namespace proximadb::testing
