#!/usr/bin/env bash
# Runs every test (all modules) on JDK 25. No Python, GPU or TornadoVM needed: PyTorch fixtures are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
exec mvn -B -ntp verify "$@"
