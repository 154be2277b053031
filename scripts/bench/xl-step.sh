#!/usr/bin/env bash
# DiP-XL/16 at 256², one sampling step with classifier-free guidance for one image (= one forward of a batch of 2,
# [null; class]), Java beside PyTorch on the same shapes, random weights: the step time (median of REPEAT after one
# warm-up forward) and the peak RSS of each process (/usr/bin/time -v). Java: `dip bench step --full`, a model built
# for inference (Dip.forInference) as the sampler builds it, JAVA_OPTS (default -Xmx3g -Xmn64m: the 2.35 GiB of
# weights go to the old generation, a small young one). PyTorch: scripts/bench/xl_step.py, the project's reference
# model under torch.no_grad(), with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset. Debian's torch calls whatever
# libblas.so.3 the system selects; where that is the reference BLAS (no libopenblas0 installed), point OPENBLAS_DIR at
# an OpenBLAS folder (e.g. one unpacked with `apt-get download libopenblas0-pthread; dpkg -x *.deb root`) and it is
# put on LD_LIBRARY_PATH for the PyTorch run only. xl_step.py prints the BLAS it loaded.
# Usage: scripts/bench/xl-step.sh   (THREADS=2 REPEAT=3 by default; writes OUT=/tmp/xl-step/{java,torch}.{log,time})
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${THREADS:-2}
repeat=${REPEAT:-3}
out=${OUT:-/tmp/xl-step}
mkdir -p "$out"
scripts/dip --version >/dev/null                 # builds the jar if needed, outside the measurement
echo "== Java ($threads threads, JAVA_OPTS=${JAVA_OPTS:--Xmx3g -Xmn64m})"
JAVA_OPTS="${JAVA_OPTS:--Xmx3g -Xmn64m}" DIP_JVM_WARNINGS=1 /usr/bin/time -v -o "$out/java.time" \
  scripts/dip bench step --full --models DIP_XL16 --engine java --threads "$threads" --repeat "$repeat" --warmup 1 \
  --warmup-ms 0 2>&1 | grep -v 'Using incubator modules' | tee "$out/java.log"
echo "== PyTorch ($threads threads)"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
  ${OPENBLAS_DIR:+LD_LIBRARY_PATH="$OPENBLAS_DIR"} \
  /usr/bin/time -v -o "$out/torch.time" /usr/bin/python3 scripts/bench/xl_step.py --threads "$threads" \
  --repeat "$repeat" --warmup 1 2>&1 | tee "$out/torch.log"
echo "== peak RSS and wall time of each process"
for s in java torch; do
  printf '%-6s %s, %s\n' "$s" "$(grep 'Maximum resident set size' "$out/$s.time" | sed 's/.*: //') kB" \
    "$(grep 'Elapsed (wall clock)' "$out/$s.time" | sed 's/.*: //') wall"
done
