"""The standard services on the gRPC port, as operators' tools call them:
grpc.health.v1.Health (Kubernetes gRPC probes, load balancers) and server
reflection (grpcurl and other generic clients list and call the API without
the .proto file). Both answer without an API key, as REST's /health does.

The tests compile the two services' messages (tests/protos) with protoc at
run time and call them through grpcio's generic calls, as a tool that knows
nothing of ProximaDB would.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from conftest import Server, _binary  # noqa: E402  (tests/ is on sys.path)
from test_quarantine import _Server  # noqa: E402

PROTOS = Path(__file__).resolve().parent / "protos"
API = "proximadb.v1.ProximaDB"
HEALTH = "grpc.health.v1.Health"
REFLECTION = "grpc.reflection.v1alpha.ServerReflection"


@pytest.fixture(scope="module")
def pb2() -> Iterator[Tuple[Any, Any]]:
    """(health_pb2, reflection_pb2), generated from tests/protos by protoc."""
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.fail("protoc not found: ./scripts/install-python-deps.sh installs it")
    out = tempfile.mkdtemp(prefix="proximadb-pb2-")
    try:
        subprocess.run([protoc, f"--proto_path={PROTOS}", f"--python_out={out}",
                        "pdb_health.proto", "pdb_reflection.proto"], check=True)
        sys.path.insert(0, out)
        try:
            yield (importlib.import_module("pdb_health_pb2"),
                   importlib.import_module("pdb_reflection_pb2"))
        finally:
            sys.path.remove(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _target(url: str) -> str:
    return url.split("://", 1)[1]


def _check(channel: grpc.Channel, health: Any, service: str) -> int:
    call = channel.unary_unary(
        f"/{HEALTH}/Check",
        request_serializer=health.HealthCheckRequest.SerializeToString,
        response_deserializer=health.HealthCheckResponse.FromString)
    return call(health.HealthCheckRequest(service=service), timeout=10).status


def _reflect(channel: grpc.Channel, reflection: Any, requests: List[Any]) -> List[Any]:
    call = channel.stream_stream(
        f"/{REFLECTION}/ServerReflectionInfo",
        request_serializer=reflection.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection.ServerReflectionResponse.FromString)
    return list(call(iter(requests), timeout=10))


def test_health_check_and_watch(server: Server, pb2: Tuple[Any, Any]) -> None:
    health, _ = pb2
    serving = health.HealthCheckResponse.SERVING
    with grpc.insecure_channel(_target(server.url("grpc"))) as channel:
        assert _check(channel, health, "") == serving
        assert _check(channel, health, API) == serving
        with pytest.raises(grpc.RpcError) as unknown:
            _check(channel, health, "no.such.Service")
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        watch = channel.unary_stream(
            f"/{HEALTH}/Watch",
            request_serializer=health.HealthCheckRequest.SerializeToString,
            response_deserializer=health.HealthCheckResponse.FromString)
        stream = watch(health.HealthCheckRequest(service=""), timeout=10)
        assert next(stream).status == serving
        stream.cancel()


def _pool_from(files: List[bytes]) -> descriptor_pool.DescriptorPool:
    """A descriptor pool of the files reflection sent, added dependencies first."""
    protos = [descriptor_pb2.FileDescriptorProto.FromString(f) for f in files]
    pool = descriptor_pool.DescriptorPool()
    added: set = set()
    while len(added) < len(protos):
        progress = False
        for p in protos:
            if p.name not in added and all(d in added for d in p.dependency):
                pool.Add(p)
                added.add(p.name)
                progress = True
        assert progress, f"reflection sent files whose imports are missing: {[p.name for p in protos]}"
    return pool


def _message_class(desc: Any) -> Any:
    get = getattr(message_factory, "GetMessageClass", None)  # protobuf >= 4.22
    return get(desc) if get else message_factory.MessageFactory(desc.file.pool).GetPrototype(desc)


def test_reflection_lists_and_calls_the_api(server: Server, pb2: Tuple[Any, Any],
                                            rest_client: Any, new_name: Any) -> None:
    _, reflection = pb2
    name = new_name("reflected")
    rest_client.create_collection(name, dimension=3, distance_metric="euclidean")
    with grpc.insecure_channel(_target(server.url("grpc"))) as channel:
        listed, files, missing = _reflect(channel, reflection, [
            reflection.ServerReflectionRequest(list_services=""),
            reflection.ServerReflectionRequest(file_containing_symbol=API),
            reflection.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"),
        ])
        services = {s.name for s in listed.list_services_response.service}
        assert {API, HEALTH, REFLECTION} <= services
        assert missing.WhichOneof("message_response") == "error_response"
        assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]

        # From the descriptors alone: find the method, build its request,
        # call it, read the answer.
        pool = _pool_from(list(files.file_descriptor_response.file_descriptor_proto))
        method = pool.FindServiceByName(API).FindMethodByName("ListCollections")
        request_class = _message_class(method.input_type)
        response_class = _message_class(method.output_type)
        call = channel.unary_unary(f"/{API}/ListCollections",
                                   request_serializer=request_class.SerializeToString,
                                   response_deserializer=response_class.FromString)
        answer = call(request_class(), timeout=10)
        assert name in [c.name for c in answer.collections]


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[_Server]:
    binary = _binary().resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(f"proximadb-server binary not found at {binary}")
    root = tempfile.mkdtemp(prefix="proximadb-grpc-std-")
    srv = _Server(binary, os.path.join(root, "data"),
                  {"PROXIMADB_API__API_KEYS": "rw:standard-services-key"})
    try:
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_health_and_reflection_need_no_api_key(keyed_server: _Server,
                                                pb2: Tuple[Any, Any]) -> None:
    health, reflection = pb2
    with grpc.insecure_channel(_target(keyed_server.url("grpc"))) as channel:
        assert _check(channel, health, "") == health.HealthCheckResponse.SERVING
        (listed,) = _reflect(channel, reflection,
                             [reflection.ServerReflectionRequest(list_services="")])
        assert API in {s.name for s in listed.list_services_response.service}
        # The API itself still wants the key.
        call = channel.unary_unary(f"/{API}/ListCollections",
                                   request_serializer=lambda _: b"",
                                   response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as refused:
            call(None, timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        metadata: Dict[str, str] = {"authorization": "Bearer standard-services-key"}
        assert call(None, timeout=10, metadata=list(metadata.items())) is not None
