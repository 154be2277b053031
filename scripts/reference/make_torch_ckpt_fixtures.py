"""Writes torch.save checkpoints of a tiny official-layout DiP for dip.io.TorchCheckpointTest
(dip/src/test/resources/golden/torch_*): what PyTorch Lightning and plain `torch.save(model.state_dict())` produce.

Model: image 32, P = 16 (the official head: 4 stages, here at base width 2 instead of 64 to keep the files small;
the tensor names and the stage structure are the official ones), C = 3, D = 8, 1 head, depth 2, 4 classes.
The project's PatchDetailerHead builds S = log2(16) = 4 stages for P = 16, the official layout.

Files:
  torch_tiny_fp32.ckpt   Lightning-shaped: state_dict with denoiser.* (live), ema_denoiser.* (EMA, different
                         weights; some stored as views: shared flat storage with offsets, transposed, permuted,
                         strided) and diffusion_trainer.* (ignored), AdamW optimizer_states after 2 steps,
                         lr_schedulers, callbacks (with a tensor), loops, hyper_parameters (str/int/float/bool/None,
                         big int, list, tuple, nested dict, bytes, set), hparams_name, epoch, global_step, version
  torch_tiny_bf16.ckpt   the same with every state_dict and optimizer tensor in bfloat16 (a bf16-true run)
  torch_tiny_plain.pt    torch.save of a bare state dict (no prefixes), EMA weights, with dtypes F32, F64
                         (t_embedder.mlp.2.weight), F16 (s_embedder.proj.bias, pre-rounded) and I64
                         (local_decoder.out_conv.bias, integer-valued), plus an ignored non-model key
  torch_tiny_expected.safetensors   x_t (2, 3, 32, 32), t, y (int32) and the PyTorch outputs (float32 forward):
                         v.fp32_ema, v.fp32_live, v.bf16_ema (weights rounded to bf16, run in fp32), v.plain
  torch_p32_official.pt  the official head layout for P = 32 (image 64, 2×2 tokens, same tiny widths): 4 stages,
                         a 2×2 bottleneck over which the token is repeated; torch.save of a bare state dict
  torch_p32_expected.safetensors    its x_t (2, 3, 64, 64), t, y and v (float32 forward)

Deterministic. Run: /usr/bin/python3 scripts/reference/make_torch_ckpt_fixtures.py [--out DIR]
"""
import argparse
import collections
import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402
from dip_ref import DiP, DipConfig  # noqa: E402
from make_fixtures import fixture_init, rel_change  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "dip", "src", "test", "resources", "golden")
CFG = DipConfig(imageSize=32, patchSize=16, channels=3, hidden=8, depth=2, heads=1, numClasses=4, headWidth=2)
CFG32 = DipConfig(imageSize=64, patchSize=32, channels=3, hidden=8, depth=2, heads=1, numClasses=4, headWidth=2)
PARAM_SENS_MIN = 2e-4       # shuffling any one tensor moves v by >= 10x the Java test tolerance (2e-5)
TOKEN_GAIN, QK_GAIN = 3.0, 3.0


class LitLike(nn.Module):
    """The attribute layout of the official LightningModule: denoiser, ema_denoiser, diffusion_trainer."""

    def __init__(self, live, ema):
        super().__init__()
        self.denoiser = live
        self.ema_denoiser = ema
        self.diffusion_trainer = nn.Module()
        self.diffusion_trainer.proj = nn.Linear(CFG.hidden, 4)      # stands in for the REPA projector


@torch.no_grad()
def louder_backbone(model):
    """At this width the head's skip path drowns the token: scale the token's columns of the bottleneck and the
    QK-norm weights (sharper attention) so that every backbone tensor visibly moves the output."""
    w = model.local_decoder.bottleneck[0].weight                   # (wS, wS + D, 1, 1): token columns last
    w[:, -model.cfg.hidden:] *= TOKEN_GAIN
    for b in model.blocks:
        b.attn.q_norm.weight *= QK_GAIN
        b.attn.k_norm.weight *= QK_GAIN


