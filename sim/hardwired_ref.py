"""Bit-exact reference model of a hardwired array, in the hardware's addition order.

`hardwired_gemv` evaluates the design's own adder graph (`hwgen.hardwired.graph`)
adder by adder, level by level, checking every node against its declared width,
then applies the output sign/shift; in bit-serial mode it feeds the graph one
bit-plane at a time, MSB first, and accumulates ``acc = -t`` then ``acc = 2*acc + t``
in the output width, exactly as the RTL does. `hn_gemv` does the same for a
Hardwired-Neuron fabric: region sums per bit-plane (LSB first), per-value products,
the term ``t`` and the shift-right accumulator, each checked against its width.
Both return the integer output lanes; FP4 / MXFP4 results are ``lanes * 2**e``
(`scaled_result`). `torch_gemv` is the independent PyTorch computation ``A @ W``
the reference must equal bit for bit (int64, or float64 where that is exact).
"""

from __future__ import annotations

import numpy as np

from hwgen.errors import InputError
from hwgen.formats import check_int_activations
from hwgen.hardwired.config import (SCALED_WEIGHTS, HardwiredConfig, check_weight_values, load_values,
                                    scale_to_constants)
from hwgen.hardwired.adder_graph import AdderGraph
from hwgen.hardwired.hn import Fabric
from hwgen.hardwired.rtl import build_design_graph, output_width

__all__ = ["check_operands", "design_weights", "hardwired_gemv", "hn_gemv", "scaled_result", "torch_gemv"]


def design_weights(config: HardwiredConfig, weights: np.ndarray | None = None) -> np.ndarray:
    """The design's matrix in its format's values; a user-given ``weights`` must be that same matrix."""
    own = load_values(config)
    if weights is None:
        return own
    w = check_weight_values(weights, config.weights, block=config.block)
    if w.shape != own.shape:
        raise InputError(f"--weights have shape {w.shape}, but the design's matrix is {own.shape}")
    if not np.array_equal(w, own):
        count = int(np.sum(w != own))
        r, c = np.argwhere(w != own)[0]
        raise InputError(
            f"--weights differ from the design's hardwired matrix in {count} entries "
            f"(first at [{r}, {c}]: {w[r, c]} vs {own[r, c]}); regenerate the design from these weights")
    return own


def check_operands(config: HardwiredConfig, weights: np.ndarray | None, acts: np.ndarray):
    w = design_weights(config, weights)
    a = check_int_activations(acts, config.act)
    if a.shape[1] != config.workload.n:
        raise InputError(f"activations have {a.shape[1]} columns, but the design has N = {config.workload.n}")
    return w, a


def _wrap(x: np.ndarray, width: int) -> np.ndarray:
    m = np.int64(1) << width
    return ((x + (m >> 1)) % m) - (m >> 1)


def hardwired_gemv(config: HardwiredConfig, weights: np.ndarray | None, acts: np.ndarray,
                   graph: AdderGraph | None = None) -> np.ndarray:
    """``(B, M)`` int64 output lanes of an adder-graph array on ``(B, N)`` activations."""
    values, a = check_operands(config, weights, acts)
    w, _ = scale_to_constants(config, values)
    if graph is None:
        _, graph = build_design_graph(config, w)
    wy = output_width(w, config.act)
    if not config.bit_serial:
        y = graph.evaluate(a)
        if not np.array_equal(_wrap(y, wy), y):
            raise OverflowError(f"output exceeds its {wy}-bit lane width (a width derivation bug)")
        return y
    bits = config.act.width
    u = a & ((1 << bits) - 1)
    acc = np.zeros((a.shape[0], graph.n_outputs), dtype=np.int64)
    for b in reversed(range(bits)):
        t = graph.evaluate((u >> b) & 1)
        acc = _wrap(-t if b == bits - 1 else 2 * acc + t, wy)
    return acc


def _checked(x: np.ndarray, bound: int, what: str) -> np.ndarray:
    assert np.all(np.abs(x) <= bound), f"HN {what} exceeds its bound {bound}"
    return x


def hn_gemv(fabric: Fabric, table: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """``(B, M)`` int64 output lanes of an HN fabric wired by ``table`` (`hwgen.hardwired.hn.route`).

    Region sums are gathered slot by slot (a tied slot adds 0), in the fabric's order:
    region sums -> ``d`` per value -> ``t`` -> accumulator, every value checked
    against the bound its RTL width is derived from.
    """
    a = np.atleast_2d(np.asarray(acts, dtype=np.int64))
    wa = fabric.act.width
    planes = [(a >> b) & 1 for b in range(wa)] if fabric.serial else [a]
    padded = [np.concatenate([p, np.zeros((p.shape[0], 1), dtype=np.int64)], axis=1) for p in planes]
    idx = np.where(table < 0, a.shape[1], table)  # the extra zero column stands for a tied slot
    terms = []
    for x in padded:
        sums = x[:, idx].sum(axis=3)  # (B, M, R)
        d = _checked(sums[:, :, 0::2] - sums[:, :, 1::2], np.array(fabric.diff_bounds), "value difference")
        terms.append(_checked(d @ np.array(fabric.magnitudes, dtype=np.int64), fabric.term_bound, "term"))
    if not fabric.serial:
        return terms[0]
    h = np.zeros_like(terms[0])
    low = np.zeros_like(terms[0])
    for b, t in enumerate(terms):
        s = _checked(h - t if b == wa - 1 else h + t, 2 * fabric.term_bound, "accumulator sum")
        h, low = s >> 1, low | ((s & 1) << b)
        _checked(h, fabric.term_bound, "accumulator")
    return (h << wa) | low


def scaled_result(config: HardwiredConfig, lanes: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """The result ``Y`` from integer output lanes: int64 as is, FP4 / MXFP4 as exact float64 ``lanes * 2**e``."""
    if config.weights not in SCALED_WEIGHTS:
        return lanes
    assert np.all(np.abs(lanes) < 1 << 53), "result lanes too wide for exact float64"
    return np.ldexp(lanes.astype(np.float64), exponents[None, :])


def torch_gemv(weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """``A @ W`` in PyTorch: int64 for integer weights; float64 for FP4 / MXFP4 values, where every
    product and partial sum is a multiple of the smallest weight step and below ``2**53`` of it, so
    float64 is exact (checked)."""
    import torch

    a = torch.from_numpy(np.atleast_2d(np.asarray(acts, dtype=np.int64)))
    w = np.asarray(weights)
    if w.dtype.kind in "iu":
        return (a @ torch.from_numpy(w.astype(np.int64))).numpy()
    wt = torch.from_numpy(w.astype(np.float64))
    nz = wt[wt != 0].abs()
    if nz.numel():
        step = torch.ldexp(torch.tensor(1.0, dtype=torch.float64), torch.frexp(nz)[1].min() - 3)
        total = (a.abs().max() * wt.abs().sum(dim=0).max()).item()
        assert total / step.item() < 2.0 ** 53, "float64 A @ W would not be exact"
    return (a.to(torch.float64) @ wt).numpy()
