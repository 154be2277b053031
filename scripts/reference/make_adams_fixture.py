"""PyTorch reference of PixNerd's Adams-Bashforth sampler (AdamLMSampler, order 2) and its timeshift.

Writes sampler/src/test/resources/golden/adams_gaussian.safetensors for dip.sampler.AdamsSamplerTest: fixed noise
(B, 1, 4, 4), labels, and the sampler's result for several (steps, timeshift, cfg) cases, on an analytic velocity
whose exact ODE solution is known (Gaussian data: every pixel of class y is N(mu_y, sigma^2); the Java test model is
dip.sampler.GaussianToy, the same formula in the same float64 operations).

The sampler below is written from PixNerd's src/diffusion/flow_matching/adam_sampling.py and pre_integral.py
(github.com/MCG-NJU/PixNerd), keeping their float32 tensor arithmetic:
  timesteps = shift(linspace(0, 1 - 1/steps, steps) ++ [1]),  shift(t) = t / (t + (1 - t) * s)
  step i: order = min(2, i + 1); coefficients = Lagrange integral weights over [t_i, t_{i+1}] normalised to sum 1
  v = sum_j c_j * v_{i-order+1+j};  x += v * (t_{i+1} - t_i);  t_cur += dt  (the model and the guidance see t_cur)
and classifier-free guidance u + w * (c - u) on a [null; cond] batch, w = 1 outside lo < t_cur < hi.
Run with /usr/bin/python3 (torch 1.13, CPU) from the repository root. Deterministic.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import st  # noqa: E402

OUT = "sampler/src/test/resources/golden/adams_gaussian.safetensors"
MU = np.array([0.3, -0.3, 0.2], dtype=np.float32)   # GaussianToy's class means; class 3 = null (mean 0)
SIGMA = np.float32(0.15)
NUM_CLASSES = 3


def velocity(x, t, y):
    """The exact flow-matching velocity for Gaussian data, in float64 from float32 inputs, rounded to float32."""
    xs = x.double().numpy()
    out = np.empty_like(xs)
    s2 = np.float64(SIGMA * SIGMA)                   # float32 product, as Java's sigma * sigma
    for b in range(xs.shape[0]):
        tb = np.float64(np.float32(t[b].item()))
        m = np.float64(MU[y[b]]) if y[b] < NUM_CLASSES else 0.0
        a = (tb * s2 - (1 - tb)) / (tb * tb * s2 + (1 - tb) * (1 - tb))
        out[b] = m + a * (xs[b] - tb * m)
    return torch.from_numpy(out.astype(np.float32))


def linspace_grid(steps, shift):
    ts = torch.linspace(0.0, 1 - 1.0 / steps, steps)
    ts = torch.cat([ts, torch.tensor([1.0])], dim=0)
    return ts / (ts + (1 - ts) * shift)


def lagrange_o2(t1, t2, start, end):
    int1 = 0.5 / (t1 - t2) * ((end - t2) ** 2 - (start - t2) ** 2)
    int2 = 0.5 / (t2 - t1) * ((end - t1) ** 2 - (start - t1) ** 2)
    s = int1 + int2
    return int1 / s, int2 / s


def adams(noise, labels, steps, shift, w, lo, hi):
    ts = linspace_grid(steps, shift)
    deltas = ts[1:] - ts[:-1]
    coeffs = []
    for i in range(steps):
        if i == 0:
            coeffs.append((deltas[0] / deltas[0],))
        else:
            coeffs.append(lagrange_o2(ts[i - 1], ts[i], ts[i], ts[i + 1]))
    B = noise.shape[0]
    y = list(labels) + []
    cfg_y = [NUM_CLASSES] * B + y
    x = noise.clone()
    t_cur = torch.zeros([B])
    preds = []
    for i in range(steps):
        out = velocity(torch.cat([x, x], 0), t_cur.repeat(2), cfg_y)
        u, c = out.chunk(2, dim=0)
        g = w if (t_cur[0] > lo and t_cur[0] < hi) else 1.0
        preds.append(u + g * (c - u))
        v = torch.zeros_like(x)
        order = len(coeffs[i])
        for j in range(order):
            v += coeffs[i][j] * preds[-order:][j]
        dt = deltas[i]
        x = x + v * dt
        t_cur += dt
    return x


def exact(noise, labels):
    out = noise.clone().double()
    for b, yb in enumerate(labels):
        out[b] = float(MU[yb]) + float(SIGMA) * noise[b].double()
    return out.float()


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(7)
    B = 4
    noise = torch.randn(B, 1, 4, 4, generator=g)
    labels = [0, 1, 2, 0]
    cases = [  # name, steps, timeshift, cfg w, lo, hi
        ("s10_shift1_w1", 10, 1.0, 1.0, 0.0, 1.0),
        ("s7_shift3_w1", 7, 3.0, 1.0, 0.0, 1.0),
        ("s12_shift2_w3", 12, 2.0, 3.0, 0.11, 0.97),
        ("s25_shift1_w2.9", 25, 1.0, 2.9, 0.11, 0.97),
    ]
    tensors = {"noise": noise, "labels": torch.tensor(labels, dtype=torch.int32)}
    meta = {}
    for name, steps, shift, w, lo, hi in cases:
        x = adams(noise, labels, steps, shift, w, lo, hi)
        tensors["x_" + name] = x
        tensors["grid_" + name] = linspace_grid(steps, shift)
        meta["case_" + name] = json.dumps({"steps": steps, "timeshift": shift, "cfg": w, "lo": lo, "hi": hi})
        if w == 1.0:
            err = (x - exact(noise, labels)).abs().max().item()
            print(f"{name}: max |x - exact| = {err:.3g}")
    # second order: halving h quarters the error (unguided, no shift)
    e = [(adams(noise, labels, n, 1.0, 1.0, 0, 1) - exact(noise, labels)).abs().max().item() for n in (20, 40)]
    print(f"error 20 steps {e[0]:.3g}, 40 steps {e[1]:.3g}, ratio {e[0] / e[1]:.2f}")
    meta["note"] = "PixNerd AdamLMSampler order 2 on GaussianToy; scripts/reference/make_adams_fixture.py"
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    st.save(OUT, tensors, meta)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
