#!/usr/bin/env python3
"""Faults in a loop against a real ProximaDB cluster (docs/CLUSTER.md,
"Fault harness"). A long run, not part of scripts/test.sh.

    scripts/cluster-fault-loop.py --binary build/src/server/proximadb-server \
        [--iterations 100] [--nodes 3] [--shards 3] [--replication 3] \
        [--faults kill,stop,restart] [--dir DIR] [--pause-ms MS] \
        [--writers 3] [--snapshot-interval E] [--retain E] \
        [--check-windows W] \
        [--netns --faults kill,stop,restart,partition]

Starts a cluster with scripts/start-cluster.sh, creates one collection, and
keeps writers busy (3 concurrent clients): batches of 20 new points (ids
spread over every shard) sent to a random live node, each acknowledged or
not. Each iteration injects
one fault into the primary of one shard (shards in turn):

  kill     SIGKILL; started again once writes flow again
  stop     SIGSTOP for lease TTL + 3 s (the node is cut off: its lease
           lapses and its primaries move), then SIGCONT: the node finds its
           lease lost, rejoins and catches up
  restart  SIGTERM (a clean stop) and start again
  partition  (with --netns: root, every node in a network namespace of
           its own, scripts/start-cluster.sh --netns) the node's link is
           cut for lease TTL + 3 s, then restored: a network partition of
           one node. Meanwhile a client inside the node's namespace (the
           minority side) sends it a write at once and another after the
           lease TTL: each must be refused (never acknowledged); the
           answers are reported

and measures, from the fault: the time to the first acknowledged batch (a
batch needs every shard's primary: the write outage) and, once the node is
back, the time until every replica reports lag 0 (catch-up). After each
iteration the checker reads every id through every node (strong reads):
every acknowledged point must be there on every node, and nothing may be
there that was never sent. With --check-windows W (long runs, whose data
grows to millions of points) it reads W windows of 1000 consecutive ids
from random places instead, plus every node's count (between the
acknowledged and the sent), and every id after every 10th and the last
iteration. Prints one line per iteration and a summary
(median and max); exits 1 at the first violation, leaving the cluster's
directory (logs) in place. --snapshot-interval / --retain set the nodes'
shard snapshot interval and stream tail (docs/CLUSTER.md, "Snapshots and
stream retention"); small values make returning nodes restore snapshots.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from cluster_http import (add_snapshot_options, all_ids, call,  # noqa: E402
                          poll_cluster, replicas_caught_up, run_script,
                          snapshot_options, succeeded, wait_exited)

DIM = 8
LEASE_TTL_S = 3  # the nodes' [cluster] lease_ttl_seconds (the default)


class Writer(threading.Thread):
    """Writes batches of new points from `workers` concurrent clients;
    remembers what was acknowledged and what was sent without an answer
    (may or may not be stored). Several clients, because one that sent a
    batch to a node just before the node was paused waits for that batch
    until its timeout (15 s), as any client of a paused server would; the
    others go on, and the outage is measured by them."""

    def __init__(self, nodes, pause_s=0.0, workers=3):
        super().__init__(daemon=True)
        self.workers = workers
        self.pause_s = pause_s  # between batches: a long run's data stays small
        self.nodes = nodes  # id -> rest url; entries removed while down
        self.lock = threading.Lock()
        self.acked = set()
        self.unknown = set()
        self.acks = []  # (sent, acknowledged) monotonic times per batch
        self.next = 0
        self.stop = False

    def run(self):
        ts = [threading.Thread(target=self.work, args=(random.Random(11 + w),),
                               daemon=True) for w in range(self.workers)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    def work(self, rng):
        while not self.stop:
            # The node is chosen and the send time taken under the lock the
            # fault takes to remove its victim: a batch "sent after the
            # fault" never goes to the victim itself (it would hang on a
            # stopped node for the whole client timeout and count as outage).
            with self.lock:
                live = [u for u in self.nodes.values() if u]
                if live:
                    target = rng.choice(live)
                    ids = [f"w{self.next + i}" for i in range(20)]
                    self.next += 20
                    sent = time.monotonic()
            if not live:
                time.sleep(0.05)
                continue
            body = {"vectors": [{"id": i, "vector": [rng.uniform(-1, 1)
                                                     for _ in range(DIM)]}
                                for i in ids]}
            status, _ = call(target, "POST",
                             "/api/v1/collections/faults/vectors/batch", body)
            with self.lock:
                if 200 <= status < 300:
                    self.acked.update(ids)
                    self.acks.append((sent, time.monotonic()))
                else:
                    self.unknown.update(ids)
            if status >= 300 or status == 0:
                time.sleep(0.05)
            elif self.pause_s:
                time.sleep(self.pause_s)


def probe_minority(cdir, victim, url, writer, t0, out):
    """From inside the cut-off node's namespace, sends it a write at once
    and another after its lease expired; records (seconds after the cut,
    HTTP status or 0, message). The ids count as sent with an unknown
    outcome unless acknowledged (which the caller reports as a violation)."""
    ns = run_script("start-cluster.sh", "--dir", cdir, "--ns",
                    victim[1:]).strip()
    for wait in (0.2, LEASE_TTL_S + 1.0):
        time.sleep(max(0.0, wait - (time.monotonic() - t0)))
        with writer.lock:
            ids = [f"w{writer.next + i}" for i in range(5)]
            writer.next += 5
        body = json.dumps({"vectors": [{"id": i, "vector": [0.5] * DIM}
                                       for i in ids]})
        sent = time.monotonic() - t0
        r = subprocess.run(
            ["ip", "netns", "exec", ns, "curl", "-s", "-m", "20", "-X", "POST",
             "-H", "Content-Type: application/json", "-d", body, "-w",
             "\n%{http_code}", url + "/api/v1/collections/faults/vectors/batch"],
            capture_output=True, text=True)
        lines = r.stdout.rsplit("\n", 1)
        status = int(lines[-1]) if lines[-1].isdigit() else 0
        msg = lines[0] if len(lines) > 1 else r.stderr.strip()
        with writer.lock:
            if 200 <= status < 300:
                writer.acked.update(ids)
            else:
                writer.unknown.update(ids)
        out.append((sent, status, msg))


def strong_count(base):
    """The collection's point count through node `base` (strong: a count
    reads replicas that applied every write acknowledged before it)."""
    status, body = call(base, "POST", "/api/v1/collections/faults/count", {},
                        timeout=60)
    if status != 200:
        raise RuntimeError(f"count on {base}: {status} {body}")
    return body["count"]


def sampled_ids(base, acked, windows, rng):
    """`windows` pages of 1000 ids scrolled (strong) from random places of
    the id order through node `base`: (the ids seen, the acknowledged ids
    that fall inside the windows read, which must all be among them)."""
    have, expect = set(), set()
    pool = sorted(acked)
    for _ in range(windows):
        after = rng.choice(pool) if pool else ""
        status, page = call(base, "POST",
                            "/api/v1/collections/faults/scroll",
                            {"after_id": after, "limit": 1000,
                             "consistency": "strong"}, timeout=60)
        if status != 200:
            raise RuntimeError(f"scroll on {base}: {status} {page}")
        ids = [p["id"] for p in page["points"]]
        have.update(ids)
        # The window is (after, last id returned], or everything after
        # `after` when the page ended the collection.
        last = ids[-1] if page.get("next_after_id") else None
        expect.update(i for i in pool
                      if i > after and (last is None or i <= last))
    return have, expect


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--replication", type=int, default=3)
    ap.add_argument("--faults", default="kill,stop,restart")
    ap.add_argument("--dir", default="")
    ap.add_argument("--pause-ms", type=int, default=0,
                    help="each writer's pause between batches (a 100-iteration "
                    "run at full speed writes millions of points)")
    ap.add_argument("--writers", type=int, default=3,
                    help="concurrent writing clients")
    ap.add_argument("--netns", action="store_true",
                    help="each node in a network namespace of its own "
                    "(root; needed by the partition fault)")
    ap.add_argument("--check-windows", type=int, default=0,
                    help="sampled checker: after each fault read W windows "
                    "of 1000 ids from random places and every node's count, "
                    "and every id only every 10th and the last iteration "
                    "(0: every id after every fault)")
    add_snapshot_options(ap)
    a = ap.parse_args()
    faults = a.faults.split(",")
    if "partition" in faults and not a.netns:
        ap.error("the partition fault needs --netns")
    cdir = a.dir or os.path.join(tempfile.mkdtemp(prefix="pdb-faults-"), "c")
    out = run_script("start-cluster.sh", "--dir", cdir, "--nodes", str(a.nodes),
                 "--shards", str(a.shards), "--replication",
                 str(a.replication), *snapshot_options(a),
                 "--binary", a.binary, *(["--netns"] if a.netns else []))
    pids, urls = {}, {}
    for line in out.splitlines():
        p = line.split()
        if p and p[0] == "node":
            pids[p[1]], urls[p[1]] = int(p[4]), p[2]
    first = next(iter(urls.values()))
    status, body = call(first, "POST", "/api/v1/collections",
                        {"name": "faults", "dimension": DIM,
                         "distance_metric": "euclidean"}, timeout=60)
    if not succeeded(status):
        raise RuntimeError(f"create: {status} {body}")
    writer = Writer(dict(urls), a.pause_ms / 1000.0, a.writers)
    writer.start()
    rng = random.Random(5)
    outages, catchups = {f: [] for f in faults}, []
    minority = []  # (seconds after the cut, status, message) of each probe
    ok = True
    slow = []  # iterations whose outage passed twice the lease TTL
    checks = {"full": 0, "sampled": 0}
    try:
        time.sleep(2)
        for it in range(1, a.iterations + 1):
            fault = faults[(it - 1) % len(faults)]
            # The primary of some shard: its fault needs a failover.
            victim = rng.choice(sorted(urls))
            status, cl = call(urls[victim], "GET", "/api/v1/cluster")
            if status == 200 and cl["shards"]:
                shard = cl["shards"][(it - 1) % len(cl["shards"])]
                if shard["primary"] in urls:
                    victim = shard["primary"]
            with writer.lock:
                writer.nodes[victim] = None
            t0 = time.monotonic()
            at = time.strftime("%H:%M:%S", time.gmtime())  # for the logs
            if fault == "kill":
                os.kill(pids[victim], signal.SIGKILL)
            elif fault == "stop":
                os.kill(pids[victim], signal.SIGSTOP)
            elif fault == "partition":
                run_script("start-cluster.sh", "--dir", cdir, "--cut",
                           victim[1:])
                # From the moment the link is down: a batch sent while the
                # script was still cutting it may be acknowledged, and would
                # read as an outage of a few milliseconds.
                t0 = time.monotonic()
                probes = threading.Thread(
                    target=probe_minority,
                    args=(cdir, victim, urls[victim], writer, t0, minority),
                    daemon=True)
                probes.start()
            else:
                os.kill(pids[victim], signal.SIGTERM)
            # The outage: until a batch sent after the fault is acknowledged.
            def first_ack_after(t):
                with writer.lock:
                    later = [a for sent, a in writer.acks if sent > t]
                return min(later) if later else None
            while first_ack_after(t0) is None and time.monotonic() - t0 < 120:
                time.sleep(0.02)
            done = first_ack_after(t0)
            outage = None if done is None else done - t0
            if fault == "stop":
                time.sleep(max(0.0, LEASE_TTL_S + 3 - (time.monotonic() - t0)))
                os.kill(pids[victim], signal.SIGCONT)
            elif fault == "partition":
                time.sleep(max(0.0, LEASE_TTL_S + 3 - (time.monotonic() - t0)))
                probes.join(timeout=60)
                run_script("start-cluster.sh", "--dir", cdir, "--heal",
                           victim[1:])
            else:
                if fault == "restart":
                    # A clean stop may take a while under load; the next
                    # process would be refused while it holds the data
                    # directory (<data>/LOCK).
                    wait_exited(pids[victim], 60)
                    exit_s = time.monotonic() - t0
                    if exit_s > 5:
                        print(f"  note: {victim} took {exit_s:.1f} s to stop",
                              flush=True)
                line = run_script("start-cluster.sh", "--dir", cdir, "--node",
                              victim[1:], "--binary", a.binary).split()
                pids[victim] = int(line[4])
            t1 = time.monotonic()
            with writer.lock:
                writer.nodes[victim] = urls[victim]
            caught = poll_cluster(urls[victim], replicas_caught_up,
                                  120) is not None
            catchup = time.monotonic() - t1
            # The checker.
            with writer.lock:
                acked = set(writer.acked)
            problems = []
            if outage is None:
                problems.append("no write acknowledged within 120 s")
            if not caught:
                problems.append("not caught up within 120 s")
            full = (not a.check_windows or it % 10 == 0
                    or it == a.iterations)
            for n, u in sorted(urls.items()):
                if full:
                    have, lost_in = all_ids(u, "faults", limit=5000), acked
                else:
                    have, lost_in = sampled_ids(u, acked, a.check_windows,
                                                rng)
                with writer.lock:  # sent (or being sent) by now
                    sent_upto, unknown = writer.next, set(writer.unknown)
                lost = lost_in - have
                alien = {i for i in have
                         if not i.startswith("w") or int(i[1:]) >= sent_upto}
                if lost:
                    problems.append(f"{n} lacks {len(lost)} acknowledged "
                                    f"points, e.g. {sorted(lost)[:3]}")
                if alien:
                    problems.append(f"{n} has {len(alien)} points never sent")
                if not full:
                    count = strong_count(u)
                    with writer.lock:
                        sent_upto = writer.next
                    if not len(acked) <= count <= sent_upto:
                        problems.append(f"{n} counts {count} points: not "
                                        f"between the {len(acked)} "
                                        f"acknowledged and the {sent_upto} "
                                        f"sent")
            checks["full" if full else "sampled"] += 1
            if outage is not None:
                outages[fault].append(outage)
                if outage > 2 * LEASE_TTL_S:
                    slow.append(f"{it} ({fault} of {victim} at {at} UTC, "
                                f"{outage:.2f} s)")
            catchups.append(catchup)
            print(f"iteration {it}: {fault} {victim}: write outage "
                  f"{outage if outage is None else round(outage, 2)} s, "
                  f"catch-up {catchup:.2f} s, {len(acked)} acknowledged, "
                  f"{len(unknown)} unknown: "
                  f"{'OK' if not problems else '; '.join(problems)}",
                  flush=True)
            if fault == "partition":
                mine = minority[-2:]
                acked_minority = [m for m in mine if 200 <= m[1] < 300]
                if acked_minority:
                    problems.append(f"the cut-off node acknowledged a write: "
                                    f"{acked_minority}")
                print("  minority side: " + "; ".join(
                    f"+{t:.1f} s: {st or 'no answer'} {msg[:90]}"
                    for t, st, msg in mine), flush=True)
            if problems:
                ok = False
                break
    finally:
        writer.stop = True
        writer.join(timeout=30)
        for f, xs in outages.items():
            if xs:
                print(f"{f}: {len(xs)} faults, write outage median "
                      f"{statistics.median(xs):.2f} s, max {max(xs):.2f} s")
        if catchups:
            print(f"catch-up: median {statistics.median(catchups):.2f} s, "
                  f"max {max(catchups):.2f} s")
        if minority:
            refused = [m for m in minority if m[1] == 503]
            print(f"minority side: {len(minority)} writes sent to cut-off "
                  f"nodes, {len(refused)} refused with 503, "
                  f"{len([m for m in minority if m[1] == 0])} unanswered, "
                  f"{len([m for m in minority if 200 <= m[1] < 300])} "
                  f"acknowledged")
        print(f"checks: {checks['full']} of every id, {checks['sampled']} "
              f"sampled")
        if slow:
            print("outages over twice the lease TTL:", ", ".join(slow))
        if ok and not slow:
            run_script("stop-cluster.sh", "--dir", cdir)
        else:
            run_script("stop-cluster.sh", "--dir", cdir, "--keep")
            print("cluster directory (logs) kept in", cdir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
