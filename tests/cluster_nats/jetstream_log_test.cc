// JetStreamLog against a real 3-server NATS JetStream cluster, started once
// by the ctest fixture `nats_up` (tests/cluster_nats/nats_fixture.sh), which
// writes NATS_URLS to the file $PDB_NATS_ENV_FILE names.
#include "cluster/nats/jetstream_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace proximadb::cluster {
namespace {

std::map<std::string, std::string> NatsEnv() {
  std::map<std::string, std::string> vars;
  const char* file = std::getenv("PDB_NATS_ENV_FILE");
  if (file == nullptr) return vars;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

class JetStreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = NatsEnv();
    if (env.count("NATS_SKIP") && !std::getenv("PDB_REQUIRE_NATS")) {
      GTEST_SKIP() << env["NATS_SKIP"];
    }
    ASSERT_TRUE(env.count("NATS_URLS"))
        << "no NATS: run through ctest (`ctest -L nats`, whose fixture "
           "nats_up starts the servers)";
    urls_ = SplitCommas(env["NATS_URLS"]);
    auto log = JetStreamLog::Connect({urls_, 5000, "test"});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    stream_ =
        std::string("T_") + info->name() + "_" + std::to_string(::getpid());
    subject_ = "pdbtest." + stream_;
  }
  void TearDown() override {
    if (log_) (void)log_->DeleteStream(stream_);
  }
  StreamSpec Spec(int replicas) {
    StreamSpec s;
    s.name = stream_;
    s.subject = subject_;
    s.replicas = replicas;
    return s;
  }
  std::vector<std::string> urls_;
  std::unique_ptr<JetStreamLog> log_;
  std::string stream_, subject_;
};

TEST_F(JetStreamLogTest, AppendsAreAcknowledgedInOrderAndReadBack) {
  ASSERT_TRUE(log_->EnsureStream(Spec(3)).ok());
  ASSERT_TRUE(log_->EnsureStream(Spec(3)).ok()) << "idempotent";
  EXPECT_EQ(log_->EnsureStream(Spec(1)).code(), StatusCode::kFailedPrecondition)
      << "the replication factor of an existing stream is not changed";
  for (int i = 1; i <= 100; ++i) {
    auto seq = log_->Append(subject_, "entry-" + std::to_string(i), {});
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    EXPECT_EQ(*seq, static_cast<uint64_t>(i));
  }
  auto st = log_->State(stream_);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->first_seq, 1u);
  EXPECT_EQ(st->last_seq, 100u);
  EXPECT_FALSE(st->leader.empty());
  EXPECT_EQ(st->replicas.size(), 2u);

  auto reader = log_->Read(stream_, subject_, 41);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<LogEntry> got;
  while (got.size() < 60) {
    ASSERT_TRUE((*reader)->Next(25, 2000, &got).ok());
  }
  ASSERT_EQ(got.size(), 60u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, 41 + i);
    EXPECT_EQ(got[i].data, "entry-" + std::to_string(41 + i));
  }
  EXPECT_EQ((*reader)->next_seq(), 101u);
  // Nothing more: Next returns in time, empty.
  got.clear();
  ASSERT_TRUE((*reader)->Next(10, 50, &got).ok());
  EXPECT_TRUE(got.empty());
  // A following reader sees a new append.
  ASSERT_TRUE(log_->Append(subject_, "late", {}).ok());
  ASSERT_TRUE((*reader)->Next(10, 2000, &got).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 101u);
  EXPECT_EQ(got[0].data, "late");

  auto one = log_->Get(stream_, 7);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->data, "entry-7");
  EXPECT_EQ(log_->Get(stream_, 5000).status().code(), StatusCode::kNotFound);
}

TEST_F(JetStreamLogTest, ExpectedLastSequenceFencesASecondWriter) {
  ASSERT_TRUE(log_->EnsureStream(Spec(3)).ok());
  AppendOptions first;
  first.expected_last_seq = 0;
  auto seq = log_->Append(subject_, "a", first);
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, 1u);
  // A writer that believes the stream is still empty is refused.
  auto stale = log_->Append(subject_, "stale", first);
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition)
      << stale.status().ToString();
  AppendOptions next;
  next.expected_last_seq = 1;
  ASSERT_TRUE(log_->Append(subject_, "b", next).ok());
  EXPECT_EQ(log_->Append(subject_, "c", next).status().code(),
            StatusCode::kFailedPrecondition);
  auto st = log_->State(stream_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->last_seq, 2u) << "refused appends store nothing";
}

TEST_F(JetStreamLogTest, ARetriedAppendWithItsIdIsStoredOnce) {
  ASSERT_TRUE(log_->EnsureStream(Spec(1)).ok());
  AppendOptions o;
  o.id = "node1-42";
  auto a = log_->Append(subject_, "x", o);
  auto b = log_->Append(subject_, "x", o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto st = log_->State(stream_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->messages, 1u);
  // With an expected last sequence too (a primary's retry after a timeout
  // whose first try was stored): the duplicate wins over the expectation,
  // so the retry is not mistaken for another writer's append.
  AppendOptions guarded;
  guarded.id = "node1-43";
  guarded.expected_last_seq = *a;
  auto c = log_->Append(subject_, "y", guarded);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto d = log_->Append(subject_, "y", guarded);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*c, *d);
}

