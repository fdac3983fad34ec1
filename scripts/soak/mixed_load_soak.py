#!/usr/bin/python3
"""Mixed-load soak of the real server (not part of CI).

Starts proximadb-server on a fresh data directory, creates an HNSW
collection with a payload index, and drives it for --minutes with client
threads: batch upserts over a fixed id universe (so the live set stays
bounded and flushes, compactions and graph builds run all along), metadata
updates, deletes, plain and filtered searches, counts and scrolls. Every
minute it records the server's resident memory (anonymous and file-backed,
from /proc), request counts, errors and p50/p99 latency per operation, and
the collection's points and segments. Expected: zero errors, and anonymous
RSS flat once the live set has reached its size.

  scripts/soak/mixed_load_soak.py --binary build/src/server/proximadb-server \
      --minutes 60 --out soak.md

The table is printed as it goes and written to --out (Markdown). Exit status
1 when any request failed or the server died.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from typing import Dict, List, Tuple

DIM = 128
UNIVERSE = 200_000
BATCH = 200
READY = re.compile(rb"proximadb-server ready rest_port=(\d+)")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat: Dict[str, List[float]] = defaultdict(list)
        self.errors: Dict[str, int] = defaultdict(int)
        self.last_error = ""

    def add(self, op: str, seconds: float, ok: bool, detail: str = ""):
        with self.lock:
            self.lat[op].append(seconds)
            if not ok:
                self.errors[op] += 1
                self.last_error = f"{op}: {detail}"[:300]

    def take(self):
        with self.lock:
            lat, err, last = self.lat, self.errors, self.last_error
            self.lat, self.errors = defaultdict(list), defaultdict(int)
            return lat, err, last


def pct(xs: List[float], p: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def proc_mem(pid: int) -> Tuple[int, int]:
    anon = file_ = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1])
            elif line.startswith("RssFile:"):
                file_ = int(line.split()[1])
    return anon // 1024, file_ // 1024


class Client:
    def __init__(self, port: int, stats: Stats):
        self.port, self.stats = port, stats
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, op: str, method: str, path: str, body=None, ok=(200, 201)):
        data = None if body is None else json.dumps(body)
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body=data,
                              headers={"Content-Type": "application/json"})
            r = self.conn.getresponse()
            raw = r.read()
            good = r.status in ok
            self.stats.add(op, time.perf_counter() - t0, good,
                           f"{r.status} {raw[:200]!r}")
            return r.status, raw
        except (OSError, http.client.HTTPException) as e:
            self.stats.add(op, time.perf_counter() - t0, False, repr(e))
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, b""


def vectors(rng: random.Random, pool: List[List[float]], n: int) -> List[List[float]]:
    return [pool[rng.randrange(len(pool))] for _ in range(n)]


def worker(kind: str, port: int, stats: Stats, stop: threading.Event, seed: int,
           pool: List[List[float]]):
    rng = random.Random(seed)
    c = Client(port, stats)
    base = "/api/v1/collections/soak"
    while not stop.is_set():
        if kind == "write":
            r = rng.random()
            if r < 0.7:
                pts = [{"id": f"p{rng.randrange(UNIVERSE)}", "vector": v,
                        "metadata": {"tenant": f"t{rng.randrange(20)}",
                                     "n": rng.randrange(1000)}}
                       for v in vectors(rng, pool, BATCH)]
                c.call("upsert_batch", "POST", base + "/vectors/batch", {"vectors": pts})
            elif r < 0.9:
                c.call("patch", "PATCH", f"{base}/vectors/p{rng.randrange(UNIVERSE)}",
                       {"metadata": {"tenant": f"t{rng.randrange(20)}", "patched": True}},
                       ok=(200, 404))
            else:
                ids = [f"p{rng.randrange(UNIVERSE)}" for _ in range(20)]
                c.call("delete", "DELETE", base + "/vectors", {"ids": ids})
        else:
            r = rng.random()
            q = pool[rng.randrange(len(pool))]
            if r < 0.5:
                c.call("search", "POST", base + "/search", {"vector": q, "k": 10})
            elif r < 0.85:
                c.call("search_filtered", "POST", base + "/search",
                       {"vector": q, "k": 10,
                        "filter": {"tenant": f"t{rng.randrange(20)}"}})
            elif r < 0.95:
                c.call("count", "POST", base + "/count",
                       {"filter": {"n": {"$lt": rng.randrange(1000)}}})
            else:
                c.call("scroll", "POST", base + "/scroll",
                       {"limit": 100, "after_id": f"p{rng.randrange(UNIVERSE)}"})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="build/src/server/proximadb-server")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--out", default="")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds per row")
    args = ap.parse_args()

    root = tempfile.mkdtemp(prefix="pdb-soak-")
    log_path = os.path.join(root, "server.log")
    env = dict(os.environ, PROXIMADB_MONITORING__ACCESS_LOG="false",
               PROXIMADB_FLUSH__MAX_VECTOR_COUNT="50000")
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        [os.path.abspath(args.binary), "--data-dir", os.path.join(root, "data"),
         "--rest-port", "0", "--grpc-port", "0", "--bind", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=log, env=env)
    m = READY.search(proc.stdout.readline())
    if not m:
        print("server did not start; log:", log_path)
        return 1
    port = int(m.group(1))
    stats = Stats()
    admin = Client(port, stats)
    admin.call("setup", "POST", "/api/v1/collections",
               {"name": "soak", "dimension": DIM, "distance_metric": "cosine",
                "indexing_algorithm": "hnsw"})
    admin.call("setup", "POST", "/api/v1/collections/soak/index/payload",
               {"field": "tenant", "type": "keyword"})
    rng = random.Random(42)
    pool = [[rng.gauss(0, 1) for _ in range(DIM)] for _ in range(2000)]

    stop = threading.Event()
    threads = [threading.Thread(target=worker, daemon=True,
                                args=("write", port, stats, stop, 100 + i, pool))
               for i in range(args.writers)]
    threads += [threading.Thread(target=worker, daemon=True,
                                 args=("read", port, stats, stop, 200 + i, pool))
                for i in range(args.readers)]
    for t in threads:
        t.start()

    ops = ["upsert_batch", "patch", "delete", "search", "search_filtered", "count", "scroll"]
    header = ("| min | rss anon MiB | rss file MiB | points | segments | requests | errors | "
              + " | ".join(f"{o} p50/p99 ms" for o in ops) + " |")
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    print(header, flush=True)
    total_errors, total_requests, last_error = 0, 0, ""
    started = time.time()
    minute = 0
    try:
        while time.time() - started < args.minutes * 60:
            time.sleep(args.interval)
            minute += 1
            if proc.poll() is not None:
                print("server died; log:", log_path)
                return 1
            lat, err, last = stats.take()
            last_error = last or last_error
            anon, file_ = proc_mem(proc.pid)
            st, raw = Client(port, Stats()).call("info", "GET", "/api/v1/collections/soak")
            info = json.loads(raw) if st == 200 else {}
            n_req = sum(len(v) for v in lat.values())
            n_err = sum(err.values())
            total_requests += n_req
            total_errors += n_err
            cells = [f"{pct(lat[o], .5) * 1e3:.1f}/{pct(lat[o], .99) * 1e3:.1f}" for o in ops]
            row = (f"| {minute * args.interval / 60:g} | {anon} | {file_} | "
                   f"{info.get('point_count', '?')} | {info.get('segment_count', '?')} | "
                   f"{n_req} | {n_err} | " + " | ".join(cells) + " |")
            rows.append(row)
            print(row, flush=True)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        summary = (f"soak: {args.minutes:g} min, {total_requests} requests, "
                   f"{total_errors} errors, server exit {proc.returncode}"
                   + (f"; last error: {last_error}" if last_error else ""))
        rows.append("")
        rows.append(summary)
        print(summary)
        if args.out:
            with open(args.out, "w") as f:
                f.write("\n".join(rows) + "\n")
        shutil.rmtree(root, ignore_errors=True)
    return 0 if total_errors == 0 and proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
