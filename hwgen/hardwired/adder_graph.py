"""The adder graph of a constant matrix, whichever sharing built it: signed digits in, nodes,
bounds and register-cut live sets out (`hwgen.hardwired.graph` builds it with neighbour sharing,
`hwgen.hardwired.cse` with all-pairs sharing)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from hwgen.errors import ConfigError

__all__ = ["AdderGraph", "csd_digits", "naive_adders", "bit_length", "signed_widths", "last_uses"]


#: Up to this many digit positions `csd_digits` looks weights up in a table of every value that
#: fits (2**(P+1) + 1 rows; 12 covers every weight format, mxfp4 with scale_span 8 included).
CSD_TABLE_POSITIONS = 12


def _naf(x: np.ndarray, positions: int) -> tuple[np.ndarray, np.ndarray]:
    """NAF digits of ``x`` in ``positions`` places, and what is left over (non-zero: more needed)."""
    out = np.zeros(x.shape + (positions,), dtype=np.int8)
    for k in range(positions):
        odd = (x & 1).astype(bool)
        d = np.where(odd, 2 - (x & 3), 0)
        out[..., k] = d
        x = (x - d) >> 1
    return out, x


@lru_cache(maxsize=None)
def _naf_table(positions: int) -> tuple[np.ndarray, np.ndarray]:
    """`_naf` of every value in ``[-2**P, 2**P]`` (beyond it no value fits ``P`` positions)."""
    span = 1 << positions
    table, rest = _naf(np.arange(-span, span + 1, dtype=np.int64), positions)
    table.flags.writeable = rest.flags.writeable = False  # shared by every later call
    return table, rest


def csd_digits(w: np.ndarray, positions: int) -> np.ndarray:
    """Canonical-signed-digit (NAF) digits of integers ``w``: shape ``w.shape + (positions,)``."""
    x = np.asarray(w, dtype=np.int64)
    if positions > CSD_TABLE_POSITIONS:
        out, rest = _naf(x, positions)
    else:  # a table lookup: a weight matrix is priced often, and its values are few
        span = 1 << positions
        if x.size and (x.min() < -span or x.max() > span):
            raise ConfigError(f"weights need more than {positions} signed digits")
        table, left = _naf_table(positions)
        out, rest = np.take(table, x + span, axis=0), np.take(left, x + span)  # copies, even of a 0-d x
    if np.any(rest != 0):
        raise ConfigError(f"weights need more than {positions} signed digits")
    return out


def bit_length(x: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of non-negative int64 values (exact below 2**53)."""
    x = np.asarray(x, dtype=np.int64)
    _, e = np.frexp(x.astype(np.float64))
    return np.where(x > 0, e, 0).astype(np.int64)


