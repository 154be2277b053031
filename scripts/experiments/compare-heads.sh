#!/usr/bin/env bash
# The paper's claim 2 at small scale: "head vs no head vs small patches" on Fashion-MNIST at equal training.
# Trains three MICRO models (32 px, D = 128, depth 4, 4 heads, headWidth 16) with identical settings except the
# output head / patch size:
#   dip-p8     DiP: Patch Detailer Head, P = 8 (16 tokens)        — the default MICRO
#   dit-p8     DiT-only (standard DiT final layer), P = 8 (16 tokens)
#   dit-p4     DiT-only, P = 4 (64 tokens) — the "small patches" pixel method
# then samples each (EMA weights, fixed seed, Euler, CFG 2.9 on (0.11, 0.97)) and scores the samples with
# `dip eval fd` (Fréchet distance on the project's Fashion-MNIST classifier features + class agreement).
# Writes OUT/table.md (markdown table), OUT/heads-grids.png (the three sample grids side by side) and
# OUT/summary.json; each model's run folder is OUT/<name>/ (train.log, metrics.jsonl, samples/, sample.log, fd.log).
#
# Usage: scripts/experiments/compare-heads.sh [--epochs N] [--max-steps N] [--n-per-class N] [--sample-steps N]
#                                             [--threads N] [--out DIR] [--models dip-p8,dit-p8,dit-p4]
#   defaults: 1 epoch, no step limit, 20 images per class (200), 50 Euler steps, all cores, runs/compare-heads.
# A tiny smoke test: --max-steps 20 --n-per-class 2 --sample-steps 5 --threads 1 --out /tmp/ch-smoke
# Needs the cached classifier ~/.cache/dip/fashion-mnist-cnn-32px.safetensors (else `dip eval fd` trains one, ~9 min).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
py=/usr/bin/python3

epochs=1; max_steps=""; npc=20; sample_steps=50; threads=""; out=runs/compare-heads; models=dip-p8,dit-p8,dit-p4
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs=$2; shift 2;;
    --max-steps) max_steps=$2; shift 2;;
    --n-per-class) npc=$2; shift 2;;
    --sample-steps) sample_steps=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --out) out=$2; shift 2;;
    --models) models=$2; shift 2;;
    -h|--help) sed -n '2,18p' "$0"; exit 0;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2;;
  esac
done
thr=(); [ -n "$threads" ] && thr=(--threads "$threads")
ms=(); [ -n "$max_steps" ] && ms=(--max-steps "$max_steps")
[ -f "$HOME/.cache/dip/fashion-mnist-cnn-32px.safetensors" ] || \
  echo "warning: no cached classifier in ~/.cache/dip; dip eval fd will train one first (~9 min)" >&2
[ -f trainer/target/dip.jar ] || { . scripts/jdk.sh; mvn -q -B -ntp package -DskipTests; }
mkdir -p "$out"
echo "compare-heads: epochs=$epochs max_steps=${max_steps:-none} n_per_class=$npc sample_steps=$sample_steps" \
     "threads=${threads:-all} out=$out started $(date -u +%FT%TZ)" | tee "$out/run.log"
t_all=$(date +%s)

for m in ${models//,/ }; do
  case "$m" in
    dip-p8) head=DIP; p=8;;
    dit-p8) head=DIT_ONLY; p=8;;
    dit-p4) head=DIT_ONLY; p=4;;
    *) echo "unknown model $m" >&2; exit 2;;
  esac
  d="$out/$m"; rm -rf "$d"; mkdir -p "$d"
  echo "== $m: head $head, patch $p ($(date -u +%T))" | tee -a "$out/run.log"
  t0=$(date +%s.%N)
  scripts/dip train --preset MICRO --head "$head" --patch-size "$p" --epochs "$epochs" "${ms[@]}" \
    --batch-size 32 --lr 1e-3 --warmup-steps 100 --ema-decay 0.995 --seed 0 --no-sample-every-epoch \
    --log-every 100 "${thr[@]}" --out "$d" 2>&1 | grep --line-buffered -v 'incubator' | tee "$d/train.log"
  t1=$(date +%s.%N)
  scripts/dip sample --checkpoint "$d/last.safetensors" --n-per-class "$npc" --steps "$sample_steps" \
    --cfg-scale 2.9 --cfg-interval 0.11,0.97 --seed 0 "${thr[@]}" --out "$d/samples" 2>&1 \
    | grep --line-buffered -v 'incubator' | tee "$d/sample.log"
  t2=$(date +%s.%N)
  scripts/dip eval fd --samples "$d/samples/samples.safetensors" "${thr[@]}" 2>&1 | grep --line-buffered -v 'incubator' \
    | tee "$d/fd.log"
  t3=$(date +%s.%N)
  printf '{"train_wall_s": %.1f, "sample_wall_s": %.1f, "fd_wall_s": %.1f, "head": "%s", "patch": %d}\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t3 - $t2" | bc)" "$head" "$p" > "$d/walltimes.json"
