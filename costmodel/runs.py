"""Synthesis runs of LUT cores and calibration blocks, shared by calibrate and validate.

`synth_config` turns a config into Verilog (and a VCD of a random workload, see
`costmodel.activity`) and runs `costmodel.synth.synthesize` on it; `synth_block` does the
same for a calibration block of `costmodel.blocks`. Results are cached by the flow.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from hwgen.config import LutConfig, parse_design

from . import synth
from .activity import VCD_SCOPE, write_vcd
from .batch import map_batch

__all__ = ["DEFAULT_PERIOD_NS", "design_config", "synth_config", "synth_block"]

#: Clock period of every calibration and validation run; power is reported at it.
DEFAULT_PERIOD_NS = 10.0


def design_config(design: dict) -> LutConfig:
    """A validated `LutConfig` from a compact design dict (``mu, L, K, act, p, n, m``)."""
    return parse_design({
        "kind": "lut", "activation": design["act"], "group_size": design["mu"],
        "luts": design["L"], "fetchers": design["K"], "pipeline": design["p"],
        "workload": {"n": design.get("n", 128), "m": design.get("m", 32)},
    })


def synth_config(config: LutConfig, liberty: Path | None = None, clock_period_ns: float = DEFAULT_PERIOD_NS,
                 activity: bool = True, workdir: Path | None = None) -> tuple[synth.SynthResult, float]:
    """Synthesize the LUT core of ``config``; returns ``(result, seconds)``.

    With ``activity`` the power is annotated from a simulation of a random workload.
    """
    from amaranth.back import verilog

    from hwgen.rtl.lut_core import LutCore

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hwgen-cm-") as tmp:
        tmp = Path(tmp)
        source = tmp / f"{config.top}.v"
        source.write_text(verilog.convert(LutCore(config), name=config.top, emit_src=False))
        vcd = write_vcd(config, tmp / "activity.vcd", clock_period_ns=clock_period_ns) if activity else None
        result = synth.synthesize([source], config.top, liberty=liberty, clock_period_ns=clock_period_ns,
                                  vcd=vcd, vcd_scope=VCD_SCOPE if vcd else None, workdir=workdir)
    return result, time.perf_counter() - start


def synth_block(kind: str, liberty: Path | None = None, clock_period_ns: float = DEFAULT_PERIOD_NS,
                **params) -> synth.SynthResult:
    """Synthesize one calibration block (default input activity)."""
    from .blocks import block_name, block_verilog

    with tempfile.TemporaryDirectory(prefix="hwgen-cm-") as tmp:
        source = Path(tmp) / "block.v"
        source.write_text(block_verilog(kind, **params))
        return synth.synthesize([source], block_name(kind, **params), liberty=liberty,
                                clock_period_ns=clock_period_ns)


def result_record(design: dict, result: synth.SynthResult, seconds: float) -> dict:
    """One flat row: the design, what synthesis measured, and how long it took.

    ``synth_seconds`` is the Yosys + OpenSTA time of the run that produced the result
    (`SynthResult.flow_seconds`); for cache entries older than that record, the wall time
    of this call (activity simulation included).
    """
    row = dict(design)
    res = asdict(result)
    row.update({k: res[k] for k in ("area_um2", "cells", "critical_path_ns", "fmax_mhz", "power_mw")})
    row.update({f"power_{k}_mw": v for k, v in res["power_breakdown"].items()})
    row["dff"] = sum(v for k, v in res["cells_by_type"].items() if k.startswith("DFF"))
    row["activity_source"] = res["activity_source"]
    # What synthesis costs, even when the result came from the cache (older entries: this run).
    row["synth_seconds"] = result.flow_seconds if result.flow_seconds is not None else round(seconds, 2)
    return row


def _run_one(args) -> dict:
    design, liberty, period = args
    result, seconds = synth_config(design_config(design), liberty=liberty, clock_period_ns=period)
    return result_record(design, result, seconds)


def synth_designs(designs: list[dict], liberty: Path | None = None, clock_period_ns: float = DEFAULT_PERIOD_NS,
                  jobs: int = 1, progress=None, scheduler: str | None = None) -> list[dict]:
    """`result_record` rows for every design (order kept), on ``jobs`` local workers or a Dask
    ``scheduler`` (`costmodel.batch.map_batch`)."""
    tasks = [(d, liberty, clock_period_ns) for d in designs]
    return map_batch(_run_one, tasks, jobs=jobs, scheduler=scheduler, tools=synth.FLOW_TOOLS, progress=progress)
