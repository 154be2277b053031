"""PyTorch reference of DiP (arXiv 2511.18822), written from docs/model-spec.md §1, §2, §3, §5, §7 and
checked line by line against the official src/models/transformer/dip.py (read, not copied).

It exists to produce golden fixtures for the Java code and to check Java checkpoints; it is not a
training codebase. Parameter names are the official state_dict names, so weights move both ways.
Also: the Patch Detailer Head for any P (official 4 stages for P = 16k, log2 P below), a DiT-only final layer, the Euler
sampler with classifier-free guidance, and the uint8 conversion. Runs with torch 1.13 (no SDPA).
"""
import json
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------------------
# Config (same keys as the Java record dip.model.DipConfig, stored as JSON under "dip_config")

@dataclass(frozen=True)
class DipConfig:
    imageSize: int
    patchSize: int
    channels: int
    hidden: int
    depth: int
    heads: int
    numClasses: int
    headWidth: int
    head: str = "DIP"          # "DIP" (Patch Detailer Head) or "DIT_ONLY" (DiT final layer)
    adaLnZero: bool = False    # the official code does not zero adaLN; offered as an option

    def __post_init__(self):
        assert self.imageSize % self.patchSize == 0, "imageSize must be a multiple of patchSize"
        assert self.hidden % self.heads == 0 and (self.hidden // self.heads) % 4 == 0, "head dim % 4 != 0"
        assert self.head in ("DIP", "DIT_ONLY"), self.head
        if self.head == "DIP":
            assert self.patchSize >= 2 and self.patchSize & (self.patchSize - 1) == 0, "P must be 2^k"

    @property
    def grid(self): return self.imageSize // self.patchSize

    @property
    def tokens(self): return self.grid * self.grid

    @property
    def head_dim(self): return self.hidden // self.heads

    @property
    def patch_dim(self): return self.channels * self.patchSize ** 2

    @property
    def mlp_hidden(self):
        # official: mlp_hidden_dim = int(hidden * 4.0); FeedForward then takes int(2 * that / 3)
        return int(2 * int(self.hidden * 4.0) / 3)

    @property
    def stages(self):
        # the official head keeps 4 stages for P = 16k (a (P/16)^2 bottleneck); smaller P: log2 P (1x1 bottleneck)
        return 4 if self.patchSize % 16 == 0 else self.patchSize.bit_length() - 1

    def to_json(self): return json.dumps(asdict(self), separators=(",", ":"))

    @staticmethod
    def from_json(s):
        d = json.loads(s)
        return DipConfig(**{k: d[k] for k in DipConfig.__dataclass_fields__ if k in d})


XL16 = DipConfig(256, 16, 3, 1152, 26, 16, 1000, 64)
L16 = DipConfig(256, 16, 3, 1024, 22, 16, 1000, 64)


# ----------------------------------------------------------------------------------------------
# Pieces of the backbone

class RMSNorm(nn.Module):
    """y = w * x / sqrt(mean(x^2) + eps) over the last axis (computed in the input's dtype)."""

    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def timestep_features(t, dim=256, max_period=10.0):
    """[cos(t f_i), sin(t f_i)] with f_i = exp(-ln(max_period) i / (dim/2)), cos first. t: (B) in [0, 1]."""
    half = dim // 2
    i = torch.arange(half, dtype=t.dtype, device=t.device)
    freqs = torch.exp(-math.log(max_period) * i / half)
    ang = t[:, None] * freqs[None, :]
    return torch.cat([torch.cos(ang), torch.sin(ang)], dim=-1)


def rope_angles(cfg: DipConfig, dtype=torch.float32):
    """Angles (N, hd/2): for token n at (row, col), [x f0, y f0, x f1, y f1, ...] with
    x = linspace(0, 16, grid)[col], y = linspace(0, 16, grid)[row], f_k = 1 / 10000^(k / hd), k = 0, 4, ..."""
    g, hd = cfg.grid, cfg.head_dim
    pos = torch.linspace(0, 16, g, dtype=torch.float32)            # the official code builds these in fp32
    ys = pos[:, None].expand(g, g).reshape(-1)                     # row-major tokens: n = row * g + col
    xs = pos[None, :].expand(g, g).reshape(-1)
    freqs = 1.0 / (10000.0 ** (torch.arange(0, hd, 4, dtype=torch.float32)[: hd // 4] / hd))
    ax = xs[:, None] * freqs[None, :]                              # (N, hd/4)
    ay = ys[:, None] * freqs[None, :]
    return torch.stack([ax, ay], dim=-1).reshape(g * g, hd // 2).to(dtype)   # interleave x, y


def apply_rope(q, ang):
    """Rotates adjacent pairs (q[2j], q[2j+1]) by ang[n, j]. q: (B, N, NH, hd); ang: (N, hd/2)."""
    cos = torch.cos(ang)[None, :, None, :]
    sin = torch.sin(ang)[None, :, None, :]
    qe, qo = q[..., 0::2], q[..., 1::2]
    return torch.stack([qe * cos - qo * sin, qe * sin + qo * cos], dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, D, NH):
        super().__init__()
        self.NH, self.hd = NH, D // NH
        self.qkv = nn.Linear(D, 3 * D, bias=False)
        self.q_norm = RMSNorm(self.hd)
        self.k_norm = RMSNorm(self.hd)
        self.proj = nn.Linear(D, D, bias=True)

    def forward(self, x, ang):
        B, N, D = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.NH, self.hd)     # qkv feature = which*D + head*hd + d
        q, k, v = qkv.unbind(dim=2)                              # each (B, N, NH, hd)
        q, k = self.q_norm(q), self.k_norm(k)                    # QK-RMSNorm over hd, before RoPE
        q, k = apply_rope(q, ang), apply_rope(k, ang)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))         # (B, NH, N, hd)
        att = torch.softmax(q @ k.transpose(-2, -1) * self.hd ** -0.5, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, N, D)           # heads concatenated: feature = head*hd + d
        return self.proj(y)


class SwiGLU(nn.Module):
    def __init__(self, D, Hm):
        super().__init__()
        self.w1 = nn.Linear(D, Hm, bias=False)
        self.w3 = nn.Linear(D, Hm, bias=False)
        self.w2 = nn.Linear(Hm, D, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    """Pre-norm block; adaLN_modulation is a bare Linear on c (c already went through SiLU)."""

    def __init__(self, cfg: DipConfig):
        super().__init__()
        D = cfg.hidden
        self.norm1 = RMSNorm(D)
        self.attn = Attention(D, cfg.heads)
        self.norm2 = RMSNorm(D)
        self.mlp = SwiGLU(D, cfg.mlp_hidden)
        self.adaLN_modulation = nn.Sequential(nn.Linear(D, 6 * D, bias=True))

    def forward(self, x, c, ang):
        # c: (B, 1, D). Chunk order: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp.
        sh1, sc1, g1, sh2, sc2, g2 = self.adaLN_modulation(c).chunk(6, dim=-1)
        x = x + g1 * self.attn(self.norm1(x) * (1 + sc1) + sh1, ang)
        x = x + g2 * self.mlp(self.norm2(x) * (1 + sc2) + sh2)
        return x


class _Proj(nn.Module):          # s_embedder: a Linear named "proj"
    def __init__(self, i, o):
        super().__init__()
        self.proj = nn.Linear(i, o, bias=True)

    def forward(self, x): return self.proj(x)


class _TEmb(nn.Module):          # t_embedder: mlp = Linear(256, D), SiLU, Linear(D, D)
    def __init__(self, D):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(256, D), nn.SiLU(), nn.Linear(D, D))

    def forward(self, t): return self.mlp(timestep_features(t))


class _YEmb(nn.Module):          # y_embedder: (numClasses + 1) x D table, last row = null class
    def __init__(self, n, D):
        super().__init__()
        self.embedding_table = nn.Embedding(n, D)

    def forward(self, y): return self.embedding_table(y)


# ----------------------------------------------------------------------------------------------
# Heads

class DetailerHead(nn.Module):
    """Patch Detailer Head (official LocalDecoder): S = 4 stages for P = 16k (the official layout, the token
    repeated over the (P/16)^2 bottleneck), generalised to S = log2 P stages for smaller P (1x1 bottleneck).
    w0 = C, wi = width 2^(i-1). enc{i}: Conv3x3 w(i-1)->wi + SiLU, then MaxPool 2x2.
    bottleneck: cat[pooled (wS), token (D) repeated over the bottleneck] -> Conv1x1 -> wS + SiLU.
    for i = S..1: up{i} ConvT(wi->wi, k2 s2); cat[up, skip_i]; dec{i}: Conv3x3 2wi -> w(max(i-1,1)) + SiLU.
    out_conv: Conv1x1 w1 -> C, no activation."""

    def __init__(self, cfg: DipConfig):
        super().__init__()
        S, C, D = cfg.stages, cfg.channels, cfg.hidden
        self.S = S
        w = [C] + [cfg.headWidth * 2 ** (i - 1) for i in range(1, S + 1)]
        for i in range(1, S + 1):
            setattr(self, f"enc{i}", nn.Sequential(nn.Conv2d(w[i - 1], w[i], 3, padding=1), nn.SiLU()))
        self.bottleneck = nn.Sequential(nn.Conv2d(w[S] + D, w[S], 1), nn.SiLU())
        for i in range(S, 0, -1):
            setattr(self, f"up{i}", nn.ConvTranspose2d(w[i], w[i], 2, stride=2))
            setattr(self, f"dec{i}", nn.Sequential(nn.Conv2d(2 * w[i], w[max(i - 1, 1)], 3, padding=1), nn.SiLU()))
        self.out_conv = nn.Conv2d(w[1], C, 1)

    def forward(self, x, s):
        # x: (B*N, C, P, P) noisy patches; s: (B*N, D, 1, 1) tokens
        skips = []
        for i in range(1, self.S + 1):
            x = getattr(self, f"enc{i}")(x)
            skips.append(x)
            x = F.max_pool2d(x, 2, 2)
        x = self.bottleneck(torch.cat([x, s.repeat(1, 1, x.shape[2], x.shape[3])], dim=1))
        for i in range(self.S, 0, -1):
            x = getattr(self, f"up{i}")(x)
            x = getattr(self, f"dec{i}")(torch.cat([x, skips[i - 1]], dim=1))
        return self.out_conv(x)


class FinalLayer(nn.Module):
    """DiT final layer (the official file defines it, unused): LayerNorm (no affine, eps 1e-6),
    modulate with (shift, scale) = adaLN_modulation.0(c).chunk(2), then linear D -> C P^2."""

    def __init__(self, cfg: DipConfig):
        super().__init__()
        D = cfg.hidden
        self.linear = nn.Linear(D, cfg.patch_dim, bias=True)
        self.adaLN_modulation = nn.Sequential(nn.Linear(D, 2 * D, bias=True))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=-1)
        x = F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale) + shift
        return self.linear(x)


