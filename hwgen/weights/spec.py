"""What every weight format of the integer LUT core provides to the generator, the reference and the cost model.

A format is one `WeightSpec` (one module under `hwgen/weights/`, registered in
`hwgen.weights.WEIGHT_SPECS`; docs/adding-a-format.md walks through adding one): its design
rules (allowed group sizes, rows per pattern, which MAC baseline and hardwired array stand
in for it), how user matrices are checked and normalized, how a group
of ``mu`` weights (one LUT, one output column) becomes a key, which signed sums the LUT
table holds (`targets`, built by `hwgen.weights.graph.build_sum_graph`), and how a key
turns table entries into the group's contribution (`fetch`, ``lanes`` values per column:
1 for real formats, 2 (real, imaginary) for complex ones). The RTL fetch units in
`hwgen.rtl` implement `fetch` gate for gate; the numpy version here is the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..lutgraph import LutGraph
from .graph import build_sum_graph


@dataclass(frozen=True)
class FetchCounts:
    """What one fetch unit (one LUT, one output column) adds to the cost model's counts
    (`costmodel.model`): mux data inputs and select terms, negator bits, the select
    levels on its path, and any extra logic of the format's fetch."""

    mux_data_bits: int
    mux_select_terms: int
    neg_bits: int
    select_bits: float        #: select levels (log2 of the mux fan-in)
    swap: bool = False        #: one more select level (iFairy's rotation)
    shift_adds: int = 0       #: chained shift-and-add adders (bit-planes)
    shift_add_bits: int = 0   #: their output widths


class WeightSpec:
    """Base of the format specs (see the module docstring). Subclasses set the class attributes."""

    name: str = ""
    lanes: int = 1            #: output values per column (2 for complex formats)
    complex: bool = False     #: activations and results are complex
    weight_max_abs: int = 1   #: largest |w| (per real component): sizes the accumulators
    group_sizes: tuple[int, ...] = tuple(range(1, 9))
    correction: bool = False  #: the core subtracts table entry 0 per LUT and halves (bit-planes)
    row_multiple: int = 1     #: ``workload.n`` must be a multiple of this (a pattern spans rows)
    row_reason: str = ""      #: why, for the error message
    #: The weight format of a hardwired array holding this format's matrices (None: none can).
    hardwired_weights: str | None = None
    #: A fetch that is one signed select: ``key = sign << index_bits | index`` picks entry
    #: ``index`` negated by ``sign`` (the numpy `fetch` here; RTL `hwgen.rtl.select_fetch`).
    signed_select: bool = False
    #: Signed select only: index 0 reads a constant zero and entry ``i`` sits at index
    #: ``i + 1`` (ternary, whose groups can sum to zero); else every index names an entry.
    zero_entry: bool = False
    #: Float LUT cores (`hwgen.rtl.float_core`) take this format's keys (ternary only).
    float_activations: bool = False

    # -- design rules
    def mac_weights(self, activation_is_float: bool) -> str | None:
        """The MAC baseline's weight operand (`hwgen.config.MAC_WEIGHTS`) for this format's
        matrices; None if it has no MAC baseline. Default: an int8 (fp16) multiplier."""
        return "fp16" if activation_is_float else "int8"

    def fit_group_size(self, group_size: int, offered) -> int:
        """The group size a search point asking for ``group_size`` gets: itself if allowed,
        else the largest allowed value of ``offered`` below it, else the largest allowed
        value below it, else the smallest allowed."""
        if group_size in self.group_sizes:
            return group_size
        below = [v for v in offered if v in self.group_sizes and v <= group_size]
        if below:
            return max(below)
        below = [v for v in self.group_sizes if v <= group_size]
        return max(below) if below else min(self.group_sizes)

    # -- structure
    def inputs(self, mu: int) -> int:
        """Real inputs of one LUT build (activation lanes per group)."""
        return 2 * mu if self.complex else mu

    def targets(self, mu: int) -> tuple[tuple[int, ...], ...]:
        raise NotImplementedError

    def graph(self, mu: int) -> LutGraph:
        """The adder graph building the table: `targets`' entries, in order."""
        return build_sum_graph(self.inputs(mu), self.targets(mu))

    def naive_adders(self, mu: int) -> int:
        """Adders of a naive build (the manifest's baseline): every entry summed from its
        non-zero terms on its own."""
        return sum(sum(1 for x in t if x) - 1 for t in self.targets(mu))

    def key_width(self, mu: int) -> int:
        raise NotImplementedError

    def stored_bits(self, mu: int) -> float:
        """Bits stored (and streamed) per weight."""
        return self.key_width(mu) / mu

    def index_bits(self, mu: int) -> int:
        """Signed-select formats: bits of the entry index below the sign bit."""
        return self.key_width(mu) - 1

    def fetch_counts(self, mu: int, entries: int, entry_width: int, fetch_width: int,
                     entry_bound: int, table_bits: int) -> FetchCounts:
        """Cost-model counts of one fetch unit (``table_bits``: the table's bits, every entry
        at its own width). Signed-select formats: one ``(entries + zero_entry):1`` mux whose
        data inputs are the table's bits (the slices above a narrower entry's width all read
        its sign bit, one gate after structural hashing) and one negator; the mux is
        ``log2`` of its fan-in deep, not rounded up (`costmodel.model.mux_levels`)."""
        if not self.signed_select:
            raise NotImplementedError
        fan_in = entries + int(self.zero_entry)
        return FetchCounts(table_bits, fan_in, fetch_width, math.log2(fan_in))

    def fetch_bound(self, entry_bound: int) -> int:
        """Largest magnitude of one fetched value when every entry is within ``entry_bound``."""
        return entry_bound

    # -- data
    def check(self, weights: np.ndarray, name: str = "weights") -> np.ndarray:
        """Validate a user ``(N, M)`` matrix; return its normalized integer codes."""
        raise NotImplementedError

    def dense(self, codes: np.ndarray) -> np.ndarray:
        """The numeric matrix (int64 or complex128) that normalized codes stand for."""
        return codes.astype(np.int64)

    def pad_fill(self, rows: np.ndarray) -> np.ndarray:
        """Code used for padding weights at the given row indices (any valid code)."""
        return np.zeros_like(rows)

    def encode(self, groups: np.ndarray) -> np.ndarray:
        """Keys (int64) of normalized code groups along the last axis."""
        raise NotImplementedError

    def fetch(self, table: np.ndarray, keys: np.ndarray, mu: int) -> np.ndarray:
        """``(..., lanes)`` values selected by ``keys`` from ``table`` (``(..., E)``, broadcast)."""
        if not self.signed_select:
            raise NotImplementedError
        bits = self.index_bits(mu)
        if self.zero_entry:
            table = np.concatenate([np.zeros_like(table[..., :1]), table], axis=-1)
        value = select(table, keys & ((1 << bits) - 1))
        return np.where((keys >> bits).astype(bool), -value, value)[..., None]


