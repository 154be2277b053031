# Writes the PyTorch checksums hard-coded in dip.layers.AttentionTorchTest (run: /usr/bin/python3 <this file>, torch 1.13).
# Own code following PixNerd/DiP RAttention semantics; the integrator may move it to scripts/reference/.
import torch, numpy as np, math
B, NH, HS, grid = 2, 3, 8, 3
D, N = NH * HS, grid * grid
def cf(n, fn): return torch.tensor(fn(np.arange(n, dtype=np.float64)).astype(np.float32))
x = cf(B*N*D, lambda i: np.sin(0.37*i + 0.1)).reshape(B, N, D).requires_grad_()
Wqkv = cf(3*D*D, lambda i: 0.5*np.sin(0.91*i + 0.2)).reshape(3*D, D).requires_grad_()
qn = cf(HS, lambda i: 1 + 0.3*np.cos(1.3*i)).requires_grad_()
kn = cf(HS, lambda i: 1 - 0.2*np.sin(0.7*i)).requires_grad_()
Wp = cf(D*D, lambda i: 0.4*np.cos(0.53*i + 0.4)).reshape(D, D).requires_grad_()
bp = cf(D, lambda i: 0.1*i - 0.5).requires_grad_()
dout = cf(B*N*D, lambda i: np.cos(0.29*i)).reshape(B, N, D)
def rms(t, w): return w * (t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + 1e-6))
pos = torch.linspace(0, 16, grid)
yy, xx = torch.meshgrid(pos, pos, indexing="ij")              # x = column, y = row
f = 1.0 / (10000.0 ** (torch.arange(0, HS, 4)[: HS // 4].float() / HS))
ang = torch.stack([torch.outer(xx.reshape(-1), f), torch.outer(yy.reshape(-1), f)], -1).reshape(N, HS // 2)
cis = torch.polar(torch.ones_like(ang), ang)
def rope(t): return torch.view_as_real(torch.view_as_complex(t.reshape(*t.shape[:-1], -1, 2)) * cis[None, :, None, :]).flatten(3)
q, k, v = (x @ Wqkv.T).reshape(B, N, 3, NH, HS).permute(2, 0, 1, 3, 4)
q, k = rope(rms(q, qn)), rope(rms(k, kn))
q, k, v = (t.transpose(1, 2) for t in (q, k, v))
o = (torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HS), -1) @ v).transpose(1, 2).reshape(B, N, D)
y = o @ Wp.T + bp
(y * dout).sum().backward()
def probe(t):
    t = t.detach().reshape(-1).double(); p = torch.tensor(np.sin(0.17*np.arange(t.numel()) + 1))
    return (t * p).sum().item()
for name, t in [("y", y), ("dx", x.grad), ("qkv.weight", Wqkv.grad), ("q_norm.weight", qn.grad),
                ("k_norm.weight", kn.grad), ("proj.weight", Wp.grad), ("proj.bias", bp.grad)]:
    print('%-14s %.9g %.9g' % (name, probe(t), t.detach().double().norm().item()))
