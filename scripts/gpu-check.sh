#!/usr/bin/env bash
# The prepared GPU check (docs/tornadovm.md, "On a GPU"): on a machine with a GPU, its OpenCL or CUDA driver and a
# TornadoVM SDK, but no package registry, it runs the device tests, checks the TornadoVM engine against the java
# engine and times both, in under 8 minutes when nothing hangs (each stage has a time limit, and the whole
# script stops within 590 s: the device tests, last, get what is left), and writes a short report.
#
#   TORNADOVM_HOME=/path/to/sdk scripts/gpu-check.sh [REPORT_DIR]      (default REPORT_DIR: gpu-report)
#
# Needs: JDK 25 (scripts/jdk.sh finds it), the tree built WITH TORNADOVM_HOME set where Maven can reach its registry
# (TORNADOVM_HOME=... mvn -B -ntp package -DskipTests, then copy the tree over: trainer/target/dip.jar, and for the
# device tests tornado/target/test-classes, test/target/test-classes, test/target/device-tests). What it runs:
#   1. tornado --devices                                   the device TornadoVM will use
#   2. dip bench engines, MICRO and SMALL8, batch 4        java vs tornado: agreement (fails above 1e-3), graph runs,
#                                                          bytes each way, kernel vs step time, first-step compile
#   3. dip bench engines, XL16 at 256², batch 1 and 32     the DiP-XL/16 CFG sampling step on the device alone
#                                                          (the java engine would take minutes per step at batch 32)
#   4. PyTorch on the same GPU, when python3 has torch with CUDA: the same XL/16 CFG step (scripts/reference)
#   5. scripts/device-tests.sh                             the 34 device tests (kernels, passes, the MICRO model
#                                                          against the java engine, traffic), without Maven
# Each stage has its own time limit, so one hung stage cannot eat the others' time; report.md says what ran.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-gpu-report}"
mkdir -p "$out"
report="$out/report.md"
. "$root/scripts/jdk.sh"
if [ -z "${TORNADOVM_HOME:-}" ] || [ ! -f "$TORNADOVM_HOME/tornado-argfile" ]; then
  echo "error: set TORNADOVM_HOME to a TornadoVM SDK (it must hold tornado-argfile); see docs/tornadovm.md" >&2
  exit 2
fi
jar="$root/trainer/target/dip.jar"
# grep -c, not grep -q: grep -q stops at the first match, unzip then dies of SIGPIPE, and pipefail fails the test
if ! unzip -l "$jar" 2>/dev/null | grep -c 'dip/tornado/exec/tornadovm/TornadoEngine.class' >/dev/null; then
  echo "error: $jar is missing or was built without TornadoVM: build it with TORNADOVM_HOME set (mvn -B -ntp package -DskipTests) where Maven can reach its registry" >&2
  exit 2
fi
touch "$jar"                                                  # a copied tree must not make scripts/dip rebuild
# DiP-XL/16's host arrays need more than the JVM's default heap (a quarter of the memory): give it three quarters.
if [ -z "${JAVA_OPTS:-}" ] && [ -r /proc/meminfo ]; then
  export JAVA_OPTS="-Xmx$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 3 / 4 / 1024 ))m"
fi
stage() {                                                     # stage SECONDS TITLE LOG COMMAND...
  local limit="$1" title="$2" log="$3"; shift 3
  echo "== $title" | tee -a "$report"
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$log" 2>&1
  local rc=$?
  echo "(exit $rc after $((SECONDS - t0)) s; full output in $log)" >> "$report"
  echo '```' >> "$report"; grep -v '^WARNING' "$out/$log" | tail -40 >> "$report"; echo '```' >> "$report"
  return $rc
}
{
  echo "# DiP GPU check, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "host: $(uname -srm), $(nproc) CPUs; java: $(java -version 2>&1 | head -1)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /'
  echo
} > "$report"
failed=0
stage 30 "TornadoVM devices" devices.txt "$TORNADOVM_HOME/bin/tornado" --devices || failed=1
stage 200 "java vs tornado, MICRO and SMALL8 (agreement checked)" engines.txt \
  "$root/scripts/dip" bench engines --engine tornado --presets MICRO,SMALL8 --batch-size 4 --repeat 5 \
  --check 1e-3 --report "$out/engines.md" || failed=1
stage 100 "DiP-XL/16 256² CFG sampling step on the device, batch 1" xl-b1.txt \
  "$root/scripts/dip" bench engines --engine tornado --presets XL16 --batch-size 1 --repeat 2 --only sample --no-java || failed=1
stage 130 "DiP-XL/16 256² CFG sampling step on the device, batch 32" xl-b32.txt \
  "$root/scripts/dip" bench engines --engine tornado --presets XL16 --batch-size 32 --repeat 2 --only sample --no-java || failed=1
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  stage 90 "PyTorch on the same GPU: DiP-XL/16 CFG step, batch 1 and 32" torch.txt \
    python3 "$root/scripts/reference/bench_torch_step.py" --device cuda --batch-sizes 1,32 || failed=1
else
  echo "== PyTorch: not available with CUDA on this machine (python3 -c 'import torch' failed or no GPU): no PyTorch row" >> "$report"
fi
left=$((590 - SECONDS))                                      # the device tests get what is left of 590 s
if [ "$left" -ge 60 ]; then
  stage "$left" "the device tests (scripts/device-tests.sh, ${left} s left)" device-tests.txt "$root/scripts/device-tests.sh" || failed=1
else
  echo "== the device tests: not run, only ${left} s of the 590 s left (run scripts/device-tests.sh on its own)" >> "$report"
fi
echo >> "$report"
[ "$failed" = 0 ] && echo "result: every stage passed" >> "$report" || echo "result: a stage FAILED (see above)" >> "$report"
cat "$report"
exit "$failed"
