"""Synthesis in the loop: which Pareto designs to synthesize, and the front re-ranked by measured numbers.

Selection
---------
`selection_order` ranks the model's Pareto designs by exclusive hypervolume
contribution: the volume the front loses without that design, in the report's
normalized objective space (`dse.pareto`). ``--synth-top N`` synthesizes the first N,
so a budget of N at least the front's size synthesizes every Pareto design.

Measured objectives
-------------------
Synthesis measures one core: area, fmax and power at the sweep's clock. Each per-token
metric of a synthesized design is the model's, with the core quantities it is made of
replaced by measured ones: area scaled by the measured/model area; power, and the core's
share of the energy per token (not the DRAM stream's or the LM head's), by the
measured/model power (same clock, same cycles); the clock is the
measured fmax (or the space's ``clock_mhz`` when it has one), which moves the compute
time of the roofline ``max(compute, memory)`` and so tokens/s and latency.

Re-ranking
----------
Model and measured objectives are ranked on one scale (normalized between the ideal and
nadir of both sets together): by distance to the ideal point, ``model_rank`` and ``measured_rank`` (1 = best), and
``measured_pareto`` tells whether a design is still Pareto-optimal among the synthesized
ones on measured numbers. ``<objective>_error_pct`` is the model's error against them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pareto import Normalizer, hypervolume, nondominated, objective_matrix
from .space import Space

__all__ = ["selection_order", "measured_metrics", "rerank"]

#: Parts of the energy per token that are not the synthesized core's (`dse.evaluate`): the DRAM
#: stream and the LM head's dense unit.
NOT_CORE_ENERGY = ("dram_uj_per_token", "head_uj_per_token")


def _objectives(space: Space, frame: pd.DataFrame) -> np.ndarray:
    return objective_matrix({o.name: frame[o.name].to_numpy() for o in space.objectives}, space.objectives)


def selection_order(space: Space, front: pd.DataFrame) -> np.ndarray:
    """Row positions of the Pareto designs in ``front``, largest hypervolume contribution first."""
    obj = _objectives(space, front)
    if len(obj) == 0:
        return np.zeros(0, dtype=np.int64)
    norm = Normalizer.from_front(obj)
    scaled = norm(obj)
    total = hypervolume(scaled, norm.ref)
    keep = np.ones(len(scaled), dtype=bool)
    contribution = np.empty(len(scaled))
    for i in range(len(scaled)):
        keep[i] = False
        contribution[i] = total - hypervolume(scaled[keep], norm.ref)
        keep[i] = True
    return np.argsort(-contribution, kind="stable")


def measured_metrics(space: Space, row: pd.Series, synth: dict) -> dict[str, float]:
    """The per-token metrics of ``row`` (a Pareto design) with its core's measured area, power and fmax.

    ``synth`` holds ``model_area_um2, synth_area_um2, model_power_mw, synth_power_mw,
    synth_fmax_mhz`` (the core as `hwgen estimate` and `hwgen synth` see it).
    """
    area_ratio = synth["synth_area_um2"] / synth["model_area_um2"]
    power_ratio = synth["synth_power_mw"] / synth["model_power_mw"]
    clock = float(row["clock_mhz"])
    measured_clock = clock if "clock_mhz" in space.param_names else float(synth["synth_fmax_mhz"])
    compute_ms = float(row["compute_ms_per_token"]) * clock / measured_clock
    latency_ms = max(compute_ms, float(row["memory_ms_per_token"]))
    area_mm2 = float(row["area_mm2"]) * area_ratio
    not_core_uj = sum(float(row.get(k, 0.0)) for k in NOT_CORE_ENERGY)
    energy_uj = (float(row["energy_per_token_uj"]) - not_core_uj) * power_ratio + not_core_uj
    speed = float(row["latency_ms"]) / latency_ms
    return {
        "area_mm2": area_mm2, "energy_per_token_uj": energy_uj, "tokens_per_s": 1e3 / latency_ms,
        "latency_ms": latency_ms, "power_mw": float(row["power_mw"]) * power_ratio,
        "tops_per_mm2": float(row["tops_per_mm2"]) * speed / area_ratio,
        "tops_per_w": float(row["tops_per_w"]) * float(row["energy_per_token_uj"]) / energy_uj,
    }


def rerank(space: Space, model: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """One row per synthesized design: model and measured objectives, their ranks and the model's error.

    ``model`` and ``measured`` are aligned frames with a ``design`` column and every objective.
    """
    obj_model, obj_measured = _objectives(space, model), _objectives(space, measured)
    norm = Normalizer.from_front(np.vstack([obj_model, obj_measured]))
    out = pd.DataFrame({"design": model["design"].to_numpy()})
    for o in space.objectives:
        out[f"model_{o.name}"] = model[o.name].to_numpy()
        out[f"measured_{o.name}"] = measured[o.name].to_numpy()
        out[f"{o.name}_error_pct"] = 100.0 * (model[o.name].to_numpy() / measured[o.name].to_numpy() - 1.0)
    for name, obj in (("model_rank", obj_model), ("measured_rank", obj_measured)):
        distance = np.linalg.norm(norm(obj), axis=1)
        out[name] = np.argsort(np.argsort(distance, kind="stable"), kind="stable") + 1
    out["measured_pareto"] = nondominated(obj_measured)
    return out.sort_values("measured_rank", kind="stable").reset_index(drop=True)
