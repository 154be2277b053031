"""Writes dip/src/test/resources/golden/detailer_head_p16.safetensors: one forward/backward case of the Patch
Detailer Head alone (dip_ref.DetailerHead = official LocalDecoder structure), for dip.model.PatchDetailerHeadTorchTest.

Shape: C = 3, P = 16 (4 stages, as the official head), token width D = 8, base width 4 (official: 64), BN = 3
patches. Weights where every parameter matters: N(0, 1/fan_in) (ConvTranspose2d: fan_in = in channels), biases
N(0, 0.2^2). Computed in float64, stored as float32. Tensors:
  local_decoder.<name>           every parameter, official names, in state_dict order
  fixture.patches (3, 3, 16, 16), fixture.s (3, 8), fixture.dout (3, 3, 16, 16), fixture.out = head(patches, s)
  grad.patches, grad.s, grad.local_decoder.<name>   d<out, dout>/d(.)
Run: /usr/bin/python3 scripts/reference/make_head_fixture.py   (deterministic; ~1 s)
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from dip_ref import DetailerHead, DipConfig  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "dip", "src", "test", "resources", "golden", "detailer_head_p16.safetensors")
C, P, D, WIDTH, BN = 3, 16, 8, 4, 3


def main():
    cfg = DipConfig(imageSize=32, patchSize=P, channels=C, hidden=D, depth=1, heads=2, numClasses=10, headWidth=WIDTH)
    head = DetailerHead(cfg).double()
    g = torch.Generator().manual_seed(2024)
    with torch.no_grad():
        for name, p in head.named_parameters():
            z = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if name.endswith(".bias"):
                p.copy_(0.2 * z)
            else:
                fan_in = p.shape[0] if name.startswith("up") else p[0].numel()
                p.copy_(z / fan_in ** 0.5)
    patches = torch.randn(BN, C, P, P, generator=g, dtype=torch.float64).requires_grad_()
    s = torch.randn(BN, D, generator=g, dtype=torch.float64).requires_grad_()
    dout = torch.randn(BN, C, P, P, generator=g, dtype=torch.float64)
    out = head(patches, s.view(BN, D, 1, 1))
    (out * dout).sum().backward()

    # The token must matter: shifting s by 1 moves the output by much more than the 1e-4 test tolerance.
    with torch.no_grad():
        moved = (head(patches, (s + 1.0).view(BN, D, 1, 1)) - out).abs().max() / out.abs().max()
    assert moved > 1e-2, f"s barely moves the output ({moved:.2e})"

    t = {}
    for name, p in head.named_parameters():
        t["local_decoder." + name] = p.detach().float()
    t["fixture.patches"] = patches.detach().float()
    t["fixture.s"] = s.detach().float()
    t["fixture.dout"] = dout.float()
    t["fixture.out"] = out.detach().float()
    t["grad.patches"] = patches.grad.float()
    t["grad.s"] = s.grad.float()
    for name, p in head.named_parameters():
        t["grad.local_decoder." + name] = p.grad.float()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    st.save(OUT, t, {"note": f"made by scripts/reference/make_head_fixture.py (PyTorch {torch.__version__}), float64",
                     "head": f"C={C} P={P} D={D} width={WIDTH} BN={BN}", "s_moves_out": f"{moved:.3e}"})
    print(f"wrote {OUT}: {len(t)} tensors, {os.path.getsize(OUT)} bytes; s shift moves out by {moved:.3e}")


if __name__ == "__main__":
    main()
