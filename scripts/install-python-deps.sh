#!/usr/bin/env bash
# Installs the Debian 12 packages the Python client (clients/python) and its
# tests need. The machine has no PyPI: everything comes from apt and runs
# under Debian's /usr/bin/python3.
# Idempotent: when everything is present it prints nothing and touches nothing.
set -euo pipefail

PACKAGES=(
  python3 python3-requests python3-httpx   # REST transport (sync / async)
  python3-numpy                            # numpy vectors and batches
  python3-grpcio python3-protobuf          # gRPC transport (sync and grpc.aio)
  python3-pytest python3-pytest-asyncio    # the tests
  protobuf-compiler protobuf-compiler-grpc # regenerating / checking the stubs
)

# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_install_missing install-python-deps "${PACKAGES[@]}"
