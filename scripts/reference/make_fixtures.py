"""Writes the golden fixtures for the Java tests (test/src/test/resources/golden/*.safetensors).

Each file holds a tiny DiP's parameters under their official names, one forward/backward case under
`fixture.*` (inputs, output v, MSE loss against a flow-matching target) and `grad.<name>` for every
parameter. tiny_dip also holds a 4-step Euler + CFG sample (`fixture.noise`, `fixture.sample_*`).
Everything is computed in float32 (as the Java side); the script re-runs in float64 and asserts that the
two agree, and asserts that label, t, RoPE and every parameter visibly move the output (docs/model-spec.md
§3, "Testing caution"). Run: /usr/bin/python3 scripts/reference/make_fixtures.py [--out DIR]
"""
import argparse
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from dip_ref import DiP, DipConfig, euler_sample, guided_steps, time_grid, to_uint8  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "test", "src", "test", "resources", "golden")
NOTE = f"made by scripts/reference/make_fixtures.py (PyTorch {torch.__version__})"

CONFIGS = {
    "tiny_dip": DipConfig(16, 4, 3, 32, 2, 2, 10, 8, "DIP"),
    "tiny_dip_p8": DipConfig(16, 8, 3, 32, 2, 2, 10, 8, "DIP"),
    "tiny_dit": DipConfig(16, 4, 3, 32, 2, 2, 10, 8, "DIT_ONLY"),
}
SAMPLE = {"steps": 4, "cfg": 2.0, "lo": 0.1, "hi": 0.9, "labels": [3, 7]}

F64_REL_MAX = 1e-4      # float32 vs float64, max |a - b| / max |b| per tensor (expected ~1e-6)
SENS_MIN = 1e-2         # a change of label / t / one weight must move v by >= 100x the 1e-4 tolerance
ONE_WEIGHT_MIN = 2e-3   # one weight element += 1.0 must move v by >= 20x the tolerance
PARAM_SENS_MIN = 1e-3   # perturbing any whole parameter tensor by 10% of its scale must move v this much


# ----------------------------------------------------------------------------------------------