def check_matrix(weights: np.ndarray, name: str, allow_complex: bool = False) -> np.ndarray:
    """Shape and dtype checks shared by the formats; float arrays must hold integers."""
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise InputError(f"{name} must be a 2-D (N, M) matrix, got shape {weights.shape}")
    kind = weights.dtype.kind
    if kind == "c" and not allow_complex:
        raise InputError(f"{name} must be real, got dtype {weights.dtype}")
    if kind not in "iubfc":
        raise InputError(f"{name} must be a numeric array, got dtype {weights.dtype}")
    if kind in "fc" and not np.all(np.isfinite(weights)):
        raise InputError(f"{name} must be finite")
    return weights


def check_integers(weights: np.ndarray, name: str, lo: int, hi: int, label: str) -> np.ndarray:
    """Integer matrix with every value in ``[lo, hi]``; returns int64."""
    weights = check_matrix(weights, name)
    if weights.dtype.kind == "f" and np.any(weights != np.round(weights)):
        r, c = np.argwhere(weights != np.round(weights))[0]
        raise InputError(f"{name} must hold integers ({label}): found {weights[r, c].item()!r} at [{r}, {c}]")
    bad = (weights < lo) | (weights > hi)
    if np.any(bad):
        r, c = np.argwhere(bad)[0]
        raise InputError(f"{name} must be {label}: found {weights[r, c].item()!r} at [{r}, {c}]")
    return weights.astype(np.int64)


def select(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[..., index]`` with ``table`` broadcast against ``index`` (leading axes)."""
    shape = np.broadcast_shapes(table.shape[:-1], index.shape)
    table = np.broadcast_to(table, (*shape, table.shape[-1]))
    index = np.broadcast_to(index, shape)
    return np.take_along_axis(table, index[..., None], axis=-1)[..., 0]


def pack_format_keys(spec: WeightSpec, codes: np.ndarray, tiling) -> np.ndarray:
    """Key stream of a normalized ``(N, M)`` code matrix: ``(tiles, L*K)``, tile ``c*R + r``.

    The same tile walk and lane order as `hwgen.formats.pack_keys`; padding
    rows and columns get `WeightSpec.pad_fill` codes (padding rows meet zero activations,
    padding columns are dropped, so any valid code is exact).
    """
    t = tiling
    rows = np.arange(t.padded_n)[:, None]
    w = np.broadcast_to(spec.pad_fill(rows), (t.padded_n, t.padded_m)).astype(np.int64).copy()
    w[: t.n, : t.m] = codes
    groups = w.reshape(t.row_blocks, t.luts, t.mu, t.col_blocks, t.fetchers)
    keys = spec.encode(np.moveaxis(groups, 2, -1))  # (R, L, C, K)
    return keys.transpose(2, 0, 1, 3).reshape(t.tiles, t.luts * t.fetchers)
