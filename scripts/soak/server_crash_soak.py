#!/usr/bin/python3
"""kill -9 soak of the real server under mixed REST load.

Each iteration starts proximadb-server on a data directory that lives for the
whole run, drives it from several client threads with upsert batches
(new points and overwrites), metadata updates (PATCH), deletes by id,
deletes by filter, flushes and compactions, and kills it with SIGKILL at a
random moment — sometimes while it is still recovering from the previous
kill. Every thread owns its own ids, so the order of its operations is
known; after each kill the server is restarted and every point is checked
against a model of the acknowledged operations: each acknowledged write is
there exactly (vector and metadata), each acknowledged delete holds, nothing
else exists, and an operation in flight at the kill is all-or-nothing
(a delete by filter is several batches inside the server: each of its points
is deleted or untouched).

  scripts/soak/server_crash_soak.py --binary build/src/server/proximadb-server \
      --iterations 300 [--seed 1] [--threads 4] [--keep]

Exit status 0 when every iteration verified; the last line is a summary.
Only the Python standard library is used.
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
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional, Tuple

DIM = 4
IDS_PER_THREAD = 60
GROUPS = 6
READY = re.compile(rb"proximadb-server ready rest_port=(\d+)")


class Server:
    def __init__(self, binary: str, data_dir: str, log_path: str):
        self.binary, self.data_dir, self.log_path = binary, data_dir, log_path
        self.proc: Optional[subprocess.Popen] = None
        self.port = 0

    def start(self, wait: bool = True) -> bool:
        env = dict(os.environ)
        env.update({
            "PROXIMADB_FLUSH__MAX_VECTOR_COUNT": "150",  # flush often
            "PROXIMADB_MONITORING__ACCESS_LOG": "false",
        })
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--data-dir", self.data_dir, "--rest-port", "0",
             "--grpc-port", "0", "--bind", "127.0.0.1"],
            stdout=subprocess.PIPE, stderr=log, env=env)
        log.close()
        if not wait:
            return True
        line = self.proc.stdout.readline()
        m = READY.search(line)
        if not m:
            self.proc.wait()
            return False
        self.port = int(m.group(1))
        # Then every collection recovered (the server answers meanwhile, a
        # collection still recovering with 503).
        line = self.proc.stdout.readline()
        if not line.startswith(b"proximadb-server recovered"):
            self.proc.wait()
            return False
        return True

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()
            self.proc.stdout.close()
        self.proc = None


class Conn:
    def __init__(self, port: int):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body=None) -> Tuple[int, dict]:
        data = None if body is None else json.dumps(body)
        self.c.request(method, path, body=data,
                       headers={"Content-Type": "application/json"})
        r = self.c.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else {})

    def close(self):
        self.c.close()


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def pid_of(t: int, i: int) -> str:
    return f"t{t}-{i}"


def vector_of(n: int, i: int) -> List[float]:
    # Multiples of 1/256: exact in float32 and in JSON.
    rng = random.Random(n * 1009 + i)
    return [rng.randint(-512, 512) / 256.0 for _ in range(DIM)]


class Model:
    """id -> (vector, metadata) of live points."""

    def __init__(self):
        self.points: Dict[str, Tuple[List[float], dict]] = {}


def op_at(t: int, n: int) -> dict:
    """Thread t's operation number n: a pure function of (t, n)."""
    rng = random.Random(t * 1_000_003 + n)
    r = rng.randrange(100)
    if n % 53 == 52:
        return {"kind": "compact"}
    if n % 29 == 28:
        return {"kind": "flush"}
    if r < 40:
        ids = sorted(rng.sample(range(IDS_PER_THREAD), rng.randint(1, 12)))
        return {"kind": "upsert", "ids": ids}
    if r < 55:
        return {"kind": "delete", "ids": sorted(rng.sample(range(IDS_PER_THREAD), 3))}
    if r < 93:
        return {"kind": "patch", "ids": [rng.randrange(IDS_PER_THREAD)]}
    return {"kind": "delete_where", "group": rng.randrange(GROUPS)}


