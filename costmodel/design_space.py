"""Seeded random draws of LUT-core designs for calibration and validation.

Hand-picked calibration and validation sets drift towards whatever the model got wrong
last time; a draw fixed by a seed before any synthesis is run cannot. `sample_cores`
draws the same number of designs for every mu 1..6 (a size cap would otherwise leave
few large-mu designs) and, within one mu, uniformly among the grid's designs (several
L and K, int4 and int8, every pipeline depth the config allows) that are not in
``exclude`` and whose datapath has at most ``max_bits`` bits (`datapath_bits`, which
keeps one synthesis run around a minute). The size gate counts structure, not a priced
estimate, so a re-fitted technology table does not change the draw.
"""

from __future__ import annotations

import itertools
import random

from hwgen.config import max_pipeline
from hwgen.datapath import tree_adder_bits
from hwgen.weights.shape import LutCoreShape

from .model import structure
from .runs import design_config

from .frame import frame_counts

__all__ = ["GROUP_SIZES", "LUTS", "FETCHERS", "ACTIVATIONS", "KEY_FIELDS", "design_key", "datapath_bits",
           "sample_cores"]

GROUP_SIZES = (1, 2, 3, 4, 5, 6)
LUTS = (1, 2, 3, 4, 6, 8, 12, 16)
FETCHERS = (1, 2, 4, 8, 16)
ACTIVATIONS = ("int4", "int8")
#: Workload shape: row blocks and column blocks per GEMV (n = mu*L*rows, m = K*cols).
ROW_BLOCKS = (8, 16, 32)
COL_BLOCKS = (4, 8, 16)


#: The fields that make a design's structure (the workload only sizes counters).
KEY_FIELDS = ("mu", "L", "K", "act", "p")


def design_key(design: dict) -> tuple:
    """The structural identity of a design."""
    return tuple(design[k] for k in KEY_FIELDS)


def datapath_bits(design: dict) -> int:
    """Adder, mux, negator, accumulator and register bits of a design as the RTL writes them.

    Build adders, fetch muxes (``E * entry_width`` data bits each) and the tree's two-input
    adders are counted as the RTL writes them, not as synthesis reshapes them
    (`costmodel.model.structure`), so that refining the model never changes the draw.
    """
    config = design_config(design)
    shape = LutCoreShape(config)
    features = structure(config)["features"]
    L, K = config.luts, config.fetchers
    build_add_bits = L * sum(shape.adder_widths)
    mux_data_bits = L * K * shape.entries * shape.entry_width
    tree_add_bits = K * tree_adder_bits(shape.levels, shape.level_bounds)
    # Registers without the programmable frame (command, counters, activation buffer), plus the
    # tile counters of the fixed-shape core the recorded draws were made with: the gate is unchanged.
    frame = frame_counts(config.workload.max_n, config.workload.max_m, L * config.group_size, K,
                         L * config.group_size * config.act.width)
    t = config.tiling
    reg = features["reg_bits"] - int(frame["reg_bits"]) + (t.row_blocks - 1).bit_length() + (t.col_blocks - 1).bit_length()
    return int(build_add_bits + mux_data_bits + tree_add_bits + features["neg_bits"] + features["acc_bits"] + reg)


def _candidates(mu: int, taken: set, max_bits: int, pipeline: int | None = None) -> list[tuple]:
    """Design keys of one mu on the grid, not taken, within the size cap (grid order)."""
    keys = [(mu, L, K, act, p) for L, K, act in itertools.product(LUTS, FETCHERS, ACTIVATIONS)
            for p in range(max_pipeline(L) + 1) if pipeline is None or p == pipeline]
    return [k for k in keys
            if k not in taken and datapath_bits(dict(zip(KEY_FIELDS, k))) <= max_bits]


def sample_cores(seed: int, count: int, exclude: list[dict] = (), max_bits: int = 16_000,
                 pipeline: int | None = None, group_sizes: tuple[int, ...] = GROUP_SIZES) -> list[dict]:
    """``count`` distinct designs (``mu, L, K, act, p, n, m`` dicts) drawn with ``seed``, mu
    cycling through ``group_sizes``.

    ``pipeline`` restricts the draw to one pipeline depth (a stratum of its own).
    """
    rng = random.Random(seed)
    taken = {design_key(d) for d in exclude}
    pools = {mu: _candidates(mu, taken, max_bits, pipeline) for mu in group_sizes}
    out = []
    for i in range(count):
        mu = group_sizes[i % len(group_sizes)]
        if not pools[mu]:
            raise ValueError(f"no design with mu={mu} left within {max_bits} datapath bits")
        key = pools[mu].pop(rng.randrange(len(pools[mu])))
        _, L, K, act, p = key
        out.append(dict(mu=mu, L=L, K=K, act=act, p=p,
                        n=mu * L * rng.choice(ROW_BLOCKS), m=K * rng.choice(COL_BLOCKS)))
    return out
