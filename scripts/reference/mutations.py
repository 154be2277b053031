"""Mutation check: the golden fixtures must catch the mistakes a port is likely to make.

Each mutation below is a plausible slip (RoPE order, qkv layout, adaLN chunk order, concat order, ...).
The script loads tiny_dip / tiny_dip_p8 / tiny_dit from the golden folder, runs the reference forward with
the mutation patched in, and asserts that the output moves by far more than the Java test tolerance.
Run: /usr/bin/python3 scripts/reference/mutations.py
"""
import contextlib
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dip_ref  # noqa: E402
import st  # noqa: E402
from dip_ref import DiP, DipConfig  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "test", "src", "test", "resources", "golden")
MIN_CHANGE = 1e-3   # 10x the 1e-4 relative tolerance the Java golden tests use


@contextlib.contextmanager
def patched(obj, attr, value):
    old = getattr(obj, attr)
    setattr(obj, attr, value)
    try:
        yield
    finally:
        setattr(obj, attr, old)


# ---- the mutations: each is a function returning a context manager

def rope_before_qk_norm():
    def fwd(self, x, ang):
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.NH, self.hd).unbind(dim=2)
        q, k = self.q_norm(dip_ref.apply_rope(q, ang)), self.k_norm(dip_ref.apply_rope(k, ang))
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) * self.hd ** -0.5, dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(B, N, D))
    return patched(dip_ref.Attention, "forward", fwd)


def qkv_heads_outer():   # reshape (B, N, NH, 3, hd) instead of (B, N, 3, NH, hd)
    def fwd(self, x, ang):
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, self.NH, 3, self.hd).unbind(dim=3)
        q, k = self.q_norm(q), self.k_norm(k)
        q, k = dip_ref.apply_rope(q, ang), dip_ref.apply_rope(k, ang)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) * self.hd ** -0.5, dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(B, N, D))
    return patched(dip_ref.Attention, "forward", fwd)


def _angles(variant):
    orig = dip_ref.rope_angles

    def angles(cfg, dtype=torch.float32):
        a = orig(cfg, dtype)                                    # (N, hd/2) = [x f0, y f0, x f1, y f1, ...]
        if variant == "swap_xy":
            return a.reshape(a.shape[0], -1, 2).flip(-1).reshape(a.shape)
        if variant == "not_interleaved":                        # [x f0, x f1, ..., y f0, y f1, ...]
            return a.reshape(a.shape[0], -1, 2).transpose(1, 2).reshape(a.shape)
        if variant == "integer_positions":                      # 0..g-1 instead of linspace(0, 16, g)
            g = cfg.grid
            return a * ((g - 1) / 16.0) if g > 1 else a
        raise ValueError(variant)
    return patched(dip_ref, "rope_angles", angles)


def rope_rotate_halves():   # GPT-NeoX style: pairs (j, j + hd/2) instead of (2j, 2j+1)
    def rope(q, ang):
        h = q.shape[-1] // 2
        cos, sin = torch.cos(ang)[None, :, None, :], torch.sin(ang)[None, :, None, :]
        a, b = q[..., :h], q[..., h:]
        return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
    return patched(dip_ref, "apply_rope", rope)


