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

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-python-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
