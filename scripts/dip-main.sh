#!/usr/bin/env bash
# The project's main job: train a small DiP (preset MICRO: 32 px, 8×8 patches, D = 128, 4 blocks, Patch Detailer
# Head) on Fashion-MNIST with flow matching, then sample a labelled grid (one row per class) from its EMA weights.
# About 5 minutes on 2 cores (measured: see README). Installs Debian's dataset-fashion-mnist if it is missing; builds the jar if missing.
# Knobs (environment): STEPS (training steps, default 1875 = one epoch of 32 images), OUT (run folder, default runs/quickstart-<time>).
set -euo pipefail
cd "$(dirname "$0")/.."

data=/usr/share/datasets/fashion-mnist
if [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then
  echo "Fashion-MNIST is not in $data: installing Debian's dataset-fashion-mnist ..."
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  # Another apt job (unattended-upgrades on a fresh machine) may hold the lock: wait up to 10 min for it.
  lock=(-o DPkg::Lock::Timeout=600)
  if ! $sudo apt-get "${lock[@]}" update -qq; then
    echo "error: 'apt-get update' failed (apt's message is above), so dataset-fashion-mnist could not be installed;" \
      "fix apt and rerun, or put Fashion-MNIST's idx .gz files in $data" >&2
    exit 1
  fi
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq dataset-fashion-mnist; then
    echo "error: 'apt-get install dataset-fashion-mnist' failed (apt's message is above);" \
      "install it by hand, or put Fashion-MNIST's idx .gz files in $data" >&2
    exit 1
  fi
fi

out=${OUT:-runs/quickstart-$(date +%Y%m%d-%H%M%S)}
steps=${STEPS:-1875}
start=$(date +%s)
scripts/dip info
# A short run: a higher lr than the paper's 1e-4 (which is tuned for 600 epochs at batch 256) and an EMA that
# averages over ~200 steps instead of the paper's 10k, so the EMA weights used for sampling have learnt something.
scripts/dip train --preset MICRO --epochs 1 --max-steps "$steps" --batch-size 32 --lr 1e-3 --warmup-steps 100 \
  --ema-decay 0.995 --no-sample-every-epoch --log-every 100 --out "$out"
scripts/dip sample --checkpoint "$out/last.safetensors" --n-per-class 8 --steps 50 --cfg-scale 2.9 \
  --cfg-interval 0.11,0.97 --seed 0 --out "$out/samples" --trajectory
echo "main job done in $(( $(date +%s) - start )) s: grid $out/samples/grid.png, trajectory $out/samples/trajectory.gif, loss log $out/metrics.jsonl"