@torch.no_grad()
def as_views(model):
    """Re-homes some parameters into non-contiguous storage (values unchanged), as torch.save then keeps them:
    two share one flat storage at offsets, one is a transpose, one a permuted conv weight, one a strided slice."""
    p = dict(model.named_parameters())
    a, b = p["blocks.0.attn.qkv.weight"], p["local_decoder.enc4.0.weight"]
    flat = torch.zeros(7 + a.numel() + 5 + b.numel() + 3)
    va = flat[7:7 + a.numel()].view(a.shape)
    vb = flat[12 + a.numel():12 + a.numel() + b.numel()].view(b.shape)
    va.copy_(a)
    vb.copy_(b)
    a.data, b.data = va, vb
    w = p["t_embedder.mlp.0.weight"]                               # (D, 256) stored as (256, D).t()
    t = torch.empty(w.shape[1], w.shape[0])
    t.copy_(w.t())
    w.data = t.t()
    c = p["local_decoder.dec4.0.weight"]                           # (o, i, 3, 3) stored as (3, 3, o, i)
    s = torch.empty(c.shape[2], c.shape[3], c.shape[0], c.shape[1])
    s.copy_(c.permute(2, 3, 0, 1))
    c.data = s.permute(2, 3, 0, 1)
    e = p["y_embedder.embedding_table.weight"]                     # (rows, D) as every other column of (rows, 2D)
    wide = torch.zeros(e.shape[0], 2 * e.shape[1])
    wide[:, 1::2] = e
    e.data = wide[:, 1::2]
    for n in ("blocks.0.attn.qkv.weight", "t_embedder.mlp.0.weight", "local_decoder.dec4.0.weight",
              "y_embedder.embedding_table.weight"):
        assert not p[n].is_contiguous() or p[n].storage_offset() > 0, n


def lightning_checkpoint(lit, opt, dtype=None):
    sd = lit.state_dict()                                          # OrderedDict with _metadata (pickled via BUILD)
    osd = opt.state_dict()
    if dtype is not None:
        for k in sd:
            sd[k] = sd[k].to(dtype)
        for st_ in osd["state"].values():
            for k, v in st_.items():
                if torch.is_tensor(v) and v.dim() > 0:
                    st_[k] = v.to(dtype)
    return {
        "epoch": 7,
        "global_step": 1234,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": sd,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 8, "completed": 7}},
                               "epoch_loop.batch_progress": {"current": {"ready": 10}, "is_last_batch": False}}},
        "callbacks": {
            "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 1000}": {
                "monitor": None, "best_model_score": None, "best_model_path": "", "current_score": None,
                "dirpath": "/exp/ckpts", "best_k_models": {}, "kth_best_model_path": "",
                "kth_value": torch.tensor(float("inf")), "last_model_path": "/exp/ckpts/last.ckpt"},
            "SimpleEMA": {"decay": 0.9999, "every_n_steps": 1},
        },
        "optimizer_states": [osd],
        "lr_schedulers": [{"base_lrs": [1e-4], "last_epoch": 1234, "_step_count": 1235, "lr_lambdas": [None]}],
        "hparams_name": "kwargs",
        "hyper_parameters": {
            "denoiser": {"hidden_size": CFG.hidden, "num_blocks": CFG.depth, "num_groups": CFG.heads,
                         "patch_size": CFG.patchSize, "in_channels": CFG.channels, "num_classes": CFG.numClasses},
            "lr": 1e-4, "betas": [0.9, 0.95], "name": "DiP-tiny (fixture) é", "precision": "bf16-mixed",
            "max_steps": 2 ** 40, "seed": -3, "compile": True, "resume": None, "shape": (3, 32, 32),
            "tag": b"\x00\xffdip", "classes": {1, 2, 3}, "frozen": frozenset(["a"]),
        },
    }


def train_two_steps(lit, opt, g):
    for _ in range(2):
        x = torch.randn(2, CFG.channels, CFG.imageSize, CFG.imageSize, generator=g)
        t = torch.rand(2, generator=g)
        y = torch.randint(0, CFG.numClasses, (2,), generator=g)
        loss = lit.denoiser(x, t, y).pow(2).mean() + lit.diffusion_trainer.proj(torch.ones(1, CFG.hidden)).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


