#!/usr/bin/env python3
"""The live recall estimate against offline recall on Fashion-MNIST
(docs/BENCHMARKS.md, "Live recall estimate"). A benchmark, not a test.

    /usr/bin/python3 bench/recall_gauge_bench.py --binary build/src/server/proximadb-server \
        [--queries 2000] [--rate 0.25] [--ef 10,16,32,64,128]

Fashion-MNIST (Debian's dataset-fashion-mnist): the 60,000 training images
ingested over gRPC into one L2 collection with the default HNSW (m 16,
ef_construction 200) and flushed into one segment with its graph. Then for
each ef_search value, a fresh start of the server on that data (so the
estimate holds only that ef's samples) with [monitoring] recall_sample_rate
= --rate and recall_cpu_share = --cpu-share (default 1: the share sets how
fast samples accumulate, not what they measure; --rate 0 measures QPS with
the estimator off), --queries test images searched with
k 10 over gRPC, one at a time. Offline recall@10 of those answers against
numpy's brute-force ground truth, beside the server's estimate with its 95%
interval and sample count.

--overhead ROUNDS measures instead what the estimator costs: search QPS
(ef 64, --clients threads over gRPC) on fresh servers with it off and at
its defaults (rate 0.01, CPU share 0.05), alternating, ROUNDS of each.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proximadb import ProximaDBClient  # noqa: E402
from e2e_bench import FMNIST, read_idx  # noqa: E402 (same directory)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data, rate, share=1.0):
        self.rest, self.grpc = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMADB_")}
        env.update({"PROXIMADB_MONITORING__RECALL_SAMPLE_RATE": str(rate),
                    "PROXIMADB_MONITORING__RECALL_CPU_SHARE": str(share),
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
        self.proc.wait(timeout=120)
        self.log.close()


def wait_graphs(c, name):
    while True:
        segs = c.list_segments(name)
        if segs and all(s.graph_loaded for s in segs):
            return
        time.sleep(0.5)


def ground_truth(base, queries, k):
    norms = (base * base).sum(axis=1)
    out = np.empty((len(queries), k), dtype=np.int64)
    for s in range(0, len(queries), 500):
        q = queries[s:s + 500]
        d = norms[None, :] - 2.0 * q @ base.T
        part = np.argpartition(d, k, axis=1)[:, :k]
        order = np.take_along_axis(d, part, axis=1).argsort(axis=1)
        out[s:s + 500] = np.take_along_axis(part, order, axis=1)
    return out


def overhead(args, data, queries):
    """Search QPS with the estimator off (rate 0) and at its defaults,
    alternating fresh servers on the same data, --clients threads over gRPC,
    ef 64; prints every round and the medians."""
    import statistics
    import threading
    qps = {0.0: [], 0.01: []}
    for r in range(args.overhead):
        for rate in ([0.0, 0.01] if r % 2 == 0 else [0.01, 0.0]):
            srv = Server(args.binary, data, rate, 0.05)
            try:
                clients = [ProximaDBClient(f"grpc://127.0.0.1:{srv.grpc}")
                           for _ in range(args.clients)]
                wait_graphs(clients[0], "fm")
                for q in queries[:200]:  # warm the pages
                    clients[0].search("fm", q, k=10, ef_search=64, include_metadata=False)

                def run(c, part):
                    for q in part:
                        c.search("fm", q, k=10, ef_search=64, include_metadata=False)

                parts = [queries[i::args.clients] for i in range(args.clients)]
                threads = [threading.Thread(target=run, args=(c, p))
                           for c, p in zip(clients, parts)]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                q = len(queries) / (time.perf_counter() - t0)
                samples = ""
                if rate > 0:
                    est = clients[0].stats("fm").recall_estimate
                    samples = f", {est.samples_total} samples" if est else ", 0 samples"
                for c in clients:
                    c.close()
            finally:
                srv.stop()
            qps[rate].append(q)
            print(f"round {r} rate {rate}: {q:,.0f} QPS{samples}", flush=True)
    off, on = statistics.median(qps[0.0]), statistics.median(qps[0.01])
    print(f"| estimator | median QPS ({args.overhead} runs, {args.clients} clients, ef 64) |")
    print("|---|---:|")
    print(f"| off | {off:,.0f} |")
    print(f"| defaults (rate 0.01, share 0.05) | {on:,.0f} ({on / off - 1:+.1%}) |")
    print(f"# load {os.getloadavg()[0]:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=0.25)
    ap.add_argument("--ef", default="10,16,32,64,128")
    ap.add_argument("--cpu-share", type=float, default=1.0,
                    help="recall_cpu_share (1: samples accumulate fastest)")
    ap.add_argument("--overhead", type=int, default=0, metavar="ROUNDS",
                    help="instead: search QPS with the estimator off and at its "
                         "defaults (rate 0.01, share 0.05), alternating, ROUNDS each")
    ap.add_argument("--clients", type=int, default=2,
                    help="--overhead: client threads searching at once")
    args = ap.parse_args()
    base = read_idx(FMNIST + "train-images-idx3-ubyte.gz")
    queries = read_idx(FMNIST + "t10k-images-idx3-ubyte.gz", args.queries)
    truth = ground_truth(base, queries, 10)
    work = tempfile.mkdtemp(prefix="pdb-recall-gauge-")
    data = os.path.join(work, "data")
    try:
        srv = Server(args.binary, data, 0)
        with ProximaDBClient(f"grpc://127.0.0.1:{srv.grpc}") as c:
            c.create_collection(name="fm", dimension=784, distance_metric="euclidean")
            c.batch_insert("fm", base, [str(i) for i in range(len(base))])
            c.flush("fm")
            wait_graphs(c, "fm")
        srv.stop()
        if args.overhead:
            overhead(args, data, queries)
            return
        print("| ef_search | offline recall@10 | estimate | 95% interval | samples | QPS |")
        print("|---|---|---|---|---|---|")
        for ef in [int(x) for x in args.ef.split(",")]:
            srv = Server(args.binary, data, args.rate, args.cpu_share)
            try:
                with ProximaDBClient(f"grpc://127.0.0.1:{srv.grpc}") as c:
                    wait_graphs(c, "fm")
                    hits = 0
                    t0 = time.perf_counter()
                    for i, q in enumerate(queries):
                        got = c.search("fm", q, k=10, ef_search=ef,
                                       include_metadata=False)
                        hits += len({int(h.id) for h in got} & set(truth[i].tolist()))
                    qps = len(queries) / (time.perf_counter() - t0)
                    last = None
                    if args.rate == 0:
                        print(f"| {ef} | {hits / (10 * len(queries)):.4f} | off | | | "
                              f"{qps:,.0f} |", flush=True)
                        continue
                    while True:  # until the estimator is done
                        est = c.stats("fm").recall_estimate
                        seen = est and est.samples_total + est.dropped_total
                        if seen and seen == last:
                            break
                        last = seen
                        time.sleep(1.0)
                offline = hits / (10 * len(queries))
                print(f"| {ef} | {offline:.4f} | {est.recall:.4f} | "
                      f"{est.ci95[0]:.4f}–{est.ci95[1]:.4f} | {est.samples} "
                      f"(+{est.dropped_total} dropped) | {qps:,.0f} |", flush=True)
            finally:
                srv.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