def upsert_meta(t: int, n: int, i: int) -> dict:
    return {"t": t, "g": (n + i) % GROUPS, "n": n}


def patch_meta(t: int, n: int, i: int) -> dict:
    return {"t": t, "g": (n * 7 + i) % GROUPS, "u": n, "tags": ["x", n % 5]}


def apply(model: Model, t: int, n: int) -> List[str]:
    """Applies acknowledged op n of thread t; returns the ids it touches."""
    op = op_at(t, n)
    k = op["kind"]
    if k == "upsert":
        for i in op["ids"]:
            model.points[pid_of(t, i)] = (vector_of(n, i), upsert_meta(t, n, i))
        return [pid_of(t, i) for i in op["ids"]]
    if k == "delete":
        for i in op["ids"]:
            model.points.pop(pid_of(t, i), None)
        return [pid_of(t, i) for i in op["ids"]]
    if k == "patch":
        pid = pid_of(t, op["ids"][0])
        if pid in model.points:
            model.points[pid] = (model.points[pid][0], patch_meta(t, n, op["ids"][0]))
        return [pid]
    if k == "delete_where":
        ids = [p for p, (_, m) in model.points.items()
               if m.get("t") == t and m.get("g") == op["group"]]
        for p in ids:
            del model.points[p]
        return ids
    return []


def run_op(conn: Conn, t: int, n: int) -> bool:
    """True when the server acknowledged op n (a patch of a missing point,
    404, counts as acknowledged: it changes nothing)."""
    op = op_at(t, n)
    k = op["kind"]
    base = "/api/v1/collections/soak"
    if k == "upsert":
        vecs = [{"id": pid_of(t, i), "vector": vector_of(n, i),
                 "metadata": upsert_meta(t, n, i)} for i in op["ids"]]
        st, _ = conn.call("POST", base + "/vectors/batch", {"vectors": vecs})
        return st == 200 or st == 201
    if k == "delete":
        st, _ = conn.call("DELETE", base + "/vectors",
                          {"ids": [pid_of(t, i) for i in op["ids"]]})
        return st == 200
    if k == "patch":
        i = op["ids"][0]
        st, _ = conn.call("PATCH", f"{base}/vectors/{pid_of(t, i)}",
                          {"metadata": patch_meta(t, n, i)})
        return st in (200, 404)
    if k == "delete_where":
        st, _ = conn.call("DELETE", base + "/vectors",
                          {"filter": {"t": t, "g": op["group"]}})
        return st == 200
    st, _ = conn.call("POST", f"{base}/{k}", {})
    return st == 200


class Worker(threading.Thread):
    def __init__(self, t: int, port: int, first_op: int):
        super().__init__(daemon=True)
        self.t, self.port, self.next = t, port, first_op
        self.acked: List[int] = []
        self.inflight: Optional[int] = None
        self.unexpected: Optional[str] = None

    def run(self):
        try:
            conn = Conn(self.port)
        except OSError:
            return
        while True:
            n = self.next
            self.inflight = n
            try:
                ok = run_op(conn, self.t, n)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server died: op n stays in flight
            if not ok:
                self.unexpected = f"thread {self.t} op {n} ({op_at(self.t, n)}) refused"
                return
            self.acked.append(n)
            self.inflight = None
            self.next = n + 1


