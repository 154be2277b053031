#!/usr/bin/python3
"""The PyTorch side of the DiP-XL/16 sampling-step benchmark (docs/bench.md): builds the project's PyTorch reference
model (scripts/reference/dip_ref.py) at XL/16, 256², random init (PyTorch defaults + the official init; the timing
does not depend on the values), and times one CFG step of one image = one forward of a batch of 2 ([null; class]),
under torch.no_grad(), as `dip bench step --full` does in Java. Prints the median of --repeat after --warmup.
Run it under /usr/bin/time -v for the peak RSS: scripts/bench/xl-step.sh runs both sides.
"""
import argparse
import dataclasses
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from dip_ref import DiP, XL16  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--depth", type=int, default=XL16.depth)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = dataclasses.replace(XL16, depth=args.depth)
    t0 = time.perf_counter()
    model = DiP(cfg).eval()
    n = sum(p.numel() for p in model.parameters())
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))                # loads the BLAS, so the line below can name it
    with open("/proc/self/maps") as f:
        blas = sorted({line.split()[-1] for line in f if "blas" in line.lower()})
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas}; {cfg.to_json()}: {n:,} params, "
          f"built in {time.perf_counter() - t0:.1f} s", flush=True)
    if not any("openblas" in b for b in blas):
        print("# WARNING: this PyTorch does not run on OpenBLAS (a reference BLAS is ~30x slower): see docs/bench.md", flush=True)
    x = torch.randn(2, cfg.channels, cfg.imageSize, cfg.imageSize)
    t = torch.tensor([0.5, 0.5])
    y = torch.tensor([cfg.numClasses, 0])                       # [null; conditional], as the guided sampler
    times = []
    with torch.no_grad():
        for k in range(args.warmup + args.repeat):
            s = time.perf_counter()
            model(x, t, y)
            dt = time.perf_counter() - s
            print(f"{'warm-up' if k < args.warmup else 'forward'} {k}: {dt:.3f} s", flush=True)
            if k >= args.warmup:
                times.append(dt)
    print(f"DiP-XL/16 CFG step (forward of batch 2): median {statistics.median(times):.3f} s of {len(times)}")


if __name__ == "__main__":
    main()