# ----------------------------------------------------------------------------------------------
# The model

class DiP(nn.Module):
    def __init__(self, cfg: DipConfig):
        super().__init__()
        self.cfg = cfg
        D = cfg.hidden
        self.s_embedder = _Proj(cfg.patch_dim, D)
        self.t_embedder = _TEmb(D)
        self.y_embedder = _YEmb(cfg.numClasses + 1, D)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        if cfg.head == "DIP":
            self.local_decoder = DetailerHead(cfg)
        else:
            self.final_layer = FinalLayer(cfg)
        self.official_init()

    @torch.no_grad()
    def official_init(self):
        """The official initialize_weights; everything else keeps PyTorch's default init."""
        nn.init.xavier_uniform_(self.s_embedder.proj.weight)
        nn.init.zeros_(self.s_embedder.proj.bias)
        nn.init.normal_(self.y_embedder.embedding_table.weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[0].weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[2].weight, std=0.02)
        if self.cfg.adaLnZero:
            for b in self.blocks:
                nn.init.zeros_(b.adaLN_modulation[0].weight)
                nn.init.zeros_(b.adaLN_modulation[0].bias)

    def unfold(self, x):
        """(B, C, H, W) -> (B, N, C P^2); patch vector ordered (c, ky, kx), tokens row-major."""
        B, C, H, W = x.shape
        P, g = self.cfg.patchSize, H // self.cfg.patchSize
        return x.reshape(B, C, g, P, g, P).permute(0, 2, 4, 1, 3, 5).reshape(B, g * g, C * P * P)

    def fold(self, p):
        """Inverse of unfold: (B, N, C P^2) -> (B, C, H, W)."""
        B = p.shape[0]
        C, P, g = self.cfg.channels, self.cfg.patchSize, self.cfg.grid
        return p.reshape(B, g, g, C, P, P).permute(0, 3, 1, 4, 2, 5).reshape(B, C, g * P, g * P)

    def forward(self, x, t, y, rope=True):
        cfg = self.cfg
        B = x.shape[0]
        tok = self.unfold(x)                                      # (B, N, C P^2)
        te = self.t_embedder(t.to(x.dtype)).view(B, 1, -1)        # (B, 1, D)
        c = F.silu(te + self.y_embedder(y.long()).view(B, 1, -1)) # (B, 1, D), computed once
        ang = rope_angles(cfg, x.dtype).to(x.device)
        if not rope:
            ang = torch.zeros_like(ang)                           # only for the sensitivity check
        s = self.s_embedder(tok)                                  # (B, N, D)
        for blk in self.blocks:
            s = blk(s, c, ang)
        if cfg.head == "DIT_ONLY":
            return self.fold(self.final_layer(s, c))              # no silu(te + s) step here
        g = F.silu(te + s)                                        # (B, N, D)
        N, P, C = cfg.tokens, cfg.patchSize, cfg.channels
        out = self.local_decoder(tok.reshape(B * N, C, P, P), g.reshape(B * N, cfg.hidden, 1, 1))
        return self.fold(out.reshape(B, N, C * P * P))


