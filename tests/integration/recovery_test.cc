// Start-up against damaged data directories, with the real server binary
// (kill -9, damaged files, restart) — the three cases of issue 10 part C:
//   1. catalog.db missing or truncated: the server started empty and deleted
//      every collection directory;
//   2. one flipped bit in a segment's file name in the catalog: it deleted
//      the segment's real files and only then refused;
//   3. a damaged catalog.db-wal after kill -9: the last flush's commit was
//      lost and its segment deleted as stray, acknowledged points gone.
// Now each refuses to start, changes nothing, and `--rebuild-catalog`
// brings back every acknowledged point. Plus the quarantine endpoints.
//
// PDB_TEST_SERVER_BINARY runs these against another build (e.g. the one
// before the fix, to see them fail).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "integration/http_client.h"
#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::testing {
namespace {

namespace fs = std::filesystem;
namespace pb = ::proximadb::v1;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// Every file of the directory (SQLite's scratch index catalog.db-shm aside).
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), dir).string();
    if (rel != "catalog.db-shm") out[rel] = ReadAll(e.path().string());
  }
  return out;
}

std::string Changed(const std::map<std::string, std::string>& a,
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

class RecoveryIT : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_recovery_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    data_ = root_ + "/data";
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << ReadAll(root_ + "/server.log");
    server_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  bool Start(const std::vector<std::string>& env = {}) {
    server_ = std::make_unique<ServerProcess>();
    return server_->Start(
        TestServerBinary(),
        {"--rest-port", "0", "--data-dir", data_, "--bind", "127.0.0.1"},
        root_ + "/server.log", env);
  }

  // A start that must be refused: exit status 1, a message naming
  // `needle`, and not one byte of the data directory changed.
  void ExpectRefused(const std::string& needle,
                     const std::vector<std::string>& env = {}) {
    const auto before = Snapshot(data_);
    ASSERT_FALSE(Start(env)) << "the server started on data it must refuse";
    const int st = server_->exit_status();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) << st;
    EXPECT_NE(server_->log().find(needle), std::string::npos)
        << "no '" << needle << "' in the log";
    const auto after = Snapshot(data_);
    EXPECT_TRUE(before == after)
        << "a refused start changed:" << Changed(before, after);
  }

  // proximadb-server --rebuild-catalog: exits 0 having rebuilt.
  void Rebuild() {
    ServerProcess p;
    ASSERT_FALSE(p.Start(TestServerBinary(),
                         {"--data-dir", data_, "--rebuild-catalog"},
                         root_ + "/server.log"));
    const int st = p.exit_status();
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << p.log();
    EXPECT_NE(p.stdout_text().find("catalog rebuilt"), std::string::npos)
        << p.stdout_text();
  }

  HttpClient Http() { return HttpClient(server_->port()); }

  void Create(const std::string& algorithm) {
    HttpClient http = Http();
    ASSERT_EQ(http.Post("/api/v1/collections",
                        nlohmann::json{{"name", "c"},
                                       {"dimension", 2},
                                       {"indexing_algorithm", algorithm}})
                  .status,
              201u);
  }

  // Points <prefix>0..n-1, one acknowledged batch.
  void Upsert(const std::string& prefix, int n) {
    nlohmann::json pts = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
      pts.push_back({{"id", prefix + std::to_string(i)},
                     {"vector", {i + 1.0, 2.0}},
                     {"metadata", {{"i", i}}}});
    }
    HttpClient http = Http();
    ASSERT_EQ(http.Request("PUT", "/api/v1/collections/c/vectors",
                           nlohmann::json{{"vectors", pts}}.dump())
                  .status,
              200u);
  }

  void Flush() {
    HttpClient http = Http();
    ASSERT_EQ(http.Post("/api/v1/collections/c/flush", std::string()).status,
              200u);
  }

  // Every acknowledged point is there, with its metadata.
  void ExpectPoints(const std::vector<std::pair<std::string, int>>& sets) {
    HttpClient http = Http();
    size_t total = 0;
    for (const auto& [prefix, n] : sets) {
      total += n;
      for (int i = 0; i < n; ++i) {
        HttpReply r = http.Get("/api/v1/collections/c/vectors/" + prefix +
                               std::to_string(i));
        ASSERT_EQ(r.status, 200u) << prefix << i << " lost: " << r.body;
        EXPECT_EQ(r.json()["metadata"]["i"], i);
      }
    }
    EXPECT_EQ(
        http.Post("/api/v1/collections/c/count", std::string()).json()["count"],
        total);
  }

  std::string CollectionDir() {
    for (const auto& e : fs::directory_iterator(data_ + "/collections")) {
      return e.path().string();
    }
    return "";
  }

  std::string root_, data_;
  std::unique_ptr<ServerProcess> server_;
};