def signed_widths(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Smallest two's-complement widths holding ``[lo, hi]`` (vectorized `signed_width`)."""
    neg = np.where(lo < 0, -lo - 1, 0)
    return 1 + np.maximum(bit_length(np.maximum(hi, 0)), bit_length(neg))


def naive_adders(weights: np.ndarray, positions: int) -> int:
    """Adders of per-neuron trees without sharing: non-zero digits minus one per used column."""
    digits = csd_digits(weights, positions)
    nz = np.count_nonzero(digits, axis=(0, 2))
    return int(np.sum(np.maximum(nz - 1, 0)))


@dataclass
class AdderGraph:
    """The adder graph of one weight matrix.

    Node ids ``0 .. n_inputs-1`` are the activations; node ``n_inputs + k`` is adder
    ``k``: ``(left << lshift) + rsign * (right << rshift)``. Adders are sorted by
    level (1-based), on ``n_levels`` levels. ``last_use`` is each node's last reader's level
    (``n_levels + 1`` for an output); ``live[l]`` holds the ids present after level ``l``
    (``live[0]`` the used inputs): a register cut after level ``l`` registers exactly these
    (derived on first use: pricing a graph never needs them).
    Output ``j`` is ``out_sign[j] * (out_id[j] << out_shift[j])``, or 0 if
    ``out_id[j] == -1``. ``lo``/``hi`` bound every node's value (interval
    arithmetic over the input range ``[in_lo, in_hi]``) and ``width`` is its
    two's-complement width, so nothing can overflow.
    """

    n_inputs: int
    n_outputs: int
    in_lo: int
    in_hi: int
    left: np.ndarray
    right: np.ndarray
    lshift: np.ndarray
    rshift: np.ndarray
    rsign: np.ndarray
    level: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    out_id: np.ndarray
    out_sign: np.ndarray
    out_shift: np.ndarray
    last_use: np.ndarray
    n_levels: int

    @property
    def n_adders(self) -> int:
        return int(self.left.size)

    @cached_property
    def live(self) -> list[np.ndarray]:
        # the nodes defined by level l are a prefix, as adders are sorted by level
        ends = self.last_use.size - self.level.size + np.searchsorted(self.level, np.arange(self.n_levels + 1),
                                                                      side="right")
        return [np.flatnonzero(self.last_use[:end] > lv) for lv, end in enumerate(ends)]

    @property
    def width(self) -> np.ndarray:
        return signed_widths(self.lo, self.hi)

    @property
    def negations(self) -> int:
        return int(np.count_nonzero((self.out_id >= 0) & (self.out_sign < 0)))

    def output_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Interval bounds of every output (0 for an all-zero column)."""
        used = self.out_id >= 0
        idx = np.where(used, self.out_id, 0)
        lo, hi = self.lo[idx] << self.out_shift, self.hi[idx] << self.out_shift
        lo, hi = np.where(self.out_sign < 0, -hi, lo), np.where(self.out_sign < 0, -lo, hi)
        return np.where(used, lo, 0), np.where(used, hi, 0)

    def evaluate(self, x: np.ndarray, check_widths: bool = True) -> np.ndarray:
        """Outputs ``(B, M)`` for inputs ``(B, n_inputs)``, adder by adder in level order.

        With ``check_widths`` every node value is checked against its declared width
        (an assertion: a violation is a generator bug).
        """
        x = np.atleast_2d(np.asarray(x, dtype=np.int64))
        vals = np.zeros((self.n_inputs + self.n_adders, x.shape[0]), dtype=np.int64)
        vals[: self.n_inputs] = x.T
        base = self.n_inputs
        bounds = np.searchsorted(self.level, np.arange(1, self.n_levels + 2))
        start = 0
        for stop in bounds:
            sl = slice(start, stop)
            if stop > start:
                l = vals[self.left[sl]] << self.lshift[sl, None].astype(np.int64)
                r = vals[self.right[sl]] << self.rshift[sl, None].astype(np.int64)
                vals[base + start: base + stop] = l + self.rsign[sl, None] * r
            start = stop
        if check_widths:
            lim = np.int64(1) << (self.width - 1)
            v = vals
            if not np.all((v >= -lim[:, None]) & (v < lim[:, None])):
                raise OverflowError("adder graph node overflowed its width (a width derivation bug)")
        used = self.out_id >= 0
        out = vals[np.where(used, self.out_id, 0)].T << self.out_shift.astype(np.int64)
        return np.where(used, out * self.out_sign, 0)

    def stats(self, weights: np.ndarray | None = None, positions: int = 1) -> dict:
        """Counts for reports: adders, adder bits, registers of cuts, widths."""
        w = self.width
        n_weights = self.n_inputs * self.n_outputs
        out = {
            "weights": n_weights,
            "adders": self.n_adders,
            "negations": self.negations,
            "adder_bits": int(w.sum()),
            "levels": self.n_levels,
            "adders_per_weight": (self.n_adders + self.negations) / n_weights,
            "adders_per_level": np.bincount(self.level, minlength=self.n_levels + 1)[1:].tolist(),
        }
        if weights is not None:
            naive = naive_adders(weights, positions)
            nz = int(np.count_nonzero(weights))
            out.update({
                "nonzero_weights": nz,
                "naive_adders": naive,
                "naive_adders_per_weight": naive / n_weights,
                "dense_adders_per_weight": (self.n_inputs * positions - 1) / self.n_inputs,
                "sharing_factor": naive / max(1, self.n_adders + self.negations),
            })
        return out


def last_uses(n: int, left: np.ndarray, right: np.ndarray, level: np.ndarray, out_id: np.ndarray,
              levels: int) -> np.ndarray:
    """Each node's last use: the level of the last adder reading it, ``levels + 1`` for an output
    (inputs are level 0, adders sorted by level)."""
    last_use = np.zeros(n + level.size, dtype=np.int64)
    np.maximum.at(last_use, left, level)
    np.maximum.at(last_use, right, level)
    last_use[out_id[out_id >= 0]] = levels + 1
    return last_use
