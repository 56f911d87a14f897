"""From a Pareto front to a design a user can build: each design's file, suggested picks, and
the exact commands that generate, simulate and synthesize it.

A front of a hundred designs does not say which to build. Three picks are suggested:
the *knee* (closest to the ideal point, objectives scaled to the front's range, log
ones in log10), the *smallest design reaching half the front's best throughput*, and
the *most energy-efficient* one. Each pick's design file is the design the sweep
priced (`dse.sweep.design_of_row`), so ``hwgen estimate`` on it gives the report row's
area, power and clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .pareto import Normalizer, objective_matrix
from .space import Space

__all__ = ["Pick", "design_yaml", "knee_order", "suggest_picks", "commands", "command_clock"]

#: The throughput pick: the smallest design reaching this share of the front's best throughput.
THROUGHPUT_SHARE = 0.5


@dataclass(frozen=True)
class Pick:
    """A suggested Pareto design: which (``design`` id), why (``title``, ``reason``)."""

    design: str
    title: str
    reason: str


def design_yaml(space: Space, row: pd.Series, design: dict[str, Any]) -> str:
    """The text of a row's design file (``design``: its mapping), with a header saying where it comes from."""
    hardwired = int(row["hardwired_layers"]) if "hardwired_layers" in row.index else 0
    w = design["workload"]
    matches = ("`hwgen estimate` on this file at that clock gives the report's area and power" if not hardwired else
               f"the report's area and power also count {hardwired} hardwired layers, which this core file leaves "
               f"out (--emit-rtl writes them as hardwired.yaml)")
    head = (f"# Pareto design {row['design']} of the sweep over {space.name}: the programmable core for the "
            f"workload's maxima (max_n={w['max_n']}, max_m={w['max_m']}), running the GEMVs of one token.\n"
            f"# Priced at {command_clock(row):g} MHz with the {space.tech} table; {matches}.\n")
    return head + yaml.safe_dump(design, sort_keys=False)


def command_clock(row: pd.Series) -> float:
    """The row's clock for commands, rounded down to kHz (rounding up could pass the model's fmax)."""
    return math.floor(float(row["clock_mhz"]) * 1000) / 1000


def commands(space: Space, row: pd.Series, design_path: str, build_dir: str) -> dict[str, str]:
    """The commands that build and check one design: generate, estimate, simulate, synth."""
    clock = f"{command_clock(row):g}"
    g = space.workload.largest
    return {
        "generate": f"hwgen generate {design_path} -o {build_dir} --clock-mhz {clock}",
        "estimate": f"hwgen estimate {design_path} --tech {space.tech} --clock-mhz {clock}",
        "simulate": (f"hwgen simulate {design_path} --weights W.npy --activations A.npy --out Y.npy"
                     f"    # W: ({g.n}, {g.m}), A: ({g.n},)"),
        "synth": f"hwgen synth {design_path} --clock-mhz {clock}",
    }


def knee_order(space: Space, table: pd.DataFrame) -> np.ndarray:
    """Row indices of ``table``, closest to the ideal point (the front's best of every objective) first."""
    obj = objective_matrix({o.name: table[o.name].to_numpy() for o in space.objectives}, space.objectives)
    scaled = Normalizer.from_front(obj)(obj) if len(obj) else obj
    return np.argsort(np.linalg.norm(scaled, axis=1), kind="stable")


def suggest_picks(space: Space, table: pd.DataFrame) -> list[Pick]:
    """The knee, the smallest design with half the best throughput, the most energy-efficient
    (the last two when the table has those metrics); one pick per distinct reason."""
    if not len(table):
        return []
    picks = [Pick(str(table.iloc[int(knee_order(space, table)[0])]["design"]), "balanced (knee)",
                  "closest to the ideal point of every objective, each scaled to the front's range")]
    if {"tokens_per_s", "area_mm2"} <= set(table.columns):
        need = THROUGHPUT_SHARE * float(table["tokens_per_s"].max())
        fast = table[table["tokens_per_s"] >= need]
        row = fast.loc[fast["area_mm2"].idxmin()]
        picks.append(Pick(str(row["design"]), f"smallest at >= {need:.4g} tokens/s",
                          f"least area among designs reaching {100 * THROUGHPUT_SHARE:.0f}% of the front's best "
                          f"throughput ({float(table['tokens_per_s'].max()):.4g} tokens/s)"))
    if "energy_per_token_uj" in table.columns:
        row = table.loc[table["energy_per_token_uj"].idxmin()]
        picks.append(Pick(str(row["design"]), "most energy-efficient", "least energy per token on the front"))
    return picks
