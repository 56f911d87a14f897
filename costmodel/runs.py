"""Synthesis runs: the one write-Verilog-then-synthesize step, and the runs built on it.

`synth_verilog` is that step (Verilog text -> temporary file -> optional activity VCD ->
`costmodel.synth.synthesize`): every core, calibration block and arithmetic unit reaches
the flow through it. `synth_config` runs it on a ternary LUT core with a VCD of a random
workload (`costmodel.activity`); `synth_block` on a calibration block of
`costmodel.blocks`. Results are cached by the flow.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from hwgen.config import LutConfig, parse_design
from hwgen.emit import convert
from hwgen.rtl.lut_core import LutCore

from . import synth
from .activity import VCD_SCOPE, write_vcd
from .batch import map_batch
from .blocks import block_name, block_verilog

__all__ = ["DEFAULT_PERIOD_NS", "design_config", "synth_verilog", "synth_config", "synth_block"]

#: Clock period of every calibration and validation run; power is reported at it.
DEFAULT_PERIOD_NS = 10.0


def synth_verilog(verilog: str, top: str, liberty: Path | None = None,
                  clock_period_ns: float = DEFAULT_PERIOD_NS, vcd: Callable[[Path], Path] | None = None,
                  workdir: Path | None = None) -> tuple[synth.SynthResult, float]:
    """Synthesize Verilog text whose top module is ``top``; returns ``(result, seconds)``.

    ``vcd``, if given, writes a simulation trace of the design to the path it is passed
    (scope `costmodel.activity.VCD_SCOPE`) and returns it: power is then annotated from it,
    otherwise every input toggles at the flow's default activity. A plain function of
    picklable arguments (a lambda ``vcd`` aside), so a batch executor can map it.
    """
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hwgen-synth-") as tmp:
        source = Path(tmp) / f"{top}.v"
        source.write_text(verilog)
        trace = vcd(Path(tmp) / "activity.vcd") if vcd else None
        result = synth.synthesize([source], top, liberty=liberty, clock_period_ns=clock_period_ns,
                                  vcd=trace, vcd_scope=VCD_SCOPE if trace else None, workdir=workdir)
    return result, time.perf_counter() - start


def design_config(design: dict) -> LutConfig:
    """A validated `LutConfig` from a compact design dict (``mu, L, K, act, p, n, m``)."""
    return parse_design({
        "kind": "lut", "activation": design["act"], "group_size": design["mu"],
        "luts": design["L"], "fetchers": design["K"], "pipeline": design["p"],
        "workload": {"n": design.get("n", 128), "m": design.get("m", 32)},
    })


def synth_config(config: LutConfig, liberty: Path | None = None, clock_period_ns: float = DEFAULT_PERIOD_NS,
                 activity: bool = True, workdir: Path | None = None) -> tuple[synth.SynthResult, float]:
    """Synthesize the ternary LUT core of ``config``; returns ``(result, seconds)``.

    With ``activity`` the power is annotated from a simulation of a random workload.
    """
    trace = (lambda path: write_vcd(config, path, clock_period_ns=clock_period_ns)) if activity else None
    return synth_verilog(convert(LutCore(config), config.top), config.top, liberty, clock_period_ns, trace, workdir)


def synth_block(kind: str, liberty: Path | None = None, clock_period_ns: float = DEFAULT_PERIOD_NS,
                **params) -> synth.SynthResult:
    """Synthesize one calibration block (default input activity)."""
    return synth_verilog(block_verilog(kind, **params), block_name(kind, **params), liberty, clock_period_ns)[0]


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
