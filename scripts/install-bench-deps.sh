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

# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_install_missing install-bench-deps "${PACKAGES[@]}"
