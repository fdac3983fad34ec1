#!/usr/bin/env bash
# Installs the Debian 12 packages only the benchmarks need: for
# bench/ann_bench the peers (hnswlib, FAISS + OpenBLAS), zlib for the gzipped
# IDX files and the Fashion-MNIST data set; for bench/api_bench the `wrk` HTTP
# load generator. Idempotent, like install-deps.sh.
set -euo pipefail

PACKAGES=(
  libhnswlib-dev libfaiss-dev libopenblas-dev
  zlib1g-dev
  dataset-fashion-mnist
  wrk                         # bench/api_bench drives REST search with it
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
echo "install-bench-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