# ----------------------------------------------------------------------------------------------
# Parameter counting without allocating (XL/16 would need 2.5 GB in fp32; this needs nothing)

def param_shapes(cfg: DipConfig):
    """Ordered list of (name, shape) exactly as DiP(cfg).state_dict() has them, computed analytically."""
    D, C, Hm = cfg.hidden, cfg.channels, cfg.mlp_hidden
    out = [("s_embedder.proj.weight", (D, cfg.patch_dim)), ("s_embedder.proj.bias", (D,)),
           ("t_embedder.mlp.0.weight", (D, 256)), ("t_embedder.mlp.0.bias", (D,)),
           ("t_embedder.mlp.2.weight", (D, D)), ("t_embedder.mlp.2.bias", (D,)),
           ("y_embedder.embedding_table.weight", (cfg.numClasses + 1, D))]
    for i in range(cfg.depth):
        b = f"blocks.{i}."
        out += [(b + "norm1.weight", (D,)), (b + "attn.qkv.weight", (3 * D, D)),
                (b + "attn.q_norm.weight", (cfg.head_dim,)), (b + "attn.k_norm.weight", (cfg.head_dim,)),
                (b + "attn.proj.weight", (D, D)), (b + "attn.proj.bias", (D,)), (b + "norm2.weight", (D,)),
                (b + "mlp.w1.weight", (Hm, D)), (b + "mlp.w3.weight", (Hm, D)), (b + "mlp.w2.weight", (D, Hm)),
                (b + "adaLN_modulation.0.weight", (6 * D, D)), (b + "adaLN_modulation.0.bias", (6 * D,))]
    if cfg.head == "DIP":
        S = cfg.stages
        w = [C] + [cfg.headWidth * 2 ** (i - 1) for i in range(1, S + 1)]
        h = "local_decoder."
        for i in range(1, S + 1):
            out += [(f"{h}enc{i}.0.weight", (w[i], w[i - 1], 3, 3)), (f"{h}enc{i}.0.bias", (w[i],))]
        out += [(h + "bottleneck.0.weight", (w[S], w[S] + D, 1, 1)), (h + "bottleneck.0.bias", (w[S],))]
        for i in range(S, 0, -1):
            o = w[max(i - 1, 1)]
            out += [(f"{h}up{i}.weight", (w[i], w[i], 2, 2)), (f"{h}up{i}.bias", (w[i],)),
                    (f"{h}dec{i}.0.weight", (o, 2 * w[i], 3, 3)), (f"{h}dec{i}.0.bias", (o,))]
        out += [(h + "out_conv.weight", (C, w[1], 1, 1)), (h + "out_conv.bias", (C,))]
    else:
        out += [("final_layer.linear.weight", (cfg.patch_dim, D)), ("final_layer.linear.bias", (cfg.patch_dim,)),
                ("final_layer.adaLN_modulation.0.weight", (2 * D, D)),
                ("final_layer.adaLN_modulation.0.bias", (2 * D,))]
    return out