TEST_F(JetStreamLogTest, ConcurrentAppendersGetDistinctSequences) {
  ASSERT_TRUE(log_->EnsureStream(Spec(3)).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> seqs(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto s = log_->Append(subject_, std::to_string(t), {});
        if (!s.ok()) {
          ++failures;
          continue;
        }
        seqs[t].push_back(*s);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<bool> seen(201, false);
  for (const auto& v : seqs) {
    for (uint64_t s : v) {
      ASSERT_TRUE(s >= 1 && s <= 200);
      EXPECT_FALSE(seen[s]);
      seen[s] = true;
    }
  }
}

TEST_F(JetStreamLogTest, RetentionMakesOldPositionsOutOfRange) {
  StreamSpec spec = Spec(1);
  spec.max_bytes = 4096;
  ASSERT_TRUE(log_->EnsureStream(spec).ok());
  const std::string big(500, 'x');
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(log_->Append(subject_, big, {}).ok());
  auto st = log_->State(stream_);
  ASSERT_TRUE(st.ok());
  EXPECT_GT(st->first_seq, 1u);
  EXPECT_EQ(st->last_seq, 40u);
  auto r = log_->Read(stream_, subject_, 1);
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange)
      << r.status().ToString();
  r = log_->Read(stream_, subject_, st->first_seq);
  ASSERT_TRUE(r.ok());
  std::vector<LogEntry> got;
  while (got.size() < st->messages)
    ASSERT_TRUE((*r)->Next(100, 2000, &got).ok());
  EXPECT_EQ(got.front().seq, st->first_seq);
}

TEST_F(JetStreamLogTest, PurgeRemovesTheEntriesBeforeAPosition) {
  ASSERT_TRUE(log_->EnsureStream(Spec(3)).ok());
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(log_->Append(subject_, "e" + std::to_string(i), {}).ok());
  }
  // A reader following from the start when the purge happens.
  auto early = log_->Read(stream_, subject_, 1);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  ASSERT_TRUE(log_->Purge(stream_, 1).ok()) << "nothing before entry 1";
  ASSERT_TRUE(log_->Purge(stream_, 6).ok());
  auto st = log_->State(stream_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->first_seq, 6u);
  EXPECT_EQ(st->last_seq, 10u);
  EXPECT_EQ(st->messages, 5u);
  EXPECT_EQ(log_->Get(stream_, 3).status().code(), StatusCode::kNotFound);
  auto r = log_->Read(stream_, subject_, 3);
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange)
      << r.status().ToString();
  r = log_->Read(stream_, subject_, 6);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<LogEntry> got;
  for (int tries = 0; got.size() < 5 && tries < 50; ++tries) {
    ASSERT_TRUE((*r)->Next(10, 200, &got).ok());
  }
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got.front().seq, 6u);
  EXPECT_EQ(got.front().data, "e6");
  // The early reader either had entries 1..5 delivered before the purge or
  // finds the gap: never a silent jump from 0 to 6.
  std::vector<LogEntry> early_got;
  Status es;
  for (int tries = 0; es.ok() && early_got.size() < 10 && tries < 50; ++tries) {
    es = (*early)->Next(10, 200, &early_got);
  }
  if (es.ok()) {
    for (size_t i = 0; i < early_got.size(); ++i) {
      EXPECT_EQ(early_got[i].seq, i + 1);
    }
  } else {
    EXPECT_EQ(es.code(), StatusCode::kOutOfRange) << es.ToString();
  }
  // Everything purged: the numbering goes on, and reading from a removed
  // entry stays out of range even though the stream is empty.
  ASSERT_TRUE(log_->Purge(stream_, 11).ok());
  st = log_->State(stream_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->messages, 0u);
  EXPECT_EQ(st->last_seq, 10u);
  EXPECT_EQ(log_->Read(stream_, subject_, 8).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_TRUE(log_->Read(stream_, subject_, 11).ok());
  auto seq = log_->Append(subject_, "e11", {});
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 11u);
  EXPECT_EQ(log_->Purge("NO_SUCH_STREAM", 5).code(), StatusCode::kNotFound);
}

TEST_F(JetStreamLogTest, UnknownStreamsAndUnreachableServers) {
  EXPECT_EQ(log_->State("NO_SUCH_STREAM").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(log_->DeleteStream("NO_SUCH_STREAM").code(), StatusCode::kNotFound);
  // A port nothing listens on: kUnavailable within the timeout.
  const auto start = std::chrono::steady_clock::now();
  auto none = JetStreamLog::Connect({{"nats://127.0.0.1:1"}, 1000, "test"});
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace proximadb::cluster