@torch.no_grad()
def check_every_param_matters(model, x, t, y, v):
    """A storage read at the wrong offset or with the wrong strides gives a tensor its own values in another
    order: shuffling any one tensor must move v by 10x the Java test tolerance."""
    g = torch.Generator().manual_seed(7)
    worst = (None, float("inf"))
    for name, p in model.named_parameters():
        old = p.detach().clone()
        perm = torch.randperm(old.numel(), generator=g)
        if torch.equal(perm, torch.arange(old.numel())):
            perm = perm.roll(1)                                    # never the identity
        p.copy_(old.flatten()[perm].view(old.shape))
        r = rel_change(model(x, t, y), v)
        p.copy_(old)
        if r < worst[1]:
            worst = (name, r)
    print(f"   weakest parameter when shuffled: {worst[0]} {worst[1]:.3e}")
    assert worst[1] > PARAM_SENS_MIN, worst


@torch.no_grad()
def bf16_rounded(model):
    m = copy.deepcopy(model)
    for p in m.parameters():
        p.copy_(p.to(torch.bfloat16).float())
    return m


def check_load(path, want):
    """torch.load gives back what was saved (state_dict tensors equal, views kept)."""
    back = torch.load(path)
    sd = back["state_dict"] if "state_dict" in back else back
    for k, v in want.items():
        assert torch.equal(sd[k].float(), v.float()), k


