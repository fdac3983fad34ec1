#!/usr/bin/python3
"""The memory budget under ingest (docs/OPERATIONS.md, "Memory budget";
BENCHMARKS.md, "Memory budget"): one server with [storage] memory_limit_mb
= B, one collection whose policy never flushes, and three times B of
vectors written over gRPC as fast as one client can; every 0.5 s the
server's RssAnon and RssFile (from /proc) and what the budget counts (from
/metrics) are sampled. Prints the samples as a table, then the peaks and how
many writes the budget refused (the client retries them).

  /usr/bin/python3 bench/memory_budget_bench.py \\
      --binary build/src/server/proximadb-server --budgets 64,256
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402

READY = re.compile(r"proximadb-server ready rest_port=(\d+) grpc_port=(\d+)")
PARTS = ("memtables", "graphs", "payload_indexes", "unpacked_segments")


def status_mib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def start(binary, data, budget_mb):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMADB_")}
    env.update({"PROXIMADB_STORAGE__MEMORY_LIMIT_MB": str(budget_mb),
                "PROXIMADB_MONITORING__ACCESS_LOG": "false"})
    p = subprocess.Popen([binary, "--data-dir", data, "--rest-port", "0", "--grpc-port", "0",
                          "--bind", "127.0.0.1"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        m = READY.search(line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, int(m.group(1)), int(m.group(2))
    raise RuntimeError("the server did not become ready")


def run(binary, budget_mb, dim, index):
    work = tempfile.mkdtemp(prefix="pdb-membench-")
    p, rest, grpc = start(binary, os.path.join(work, "data"), budget_mb)
    base = f"http://127.0.0.1:{rest}"
    samples, stop = [], threading.Event()
    t0 = time.perf_counter()

    def sample():
        while not stop.is_set():
            with urllib.request.urlopen(base + "/metrics") as r:
                text = r.read().decode()
            counted = sum(float(m.group(1)) for m in re.finditer(
                r'^proximadb_memory_accounted_bytes\{component="\w+"\} (\S+)$', text, re.M))
            refused = sum(float(m.group(1)) for m in re.finditer(
                r'^proximadb_requests_total\{protocol="grpc",operation="\w+",'
                r'code="unavailable"\} (\S+)$', text, re.M))
            samples.append((time.perf_counter() - t0, status_mib(p.pid, "RssAnon"),
                            status_mib(p.pid, "RssFile"), counted / 2**20, refused))
            time.sleep(0.5)

    c = ProximaDBClient(f"grpc://127.0.0.1:{grpc}", max_retries=1000, retry_backoff=0.02)
    c.create_collection(name="m", dimension=dim, distance_metric="euclidean",
                        indexing_algorithm=index, enable_background_flush=False)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    per_point = dim * 4 + 40
    n = 3 * budget_mb * 2**20 // per_point
    rng = np.random.default_rng(7)
    for lo in range(0, n, 20000):
        hi = min(n, lo + 20000)
        x = rng.standard_normal((hi - lo, dim), dtype=np.float32)
        c.batch_insert("m", x, [f"p{i}" for i in range(lo, hi)],
                       [{"i": i} for i in range(lo, hi)], chunk_size=500)
    ingest_s = time.perf_counter() - t0
    time.sleep(10)  # the graph builds the flushes scheduled finish
    stop.set()
    sampler.join()
    count = c.count("m")
    c.close()
    p.terminate()
    p.wait()
    shutil.rmtree(work, ignore_errors=True)
    return n, count, ingest_s, samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--budgets", default="64,256", help="MiB")
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--index", default="hnsw")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    print(f"# load {os.getloadavg()[0]:.2f}; dim {args.dim}, index {args.index}")
    for budget in [int(b) for b in args.budgets.split(",")]:
        n, count, secs, samples = run(binary, budget, args.dim, args.index)
        print(f"\n## budget {budget} MiB: {n} points ({3 * budget} MiB) in {secs:.1f} s, "
              f"{count} counted after")
        print("| t s | RssAnon MiB | RssFile MiB | counted MiB | refused (cumulative) |")
        print("|---:|---:|---:|---:|---:|")
        step = max(1, len(samples) // 20)
        for t, anon, file_, counted, refused in samples[::step]:
            print(f"| {t:.1f} | {anon:.0f} | {file_:.0f} | {counted:.1f} | {refused:.0f} |")
        print(f"peak RssAnon {max(s[1] for s in samples):.0f} MiB, peak counted "
              f"{max(s[3] for s in samples):.1f} MiB, refused {samples[-1][4]:.0f} writes")
    print(f"# load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
