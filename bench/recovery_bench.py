#!/usr/bin/env python3
"""Recovery time against the unflushed WAL (docs/BENCHMARKS.md, "Recovery
time"). A benchmark, not a test: run it on a quiet machine.

    /usr/bin/python3 bench/recovery_bench.py --binary build/src/server/proximadb-server \
        [--sizes 64,256,1024] [--dims 128,768] [--collections 1] [--runs 3]

For each dimension and WAL size: a fresh server with no WAL cap
([storage] max_unflushed_wal_mb = 0) and --collections collections whose
policy never flushes; each gets --size MiB of points (random floats, ids
"p<i>", metadata {"i": i}) over gRPC in 1,000-point requests. Then kill -9
and a fresh start on the same data: the time from exec to "ready" (the
server answers only once every collection is recovered), and the
collections' own recovery seconds, WAL bytes and records from their stats.
Prints the median of --runs restarts per row (the same data restarted again
after each: nothing is flushed on the way out of a kill -9). --cold drops
the page cache before each start (root only), so the WAL comes from the
disk as after a power loss.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402

READY = re.compile(r"proximadb-server ready rest_port=(\d+) grpc_port=(\d+)")


def start(binary, data):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMADB_")}
    env.update({"PROXIMADB_STORAGE__MAX_UNFLUSHED_WAL_MB": "0",
                "PROXIMADB_MONITORING__ACCESS_LOG": "false"})
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--data-dir", data, "--rest-port", "0", "--grpc-port", "0",
                          "--bind", "127.0.0.1"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace")
    ready, ports = None, None
    for line in p.stdout:
        m = READY.search(line)
        if m:
            # Answers from here on; collections recover in the background.
            ready = time.perf_counter() - t0
            ports = int(m.group(1)), int(m.group(2))
        if line.startswith("proximadb-server recovered") and ports:
            recovered = time.perf_counter() - t0
            # Keep draining the pipe so the server never blocks on its log.
            import threading
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, ports[0], ports[1], ready, recovered
    raise RuntimeError("the server did not become ready")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--sizes", default="64,256,1024", help="MiB of WAL per collection")
    ap.add_argument("--dims", default="128,768")
    ap.add_argument("--collections", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cold", action="store_true",
                    help="drop the page cache before each start (needs root): the WAL "
                         "is read from the disk, as after a power loss")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    print(f"# load {os.getloadavg()[0]:.2f}, {args.collections} collection(s)"
          f"{', cold page cache' if args.cold else ''}", flush=True)
    print("| dim | WAL MiB per collection | records | answers after s | all recovered after s "
          "| recovery s (slowest) | MiB/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(5)
    for dim in [int(d) for d in args.dims.split(",")]:
        for size in [int(s) for s in args.sizes.split(",")]:
            work = tempfile.mkdtemp(prefix="pdb-recovery-")
            data = os.path.join(work, "data")
            p, rest, grpc, _, _ = start(binary, data)
            c = ProximaDBClient(f"grpc://127.0.0.1:{grpc}")
            per_point = dim * 4 + 40
            n = size * 2**20 // per_point
            for k in range(args.collections):
                name = f"c{k}"
                c.create_collection(name=name, dimension=dim, distance_metric="euclidean",
                                    enable_background_flush=False)
                for lo in range(0, n, 100000):
                    hi = min(n, lo + 100000)
                    x = rng.standard_normal((hi - lo, dim), dtype=np.float32)
                    c.batch_insert(name, x, [f"p{i}" for i in range(lo, hi)],
                                   [{"i": i} for i in range(lo, hi)], chunk_size=1000)
            c.close()
            p.send_signal(signal.SIGKILL)
            p.wait()
            readies, dones, recs, wal, records = [], [], [], [], []
            for _ in range(args.runs):
                if args.cold:
                    os.sync()
                    with open("/proc/sys/vm/drop_caches", "w") as f:
                        f.write("3\n")
                p, rest, grpc, ready, recovered = start(binary, data)
                c = ProximaDBClient(f"http://127.0.0.1:{rest}")
                rs = [c.stats(f"c{k}").recovery for k in range(args.collections)]
                c.close()
                p.send_signal(signal.SIGKILL)
                p.wait()
                readies.append(ready)
                dones.append(recovered)
                recs.append(max(r["seconds"] for r in rs))
                wal.append(max(r["wal_bytes"] for r in rs))
                records.append(sum(r["wal_records"] for r in rs))
            shutil.rmtree(work, ignore_errors=True)
            r_s = statistics.median(recs)
            mib = statistics.median(wal) / 2**20
            print(f"| {dim} | {mib:.0f} | {records[0]} | {statistics.median(readies):.2f} | "
                  f"{statistics.median(dones):.2f} | {r_s:.2f} | {mib / r_s:.0f} |", flush=True)
    print(f"# load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
