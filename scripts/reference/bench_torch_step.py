#!/usr/bin/env python3
"""Times one DiP-XL/16 classifier-free-guidance sampling step in PyTorch (the project's reference model,
dip_ref.py, random weights): one forward of 2B rows ([null; conditional]) at 256², median of --repeat runs after
warm-up. The peer row for `dip bench engines --presets XL16` (scripts/gpu-check.sh runs both on the same GPU).

    python3 scripts/reference/bench_torch_step.py --device cuda --batch-sizes 1,32
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dip_ref import XL16, DiP  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda or cpu (default: cuda)")
    ap.add_argument("--batch-sizes", default="1,32", help="images per step; the forward has 2B rows (default: 1,32)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda but torch sees no CUDA device; use --device cpu")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = DiP(XL16).to(dev).eval()
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    print(f"# PyTorch {torch.__version__}, {a.device}"
          + (f" ({torch.cuda.get_device_name(0)})" if dev.type == "cuda" else f", {torch.get_num_threads()} threads")
          + f", DiP-XL/16 256², fp32, median of {a.repeat}")
    print(f"{'batch':>6} {'rows':>5} {'step ms':>9} {'images/s':>9}")
    for b in [int(s) for s in a.batch_sizes.split(",")]:
        x = torch.randn(2 * b, 3, 256, 256, device=dev)
        t = torch.full((2 * b,), 0.5, device=dev)
        y = torch.cat([torch.full((b,), XL16.numClasses, device=dev), torch.arange(b, device=dev) % XL16.numClasses]).long()
        with torch.no_grad():
            for _ in range(2):
                model(x, t, y)
            sync()
            ms = []
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                model(x, t, y)
                sync()
                ms.append((time.perf_counter() - t0) * 1e3)
        m = statistics.median(ms)
        print(f"{b:>6} {2 * b:>5} {m:>9.2f} {b / m * 1e3:>9.1f}")


if __name__ == "__main__":
    main()