done

# Table, summary and figure.
"$py" - "$out" "${models//,/ }" <<'EOF'
import json, re, struct, sys, os
import numpy as np
out, models = sys.argv[1], sys.argv[2].split()
rows, panels = [], []
names = {"dip-p8": "DiP (head), P=8", "dit-p8": "DiT-only, P=8", "dit-p4": "DiT-only, P=4"}
for m in models:
    d = os.path.join(out, m)
    w = json.load(open(os.path.join(d, "walltimes.json")))
    tl = open(os.path.join(d, "train.log")).read()
    params = int(re.search(r"\| ([\d,]+) params \|", tl).group(1).replace(",", ""))
    met = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl")) if l.strip()]
    steps = met[-1]["step"]
    # throughput from step 1's end to the last step's end (step 1 includes JIT warm-up and data loading)
    ips = (steps - 1) * 32 / (met[-1]["wall_time"] - met[0]["wall_time"]) if steps > 1 else float("nan")
    loss = float(np.mean([r["loss"] for r in met[-100:]]))
    sl = open(os.path.join(d, "sample.log")).read()
    n_img = int(re.search(r"sampling (\d+) images", sl).group(1))
    s_time = float(re.search(r"sampled in ([\d.]+) s", sl).group(1))
    fl = open(os.path.join(d, "fd.log")).read()
    fd = float(re.search(r"^FD ([\d.]+)", fl, re.M).group(1))
    ref = float(re.search(r"reference: FD of \d+ real vs the other \d+ real images ([\d.]+)", fl).group(1))
    agree = float(re.search(r"class agreement ([\d.]+)%", fl).group(1))
    tokens = (32 // w["patch"]) ** 2
    rows.append(dict(model=m, name=names[m], params=params, tokens=tokens, steps=steps, train_img_s=ips,
                     final_loss=loss, sample_s_per_image=s_time / n_img, sample_images=n_img, fd=fd,
                     fd_real_reference=ref, class_agreement=agree, **w))
    # first 8 samples of every class, 32 px at 2x, one row per class
    b = open(os.path.join(d, "samples", "samples.safetensors"), "rb").read()
    n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n
    def t(k, dt):
        o = h[k]["data_offsets"]; return np.frombuffer(b[base + o[0]:base + o[1]], dt).reshape(h[k]["shape"])
    x, y = t("samples", "<f4"), t("labels", "<i4")
    cols = min(8, int(np.bincount(y).max()))
    img = np.full((10 * 34, cols * 34), 40, np.uint8)
    for c in range(10):
        idx = np.where(y == c)[0][:cols]
        for j, i in enumerate(idx):
            im = np.clip((x[i, 0] + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)
            img[c * 34 + 1:c * 34 + 33, j * 34 + 1:j * 34 + 33] = im
    panels.append((names[m], np.kron(img, np.ones((2, 2), np.uint8))))
json.dump(rows, open(os.path.join(out, "summary.json"), "w"), indent=1)
with open(os.path.join(out, "table.md"), "w") as f:
    f.write("| model | params | tokens | train img/s | final loss (last 100 steps) | sampling s/image | FD | class agreement |\n")
    f.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
    for r in rows:
        f.write("| %s | %s | %d | %.1f | %.4f | %.3f | %.2f | %.1f%% |\n" % (r["name"], format(r["params"], ","),
                r["tokens"], r["train_img_s"], r["final_loss"], r["sample_s_per_image"], r["fd"], r["class_agreement"]))
    f.write("\nFD reference (the same number of real test images vs the rest): %s\n"
            % ", ".join("%.2f" % r["fd_real_reference"] for r in rows[:1]))
print(open(os.path.join(out, "table.md")).read())
try:
    from PIL import Image, ImageDraw
    gap, top = 24, 22
    H = max(p.shape[0] for _, p in panels) + top
    W = sum(p.shape[1] for _, p in panels) + gap * (len(panels) - 1)
    canvas = Image.new("L", (W, H), 255)
    dr = ImageDraw.Draw(canvas); x0 = 0
    for name, p in panels:
        canvas.paste(Image.fromarray(p), (x0, top)); dr.text((x0 + 4, 4), name, fill=0); x0 += p.shape[1] + gap
    canvas.save(os.path.join(out, "heads-grids.png"), optimize=True)
    print("figure", os.path.join(out, "heads-grids.png"))
except ImportError:
    print("PIL missing: no combined figure; see OUT/<model>/samples/grid.png")
EOF
echo "compare-heads done in $(( $(date +%s) - t_all )) s ($(date -u +%FT%TZ))" | tee -a "$out/run.log"
