#!/usr/bin/env bash
# Runs the kernel benchmark in Java (scripts/dip bench kernels) and in PyTorch (bench_kernels.py) back to back,
# same rows, same threads. Usage: scripts/bench/compare.sh [--threads N] [--filter REGEX] [--repeat N]
# OpenBLAS knobs that a shared environment may set (OPENBLAS_CORETYPE forces a kernel family, OPENBLAS_L2_SIZE a
# cache size) are unset for the PyTorch run only, so OpenBLAS picks its own kernels for this CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=2
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "== which BLAS PyTorch uses"
/usr/bin/python3 -c 'import torch; print(torch.__config__.show())' | grep -iE 'blas|lapack' || true
for lib in /usr/lib/x86_64-linux-gnu/libblas.so.3; do [ -e "$lib" ] && echo "libblas.so.3 -> $(readlink -f "$lib")"; done
echo "== Java (dip bench kernels, $threads threads)"
scripts/dip bench kernels --engine java --threads "$threads" "${args[@]}" 2>&1 | grep -v 'Using incubator modules'
echo "== PyTorch ($threads threads)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
  /usr/bin/python3 scripts/bench/bench_kernels.py --threads "$threads" "${args[@]}"