def p32_official(out_dir, out):
    """The official head layout for P = 32: 4 stages (enc1 at 32x32 ... enc4 at 4x4), a 2x2 bottleneck over which
    the token is repeated. Checks the layout, that the token and every parameter move v, and writes the fixture."""
    model = DiP(CFG32)
    fixture_init(model, 3232)
    louder_backbone(model)
    names = [n for n, _ in model.named_parameters() if n.startswith("local_decoder.enc")]
    assert [n for n in names if n.endswith(".weight")] == [f"local_decoder.enc{i}.0.weight" for i in range(1, 5)], names
    wS = CFG32.headWidth * 8
    assert tuple(model.local_decoder.bottleneck[0].weight.shape) == (wS, wS + CFG32.hidden, 1, 1)
    g = torch.Generator().manual_seed(32)
    x_t = torch.randn(2, CFG32.channels, CFG32.imageSize, CFG32.imageSize, generator=g)
    t = torch.tensor([0.4, 0.7])
    y = torch.tensor([2, CFG32.numClasses], dtype=torch.int32)
    with torch.no_grad():
        v = model(x_t, t, y)
        h = model.local_decoder.enc1(x_t[:1, :, :32, :32])                # the bottleneck really is 2x2 for P = 32
        for i in range(2, 5):
            h = getattr(model.local_decoder, f"enc{i}")(F.max_pool2d(h, 2, 2))
        assert F.max_pool2d(h, 2, 2).shape[-2:] == (2, 2)
        v_label = model(x_t, t, torch.tensor([3, CFG32.numClasses], dtype=torch.int32))
    print(f"== P = 32, official layout {CFG32.to_json()}: {sum(p.numel() for p in model.parameters())} parameters")
    print(f"   changing the label moves v by {rel_change(v_label, v):.3e}")
    assert rel_change(v_label, v) > 1e-3
    check_every_param_matters(model, x_t, t, y, v)
    sd = collections.OrderedDict((k, p.detach().clone()) for k, p in model.state_dict().items())
    path = os.path.join(out_dir, "torch_p32_official.pt")
    torch.save(sd, path)
    check_load(path, sd)
    out[path] = os.path.getsize(path)
    path = os.path.join(out_dir, "torch_p32_expected.safetensors")
    st.save(path, {"x_t": x_t, "t": t, "y": y, "v": v},
            {"dip_config": CFG32.to_json(),
             "note": f"made by scripts/reference/make_torch_ckpt_fixtures.py (PyTorch {torch.__version__})"})
    out[path] = os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    live, ema = DiP(CFG), DiP(CFG)
    fixture_init(live, 4242)
    fixture_init(ema, 4343)                    # EMA weights differ from the live ones, so picking the wrong set fails
    for m in (live, ema):
        louder_backbone(m)
    lit = LitLike(live, ema)
    opt = torch.optim.AdamW(list(live.parameters()) + list(lit.diffusion_trainer.parameters()), lr=1e-3)
    g = torch.Generator().manual_seed(11)
    train_two_steps(lit, opt, g)
    as_views(ema)

    x_t = torch.randn(2, CFG.channels, CFG.imageSize, CFG.imageSize, generator=g)
    t = torch.tensor([0.3, 0.8])
    y = torch.tensor([1, CFG.numClasses], dtype=torch.int32)       # the second is the null class
    with torch.no_grad():
        v_ema, v_live = ema(x_t, t, y), live(x_t, t, y)
        v_bf16 = bf16_rounded(ema)(x_t, t, y)
    print(f"== {CFG.to_json()}: {sum(p.numel() for p in ema.parameters())} parameters")
    print(f"   EMA vs live output: relative change {rel_change(v_live, v_ema):.3e}; "
          f"bf16 rounding moves v by {rel_change(v_bf16, v_ema):.3e}")
    assert rel_change(v_live, v_ema) > 0.1 and rel_change(v_bf16, v_ema) > 1e-4
    check_every_param_matters(ema, x_t, t, y, v_ema)

    out = {}
    path = os.path.join(args.out, "torch_tiny_fp32.ckpt")
    ck = lightning_checkpoint(lit, opt)
    torch.save(ck, path)
    check_load(path, ck["state_dict"])
    out[path] = os.path.getsize(path)

    path = os.path.join(args.out, "torch_tiny_bf16.ckpt")
    ck = lightning_checkpoint(lit, opt, torch.bfloat16)
    torch.save(ck, path)
    check_load(path, ck["state_dict"])
    out[path] = os.path.getsize(path)

    # A bare state dict of the EMA model, several dtypes; the expected output uses exactly the stored values.
    plain_model = copy.deepcopy(ema)
    pp = dict(plain_model.named_parameters())
    with torch.no_grad():
        pp["local_decoder.out_conv.bias"].copy_(torch.tensor([1.0, -2.0, 0.0]))
        pp["s_embedder.proj.bias"].copy_(pp["s_embedder.proj.bias"].half().float())
    sd = collections.OrderedDict((k, v.detach().contiguous()) for k, v in plain_model.state_dict().items())
    sd["t_embedder.mlp.2.weight"] = sd["t_embedder.mlp.2.weight"].double()
    sd["s_embedder.proj.bias"] = sd["s_embedder.proj.bias"].half()
    sd["local_decoder.out_conv.bias"] = sd["local_decoder.out_conv.bias"].long()
    sd["num_updates"] = torch.tensor(5, dtype=torch.int64)           # not a model tensor: ignored by the reader
    path = os.path.join(args.out, "torch_tiny_plain.pt")
    torch.save(sd, path)
    check_load(path, sd)
    out[path] = os.path.getsize(path)
    with torch.no_grad():
        v_plain = plain_model(x_t, t, y)
    print(f"   plain (F64/F16/I64 tensors) vs EMA output: {rel_change(v_plain, v_ema):.3e}")
    assert rel_change(v_plain, v_ema) > 1e-2

    path = os.path.join(args.out, "torch_tiny_expected.safetensors")
    st.save(path, {"x_t": x_t, "t": t, "y": y, "v.fp32_ema": v_ema, "v.fp32_live": v_live, "v.bf16_ema": v_bf16,
                   "v.plain": v_plain},
            {"dip_config": CFG.to_json(),
             "note": f"made by scripts/reference/make_torch_ckpt_fixtures.py (PyTorch {torch.__version__})"})
    out[path] = os.path.getsize(path)
    p32_official(args.out, out)
    for p, n in out.items():
        print(f"   wrote {os.path.relpath(p, ROOT)}: {n} bytes")


if __name__ == "__main__":
    main()
