// The change feed (Collection::Changes): every acknowledged write exactly
// once and in order, across flushes, compactions and restarts; retention;
// and the test: writers running while a consumer is killed and
// resumed at random points, whose rebuilt state equals the collection's.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "collection/db_impl.h"
#include "collection/test_util.h"
#include "util/manual_clock.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::RandomVector;
using testing::TempDir;

struct Fixture {
  TempDir tmp;
  ManualClock clock{1'000'000'000'000ull};
  std::unique_ptr<DBImpl> db;
  double retention_hours = 24;
  uint64_t retention_mb = 256;

  void Open() {
    db.reset();
    DBOptions o;
    o.background_threads = false;
    o.clock = &clock;
    o.wal_retention_hours = retention_hours;
    o.wal_retention_mb = retention_mb;
    auto r = DBImpl::OpenImpl(o, tmp.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    db = std::move(r).value();
  }
};

// A point as the feed rebuilds it: vector and metadata text.
struct Row {
  std::vector<float> vector;
  nlohmann::json metadata;
  bool operator==(const Row&) const = default;
};
using State = std::map<std::string, Row>;

void Apply(const Change& c, State* s) {
  switch (c.op) {
    case Change::Op::kUpsert:
    case Change::Op::kUpdateMetadata:
      (*s)[c.id] = Row{c.vector, nlohmann::json::parse(c.metadata_json)};
      break;
    case Change::Op::kDelete:
      s->erase(c.id);
      break;
  }
}

State CollectionState(Collection& c) {
  State s;
  ScrollRequest req;
  req.limit = 1000;
  req.include_vector = true;
  while (true) {
    auto page = c.Scroll(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (const StoredPoint& p : page->points) {
      s[p.id] = Row{p.vector, p.metadata};
    }
    if (page->next_after_id.empty()) break;
    req.after_id = page->next_after_id;
  }
  return s;
}

// Reads everything there is now (no waiting).
std::vector<Change> ReadAll(ChangeReader* r) {
  std::vector<Change> out;
  while (true) {
    const size_t before = out.size();
    Status s = r->Next(7, 0, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok() || out.size() == before) break;
  }
  return out;
}

TEST(ChangeFeedTest, EveryWriteOnceInOrderAcrossFlushCompactionAndRestart) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(MakeConfig("feed", 4)).value();
  std::mt19937 rng(7);
  State expected;
  auto upsert = [&](std::vector<std::string> ids) {
    std::vector<Point> batch;
    for (const std::string& id : ids) {
      batch.push_back({id, RandomVector(rng, 4), {{"id", id}}});
      expected[id] = Row{batch.back().vector, batch.back().metadata};
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
  };
  upsert({"a", "b", "c"});
  f.clock.Advance(1'000'000);
  ASSERT_TRUE(c->Flush().ok());
  upsert({"d"});
  ASSERT_TRUE(c->Delete({"b", "zz"}).ok());
  expected.erase("b");
  ASSERT_TRUE(c->UpdateMetadata("a", {{"new", true}}).ok());
  expected["a"].metadata = {{"new", true}};
  ASSERT_TRUE(c->Flush().ok());
  upsert({"e", "f"});
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Compact().ok());
  upsert({"g"});  // in the memtable

  auto reader = c->Changes(0);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<Change> all = ReadAll(reader->get());
  // 3 + 1 + 2 (delete of b and of zz, acknowledged either way) + 1 + 2 + 1.
  ASSERT_EQ(all.size(), 10u);
  std::vector<uint64_t> seqs;
  for (const Change& ch : all) seqs.push_back(ch.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 1, 1, 2, 3, 3, 4, 5, 5, 6}));
  EXPECT_EQ(all[0].index, 0u);
  EXPECT_EQ(all[2].index, 2u);
  EXPECT_EQ(all[2].batch_ops, 3u);
  EXPECT_EQ(all[0].time_unix_micros, 1'000'000'000'000ull);
  EXPECT_EQ(all[3].time_unix_micros, 1'000'001'000'000ull);
  EXPECT_EQ(all[4].op, Change::Op::kDelete);
  EXPECT_EQ(all[6].op, Change::Op::kUpdateMetadata);
  EXPECT_EQ(all[6].vector, expected["a"].vector);
  State rebuilt;
  for (const Change& ch : all) Apply(ch, &rebuilt);
  EXPECT_EQ(rebuilt, expected);
  EXPECT_EQ(rebuilt, CollectionState(*c));
  EXPECT_EQ((*reader)->next_seq(), 7u);

  // From a middle sequence; and after a restart (replay skipped the
  // retained files below the fence; the feed still has them).
  auto mid = c->Changes(4);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(ReadAll(mid->get()).size(), 4u);
  c.reset();
  reader->reset();
  mid->reset();
  f.Open();
  c = f.db->GetCollection("feed").value();
  EXPECT_EQ(c->Count().value(), expected.size());
  auto again = c->Changes(1);
  ASSERT_TRUE(again.ok());
  State after_restart;
  for (const Change& ch : ReadAll(again->get())) Apply(ch, &after_restart);
  EXPECT_EQ(after_restart, expected);
  // New writes after the restart continue the sequence.
  upsert({"h"});
  std::vector<Change> more = ReadAll(again->get());
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].seq, 7u);
  EXPECT_EQ(more[0].id, "h");
}

