#!/usr/bin/env python3
"""Hybrid search on real text: recall and latency of dense-only, BM25-only
and fused (RRF, DBSF) queries (docs/BENCHMARKS.md, "Hybrid search"). A
benchmark, not a test: run it on a quiet machine.

    bench/hybrid_bench.py --binary build-bench/src/server/proximadb-server \
        [--docs 4000] [--queries 300] [--rounds 3]

Data: the machine's own manual pages from Debian packages
(/usr/share/man/man1/*.1.gz, sorted by name, without the Google Cloud
SDK's generated gcloud/bq/gsutil pages; the first --docs that have a NAME
line and at least 40 words), roff markup stripped. Each page is a point with metadata {"name", "body"} (body:
the page's words after its NAME section, at most 1,500); a `text` payload
index on "body".

Dense vectors: LSA, the classic dense text embedding that needs no model:
TF-IDF over the 8,000 most frequent words, truncated SVD to 128
dimensions (numpy), cosine. A query is folded into the same space.

Queries: --queries pages drawn with a fixed seed; the query is the page's
one-line description from its NAME section ("ls - list directory
contents" -> "list directory contents"), the page's own words, which the
indexed body does not contain (the NAME section is left out of it), so
every method must find the page from what the rest of it says. The
relevant answer is that page alone: recall@10 is the share of queries
whose page is among the 10 hits, MRR@10 the mean reciprocal rank.

Sparse vectors: each page's TF-IDF row itself (log tf x idf over the same
8,000 words, the non-zero entries) under the sparse vector "tfidf"; a
query's the same weights of its words. Searched exactly by dot product.

Runs, each over every query, one at a time over REST (Python client),
single client: dense (/search, ef 128), text (/query with one text
prefetch), sparse (/query with one sparse prefetch), rrf and dbsf (/query
with the dense and text prefetches, limit 50 each), and dense+sparse (RRF
of the dense and sparse prefetches). For each: recall@10, MRR@10, median
and p99 latency; medians over --rounds.
"""
import argparse
import gzip
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402
from cluster_bench import pct, start_single  # noqa: E402 (same directory)
from e2e_bench import stop_server  # noqa: E402

MAN = "/usr/share/man/man1"
WORD = re.compile(r"[a-z0-9]+")


def strip_roff(text):
    """The words of a man page's roff source, by section."""
    sections, current, name = {}, "", ""
    for line in text.splitlines():
        if line.startswith(".SH") or line.startswith(".Sh"):
            current = line[3:].strip().strip('"').upper()
            continue
        if line.startswith(".\\\"") or line.startswith("'\\\""):
            continue
        if line.startswith(".") or line.startswith("'"):
            parts = line.split(None, 1)
            line = parts[1] if len(parts) > 1 else ""
        line = re.sub(r"\\f[BIRP0-9]|\\f\(..|\\f\[[^]]*\]", "", line)
        line = line.replace("\\-", "-")
        line = re.sub(r"\\\(..|\\\[[^]]*\]|\\\*\(..|\\\*.|\\[&e|^0 ]", " ",
                      line)
        line = line.replace('"', " ")
        sections.setdefault(current, []).append(line)
    name = " ".join(sections.get("NAME", []))
    body = [ln for sec, lines in sections.items() if sec != "NAME"
            for ln in lines]
    return name, " ".join(body)


def load_pages(limit):
    docs = []
    for fn in sorted(os.listdir(MAN)):
        # Debian packages' pages only (the Google Cloud SDK installed here
        # brings 16,000 generated ones of its own).
        if not fn.endswith(".1.gz") or fn.startswith(("gcloud", "bq", "gsutil")):
            continue
        try:
            with gzip.open(os.path.join(MAN, fn), "rt", errors="replace") as f:
                raw = f.read()
        except OSError:
            continue
        if raw.startswith(".so "):
            continue  # a link to another page
        name, body = strip_roff(raw)
        if " - " not in name:
            continue
        # A description is a line; a few pages put a paragraph there.
        desc = " ".join(name.split(" - ", 1)[1].split()[:30])
        words = body.split()
        if len(words) < 40 or len(WORD.findall(desc.lower())) < 2:
            continue
        docs.append({"id": fn[:-5], "desc": desc,
                     "body": " ".join(words[:1500])})
        if len(docs) == limit:
            break
    return docs