// A second server on a running server's data directory (the same
// --data-dir by mistake, a supervisor starting a new process before the old
// one exited) used to replay the WAL the first one is appending to. Now it
// exits with 1 before it reads anything, and so does --rebuild-catalog;
// the first server is not disturbed.
TEST_F(RecoveryIT, ASecondServerOnTheSameDataDirectoryIsRefused) {
  ASSERT_TRUE(Start());
  Create("hnsw");
  Upsert("a", 50);
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--rest-port", "0", "--bind", "127.0.0.1"},
        std::vector<std::string>{"--rebuild-catalog", "--force"}}) {
    std::vector<std::string> args = {"--data-dir", data_};
    args.insert(args.end(), extra.begin(), extra.end());
    ServerProcess second;
    ASSERT_FALSE(second.Start(TestServerBinary(), args, root_ + "/second.log"))
        << extra[0];
    const int st = second.exit_status();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) << st;
    EXPECT_NE(second.log().find("in use by another server"), std::string::npos)
        << second.log();
    EXPECT_EQ(second.log().find("replay"), std::string::npos) << second.log();
  }
  Upsert("b", 50);
  ExpectPoints({{"a", 50}, {"b", 50}});
}

TEST_F(RecoveryIT, MissingCatalogIsRefusedAndRebuilt) {
  ASSERT_TRUE(Start());
  Create("hnsw");
  Upsert("a", 50);
  Flush();
  Upsert("w", 10);  // acknowledged, in the WAL only
  server_->Kill(SIGKILL);
  for (const char* f : {"/catalog.db", "/catalog.db-wal", "/catalog.db-shm"}) {
    fs::remove(data_ + f);
  }
  ExpectRefused("--rebuild-catalog");
  Rebuild();
  ASSERT_TRUE(Start());
  ExpectPoints({{"a", 50}, {"w", 10}});
}

TEST_F(RecoveryIT, TruncatedCatalogIsRefusedAndRebuilt) {
  ASSERT_TRUE(Start());
  Create("flat");
  Upsert("a", 30);
  Flush();
  Upsert("b", 5);
  ASSERT_EQ(server_->Stop(SIGTERM), 0);  // flushes, checkpoints the catalog
  const std::string cat = data_ + "/catalog.db";
  fs::resize_file(cat, fs::file_size(cat) / 2);
  ExpectRefused("--rebuild-catalog");
  Rebuild();
  ASSERT_TRUE(Start());
  ExpectPoints({{"a", 30}, {"b", 5}});
}

