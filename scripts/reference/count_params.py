"""Prints DiP parameter counts, computed from the shapes without allocating anything, and (with --build)
cross-checks them by building the model on the meta device. The Java side asserts the same numbers.

  /usr/bin/python3 scripts/reference/count_params.py [--build]
"""
import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dip_ref import L16, XL16, DiP, count_params, param_shapes  # noqa: E402

EXPECTED_XL16 = 631_989_411


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="store_true", help="also build each model on the meta device and compare")
    args = ap.parse_args()
    for name, cfg in [("XL/16", XL16), ("L/16", L16)]:
        for head in ("DIP", "DIT_ONLY"):
            c = dataclasses.replace(cfg, head=head)
            n, k = count_params(c)
            head_n = sum(math_prod(s) for nm, s in param_shapes(c) if nm.startswith(("local_decoder", "final_layer")))
            print(f"{name:6s} {head:8s} {n:>13,d} params in {k} tensors (head {head_n:,d})")
            if args.build:
                import torch
                with torch.no_grad():
                    m = _meta(c)
                got = [(nm, tuple(p.shape)) for nm, p in m.state_dict().items()]
                assert got == param_shapes(c), f"{name} {head}: module and analytic shapes differ"
                assert sum(p.numel() for p in m.parameters()) == n
    n, _ = count_params(XL16)
    assert n == EXPECTED_XL16, f"XL/16 has {n} params, expected {EXPECTED_XL16}"


def math_prod(s):
    r = 1
    for d in s:
        r *= d
    return r


def _meta(cfg):
    """DiP(cfg) with every parameter moved to the meta device right after construction of each layer."""
    import torch
    import torch.nn as nn
    orig = nn.Module.register_parameter

    def to_meta(self, name, param):
        if param is not None:
            param = nn.Parameter(torch.empty(param.shape, device="meta"), requires_grad=param.requires_grad)
        return orig(self, name, param)

    nn.Module.register_parameter = to_meta
    try:
        return DiP(cfg)
    finally:
        nn.Module.register_parameter = orig


if __name__ == "__main__":
    main()