def lsa(docs, dim, vocab_size=8000):
    """TF-IDF (log tf, idf) over the most frequent words, SVD to `dim`."""
    toks = [WORD.findall(d["body"].lower()) for d in docs]
    df = {}
    for t in toks:
        for w in set(t):
            df[w] = df.get(w, 0) + 1
    vocab = sorted(df, key=lambda w: (-df[w], w))[:vocab_size]
    index = {w: i for i, w in enumerate(vocab)}
    n = len(docs)
    idf = np.array([np.log(n / df[w]) for w in vocab], dtype=np.float32)
    m = np.zeros((n, len(vocab)), dtype=np.float32)
    for r, t in enumerate(toks):
        for w in t:
            i = index.get(w)
            if i is not None:
                m[r, i] += 1
    m = np.log1p(m) * idf
    sparse_rows = [to_sparse(row) for row in m]
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    proj = vt[:dim].T  # words -> dims

    def tfidf(text):
        v = np.zeros(len(vocab), dtype=np.float32)
        for w in WORD.findall(text.lower()):
            i = index.get(w)
            if i is not None:
                v[i] += 1
        return np.log1p(v) * idf

    def embed(text):
        e = tfidf(text) @ proj
        norm = np.linalg.norm(e)
        return e / norm if norm > 0 else e

    vecs = u[:, :dim] * s[:dim]
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return vecs.astype(np.float32), embed, sparse_rows, lambda t: to_sparse(tfidf(t))


def to_sparse(row):
    """The non-zero entries of a dense row as a sparse vector."""
    nz = np.nonzero(row)[0]
    return {"indices": [int(i) for i in nz], "values": [float(row[i]) for i in nz]}


def run(c, queries, qvecs, qsparse, method):
    lat, hits_at, rr = [], 0, 0.0
    for (want, text), qv, qs in zip(queries, qvecs, qsparse):
        sparse = {"sparse_vector": qs, "using": "tfidf", "limit": 50}
        if method == "sparse" and not qs["indices"]:
            continue  # none of the query's words is in the vocabulary: a miss
        t = time.perf_counter()
        if method == "sparse":
            res = c.query("man", [dict(sparse, limit=10)], limit=10,
                          include_metadata=False)
        elif method == "dense+sparse":
            pre = [{"vector": qv, "limit": 50, "ef_search": 128}]
            if qs["indices"]:
                pre.append(sparse)
            res = c.query("man", pre, limit=10, include_metadata=False)
        elif method == "dense":
            res = c.search("man", qv, k=10, ef_search=128,
                           include_metadata=False)
        elif method == "text":
            res = c.query("man", [{"text": text, "using": "body"}], limit=10,
                          include_metadata=False)
        else:
            res = c.query("man", [{"vector": qv, "limit": 50, "ef_search": 128},
                                  {"text": text, "using": "body", "limit": 50}],
                          fusion=method, limit=10, include_metadata=False)
        lat.append(time.perf_counter() - t)
        ids = res.ids
        if want in ids:
            hits_at += 1
            rr += 1.0 / (ids.index(want) + 1)
    n = len(queries)
    return hits_at / n, rr / n, statistics.median(lat) * 1e3, pct(lat, 99) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--docs", type=int, default=4000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dim", type=int, default=128)
    a = ap.parse_args()
    t0 = time.time()
    docs = load_pages(a.docs)
    vecs, embed, sparse_rows, sparse_of = lsa(docs, a.dim)
    rng = np.random.default_rng(16)
    picked = rng.choice(len(docs), size=min(a.queries, len(docs)),
                        replace=False)
    queries = [(docs[i]["id"], docs[i]["desc"]) for i in picked]
    qvecs = [embed(t) for _, t in queries]
    qsparse = [sparse_of(t) for _, t in queries]
    words = sum(len(d["body"].split()) for d in docs)
    print(f"{len(docs)} pages, {words} words, {len(queries)} queries; "
          f"LSA {a.dim}-d in {time.time() - t0:.0f} s", flush=True)

    work = tempfile.mkdtemp(prefix="pdb_hybrid_bench_")
    p, rest, _ = start_single(a.binary, work)
    try:
        c = ProximaDBClient(rest)
        c.create_collection("man", a.dim, distance_metric="cosine",
                            sparse_vectors=["tfidf"])
        c.create_payload_index("man", "body", "text")
        for s in range(0, len(docs), 500):
            part = docs[s:s + 500]
            c.upsert("man", [{"id": d["id"], "vector": vecs[s + j],
                              "metadata": {"name": d["id"], "body": d["body"]},
                              "sparse_vectors": {"tfidf": sparse_rows[s + j]}}
                             for j, d in enumerate(part)])
        c.flush("man")
        c.compact("man")
        for _ in range(60):  # the graph and the text index are built inline
            if c.stats("man").segment_count >= 1:
                break
            time.sleep(1)
        results = {m: [] for m in ("dense", "text", "sparse", "rrf", "dbsf",
                                   "dense+sparse")}
        for _ in range(a.rounds):
            for m in results:
                results[m].append(run(c, queries, qvecs, qsparse, m))
        print("| method | recall@10 | MRR@10 | median ms | p99 ms |")
        print("|---|---|---|---|---|")
        for m, rs in results.items():
            med = [statistics.median(x[i] for x in rs) for i in range(4)]
            print(f"| {m} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.2f} | "
                  f"{med[3]:.2f} |")
    finally:
        stop_server(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
