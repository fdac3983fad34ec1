#!/usr/bin/env python3
"""Foreground latency during a large compaction, with and without the
background I/O budget (docs/BENCHMARKS.md, "Background I/O budget"). A
benchmark, not a test: run it on a quiet machine.

    /usr/bin/python3 bench/compaction_io_bench.py --binary build/src/server/proximadb-server \
        [--points 200000] [--dim 768] [--segments 4] [--budget 32] [--rounds 3]

Each round, for the budget 0 (none) and --budget MiB/s in turn, a fresh
server ([storage] background_io_mb_per_s = that, compaction_enabled = false
so that only the requested compaction runs, index_build_threads = 1) and a
fresh viper collection (IVF int8 segments, zstd) of --points clustered
--dim vectors (fixed seed), flushed into --segments segments. Once their
indexes are built, two foreground clients run over gRPC:

  * a searcher: k 10 searches of points of the data set, back to back;
  * a writer: one durable upsert of one new point every 20 ms (each waits
    for its WAL fsync, which a compaction's write-back competes with).

They run for --baseline seconds with nothing in the background, then while
a compaction of all segments (POST /collections/{name}/compact) runs. Prints
per phase and budget: the compaction's time and bytes, search and upsert
p50 / p99 / max (ms) and the number of requests; the medians over rounds.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data, budget_mb):
        self.rest, self.grpc = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMADB_")}
        env.update({"PROXIMADB_STORAGE__BACKGROUND_IO_MB_PER_S": str(budget_mb),
                    "PROXIMADB_STORAGE__COMPACTION_ENABLED": "false",
                    "PROXIMADB_STORAGE__INDEX_BUILD_THREADS": "1",
                    "PROXIMADB_MONITORING__ACCESS_LOG": "false"})
        self.log = open(data + ".log", "a")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", data, "--bind", "127.0.0.1",
             "--rest-port", str(self.rest), "--grpc-port", str(self.grpc)],
            env=env, stdout=self.log, stderr=self.log)
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.rest}/health"):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=300)
        self.log.close()


def clustered(n, dim, seed=7, clusters=100):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((clusters, dim)).astype(np.float32)
    which = rng.integers(0, clusters, n)
    x = centers[which] + 0.3 * rng.standard_normal((n, dim)).astype(np.float32)
    return x.astype(np.float32)


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def idle(c, name):
    while c.stats(name).background_io.tasks:
        time.sleep(0.2)


def one(binary, budget, data, args):
    work = tempfile.mkdtemp(prefix="pdb-compio-")
    server = Server(binary, os.path.join(work, "data"), budget)
    url = f"127.0.0.1:{server.grpc}"
    admin = ProximaDBClient(f"http://127.0.0.1:{server.rest}")
    try:
        admin.create_collection(name="big", dimension=args.dim,
                                distance_metric="euclidean", storage_strategy="viper")
        ids = [f"p{i}" for i in range(len(data))]
        per = len(data) // args.segments
        loader = ProximaDBClient(f"grpc://{url}")
        for s in range(args.segments):
            lo, hi = s * per, (s + 1) * per if s + 1 < args.segments else len(data)
            loader.batch_insert("big", data[lo:hi], ids[lo:hi], chunk_size=2000)
            loader.flush("big")
        loader.close()
        idle(admin, "big")

        phase = ["baseline"]
        lat = {("baseline", "search"): [], ("baseline", "upsert"): [],
               ("compaction", "search"): [], ("compaction", "upsert"): []}
        stop = threading.Event()

        def searcher():
            c = ProximaDBClient(f"grpc://{url}")
            rng = np.random.default_rng(11)
            while not stop.is_set():
                q = data[int(rng.integers(0, len(data)))]
                p = phase[0]
                t = time.perf_counter()
                c.search("big", q, k=10)
                lat[(p, "search")].append((time.perf_counter() - t) * 1e3)
            c.close()

        def writer():
            c = ProximaDBClient(f"grpc://{url}")
            rng = np.random.default_rng(13)
            i = 0
            while not stop.is_set():
                v = data[int(rng.integers(0, len(data)))]
                p = phase[0]
                t = time.perf_counter()
                c.batch_insert("big", v.reshape(1, -1), [f"w{i}"])
                lat[(p, "upsert")].append((time.perf_counter() - t) * 1e3)
                i += 1
                time.sleep(0.02)
            c.close()

        threads = [threading.Thread(target=searcher), threading.Thread(target=writer)]
        for t in threads:
            t.start()
        time.sleep(args.baseline)
        io0 = admin.stats("big").background_io
        before = io0.bytes_written.get("compaction", 0)
        phase[0] = "compaction"
        t0 = time.perf_counter()
        admin.compact("big")
        compact_s = time.perf_counter() - t0
        stop.set()
        for t in threads:
            t.join()
        io = admin.stats("big").background_io
        written = io.bytes_written.get("compaction", 0) - before
        out = {"compact_s": compact_s, "compact_mib": written / 2**20,
               "throttled_s": io.throttled_seconds - io0.throttled_seconds}
        for (p, kind), xs in lat.items():
            out[f"{p}_{kind}_n"] = len(xs)
            out[f"{p}_{kind}_p50"] = pct(xs, 50)
            out[f"{p}_{kind}_p99"] = pct(xs, 99)
            out[f"{p}_{kind}_max"] = max(xs) if xs else float("nan")
        return out
    finally:
        admin.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--points", type=int, default=200000)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--segments", type=int, default=4)
    ap.add_argument("--budget", type=int, default=32, help="MiB/s")
    ap.add_argument("--baseline", type=float, default=10.0, help="seconds")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = clustered(args.points, args.dim)
    print(f"# {args.points} x {args.dim}, {args.segments} segments, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    runs = {0: [], args.budget: []}
    for r in range(args.rounds):
        order = [0, args.budget] if r % 2 == 0 else [args.budget, 0]
        for b in order:
            res = one(os.path.abspath(args.binary), b, data, args)
            runs[b].append(res)
            print(f"round {r} budget {b}: " +
                  ", ".join(f"{k} {v:.2f}" for k, v in res.items()), flush=True)
    keys = list(runs[0][0].keys())
    print("\n# medians over rounds")
    print("| measure | no budget | budget %d MiB/s |" % args.budget)
    print("|---|---:|---:|")
    for k in keys:
        a = statistics.median(x[k] for x in runs[0])
        b = statistics.median(x[k] for x in runs[args.budget])
        print(f"| {k} | {a:.2f} | {b:.2f} |")
    print(f"# load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
