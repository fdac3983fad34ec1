#!/usr/bin/env bash
# Installs every Debian 12 package the build, the server and the tests need
# (with --no-test-services: not the servers only tests start, e.g. radosgw).
# Idempotent: when everything is present it prints nothing and touches nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev            # Boost.Beast/Asio for REST
  libssl-dev                  # HTTPS on the REST port ([api] tls_cert_file)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler  # gRPC
  libsimdjson-dev nlohmann-json3-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libsqlite3-dev              # the catalog
  libavro-dev                 # the Avro WAL strategy
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus                  # tests/integration/ops_test.cc scrapes /metrics with it
  clang-16 libfuzzer-16-dev libclang-rt-16-dev  # the ASan/UBSan build and tests/fuzz
  llvm-16                     # llvm-symbolizer: readable stacks in clang's sanitizer reports
  clang-format                # v14: scripts/check-format.sh (the .clang-format style)
  libcurl4-openssl-dev        # the S3 object store (src/storage/object)
  libexpat1-dev               # ListObjectsV2 XML in the S3 object store
  libzstd-dev                 # cold packs (src/storage/segment/cold_pack)
  libabsl-dev                 # the memtable's btree_map / flat_hash_map (also pulled in by libgrpc++-dev)
  libnats-dev                 # the shard log of cluster mode (src/cluster/nats)
  golang-etcd-server-dev      # etcd's .proto files: the etcdpb stubs (src/cluster/CMakeLists.txt)
  libpqxx-dev libpq-dev       # the PostgreSQL catalog backend (src/cluster)
)
# Servers the tests start, not needed to build or run ProximaDB: skipped with
# --no-test-services (scripts/run-server.sh).
TEST_SERVICES=(
  ceph-mon ceph-osd radosgw ceph-common  # a real S3 for the `s3` tests (scripts/s3-radosgw.sh)
  curl python3                # scripts/s3-radosgw.sh (readiness probe, free ports)
  nats-server                 # NATS JetStream for the `nats` tests (scripts/nats-cluster.sh)
  etcd-server etcd-client     # a real etcd for the `etcd` tests (tests/cluster/etcd_fixture.sh)
  postgresql-15               # a real PostgreSQL for the `pg` tests (tests/cluster_pg/pg_fixture.sh)
)
if [ "${1:-}" != "--no-test-services" ]; then
  PACKAGES+=("${TEST_SERVICES[@]}")
fi

# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_install_missing install-deps "${PACKAGES[@]}"
