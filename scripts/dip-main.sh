#!/usr/bin/env bash
# The project's main job, for now: what the machine offers, then the kernel benchmark (later: train + sample).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/dip info "$@"
scripts/dip bench kernels "$@"