TEST(ChangeFeedTest, RetentionOffRemovesFlushedWritesAndSaysSo) {
  Fixture f;
  f.retention_hours = 0;
  f.Open();
  auto c = f.db->CreateCollection(MakeConfig("short", 4)).value();
  std::mt19937 rng(1);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        c->Upsert({{"p" + std::to_string(i), RandomVector(rng, 4), {}}}).ok());
  }
  ASSERT_TRUE(c->Flush().ok());
  ASSERT_TRUE(c->Upsert({{"q", RandomVector(rng, 4), {}}}).ok());
  EXPECT_EQ(c->ChangeRange(), std::make_pair(uint64_t{4}, uint64_t{4}));
  auto old = c->Changes(2);
  EXPECT_EQ(old.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(old.status().message().find("oldest available is 4"),
            std::string::npos)
      << old.status().ToString();
  auto from_oldest = c->Changes(0);
  ASSERT_TRUE(from_oldest.ok());
  std::vector<Change> got = ReadAll(from_oldest->get());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "q");
}

TEST(ChangeFeedTest, ByteRetentionKeepsNewestAndReaderBehindGetsOutOfRange) {
  Fixture f;
  f.retention_mb = 1;
  f.Open();
  auto c = f.db->CreateCollection(MakeConfig("bytes", 64)).value();
  std::mt19937 rng(3);
  auto reader = c->Changes(1);
  ASSERT_TRUE(reader.ok());
  // ~300 KB per flushed file: after 6 flushes only the newest ~3 fit.
  for (int round = 0; round < 6; ++round) {
    std::vector<Point> batch;
    for (int i = 0; i < 1000; ++i) {
      batch.push_back({"r" + std::to_string(round) + "-" + std::to_string(i),
                       RandomVector(rng, 64),
                       {}});
    }
    ASSERT_TRUE(c->Upsert(batch).ok());
    ASSERT_TRUE(c->Flush().ok());
  }
  auto [first, last] = c->ChangeRange();
  EXPECT_GT(first, 1u);
  EXPECT_EQ(last, 6u);
  EXPECT_LE(c->Info().wal_bytes, (1u << 20) + 4096);
  std::vector<Change> out;
  Status s = (*reader)->Next(10, 0, &out);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
  EXPECT_TRUE(out.empty());
}

TEST(ChangeFeedTest, FollowerWakesOnWriteAndEndsWhenDropped) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(MakeConfig("follow", 4)).value();
  auto reader = c->Changes(0);
  ASSERT_TRUE(reader.ok());
  std::vector<Change> out;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::mt19937 rng(2);
    ASSERT_TRUE(c->Upsert({{"x", RandomVector(rng, 4), {}}}).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*reader)->Next(10, 30'000, &out).ok());
  writer.join();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  ASSERT_TRUE(f.db->DropCollection("follow").ok());
  out.clear();
  Status s = (*reader)->Next(10, 100, &out);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
}

// Writers keep writing (upserts, deletes, metadata updates, flushes) while
// a consumer reads, is "killed" at random points (its reader dropped, what
// it received of an unfinished write discarded) and resumes from its last
// complete sequence. Its rebuilt state equals the collection's.
TEST(ChangeFeedTest, KilledAndResumedConsumerRebuildsTheCollection) {
  Fixture f;
  f.Open();
  auto c = f.db->CreateCollection(MakeConfig("resume", 8)).value();
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      for (int i = 0; i < 400; ++i) {
        const std::string id =
            "w" + std::to_string(t) + "-" + std::to_string(rng() % 120);
        const int what = static_cast<int>(rng() % 10);
        if (what < 6) {
          std::vector<Point> batch{{id, RandomVector(rng, 8), {{"i", i}}}};
          if (what == 0) batch.push_back({id + "b", RandomVector(rng, 8), {}});
          ASSERT_TRUE(c->Upsert(batch).ok());
        } else if (what < 8) {
          ASSERT_TRUE(c->Delete({id}).ok());
        } else {
          Status s = c->UpdateMetadata(id, {{"u", i}});
          ASSERT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
        }
        if (t == 0 && i % 97 == 96) {
          ASSERT_TRUE(c->Flush().ok());
        }
      }
    });
  }
  std::thread stopper([&] {
    for (auto& w : writers) w.join();
    stop = true;
  });

  std::mt19937 rng(5);
  State state;
  uint64_t resume = 1;  // first sequence not applied whole
  int kills = 0;
  while (true) {
    const bool last_round = stop.load();
    auto reader = c->Changes(resume);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    // Changes of the write in progress, applied only once it is whole.
    std::vector<Change> partial;
    const size_t budget = last_round ? SIZE_MAX : 1 + rng() % 40;
    size_t taken = 0;
    bool killed = false;
    while (taken < budget) {
      std::vector<Change> got;
      ASSERT_TRUE((*reader)->Next(1 + rng() % 5, 5, &got).ok());
      if (got.empty()) break;
      for (const Change& ch : got) {
        partial.push_back(ch);
        if (ch.index + 1 == ch.batch_ops) {
          ASSERT_EQ(partial.front().seq, ch.seq);
          ASSERT_EQ(partial.front().index, 0u);
          for (const Change& p : partial) Apply(p, &state);
          ASSERT_EQ(ch.seq, resume) << "a write was skipped or repeated";
          resume = ch.seq + 1;
          partial.clear();
        }
        if (++taken >= budget) {
          killed = true;
          break;
        }
      }
    }
    if (killed) ++kills;
    if (last_round && !killed) break;
  }
  stopper.join();
  EXPECT_GT(kills, 5);
  EXPECT_EQ(resume, c->ChangeRange().second + 1);
  EXPECT_EQ(state, CollectionState(*c));
}

}  // namespace
}  // namespace proximadb
