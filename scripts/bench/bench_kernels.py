#!/usr/bin/python3
"""The PyTorch twin of `dip bench kernels`: the same rows (names, shapes, FLOPs), timed the same way
(warm-up, then the median of --repeat runs), printed in the same format so the two tables read side by side.
Run with Debian's PyTorch: /usr/bin/python3 scripts/bench/bench_kernels.py --threads 2
Backward rows accumulate like the Java kernels (dx += dout·W; dW += doutᵀ·x, db += Σ dout).
"""
import argparse
import re
import statistics
import time

import torch
import torch.nn.functional as F

HEADER = "%-18s %-20s %10s %9s" % ("kernel", "shape", "ms", "GFLOP/s")


def row(name, shape, ms, flops):
    gf = "%.1f" % (flops / ms / 1e6) if flops > 0 else "-"
    return "%-18s %-20s %10.3f %9s" % (name, shape, ms, gf)


def matmul_cases(label, R, IN, OUT):
    shape = "R=%d %d->%d" % (R, IN, OUT)
    flops = 2.0 * R * IN * OUT

    def fwd():
        x, w, b, out = torch.randn(R, IN), torch.randn(OUT, IN), torch.randn(OUT), torch.empty(R, OUT)
        return lambda: torch.addmm(b, x, w.t(), out=out)

    def bwd_in():
        dout, w, dx = torch.randn(R, OUT), torch.randn(OUT, IN), torch.zeros(R, IN)
        return lambda: dx.addmm_(dout, w)

    def bwd_w():
        dout, x, dw, db = torch.randn(R, OUT), torch.randn(R, IN), torch.zeros(OUT, IN), torch.zeros(OUT)

        def run():
            dw.addmm_(dout.t(), x)
            db.add_(dout.sum(0))
        return run

    return [(label + ".fwd", shape, flops, fwd), (label + ".bwd_in", shape, flops, bwd_in),
            (label + ".bwd_w", shape, flops, bwd_w)]


def conv_cases(label, k, B, CI, CO, side):
    """Conv2d 3x3 pad 1 (k=3), Conv2d 1x1 (k=1) or ConvTranspose2d k2 s2 (k=2, output 2*side) on B images."""
    shape = "B=%d %d->%d %dx%d" % (B, CI, CO, side, side)
    taps = 4 if k == 2 else k * k
    flops = 2.0 * B * side * side * CI * CO * taps
    oside = 2 * side if k == 2 else side
    wshape = (CI, CO, 2, 2) if k == 2 else (CO, CI, k, k)
    pad = 1 if k == 3 else 0

    def fwd_fn(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=2) if k == 2 else F.conv2d(x, w, b, padding=pad)

    def fwd():
        x, w, b = torch.randn(B, CI, side, side), torch.randn(*wshape), torch.randn(CO)
        return lambda: fwd_fn(x, w, b)

    def bwd_in():
        dout, w, dx = torch.randn(B, CO, oside, oside), torch.randn(*wshape), torch.zeros(B, CI, side, side)
        if k == 2:
            return lambda: dx.add_(F.conv2d(dout, w, stride=2))
        return lambda: dx.add_(torch.nn.grad.conv2d_input(dx.shape, w, dout, padding=pad))

    def bwd_w():
        dout, x, dw, db = torch.randn(B, CO, oside, oside), torch.randn(B, CI, side, side), torch.zeros(*wshape), torch.zeros(CO)

        def run():
            if k == 2:                       # convT is conv2d's adjoint: its weight grad is conv2d's with x and dout swapped
                dw.add_(torch.nn.grad.conv2d_weight(dout, wshape, x, stride=2))
            else:
                dw.add_(torch.nn.grad.conv2d_weight(x, wshape, dout, padding=pad))
            db.add_(dout.sum((0, 2, 3)))
        return run

    return [(label + ".fwd", shape, flops, fwd), (label + ".bwd_in", shape, flops, bwd_in),
            (label + ".bwd_w", shape, flops, bwd_w)]


