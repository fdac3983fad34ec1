#!/usr/bin/env python3
"""Both cores through the server: search QPS of proximadb-server on one core
and on two (docs/BENCHMARKS.md, "Both cores: through the server"). A
benchmark, not a test: run it on a quiet machine.

    bench/server_scaling.py --binary build-bench/src/server/proximadb-server \
        --api-bench build-bench/bench/api_bench \
        [--clients 8] [--seconds 10] [--rounds 3] [--synthetic N --dim D]

One server (default configuration, the data of bench/e2e_bench.py:
Fashion-MNIST or --synthetic N clustered points), ingested over gRPC,
flushed, its segment's HNSW graph (m 16, ef_construction 200) built. The
lowest ef_search reaching recall@10 >= --recall (0.95) over the first 300
queries is found with the Python client. Then, per round, the server's
threads are pinned (`taskset -a -p`) to CPU 0, then to CPUs 0-1 (the order
alternates between rounds), and `api_bench --connect` runs --clients gRPC
clients (own channel each, in one unpinned C++ process) for --seconds.
Reported per run: QPS, client-side p50 / p99, and the CPU the server and
the load generator used (cores busy = CPU seconds / wall seconds), so that
a reader sees how much of the two cores the clients took from the server.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_bench import (FMNIST, ProximaDBClient, clustered,  # noqa: E402
                       ground_truth, query_curve, read_idx, start_single,
                       stop_server)


def cpu_seconds(pid):
    """User + system CPU seconds of process `pid` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def pin(pid, cpus):
    subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], check=True,
                   stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--api-bench", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--recall", type=float, default=0.95)
    ap.add_argument("--synthetic", type=int, default=0)
    ap.add_argument("--dim", type=int, default=128)
    args = ap.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs two CPUs")

    if args.synthetic:
        data = clustered(args.synthetic + 1000, args.dim, 42)
        base, queries = data[:args.synthetic], data[args.synthetic:]
    else:
        base = read_idx(FMNIST + "train-images-idx3-ubyte.gz")
        queries = read_idx(FMNIST + "t10k-images-idx3-ubyte.gz", 1000)
    n, dim = base.shape
    gt = ground_truth(base, queries[:300])

    work = tempfile.mkdtemp(prefix="pdb-scaling-")
    p, rest, grpc = start_single(args.binary, work)
    try:
        c = ProximaDBClient(grpc, timeout=600)
        c.create_collection("bench", dim, "euclidean", m=16,
                            ef_construction=200, max_vector_count=n + 1,
                            max_wal_size_mb=4096)
        c.batch_insert("bench", base, ids=[str(i) for i in range(n)],
                       chunk_size=1000)
        c.flush("bench")
        while not all(s.graph_loaded for s in c.list_segments("bench")):
            time.sleep(0.05)
        c.close()
        curve = query_curve(grpc, queries[:300], gt, [16, 24, 32, 48, 64,
                                                      96, 128, 192, 256])
        ef = next((pt for pt in curve if pt["recall"] >= args.recall), None)
        if ef is None:
            sys.exit(f"no ef up to 256 reaches recall {args.recall}")
        print(f"ef_search {ef['ef']}: recall@10 {ef['recall']:.4f} "
              f"(300 queries), 1-client gRPC p50 {ef['p50_ms']:.3f} ms",
              flush=True)
        qfile = os.path.join(work, "queries.f32")
        np.ascontiguousarray(queries, dtype=np.float32).tofile(qfile)
        port = grpc.rsplit(":", 1)[1]

        runs = {"0": [], "0,1": []}
        for r in range(args.rounds):
            order = ["0", "0,1"] if r % 2 == 0 else ["0,1", "0"]
            for cpus in order:
                pin(p.pid, cpus)
                time.sleep(0.5)
                s0, t0 = cpu_seconds(p.pid), time.monotonic()
                out = subprocess.run(
                    [args.api_bench, "--connect", port, "--collection",
                     "bench", "--queries", qfile, "--dim", str(dim), "--ef",
                     str(ef["ef"]), "--clients", str(args.clients),
                     "--seconds", str(args.seconds)],
                    check=True, capture_output=True, text=True)
                wall = time.monotonic() - t0
                one = json.loads(out.stdout.strip().splitlines()[-1])
                one["server_cores"] = (cpu_seconds(p.pid) - s0) / wall
                one["client_cores"] = one["client_cpu_s"] / one["seconds"]
                one["load"] = os.getloadavg()[0]
                runs[cpus].append(one)
                print(f"round {r + 1} server on CPU {cpus}: "
                      f"{one['qps']:.0f} QPS, p50 {one['p50_ms']:.3f} ms, "
                      f"p99 {one['p99_ms']:.3f} ms, server "
                      f"{one['server_cores']:.2f} cores, clients "
                      f"{one['client_cores']:.2f} cores, load "
                      f"{one['load']:.2f}", flush=True)
    finally:
        stop_server(p)
        shutil.rmtree(work, ignore_errors=True)

    def med(cpus, key):
        return statistics.median(x[key] for x in runs[cpus])

    one, two = med("0", "qps"), med("0,1", "qps")
    summary = {
        "n": n, "dim": dim, "ef": ef["ef"], "recall": ef["recall"],
        "clients": args.clients,
        "one_core": {k: med("0", k) for k in
                     ("qps", "p50_ms", "p99_ms", "server_cores",
                      "client_cores")},
        "two_cores": {k: med("0,1", k) for k in
                      ("qps", "p50_ms", "p99_ms", "server_cores",
                       "client_cores")},
        "qps_ratio": two / one,
        # QPS per core the server was busy: whether a query costs the
        # server more CPU on two cores (contention) or the same.
        "per_server_core_ratio": (two / med("0,1", "server_cores")) /
                                 (one / med("0", "server_cores")),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
