"""Prints the CRC32 of the official sampler time grids for steps 1..200 (FlowPathTimeGridTest hard-codes it).

Grid = torch.linspace(0.0, 1 - 1/steps, steps) ++ [1.0], then shift_respace_fn(t, 1) as the official EulerSampler,
all float32, as little-endian bytes, concatenated over steps = 1..200. Run with /usr/bin/python3 (torch 1.13, CPU).
"""
import zlib

import torch

torch.set_num_threads(1)
print("torch", torch.__version__, torch.__config__.show().split("CPU capability usage: ")[1].split("\n")[0])
crc = 0
for steps in range(1, 201):
    ts = torch.cat([torch.linspace(0.0, 1 - 1 / steps, steps), torch.tensor([1.0])])
    ts = ts / (ts + (1 - ts) * 1)  # shift_respace_fn(t, shift=1): an identity here, checked bit-for-bit
    crc = zlib.crc32(ts.numpy().astype("<f4").tobytes(), crc)
print("crc32 of grids 1..200: 0x%08x" % crc)
ts = torch.linspace(0.0, 1 - 1 / 100, 100)
print("steps=100 guided on (0.11, 0.97):", int(((ts > 0.11) & (ts < 0.97)).sum()))