def all_cases():
    B, N, D = 1, 256, 1152                     # DiP-XL/16 at 256²: 256 tokens, hidden 1152
    H = int(2.0 / 3.0 * 4 * D)                 # SwiGLU hidden, 3072
    R = B * N
    cs = []
    cs += matmul_cases("mm256", 256, 256, 256)
    cs += matmul_cases("mm1024", 1024, 1024, 1024)
    cs += matmul_cases("xl.qkv", R, D, 3 * D)
    cs += matmul_cases("xl.proj", R, D, D)
    cs += matmul_cases("xl.adaln", B, D, 6 * D)
    cs += matmul_cases("xl.mlp_w1w3", R, D, H)
    cs += matmul_cases("xl.mlp_w2", R, H, D)
    BN = B * N                                 # the XL Patch Detailer Head: BN patches of 16x16
    cs += conv_cases("xl.pdh.enc1", 3, BN, 3, 64, 16)
    cs += conv_cases("xl.pdh.enc2", 3, BN, 64, 128, 8)
    cs += conv_cases("xl.pdh.dec1", 3, BN, 128, 64, 16)
    cs += conv_cases("xl.pdh.dec2", 3, BN, 256, 64, 8)
    cs += conv_cases("xl.pdh.dec3", 3, BN, 512, 128, 4)
    cs += conv_cases("xl.pdh.dec4", 3, BN, 1024, 256, 2)
    cs += conv_cases("xl.pdh.out", 1, BN, 64, 3, 16)
    cs += conv_cases("xl.pdh.up1", 2, BN, 64, 64, 8)
    cs += conv_cases("xl.pdh.up3", 2, BN, 256, 256, 2)
    NH, HS = 16, D // 16                       # attention over the 256 tokens, 16 heads of 72
    attn_flops = 4.0 * B * NH * R * R * HS

    def attn_fwd():
        q, k, v = (torch.randn(B, NH, R, HS) for _ in range(3))
        return lambda: torch.softmax((q @ k.transpose(-1, -2)) * HS ** -0.5, dim=-1) @ v

    def attn_bwd():
        with torch.enable_grad():              # the harness may run under no_grad
            q, k, v = (torch.randn(B, NH, R, HS, requires_grad=True) for _ in range(3))
            out = torch.softmax((q @ k.transpose(-1, -2)) * HS ** -0.5, dim=-1) @ v
            dout = torch.randn_like(out)

        def run():
            with torch.enable_grad():
                torch.autograd.grad(out, (q, k, v), dout, retain_graph=True)
        return run

    def rmsnorm_fwd():
        x, w = torch.randn(R, D), torch.randn(D)
        return lambda: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w

    cs.append(("xl.attn.fwd", "B=1 NH=16 N=256 HS=72", attn_flops, attn_fwd))
    cs.append(("xl.attn.bwd", "B=1 NH=16 N=256 HS=72", 2 * attn_flops, attn_bwd))
    cs.append(("xl.rmsnorm.fwd", "R=256 D=1152", 0, rmsnorm_fwd))
    n = R * H

    def silu_fwd():
        x, out = torch.randn(n), torch.empty(n)
        return lambda: torch.mul(x, torch.sigmoid(x), out=out)

    def silu_bwd():
        x, dout, dx = torch.randn(n), torch.randn(n), torch.zeros(n)
        return lambda: dx.add_(torch.ops.aten.silu_backward(dout, x))

    cs.append(("silu.fwd", "n=%d" % n, 0, silu_fwd))
    cs.append(("silu.bwd", "n=%d" % n, 0, silu_bwd))
    return cs


def median_ms(body, repeat, warmup, warmup_ms):
    end = time.perf_counter() + warmup_ms / 1000.0
    i = 0
    while i < warmup or time.perf_counter() < end:
        body()
        i += 1
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        body()
        ts.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--warmup-ms", type=float, default=500)
    ap.add_argument("--filter", default=None, help="only rows whose name contains a match")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    blas = [l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l]
    print("# torch %s, %d threads, %s; median of %d runs" % (torch.__version__, torch.get_num_threads(),
                                                          "; ".join(blas)[:160], a.repeat))
    print(HEADER)
    with torch.no_grad():
        for name, shape, flops, setup in all_cases():
            if a.filter and not re.search(a.filter, name):
                continue
            print(row(name, shape, median_ms(setup(), a.repeat, a.warmup, a.warmup_ms), flops), flush=True)


if __name__ == "__main__":
    main()