@torch.no_grad()
def fixture_init(model, seed):
    """Weights where every parameter matters (the official init nearly closes the U-Net path):
    weights N(0, 1/fan_in), norms 1 + N(0, 0.2^2), biases N(0, 0.2^2), label table N(0, 1).
    t_embedder.mlp.0 gets 4x that scale: its 256 cos/sin features vary slowly over t in [0, 1]
    (max period 10), so at fan-in scale a change of t would barely reach the output."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        z = torch.randn(p.shape, generator=g)
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or "_norm." in name:
            p.copy_(1 + 0.2 * z)
        elif name.endswith(".bias"):
            p.copy_(0.2 * z)
        elif "embedding_table" in name:
            p.copy_(z)
        else:
            if ".up" in name:                       # ConvTranspose2d (in, out, k, k): each output sees `in`
                fan_in = p.shape[0]
            else:                                   # Linear (out, in) / Conv2d (out, in, k, k)
                fan_in = p[0].numel()
            gain = 4.0 if name == "t_embedder.mlp.0.weight" else 1.0
            p.copy_(gain * z / fan_in ** 0.5)


def rel(a, b):
    """max |a - b| / max |b| (normwise, so near-zero entries do not blow it up)."""
    return ((a.double() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30)).item()


def rel_change(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def forward_backward(model, x_t, t, y, target):
    model.zero_grad(set_to_none=True)
    v = model(x_t, t, y)
    loss = ((v - target) ** 2).mean()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return v.detach(), loss.detach(), grads


# ----------------------------------------------------------------------------------------------

def make(name, cfg, out_dir, seed):
    print(f"== {name}: {cfg.to_json()}")
    torch.manual_seed(seed)
    model = DiP(cfg)
    fixture_init(model, seed)
    g = torch.Generator().manual_seed(seed + 1)
    B, C, H = 3, cfg.channels, cfg.imageSize
    x0 = torch.rand(B, C, H, H, generator=g) * 2 - 1                  # "data" in [-1, 1]
    eps = torch.randn(B, C, H, H, generator=g)
    t = torch.tensor([0.13, 0.5, 0.91])
    y = torch.tensor([2, 7, cfg.numClasses], dtype=torch.int32)      # the last one is the null class
    x_t = t[:, None, None, None] * x0 + (1 - t[:, None, None, None]) * eps
    target = x0 - eps

    v, loss, grads = forward_backward(model, x_t, t, y, target)
    print(f"   loss {loss.item():.6f}   |v| max {v.abs().max().item():.4f}   params "
          f"{sum(p.numel() for p in model.parameters())} in {len(grads)} tensors")

    # --- float64 re-run: same weights and inputs, everything in double
    m64 = copy.deepcopy(model).double()
    v64, loss64, g64 = forward_backward(m64, x_t.double(), t.double(), y, target.double())
    diffs = {"v": rel(v, v64), "loss": rel(loss, loss64)}
    diffs.update({"grad." + n: rel(grads[n], g64[n]) for n in grads})
    worst = max(diffs, key=diffs.get)
    print(f"   float32 vs float64: v {diffs['v']:.2e}, loss {diffs['loss']:.2e}, "
          f"worst grad {worst} {diffs[worst]:.2e}")
    assert diffs[worst] < F64_REL_MAX, f"float32 vs float64 differ by {diffs[worst]:.2e} in {worst}"

    # --- sensitivity: every input and parameter must visibly move the output
    sens = check_sensitivity(model, cfg, x_t, t, y, v)

    # --- every gradient must be non-trivial
    for n, gr in grads.items():
        assert gr.abs().max() > 0, f"gradient of {n} is zero"

    tensors = {n: p.detach() for n, p in model.named_parameters()}
    tensors.update({"fixture.x0": x0, "fixture.eps": eps, "fixture.x_t": x_t, "fixture.t": t, "fixture.y": y,
                    "fixture.v": v, "fixture.target": target, "fixture.loss": loss.reshape(1)})
    tensors.update({"grad." + n: gr for n, gr in grads.items()})
    meta = {"dip_config": cfg.to_json(), "note": NOTE,
            "fixture": "x_t = t*x0 + (1-t)*eps; target = x0 - eps; v = model(x_t, t, y); "
                       "loss = mean((v - target)^2); grad.<name> = dloss/dparam (all float32)"}
    if name == "tiny_dip":
        tensors.update(make_sample(model, cfg, seed, meta))
    path = os.path.join(out_dir, name + ".safetensors")
    st.save(path, tensors, meta)
    back, meta_back = st.load(path)                                   # round-trip check of st.py
    assert set(back) == set(tensors) and meta_back == meta
    for k, tv in tensors.items():
        assert (torch.from_numpy(back[k]) == tv.cpu()).all(), k
    print(f"   wrote {path}: {os.path.getsize(path)} bytes, {len(tensors)} tensors")
    return {"f64": diffs, "sens": sens, "size": os.path.getsize(path)}


@torch.no_grad()
def check_sensitivity(model, cfg, x_t, t, y, v):
    out = {}
    y2 = y.clone()
    y2[0] = 5                                                         # class 2 -> 5 in sample 0
    out["label 2->5 (sample 0)"] = rel_change(model(x_t, t, y2)[0], v[0])
    y3 = y.clone()
    y3[1] = cfg.numClasses                                            # class 7 -> null in sample 1
    out["label 7->null (sample 1)"] = rel_change(model(x_t, t, y3)[1], v[1])
    t2 = t.clone()
    t2[1] = 0.75                                                      # 0.5 -> 0.75 in sample 1
    out["t 0.5->0.75 (sample 1)"] = rel_change(model(x_t, t2, y)[1], v[1])
    out["RoPE off"] = rel_change(model(x_t, t, y, rope=False), v)
    for pname, idx in [("blocks.0.attn.qkv.weight", (5, 3)), ("blocks.0.attn.q_norm.weight", (1,)),
                       ("s_embedder.proj.weight", (4, 7))]:
        p = dict(model.named_parameters())[pname]
        old = p[idx].item()
        p[idx] = old + 1.0
        out[f"{pname}{list(idx)} += 1"] = rel_change(model(x_t, t, y), v)
        p[idx] = old
    for k, val in out.items():
        print(f"   sensitivity {k}: {val:.3e}")
        floor = ONE_WEIGHT_MIN if "+=" in k else SENS_MIN
        assert val > floor, f"sensitivity check failed: {k} moves v by only {val:.2e}"
    # every parameter tensor: add 10% of its own RMS as noise
    g = torch.Generator().manual_seed(99)
    per = {}
    for pname, p in model.named_parameters():
        old = p.detach().clone()
        p.add_(0.1 * old.pow(2).mean().sqrt() * torch.randn(p.shape, generator=g))
        per[pname] = rel_change(model(x_t, t, y), v)
        p.copy_(old)
    assert torch.equal(model(x_t, t, y), v), "model not restored after sensitivity checks"
    weakest = min(per, key=per.get)
    print(f"   every parameter (10% noise): weakest {weakest} {per[weakest]:.3e}, "
          f"median {sorted(per.values())[len(per) // 2]:.3e}")
    assert per[weakest] > PARAM_SENS_MIN, f"parameter {weakest} hardly matters: {per[weakest]:.2e}"
    out["weakest parameter"] = (weakest, per[weakest])
    return out


def make_sample(model, cfg, seed, meta):
    s = SAMPLE
    g = torch.Generator().manual_seed(seed + 2)
    noise = torch.randn(2, cfg.channels, cfg.imageSize, cfg.imageSize, generator=g)
    labels = torch.tensor(s["labels"], dtype=torch.int32)
    traj = []
    x = euler_sample(model, noise, labels, s["steps"], s["cfg"], s["lo"], s["hi"], trajectory=traj)
    u8 = to_uint8(x)
    guided = guided_steps(s["steps"], s["lo"], s["hi"])
    print(f"   sample: grid {time_grid(s['steps']).tolist()}, guided {guided}")
    assert any(guided) and not all(guided)
    # guidance must matter, and float64 must agree
    x_w1 = euler_sample(model, noise, labels, s["steps"], 1.0, s["lo"], s["hi"])
    print(f"   sample: CFG w=2 vs w=1 relative change {rel_change(x, x_w1):.3e}")
    assert rel_change(x, x_w1) > SENS_MIN
    x64 = euler_sample(copy.deepcopy(model).double(), noise.double(), labels, s["steps"], s["cfg"], s["lo"], s["hi"])
    print(f"   sample: float32 vs float64 {rel(x, x64):.2e}; u8 mismatches vs float64: "
          f"{int((to_uint8(x64) != u8).sum())} of {u8.numel()}")
    assert rel(x, x64) < F64_REL_MAX
    frac = ((x.clamp(-1, 1) + 1) * 127.5 + 0.5)
    frac = (frac - frac.floor()).flatten()
    margin = torch.minimum(frac, 1 - frac)[(x.abs() < 1).flatten()].min().item()
    print(f"   sample: closest unclamped pixel to a uint8 rounding boundary: {margin:.2e} (in 0..255 units)")
    meta["sample_config"] = json.dumps({**s, "guided": guided}, separators=(",", ":"))
    meta["sample"] = ("fixture.noise (B=2) and fixture.sample_y -> Euler + CFG (batch [null; cond], guided iff "
                      "lo < t < hi); fixture.sample_ts the time grid, fixture.sample_traj x after each step "
                      "(index 0 = noise), fixture.sample_x final x (not clamped), fixture.sample_u8 as int32")
    return {"fixture.noise": noise, "fixture.sample_y": labels, "fixture.sample_ts": time_grid(s["steps"]),
            "fixture.sample_traj": torch.stack(traj), "fixture.sample_x": x,
            "fixture.sample_u8": u8.to(torch.int32)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)           # deterministic reductions, and the machine is shared
    results = {}
    for i, (name, cfg) in enumerate(CONFIGS.items()):
        results[name] = make(name, cfg, args.out, seed=1234 + 100 * i)
    print("== summary")
    for name, r in results.items():
        print(f"   {name}: {r['size']} bytes, float32-vs-float64 worst {max(r['f64'].values()):.2e}")
    assert all(r["size"] < 1_000_000 for r in results.values())


if __name__ == "__main__":
    main()
