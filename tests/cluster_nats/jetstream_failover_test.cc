// The shard log's promise under the loss of a NATS server: with 3 replicas,
// every acknowledged append survives the SIGKILL of the stream's leader and
// appends resume once JetStream elected another. This test starts its own
// 3-server cluster (scripts/nats-cluster.sh) so that killing one does not
// disturb the other tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "cluster/nats/jetstream_log.h"
#include "util/temp_dir.h"

namespace proximadb::cluster {
namespace {

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  int rc = ::pclose(p);
  if (rc != 0) out = "FAILED: " + out;
  return out;
}

TEST(JetStreamFailoverTest, AcknowledgedAppendsSurviveTheLeadersKill) {
  if (std::system("command -v nats-server >/dev/null") != 0 &&
      std::getenv("PDB_REQUIRE_NATS") == nullptr) {
    GTEST_SKIP() << "nats-server is not installed";
  }
  test_util::TempDir tmp;
  const std::string script =
      std::string(PDB_SOURCE_DIR) + "/scripts/nats-cluster.sh";
  const std::string dir = tmp.path() + "/nats";
  std::string out = Shell(script + " up " + dir + " 3");
  ASSERT_EQ(out.find("FAILED"), std::string::npos) << out;
  struct Down {
    std::string cmd;
    ~Down() { Shell(cmd); }
  } down{script + " down " + dir};
  std::vector<std::string> urls;
  {
    std::string line = out.substr(out.find("NATS_URLS=") + 10);
    line = line.substr(0, line.find('\n'));
    std::stringstream ss(line);
    std::string u;
    while (std::getline(ss, u, ',')) urls.push_back(u);
  }
  ASSERT_EQ(urls.size(), 3u);
  auto log = JetStreamLog::Connect({urls, 2000, "failover-test"});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  StreamSpec spec{"FAILOVER", "pdbtest.failover", 3, 0, 0, 0};
  ASSERT_TRUE((*log)->EnsureStream(spec).ok());

  // Appends with ids, retried until acknowledged: the log must end up
  // holding each acknowledged one exactly once, in order of first ack.
  std::vector<std::string> acked;
  auto append = [&](int i, std::chrono::milliseconds give_up) -> bool {
    AppendOptions o;
    o.id = "w-" + std::to_string(i);
    const auto until = std::chrono::steady_clock::now() + give_up;
    while (std::chrono::steady_clock::now() < until) {
      auto seq = (*log)->Append(spec.subject, o.id, o);
      if (seq.ok()) {
        if (acked.empty() || acked.back() != o.id) acked.push_back(o.id);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(append(i, std::chrono::seconds(5)));

  auto st = (*log)->State(spec.name);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->leader.rfind("n", 0), 0u) << st->leader;
  const std::string leader_index = st->leader.substr(1);
  ASSERT_EQ(Shell(script + " kill " + dir + " " + leader_index), "");
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(append(200, std::chrono::seconds(30)))
      << "no append acknowledged within 30 s of the leader's kill";
  const double failover_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed)
          .count();
  std::printf(
      "stream leader %s killed: appends acknowledged again after %.2f s\n",
      st->leader.c_str(), failover_s);
  for (int i = 201; i < 300; ++i)
    ASSERT_TRUE(append(i, std::chrono::seconds(10)));

  // The killed server comes back and catches up.
  out = Shell(script + " start " + dir + " " + leader_index);
  ASSERT_EQ(out.find("FAILED"), std::string::npos) << out;

  auto reader = (*log)->Read(spec.name, spec.subject, 1);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<LogEntry> got;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (got.size() < acked.size() &&
         std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE((*reader)->Next(500, 1000, &got).ok());
  }
  ASSERT_EQ(got.size(), acked.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].data, acked[i]) << "at " << i;
    ASSERT_EQ(got[i].seq, i + 1);
  }
}

}  // namespace
}  // namespace proximadb::cluster
