"""Checks a checkpoint written by the Java code against the PyTorch reference forward.

Loads the parameters (official names; a `ema_denoiser.` or `denoiser.` prefix is stripped, EMA preferred
unless --raw), the model config from the metadata key "dip_config", and an inputs file holding
x_t (B, C, H, W), t (B), y (B) (also accepted as fixture.x_t / fixture.t / fixture.y) and the Java output
`java.v`. Runs the reference forward and prints the max abs and max relative difference
(max |ref - java| / max(max |ref|, max |java|)). Exit code 0 if within --tol, 1 if not, 2 on bad input.

  /usr/bin/python3 scripts/reference/check_java_checkpoint.py CKPT.safetensors INPUTS.safetensors [--tol 1e-4]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from dip_ref import DiP, DipConfig, param_shapes  # noqa: E402


def load_model(path, prefer_ema=True):
    tensors, meta = st.load(path)
    if "dip_config" not in meta:
        raise ValueError(f"{path}: no 'dip_config' in the metadata (keys: {sorted(meta)})")
    cfg = DipConfig.from_json(meta["dip_config"])
    prefixes = ["ema_denoiser.", "denoiser."] if prefer_ema else ["denoiser.", "ema_denoiser."]
    params = {k: v for k, v in tensors.items() if "." in k and not k.startswith(("fixture.", "grad.", "java."))}
    for pre in prefixes:
        if any(k.startswith(pre) for k in params):
            params = {k[len(pre):]: v for k, v in params.items() if k.startswith(pre)}
            print(f"using the '{pre}' weights")
            break
    expected = dict(param_shapes(cfg))
    missing = sorted(set(expected) - set(params))
    extra = sorted(set(params) - set(expected))
    if missing:
        raise ValueError(f"{path}: {len(missing)} tensors missing, first {missing[:5]}")
    if extra:
        print(f"note: ignoring {len(extra)} unexpected tensors, first {extra[:5]}")
    model = DiP(cfg)
    sd = {}
    for name, shape in expected.items():
        a = params[name]
        if tuple(a.shape) != tuple(shape):
            raise ValueError(f"{path}: tensor {name} has shape {tuple(a.shape)}, the config needs {tuple(shape)}")
        sd[name] = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    model.load_state_dict(sd)
    return model, cfg


def pick(tensors, *names):
    for n in names:
        if n in tensors:
            return tensors[n]
    raise ValueError(f"inputs file has none of {names} (it has {sorted(tensors)[:10]} ...)")


def main():
    ap = argparse.ArgumentParser(description="Compare a Java DiP checkpoint's forward with the PyTorch reference.")
    ap.add_argument("checkpoint")
    ap.add_argument("inputs")
    ap.add_argument("--tol", type=float, default=1e-4, help="max relative difference allowed (default 1e-4)")
    ap.add_argument("--raw", action="store_true", help="prefer 'denoiser.' over 'ema_denoiser.' weights")
    ap.add_argument("--f64", action="store_true", help="run the reference in float64")
    args = ap.parse_args()
    try:
        model, cfg = load_model(args.checkpoint, prefer_ema=not args.raw)
        inp, _ = st.load(args.inputs)
        x_t = torch.from_numpy(pick(inp, "x_t", "fixture.x_t")).float()
        t = torch.from_numpy(pick(inp, "t", "fixture.t")).float()
        y = torch.from_numpy(pick(inp, "y", "fixture.y")).long()
        jv = torch.from_numpy(pick(inp, "java.v")).double()
    except (ValueError, KeyError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"config {cfg.to_json()}")
    if args.f64:
        model, x_t, t = model.double(), x_t.double(), t.double()
    with torch.no_grad():
        v = model(x_t, t, y).double()
    if v.shape != jv.shape:
        print(f"error: java.v has shape {tuple(jv.shape)}, the reference gives {tuple(v.shape)}", file=sys.stderr)
        return 2
    d = (v - jv).abs()
    max_abs = d.max().item()
    max_rel = max_abs / max(v.abs().max().item(), jv.abs().max().item(), 1e-30)
    i = np.unravel_index(int(d.argmax()), tuple(d.shape))
    print(f"max abs diff {max_abs:.3e} at {tuple(int(k) for k in i)} (ref {v[i].item():.6f}, java {jv[i].item():.6f})")
    print(f"max rel diff {max_rel:.3e} (tolerance {args.tol:.1e})")
    ok = max_rel <= args.tol
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