def _tfeat(variant):
    orig = dip_ref.timestep_features

    def feat(t, dim=256, max_period=10.0):
        if variant == "sin_first":
            f = orig(t, dim, max_period)
            return torch.cat([f[:, dim // 2:], f[:, :dim // 2]], dim=-1)
        if variant == "max_period_10000":
            return orig(t, dim, 10000.0)
        if variant == "t_times_1000":
            return orig(t * 1000, dim, max_period)
        raise ValueError(variant)
    return patched(dip_ref, "timestep_features", feat)


def _block(variant):
    def fwd(self, x, c, ang):
        if variant == "silu_before_adaln":
            c = F.silu(c)
        m = list(self.adaLN_modulation(c).chunk(6, dim=-1))
        if variant == "scale_shift_swapped":
            m[0], m[1], m[3], m[4] = m[1], m[0], m[4], m[3]
        if variant == "msa_mlp_swapped":
            m = m[3:] + m[:3]
        sh1, sc1, g1, sh2, sc2, g2 = m
        x = x + g1 * self.attn(self.norm1(x) * (1 + sc1) + sh1, ang)
        return x + g2 * self.mlp(self.norm2(x) * (1 + sc2) + sh2)
    return patched(dip_ref.Block, "forward", fwd)


def swiglu_w1_w3_swapped():
    return patched(dip_ref.SwiGLU, "forward", lambda self, x: self.w2(F.silu(self.w3(x)) * self.w1(x)))


def _head(variant):
    def fwd(self, x, s):
        skips = []
        for i in range(1, self.S + 1):
            x = getattr(self, f"enc{i}")(x)
            skips.append(x)
            x = F.max_pool2d(x, 2, 2)
        x = self.bottleneck(torch.cat([s, x] if variant == "token_first" else [x, s], dim=1))
        for i in range(self.S, 0, -1):
            x = getattr(self, f"up{i}")(x)
            pair = [skips[i - 1], x] if variant == "skip_first" else [x, skips[i - 1]]
            x = getattr(self, f"dec{i}")(torch.cat(pair, dim=1))
        return self.out_conv(x)
    return patched(dip_ref.DetailerHead, "forward", fwd)


def no_silu_te_plus_s():   # the head gets te + s without the SiLU
    orig = F.silu

    def silu(x, inplace=False):
        # the only SiLU on a (B, N, D) tensor with N > 1 is silu(te + s); c is (B, 1, D), the head's are 4-D
        return x if x.dim() == 3 and x.shape[1] > 1 else orig(x, inplace)
    return patched(F, "silu", silu)


def patch_order_kx_ky_c():  # patch vectors ordered (ky, kx, c) instead of (c, ky, kx)
    def unfold(self, x):
        B, C, H, W = x.shape
        P, g = self.cfg.patchSize, H // self.cfg.patchSize
        return x.reshape(B, C, g, P, g, P).permute(0, 2, 4, 3, 5, 1).reshape(B, g * g, C * P * P)
    return patched(DiP, "unfold", unfold)


def final_layer_scale_shift_swapped():
    def fwd(self, x, c):
        scale, shift = self.adaLN_modulation(c).chunk(2, dim=-1)
        return self.linear(F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale) + shift)
    return patched(dip_ref.FinalLayer, "forward", fwd)


MUTATIONS = {
    "RoPE before QK-norm": rope_before_qk_norm,
    "qkv reshaped (NH, 3, hd)": qkv_heads_outer,
    "RoPE axes swapped (y, x)": lambda: _angles("swap_xy"),
    "RoPE angles not interleaved": lambda: _angles("not_interleaved"),
    "RoPE integer positions": lambda: _angles("integer_positions"),
    "RoPE rotates halves": rope_rotate_halves,
    "t features sin first": lambda: _tfeat("sin_first"),
    "t features max period 10000": lambda: _tfeat("max_period_10000"),
    "t scaled by 1000": lambda: _tfeat("t_times_1000"),
    "extra SiLU before adaLN": lambda: _block("silu_before_adaln"),
    "adaLN shift/scale swapped": lambda: _block("scale_shift_swapped"),
    "adaLN msa/mlp chunks swapped": lambda: _block("msa_mlp_swapped"),
    "SwiGLU w1/w3 swapped": swiglu_w1_w3_swapped,
    "bottleneck concat [token, pooled]": lambda: _head("token_first"),
    "decoder concat [skip, up]": lambda: _head("skip_first"),
    "no silu(te + s) before the head": no_silu_te_plus_s,
    "patch vector order (ky, kx, c)": patch_order_kx_ky_c,
    "final layer shift/scale swapped": final_layer_scale_shift_swapped,
}
APPLIES = {"bottleneck concat [token, pooled]": "DIP", "decoder concat [skip, up]": "DIP",
           "no silu(te + s) before the head": "DIP", "final layer shift/scale swapped": "DIT_ONLY"}


def main():
    failures = []
    for name in ("tiny_dip", "tiny_dip_p8", "tiny_dit"):
        tensors, meta = st.load(os.path.join(GOLDEN, name + ".safetensors"))
        cfg = DipConfig.from_json(meta["dip_config"])
        model = DiP(cfg)
        model.load_state_dict({k: torch.from_numpy(tensors[k]) for k in model.state_dict()})
        x_t, t, y = (torch.from_numpy(tensors["fixture." + k]) for k in ("x_t", "t", "y"))
        v_ref = torch.from_numpy(tensors["fixture.v"])
        with torch.no_grad():
            v = model(x_t, t, y)
            assert (v - v_ref).abs().max() < 1e-5, f"{name}: the stored v does not reproduce"
            print(f"== {name}")
            for mname, make in MUTATIONS.items():
                if APPLIES.get(mname, cfg.head) != cfg.head:
                    continue
                with make():
                    vm = model(x_t, t, y)
                ch = ((vm - v_ref).norm() / v_ref.norm()).item()
                flag = "ok" if ch > MIN_CHANGE else "NOT CAUGHT"
                print(f"   {mname:36s} relative change {ch:.3e}  {flag}")
                if ch <= MIN_CHANGE:
                    failures.append(f"{name}: {mname}")
    if failures:
        print("mutations the fixtures would not catch: " + "; ".join(failures))
        sys.exit(1)
    print("all mutations caught")


if __name__ == "__main__":
    main()
