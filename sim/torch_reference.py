"""The float LUT core's GEMV computed with PyTorch operators, in the hardware's order.

An independent check of `sim.float_reference`: the same order (LUT build graph,
fetch with negation, tree levels, accumulation over row blocks), but every
value is a torch tensor of the format's dtype and every addition is torch's.
fp16 and bf16 add natively (torch computes in float32 and rounds once, which is
correctly rounded: float32 has ``24 >= 2*11 + 2`` bits, the innocuous
double-rounding bound); float8 tensors have no CPU add kernel, so they add in
float32 (exact for two fp8 values) and cast back (RNE; e4m3fn saturates).
Widening is ``.to(dtype)``. A NaN's payload is torch's own; compare NaNs as NaNs.
torch is imported on first use: the sweep runs without it (`make sweep` does not install it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hwgen.config import FloatLutConfig
from hwgen.datapath import tree_levels
from hwgen.formats import decode_keys, pack_keys
from hwgen.lutgraph import build_lut_graph

if TYPE_CHECKING:
    import torch

__all__ = ["torch_dtype", "torch_lut_gemv", "bits_to_tensor", "tensor_to_bits"]


def torch_dtype(fmt: str):
    """The torch dtype of a float format."""
    import torch

    return {"fp8_e4m3": torch.float8_e4m3fn, "fp8_e5m2": torch.float8_e5m2,
            "fp16": torch.float16, "bf16": torch.bfloat16}[fmt]


def bits_to_tensor(bits: np.ndarray, fmt: str) -> torch.Tensor:
    import torch

    if fmt.startswith("fp8"):
        return torch.from_numpy(np.ascontiguousarray(bits, dtype=np.uint8)).view(torch_dtype(fmt))
    return torch.from_numpy(np.ascontiguousarray(bits, dtype=np.uint16).view(np.int16)).view(torch_dtype(fmt))


def tensor_to_bits(t: torch.Tensor, fmt: str) -> np.ndarray:
    import torch

    if fmt.startswith("fp8"):
        return t.contiguous().view(torch.uint8).numpy().astype(np.uint16)
    return t.contiguous().view(torch.int16).numpy().view(np.uint16).copy()


def _add(fmt: str, sub: bool = False):
    dtype = torch_dtype(fmt)
    if fmt.startswith("fp8"):
        if sub:
            return lambda a, b: (a.float() - b.float()).to(dtype)
        return lambda a, b: (a.float() + b.float()).to(dtype)
    return (lambda a, b: a - b) if sub else (lambda a, b: a + b)


def torch_lut_gemv(config: FloatLutConfig, weights: np.ndarray, act_bits: np.ndarray) -> np.ndarray:
    """``(B, M)`` result bit patterns, computed with torch in the hardware's order."""
    import torch

    fmt, acc_fmt = config.activation, config.accumulation
    t = config.tiling
    L, K, mu = config.luts, config.fetchers, config.group_size
    batch = act_bits.shape[0]
    padded = np.zeros((batch, t.padded_n), dtype=np.uint16)
    padded[:, : t.n] = act_bits
    groups = bits_to_tensor(padded, fmt).reshape(batch, t.row_blocks, L, mu)
    add, sub = _add(fmt), _add(fmt, sub=True)
    values = []
    graph = build_lut_graph(mu)
    for node in graph.nodes:
        if node.op == "in":
            values.append(groups[..., node.a])
        else:
            values.append((add if node.op == "add" else sub)(values[node.a], values[node.b]))
    zero = torch.zeros_like(values[0])
    table = torch.stack([zero, *(values[n] for n in graph.entries)], dim=-1)  # (B, Rb, L, E+1)

    keys = pack_keys(weights, t).reshape(t.col_blocks, t.row_blocks, L, K)
    index, negate = decode_keys(keys, mu)
    idx = torch.from_numpy(index).expand(batch, *index.shape)  # (B, C, Rb, L, K)
    src = table.unsqueeze(1).expand(batch, t.col_blocks, *table.shape[1:])
    if fmt.startswith("fp8"):  # gather/neg have no float8 kernels: move the bytes, flip the sign bit
        raw = torch.gather(src.view(torch.uint8).long(), -1, idx)
        raw = torch.where(torch.from_numpy(negate.astype(bool)), raw ^ 0x80, raw)
        fetched = raw.to(torch.uint8).view(torch_dtype(fmt))
    else:
        fetched = torch.gather(src, -1, idx)
        fetched = torch.where(torch.from_numpy(negate.astype(bool)), -fetched, fetched)
    items = [fetched[..., l, :] for l in range(L)]
    for level in tree_levels(L):
        items = [items[g[0]] if len(g) == 1 else add(items[g[0]], items[g[1]]) for g in level]
    column = items[0].to(torch_dtype(acc_fmt))  # (B, C, Rb, K), exact widening
    acc_add = _add(acc_fmt)
    total = column[:, :, 0, :]
    for r in range(1, t.row_blocks):
        total = acc_add(total, column[:, :, r, :])
    return tensor_to_bits(total, acc_fmt).reshape(batch, t.padded_m)[:, : t.m]
