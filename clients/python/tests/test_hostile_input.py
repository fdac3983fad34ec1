"""Hostile input and input limits through the Python client and raw gRPC calls.

Issue 10, parts B and D: a gRPC request the server cannot decode is
INVALID_ARGUMENT with a message (it was INTERNAL with none); metadata nested
at the limit is readable by the Python gRPC client (protobuf's recursion
limit of 100 used to make deeper answers undecodable), one level more is
refused on both transports; finite vectors whose squared norm overflows
float are refused instead of scoring NaN; a REST body nested 60,000 deep is
refused instead of crashing the server.
"""

from __future__ import annotations

import http.client
import math
from urllib.parse import urlparse

import grpc
import pytest

from proximadb import ProximaDBClient
from proximadb.exceptions import InvalidArgument

MAX_METADATA_DEPTH = 32  # src/util/limits.h kMaxJsonDepth


def nested(depth: int) -> dict:
    m: dict = {"leaf": 1}
    for _ in range(depth - 1):
        m = {"a": m}
    return m


def grpc_target(server) -> str:
    return server.url("grpc")[len("grpc://"):]


def test_undecodable_grpc_requests_are_invalid_argument(server) -> None:
    log_start = len(server.log)
    with grpc.insecure_channel(grpc_target(server)) as channel:
        upsert = channel.unary_unary("/proximadb.v1.ProximaDB/Upsert")
        with pytest.raises(grpc.RpcError) as e:
            upsert(b"\xff" * 16, timeout=30)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert e.value.details() == (
            "request is not a valid proximadb.v1.UpsertRequest message: "
            "malformed field tag at byte 0")
        # GetRequest{collection: "c", id: "p\xff"}: not UTF-8.
        get = channel.unary_unary("/proximadb.v1.ProximaDB/Get")
        with pytest.raises(grpc.RpcError) as e:
            get(b"\x0a\x01c\x12\x02p\xff", timeout=30)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert e.value.details() == "field 'id' is not valid UTF-8"
    # Refusals are client errors: no error-level log line for them.
    assert not any("[error]" in line for line in server.log[log_start:])


def test_metadata_at_the_limit_reads_back_over_grpc(rest_client: ProximaDBClient,
                                                    grpc_client: ProximaDBClient,
                                                    new_name) -> None:
    name = new_name()
    rest_client.create_collection(name, 2)
    deepest = nested(MAX_METADATA_DEPTH)
    rest_client.insert(name, "p", [1.0, 2.0], deepest)
    # Every answer that carries metadata decodes in the Python gRPC client.
    assert grpc_client.get(name, "p").metadata == deepest
    assert grpc_client.search(name, [1.0, 2.0], k=1)[0].metadata == deepest
    assert grpc_client.batch_search(name, [[1.0, 2.0]], k=1)[0][0].metadata == deepest
    assert next(iter(grpc_client.scroll(name))).metadata == deepest

    over = nested(MAX_METADATA_DEPTH + 1)
    messages = set()
    for c in (rest_client, grpc_client):
        with pytest.raises(InvalidArgument) as e:
            c.insert(name, "q", [1.0, 2.0], over)
        messages.add(e.value.message)
        with pytest.raises(InvalidArgument, match="metadata is nested deeper than 32"):
            c.update_metadata(name, "p", over)
    assert messages == {"vectors[0].metadata is nested deeper than 32 levels"}
    assert rest_client.count(name) == 1


def test_huge_vectors_are_refused_and_scores_stay_finite(client: ProximaDBClient,
                                                          new_name) -> None:
    for metric in ("cosine", "euclidean", "dot_product"):
        name = new_name()
        client.create_collection(name, 4, distance_metric=metric)
        huge = [3.4e38] * 4  # every value finite, the squared norm not
        with pytest.raises(InvalidArgument, match=r"vectors\[0\] is too large.*FLT_MAX/8"):
            client.insert(name, "h", huge)
        with pytest.raises(InvalidArgument, match="query vector is too large"):
            client.search(name, huge)
        b = 3.2e18  # 4 * b^2 is just under FLT_MAX / 8
        client.batch_insert(name, [{"id": "pos", "vector": [b] * 4},
                                   {"id": "neg", "vector": [-b] * 4},
                                   {"id": "one", "vector": [1, 2, 3, 4]}])
        for q in ([b] * 4, [-b, b, -b, b]):
            hits = client.search(name, q, k=10)
            assert len(hits) == 3
            assert all(h.score is not None and math.isfinite(h.score) for h in hits), hits


def test_deep_json_body_is_refused_and_the_server_lives(server, rest_client,
                                                         new_name) -> None:
    name = new_name()
    rest_client.create_collection(name, 2)
    depth = 60000
    body = ('{"id":"p","vector":[1,2],"metadata":' + '{"a":' * depth + "1"
            + "}" * depth + "}")
    url = urlparse(server.rest_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", f"/api/v1/collections/{name}/vectors", body=body,
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 400
        assert b"request is nested deeper than 36 levels" in r.read()
    finally:
        conn.close()
    assert rest_client.health().status == "healthy"
