"""Bit-exact reference model of a hardwired array, in the hardware's addition order.

`hardwired_gemv` evaluates the design's own adder graph (`hwgen.hardwired.graph`)
adder by adder, level by level, checking every node against its declared width,
then applies the output sign/shift; in bit-serial mode it feeds the graph one
bit-plane at a time, MSB first, and accumulates ``acc = -t`` then ``acc = 2*acc + t``
in the output width, exactly as the RTL does. `torch_gemv` is the independent
PyTorch computation ``A @ W`` (int64) the reference must equal bit for bit.
"""

from __future__ import annotations

import numpy as np

from hwgen.errors import InputError
from hwgen.formats import check_int_activations
from hwgen.hardwired.config import HardwiredConfig, check_weight_values, load_weights
from hwgen.hardwired.graph import AdderGraph
from hwgen.hardwired.rtl import build_design_graph, output_width

__all__ = ["check_operands", "design_weights", "hardwired_gemv", "torch_gemv"]


def design_weights(config: HardwiredConfig, weights: np.ndarray | None = None) -> np.ndarray:
    """The design's matrix; a user-given ``weights`` must be that same matrix (else `InputError`)."""
    own = load_weights(config)
    if weights is None:
        return own
    w = check_weight_values(weights, config.weights)
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
    """``(B, M)`` int64 result of the hardwired array on ``(B, N)`` activations."""
    w, a = check_operands(config, weights, acts)
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


def torch_gemv(weights: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """``A @ W`` in PyTorch int64: the independent check of the reference."""
    import torch

    a = torch.from_numpy(np.atleast_2d(np.asarray(acts, dtype=np.int64)))
    w = torch.from_numpy(np.asarray(weights, dtype=np.int64))
    return (a @ w).numpy()
