#!/usr/bin/env bash
# Regenerates the committed gRPC stubs proximadb/v1/proximadb_pb2{,_grpc}.py
# from proto/proximadb/v1/proximadb.proto.
#
# Uses Debian 12's protoc (protobuf-compiler 3.21) and grpc_python_plugin
# (protobuf-compiler-grpc 1.51), the same versions as the python3-protobuf and
# python3-grpcio runtime. Debian's python3-grpc-tools (1.14) bundles a protoc
# too old for proto3 `optional` fields, so it cannot compile this proto.
#
# Usage: clients/python/scripts/gen_proto.sh [output-dir]
#   output-dir defaults to clients/python (files land in proximadb/v1/).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here}"
mkdir -p "$out/proximadb/v1"
protoc -I "$root/proto" \
  --python_out="$out" \
  --grpc_out="$out" --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  "$root/proto/proximadb/v1/proximadb.proto"