TEST_F(RecoveryIT, FlippedBitInASegmentFileNameDeletesNothing) {
  ASSERT_TRUE(Start());
  Create("hnsw");
  Upsert("a", 50);
  Flush();
  const std::string segs = CollectionDir() + "/segments/";
  const std::string name = "seg-00000000000000000001.pdb";
  // Wait for the graph, so that every kind of segment file is there.
  for (int i = 0;
       i < 200 && !fs::exists(segs + "seg-00000000000000000001.hnsw"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(segs + "seg-00000000000000000001.hnsw"));
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  const std::string cat = data_ + "/catalog.db";
  std::string bytes = ReadAll(cat);
  int flipped = 0;
  for (size_t at = bytes.find(name); at != std::string::npos;
       at = bytes.find(name, at + 1)) {
    bytes[at + name.size() - 5] ^= 0x01;  // ...1.pdb -> ...0.pdb
    ++flipped;
  }
  ASSERT_GE(flipped, 1);
  WriteAll(cat, bytes);
  ExpectRefused("checksum mismatch");
  EXPECT_TRUE(fs::exists(segs + name));
  Rebuild();
  ASSERT_TRUE(Start());
  ExpectPoints({{"a", 50}});
}

TEST_F(RecoveryIT, DamagedCatalogWalAfterKillNineLosesNoAcknowledgedPoint) {
  ASSERT_TRUE(Start());
  Create("flat");
  Upsert("a", 20);
  Flush();
  Upsert("b", 20);
  Flush();  // the commit the damaged catalog.db-wal will lose
  server_->Kill(SIGKILL);
  const std::string wal = data_ + "/catalog.db-wal";
  ASSERT_TRUE(fs::exists(wal));
  std::string bytes = ReadAll(wal);
  ASSERT_GT(bytes.size(), 4096u);
  bytes[bytes.size() - 10] ^= 0x40;  // inside the last frame's page
  WriteAll(wal, bytes);
  const std::string seg2 =
      CollectionDir() + "/segments/seg-00000000000000000002.pdb";
  ASSERT_TRUE(fs::exists(seg2));

  // [storage] on_damaged_collection = "refuse": the whole start refuses.
  ExpectRefused("the catalog is behind",
                {"PROXIMADB_STORAGE__ON_DAMAGED_COLLECTION=refuse"});
  EXPECT_TRUE(fs::exists(seg2));
  // By default ("fence") the server starts; c is fenced, untouched, and
  // says why and what to do; a new collection works beside it.
  const std::string cdir = CollectionDir();  // before "d" exists
  const auto before = Snapshot(cdir);
  ASSERT_TRUE(Start());
  {
    HttpClient http = Http();
    HttpReply r;
    for (int i = 0; i < 200; ++i) {  // it recovers in the background
      r = http.Get("/api/v1/collections/c");
      if (r.status != 503) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_EQ(r.status, 409u) << r.body;
    EXPECT_EQ(r.json()["error"], "failed_precondition") << r.body;
    const std::string msg = r.json()["message"];
    EXPECT_NE(msg.find("'c' is fenced"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the catalog is behind"), std::string::npos) << msg;
    r = http.Get("/api/v1/collections");
    ASSERT_EQ(r.status, 200u);
    ASSERT_EQ(r.json()["collections"].size(), 1u) << r.body;
    EXPECT_EQ(r.json()["collections"][0]["state"], "fenced");
    EXPECT_NE(
        r.json()["collections"][0]["state_message"].get<std::string>().find(
            "--rebuild-catalog"),
        std::string::npos);
    EXPECT_NE(
        http.Get("/metrics")
            .body.find("proximadb_collections_by_state{state=\"fenced\"} 1"),
        std::string::npos);
    ASSERT_EQ(http.Post("/api/v1/collections",
                        nlohmann::json{{"name", "d"}, {"dimension", 2}})
                  .status,
              201u);
  }
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  EXPECT_TRUE(before == Snapshot(cdir))
      << "the fenced collection changed:" << Changed(before, Snapshot(cdir));
  Rebuild();
  ASSERT_TRUE(Start());
  ExpectPoints({{"a", 20}, {"b", 20}});
}

// The quarantine over both transports, behind API keys, and in /metrics.
TEST_F(RecoveryIT, QuarantineEndpointsAndMetric) {
  ASSERT_TRUE(Start());
  Create("flat");
  Upsert("a", 5);
  Flush();
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  const std::string segs = CollectionDir() + "/segments/";
  fs::copy_file(segs + "seg-00000000000000000001.pdb",
                segs + "seg-00000000000000000099.pdb");
  ASSERT_TRUE(
      Start({"PROXIMADB_API__API_KEYS=ro:reader-key-1, rw:writer-key-1"}));
  EXPECT_NE(server_->log().find("[error]"), std::string::npos);
  EXPECT_NE(server_->log().find("seg-00000000000000000099.pdb"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(segs + "seg-00000000000000000099.pdb"));

  HttpClient http = Http();
  const std::vector<std::pair<std::string, std::string>> ro = {
      {"api-key", "reader-key-1"}};
  const std::vector<std::pair<std::string, std::string>> rw = {
      {"api-key", "writer-key-1"}};
  EXPECT_EQ(http.Get("/api/v1/admin/quarantine").status, 401u);
  HttpReply list = http.Request("GET", "/api/v1/admin/quarantine", "", ro);
  ASSERT_EQ(list.status, 200u) << list.body;
  ASSERT_EQ(list.json()["total_count"], 1);
  const auto entry = list.json()["entries"][0];
  const std::string id = entry["id"];
  EXPECT_NE(entry["original_path"].get<std::string>().find(
                "segments/seg-00000000000000000099.pdb"),
            std::string::npos);
  EXPECT_EQ(entry["bytes"],
            fs::file_size(segs + "seg-00000000000000000001.pdb"));
  EXPECT_FALSE(entry["reason"].get<std::string>().empty());
  EXPECT_FALSE(entry["time"].get<std::string>().empty());
  EXPECT_NE(
      http.Get("/metrics").body.find("\nproximadb_quarantine_entries 1\n"),
      std::string::npos);

  auto stub = pb::ProximaDB::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("api-key", "reader-key-1");
    pb::ListQuarantineResponse out;
    ASSERT_TRUE(
        stub->ListQuarantine(&ctx, pb::ListQuarantineRequest(), &out).ok());
    ASSERT_EQ(out.entries_size(), 1);
    EXPECT_EQ(out.entries(0).id(), id);
  }
  // Clearing needs a read-write key, on both transports.
  EXPECT_EQ(
      http.Request("DELETE", "/api/v1/admin/quarantine/" + id, "", ro).status,
      403u);
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("api-key", "reader-key-1");
    pb::ClearQuarantineResponse out;
    EXPECT_EQ(stub->ClearQuarantine(&ctx, pb::ClearQuarantineRequest(), &out)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  HttpReply cleared =
      http.Request("DELETE", "/api/v1/admin/quarantine/" + id, "", rw);
  ASSERT_EQ(cleared.status, 200u) << cleared.body;
  EXPECT_EQ(cleared.json()["deleted_count"], 1);
  EXPECT_EQ(
      http.Request("DELETE", "/api/v1/admin/quarantine/" + id, "", rw).status,
      404u);
  EXPECT_NE(
      http.Get("/metrics").body.find("\nproximadb_quarantine_entries 0\n"),
      std::string::npos);
  EXPECT_FALSE(fs::exists(data_ + "/quarantine/" + id));
}

}  // namespace
}  // namespace proximadb::testing
