// Point-in-time restore benchmark (issue "snapshots, PITR, change feed"):
// how long a restore takes that replays one hour of archived WAL.
//
//   pitr_bench [--rate R] [--seconds S] [--batch B] [--dim D] [--ids N]
//              [--dir PATH]
//
// An hour of writes is simulated, not waited for: the DB runs on a manual
// clock that advances B / R seconds per request of B points, so the WAL
// holds S seconds of writes at R points per second with their times, and
// the archiver (a background thread, as in the server) seals a file every
// 60 s of that clock and archives it into the local repository. Points are
// upserts of N ids (overwrites once every id exists) with a small metadata
// object, clustered vectors. A snapshot is taken at the start of the hour;
// then restores as of the end (the whole hour replayed) and as of the
// middle are timed. Prints one line per measurement. The replay rate it
// prints (records/s, MB/s) gives the time for any other write rate.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "clustered.h"
#include "proximadb/db.h"
#include "util/manual_clock.h"

using namespace proximadb;
using bench::Check;
using bench::Seconds;
using bench::Steady;

namespace {

struct Args {
  uint64_t rate = 200;  // points per second of the simulated clock
  uint64_t seconds = 3600;
  uint64_t batch = 20;
  uint32_t dim = 128;
  uint64_t ids = 100000;
  std::string dir = "/tmp/pdb-pitr-bench";
};

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--rate") {
      a.rate = std::stoull(v);
    } else if (k == "--seconds") {
      a.seconds = std::stoull(v);
    } else if (k == "--batch") {
      a.batch = std::stoull(v);
    } else if (k == "--dim") {
      a.dim = static_cast<uint32_t>(std::stoul(v));
    } else if (k == "--ids") {
      a.ids = std::stoull(v);
    } else if (k == "--dir") {
      a.dir = v;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  std::filesystem::remove_all(a.dir);
  const uint64_t t0 = 1'796'000'000'000'000;  // 2026-11-30, unix us
  ManualClock clock(t0);
  DBOptions o;
  o.clock = &clock;
  o.snapshots.local_directory = a.dir + "/repo";
  o.tiering.defaults.wal_archive = true;
  o.flush_check_interval_ms = 100;
  auto db = DB::Open(o, a.dir + "/data");
  Check(db.status(), "open");
  CollectionConfig cfg;
  cfg.name = "events";
  cfg.dimension = a.dim;
  cfg.metric = Metric::kEuclidean;
  cfg.index.algorithm = "flat";
  auto c = (*db)->CreateCollection(cfg);
  Check(c.status(), "create");

  bench::Clustered gen(a.dim, 1);
  uint64_t next_id = 0;
  auto request = [&] {
    std::vector<Point> batch;
    for (uint64_t i = 0; i < a.batch; ++i) {
      const uint64_t id = next_id++ % a.ids;
      batch.push_back({"e" + std::to_string(id), gen.Next(),
                       nlohmann::json{{"n", next_id}, {"src", "bench"}}});
    }
    Check((*c)->Upsert(std::move(batch)).status(), "upsert");
  };
  // The state at the start of the hour, and its snapshot.
  while (next_id < a.ids) request();
  Check((*c)->Flush(), "flush");
  auto snap = (*db)->CreateSnapshot("events", SnapshotTarget::kLocal);
  Check(snap.status(), "snapshot");
  const uint64_t start_seq = snap->sequence;

  // The hour.
  const uint64_t requests = a.rate * a.seconds / a.batch;
  const uint64_t step_us = a.batch * 1000000 / a.rate;
  auto t = Steady::now();
  uint64_t mid_seq = 0;
  for (uint64_t r = 0; r < requests; ++r) {
    clock.Advance(step_us);
    request();
    if (r == requests / 2) mid_seq = (*c)->Info().last_sequence;
  }
  const double ingest_s = Seconds(t);
  const uint64_t end_seq = (*c)->Info().last_sequence;
  std::printf(
      "simulated %llu s at %llu points/s (batches of %llu, %u-d, %llu ids): "
      "%llu requests written in %.1f s of wall time (%.0f points/s)\n",
      static_cast<unsigned long long>(a.seconds),
      static_cast<unsigned long long>(a.rate),
      static_cast<unsigned long long>(a.batch), a.dim,
      static_cast<unsigned long long>(a.ids),
      static_cast<unsigned long long>(requests), ingest_s,
      requests * a.batch / ingest_s);

  // Restores as of the end (by time) and the middle (by sequence) of the
  // hour; the live collection's tail is sealed and archived first, inside
  // the call, as for any live collection.
  auto timed = [&](const char* name, PointInTimeOptions p, uint64_t want) {
    p.target_collection = std::string("restored_") + name;
    const auto start = Steady::now();
    auto r = (*db)->RestorePointInTime("events", p);
    const double secs = Seconds(start);
    Check(r.status(), "restore");
    if (r->sequence != want) {
      std::fprintf(stderr, "restored to %llu, wanted %llu\n",
                   static_cast<unsigned long long>(r->sequence),
                   static_cast<unsigned long long>(want));
      std::exit(1);
    }
    std::printf(
        "restore as of the %s of the hour: %.2f s; snapshot at %llu + %llu "
        "archived WAL records (%.1f MB fetched incl. the snapshot) = "
        "sequence %llu, %llu points; %.0f records/s, %.0f MB/s\n",
        name, secs, static_cast<unsigned long long>(r->snapshot_sequence),
        static_cast<unsigned long long>(r->wal_records), r->bytes / 1e6,
        static_cast<unsigned long long>(r->sequence),
        static_cast<unsigned long long>(r->points), r->wal_records / secs,
        r->bytes / 1e6 / secs);
  };
  PointInTimeOptions end;
  end.as_of_micros = clock.NowMicros();
  timed("end", end, end_seq);
  PointInTimeOptions mid;
  mid.sequence = mid_seq;
  timed("middle", mid, mid_seq);
  std::printf("archive: %.1f MB for the hour (%llu records after %llu)\n",
              DirBytes(a.dir + "/repo/wal") / 1e6,
              static_cast<unsigned long long>(end_seq - start_seq),
              static_cast<unsigned long long>(start_seq));
  c->reset();
  db->reset();
  std::filesystem::remove_all(a.dir);
  return 0;
}
