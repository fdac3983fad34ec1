// The real server out of file descriptors (issue 10, part B): with a low
// open-files limit and more connections than it allows, neither listener
// spins (the REST accept loop used to burn ~80 % of a core), connections
// already open keep being served, one line per episode is logged, and once
// descriptors are free again new connections are accepted — over gRPC too,
// whose own listener (gRPC 1.51) used to stop accepting for good.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
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

namespace pb = ::proximadb::v1;
using Clock = std::chrono::steady_clock;

constexpr rlim_t kMaxOpenFiles = 96;
constexpr int kConnections = 200;  // well over the server's limit

// CPU seconds (user + system) the process has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 3.. after comm
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// Share of one core the process used over `window`.
double CpuShare(pid_t pid, std::chrono::milliseconds window) {
  const double c0 = CpuSeconds(pid);
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(window);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  return (CpuSeconds(pid) - c0) / wall;
}

// Connects `n` sockets to 127.0.0.1:port; the kernel completes them from
// the listen backlog whether or not the server accepts them.
std::vector<int> Connect(uint16_t port, int n) {
  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

void CloseAll(std::vector<int>* fds) {
  for (int fd : *fds) close(fd);
  fds->clear();
}

size_t Count(const std::string& log, const std::string& what) {
  size_t n = 0;
  for (size_t pos = log.find(what); pos != std::string::npos;
       pos = log.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

grpc::Status Health(pb::ProximaDB::Stub* stub, int seconds) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(seconds));
  pb::HealthRequest req;
  pb::HealthResponse resp;
  return stub->Health(&ctx, req, &resp);
}

class FdExhaustionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_fd_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    server_.set_max_open_files(kMaxOpenFiles);
    ASSERT_TRUE(
        server_.Start(PDB_SERVER_BINARY,
                      {"--rest-port", "0", "--grpc-port", "0", "--data-dir",
                       root_ + "/data", "--bind", "127.0.0.1"},
                      root_ + "/server.log"))
        << server_.log();
  }
  void TearDown() override {
    CloseAll(&held_);
    if (HasFailure()) {
      std::cerr << "---- server log ----\n"
                << server_.log() << "--------------------\n";
    }
    server_.Stop();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::unique_ptr<pb::ProximaDB::Stub> NewStub() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // its own connection
    return pb::ProximaDB::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(server_.grpc_port()),
        grpc::InsecureChannelCredentials(), args));
  }

  std::string root_;
  ServerProcess server_;
  std::vector<int> held_;
};

TEST_F(FdExhaustionTest, RestBacksOffServesOpenConnectionsAndRecovers) {
  HttpClient keep(server_.port());  // one keep-alive connection, open now
  ASSERT_EQ(keep.Get("/health").status, 200u);

  held_ = Connect(server_.port(), kConnections);
  ASSERT_EQ(held_.size(), static_cast<size_t>(kConnections));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double share = CpuShare(server_.pid(), std::chrono::milliseconds(1000));
  EXPECT_LT(share, 0.2) << "the accept loop spins";
  EXPECT_EQ(keep.Get("/health").status, 200u);  // still served
  const std::string log = server_.log();
  EXPECT_EQ(Count(log, "REST: cannot accept connections"), 1u) << log;

  CloseAll(&held_);
  unsigned status = 0;
  for (auto deadline = Clock::now() + std::chrono::seconds(10);
       status != 200 && Clock::now() < deadline;) {
    HttpClient fresh(server_.port());
    status = fresh.Get("/health").status;
    if (status != 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200u);
  // Each episode is logged once when it starts and once when it ends. The
  // server-side ends of the released connections close a moment after the
  // client's, so a new accept can still meet EMFILE once more: a second,
  // short episode, logged the same way.
  const std::string after = server_.log();
  EXPECT_GE(Count(after, "REST: accepting connections again"), 1u) << after;
  EXPECT_EQ(Count(after, "REST: accepting connections again"),
            Count(after, "REST: cannot accept connections"))
      << after;
}

TEST_F(FdExhaustionTest, GrpcBacksOffServesOpenConnectionsAndRecovers) {
  auto open = NewStub();
  ASSERT_TRUE(Health(open.get(), 10).ok());

  held_ = Connect(server_.grpc_port(), kConnections);
  ASSERT_EQ(held_.size(), static_cast<size_t>(kConnections));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double share = CpuShare(server_.pid(), std::chrono::milliseconds(1000));
  EXPECT_LT(share, 0.2);
  EXPECT_TRUE(Health(open.get(), 10).ok());  // the open connection works
  EXPECT_EQ(Count(server_.log(), "gRPC: cannot accept connections"), 1u);

  CloseAll(&held_);
  // A new connection is accepted once descriptors are free.
  auto fresh = NewStub();
  grpc::Status s = Health(fresh.get(), 10);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // As for REST: every episode, a late second one included, starts and
  // ends with one line each.
  const std::string after = server_.log();
  EXPECT_GE(Count(after, "gRPC: accepting connections again"), 1u) << after;
  EXPECT_EQ(Count(after, "gRPC: accepting connections again"),
            Count(after, "gRPC: cannot accept connections"))
      << after;
}

}  // namespace
}  // namespace proximadb::testing