def count_params(cfg: DipConfig):
    shapes = param_shapes(cfg)
    return sum(math.prod(s) for _, s in shapes), len(shapes)


# ----------------------------------------------------------------------------------------------
# Sampler (docs/model-spec.md §5)

def time_grid(steps):
    """torch.linspace(0, 1 - 1/steps, steps) in float32, then 1.0 (the official EulerSampler, timeshift 1)."""
    return torch.cat([torch.linspace(0.0, 1 - 1.0 / steps, steps), torch.tensor([1.0])])


@torch.no_grad()
def euler_sample(model, noise, y, steps, cfg_scale, lo, hi, trajectory=None):
    """Euler from t = 0 (noise) to t = 1. Batch [null; cond]. Guided iff lo < t < hi (float32 compare),
    v = vu + w (vc - vu); otherwise v = vc. Returns the final x (not clamped)."""
    B = noise.shape[0]
    ts = time_grid(steps)
    null = torch.full_like(y, model.cfg.numClasses)
    yy = torch.cat([null, y])
    lo32, hi32 = torch.tensor(lo, dtype=torch.float32), torch.tensor(hi, dtype=torch.float32)
    x = noise
    if trajectory is not None:
        trajectory.append(x.clone())
    for k in range(steps):
        t, dt = ts[k], ts[k + 1] - ts[k]                          # both float32
        out = model(torch.cat([x, x]), t.repeat(2 * B).to(x.dtype), yy)
        vu, vc = out[:B], out[B:]
        v = vu + cfg_scale * (vc - vu) if (lo32 < t and t < hi32) else vc
        x = x + v * dt.to(x.dtype)
        if trajectory is not None:
            trajectory.append(x.clone())
    return x


def guided_steps(steps, lo, hi):
    ts = time_grid(steps)
    lo32, hi32 = torch.tensor(lo, dtype=torch.float32), torch.tensor(hi, dtype=torch.float32)
    return [bool(lo32 < ts[k] and ts[k] < hi32) for k in range(steps)]


def to_uint8(x):
    """clip((x + 1) 127.5 + 0.5, 0, 255) then truncate; computed in float32."""
    return torch.clamp((x.float() + 1) * 127.5 + 0.5, 0, 255).to(torch.uint8)
