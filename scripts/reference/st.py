"""A tiny safetensors reader/writer in pure Python (no `safetensors` package needed).

Format: 8-byte little-endian u64 header length n, then n bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the raw little-endian tensor bytes; offsets are relative to the end of the header.
Supports F32, F64, I32, I64. Not a general-purpose library: no bf16/f16, no memory mapping.
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAMES = {np.dtype(v).str: k for k, v in _DTYPES.items()}


def _to_numpy(t):
    """Accepts a numpy array or a torch tensor (imported lazily so this file needs no torch)."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().contiguous().numpy()
    return np.ascontiguousarray(t)


def save(path, tensors, metadata=None):
    """Writes tensors (dict name -> array/tensor, in insertion order) and str->str metadata to path."""
    header, blobs, offset = {}, [], 0
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must be str -> str, got {k!r}: {type(v).__name__}")
        header["__metadata__"] = dict(metadata)
    for name, t in tensors.items():
        a = _to_numpy(t)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        code = _NAMES.get(a.dtype.str)
        if code is None:
            raise TypeError(f"tensor {name}: unsupported dtype {a.dtype} (supported: {sorted(_DTYPES)})")
        raw = a.tobytes(order="C")
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)  # pad to 8 bytes, as the reference implementation does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for raw in blobs:
            f.write(raw)


def load(path):
    """Returns (tensors: dict name -> numpy array, metadata: dict str -> str). Checks offsets and sizes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(data)}")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if e - b != count * dt.itemsize or e > len(body):
            raise ValueError(f"{path}: tensor {name} shape {shape} {info['dtype']} needs "
                             f"{count * dt.itemsize} bytes, offsets say [{b}, {e}) of {len(body)}")
        tensors[name] = np.frombuffer(body[b:e], dtype=dt).reshape(shape).copy()
    return tensors, metadata