def read_all(conn: Conn) -> Dict[str, Tuple[List[float], dict]]:
    out: Dict[str, Tuple[List[float], dict]] = {}
    after = None
    while True:
        body = {"limit": 1000, "include_vector": True}
        if after:
            body["after_id"] = after
        st, page = conn.call("POST", "/api/v1/collections/soak/scroll", body)
        if st != 200:
            raise RuntimeError(f"scroll: {st} {page}")
        for p in page["points"]:
            if p["id"] in out:
                raise RuntimeError(f"duplicate {p['id']} in scroll")
            # The server prints the shortest text that reads back as the
            # same float32; compare as float32.
            out[p["id"]] = ([f32(x) for x in p["vector"]], p["metadata"])
        after = page.get("next_after_id")
        if not after:
            return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="build/src/server/proximadb-server")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    root = tempfile.mkdtemp(prefix="pdb-crash-soak-")
    data, log = os.path.join(root, "data"), os.path.join(root, "server.log")
    server = Server(os.path.abspath(args.binary), data, log)
    models = [Model() for _ in range(args.threads)]
    next_op = [0] * args.threads
    acked_total = 0
    kills_in_recovery = 0
    started = time.time()
    try:
        if not server.start():
            print("server did not start; log:", log)
            return 1
        st, _ = Conn(server.port).call(
            "POST", "/api/v1/collections",
            {"name": "soak", "dimension": DIM, "distance_metric": "euclidean"})
        if st != 201:
            print("create collection:", st)
            return 1
        for it in range(args.iterations):
            if it % 10 == 9:
                # A kill during recovery: restart, kill before it is ready.
                server.kill()
                server.start(wait=False)
                time.sleep(rng.uniform(0.0, 0.15))
                server.kill()
                kills_in_recovery += 1
                if not server.start():
                    print(f"iteration {it}: restart after a kill in recovery failed; log: {log}")
                    return 1
            workers = [Worker(t, server.port, next_op[t]) for t in range(args.threads)]
            for w in workers:
                w.start()
            time.sleep(rng.uniform(0.05, 1.5))
            server.kill()
            for w in workers:
                w.join(timeout=60)
            for w in workers:
                if w.unexpected:
                    print(f"iteration {it}: {w.unexpected}; log: {log}")
                    return 1
            if not server.start():
                print(f"iteration {it}: restart failed; log: {log}")
                return 1
            state = read_all(Conn(server.port))
            for t, w in enumerate(workers):
                model = models[t]
                for n in w.acked:
                    apply(model, t, n)
                acked_total += len(w.acked)
                next_op[t] = w.next
                if w.inflight is not None:
                    n = w.inflight
                    after = Model()
                    after.points = dict(model.points)
                    touched = apply(after, t, n)
                    only_b = only_a = 0
                    for p in touched:
                        now, b, a = state.get(p), model.points.get(p), after.points.get(p)
                        if now != a and now != b:
                            print(f"iteration {it}: in-flight op {n} of thread {t}: "
                                  f"{p} is {now}, expected {b} or {a}; log: {log}")
                            return 1
                        if a != b:
                            if now == a:
                                only_a += 1
                            else:
                                only_b += 1
                    if op_at(t, n)["kind"] == "delete_where":
                        for p in touched:
                            if p not in state:
                                model.points.pop(p, None)
                    elif only_a and only_b:
                        print(f"iteration {it}: in-flight batch {n} of thread {t} "
                              f"partly applied; log: {log}")
                        return 1
                    elif only_a:
                        model.points = after.points
                    next_op[t] = n + 1
            want = {}
            for m in models:
                want.update(m.points)
            if state != want:
                lost = sorted(set(want) - set(state))
                extra = sorted(set(state) - set(want))
                wrong = sorted(p for p in set(want) & set(state) if want[p] != state[p])
                print(f"iteration {it}: lost {lost[:5]}, unexpected {extra[:5]}, "
                      f"wrong {[(p, state[p], want[p]) for p in wrong[:3]]}; log: {log}")
                return 1
        server.kill()
        print(f"crash soak: {args.iterations} kills ({kills_in_recovery} during recovery), "
              f"{acked_total} acknowledged operations verified, "
              f"{len(want)} points at the end, {time.time() - started:.0f} s, "
              f"seed {args.seed}: OK")
        return 0
    finally:
        server.kill()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
