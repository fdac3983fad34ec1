"""Generated protobuf/gRPC stubs for proximadb.v1 (see scripts/gen_proto.sh)."""
