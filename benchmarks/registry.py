"""The sections of BENCHMARKS.md, in the order the file shows them.

Each `Section` names a function ``module:function`` that takes a `Context` and returns the
section's Markdown body (tables and sentences, every number computed in that run). The
function is imported only when its section runs, so listing a section costs nothing.
``quick`` sections also run in ``python -m benchmarks --quick`` (CI-sized: seconds each);
the others only in the full run (``make benchmarks``), where synthesis is cached.

Adding a benchmark is one entry here plus its function (see benchmarks/README.md).
"""

from __future__ import annotations

import functools
import importlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

__all__ = ["Context", "Section", "SECTIONS", "section"]


@dataclass(frozen=True)
class Context:
    """What a section function is told about the run.

    Attributes
    ----------
    quick : bool
        CI-sized run: small sizes, no synthesis that is not already recorded.
    jobs : int
        Processes a section may use for synthesis or simulation batches.
    root : Path
        The repository (reports are written under ``root / "reports"``).
    """

    quick: bool
    jobs: int
    root: Path


@dataclass(frozen=True)
class Section:
    """One section of BENCHMARKS.md.

    Attributes
    ----------
    key : str
        Identifier (``--only KEY``) and the file's section marker.
    title : str
        The section heading.
    function : str
        ``"module:function"``, called with a `Context`, returning Markdown.
    quick : bool
        Whether the section also runs in ``--quick`` mode.
    command : tuple[str, ...]
        Instead of ``function``: arguments of ``python`` (a script that prints its figures),
        run in the repository; its output becomes the section (``markdown``: as is, else
        in a code block).
    """

    key: str
    title: str
    function: str = ""
    quick: bool = False
    command: tuple[str, ...] = ()
    markdown: bool = False

    def load(self) -> Callable[[Context], str]:
        if self.command:
            return functools.partial(_run_script, self.command, self.markdown)
        module, name = self.function.split(":")
        return getattr(importlib.import_module(module), name)


def _run_script(command: tuple[str, ...], markdown: bool, ctx: Context) -> str:
    env = {**os.environ, "PYTHONPATH": str(ctx.root)}
    out = subprocess.run([sys.executable, *command], cwd=ctx.root, env=env, capture_output=True, text=True,
                         check=True).stdout.rstrip()
    return f"`python {' '.join(command)}` printed:\n\n" + (out if markdown else f"```\n{out}\n```")


SECTIONS: tuple[Section, ...] = (
    Section("lut-build", "LUT build: adders against named baselines", "benchmarks.bench_lut_core:adder_section",
            quick=True),
    Section("validation", "Cost model against synthesis (validation)", "benchmarks.validation:section", quick=True),
    Section("model-speed", "Cost model speed", "benchmarks.bench_costmodel:section", quick=True),
    Section("default-sweep", "Default sweep (`hwgen sweep`)", "benchmarks.sweeps:default_sweep", quick=True),
    Section("first-hour", "First hour: the default sweep against the NSGA-II search, CLI latency",
            command=("benchmarks/bench_first_hour.py", "--repeat", "3")),
    Section("per-token", "Per-token account: the LM head and DRAM energy", "benchmarks.per_token_account:section",
            quick=True),
    Section("input-bits", "Programmable cores: external input bits per decode token, before and after the "
            "activation buffer", command=("benchmarks/input_bits.py", "--trials", "300"), markdown=True),
    Section("programmable-layer", "Programmable cores: a layer's seven projections in one simulation",
            command=("benchmarks/programmable_layer.py",)),
    Section("programmable-validation", "Programmable cores: model against synthesis on a held-out draw (round 2)",
            command=("benchmarks/programmable_validation.py", "--round", "2", "--jobs", "2")),
    Section("synth-top", "`--synth-top` on the shipped n5 space, like for like",
            "benchmarks.sweeps:all_families_synth_top"),
    Section("dask", "Synthesis batches: serial, `--jobs 2`, a separate 2-worker Dask cluster",
            command=("benchmarks/bench_dask.py", "--designs", "16")),
    Section("lut-small", "One core by hand: `designs/lut_small.yaml`", "benchmarks.validation:lut_small"),
    Section("fastsim", "Simulation speed: the fast C++ harness against cocotb",
            command=("benchmarks/bench_fastsim.py", "--opt", "O2"), markdown=True),
    Section("fastsim-icarus", "Simulation on Icarus: the mu=5 core, build included",
            command=("benchmarks/bench_fastsim.py", "--icarus"), markdown=True),
    Section("lut-core-sim", "LUT core: generation and simulation time", "benchmarks.bench_lut_core:timing_section"),
    Section("hypervolume", "Sampler hypervolume against the exhaustive front",
            "benchmarks.bench_dse_hypervolume:section"),
    Section("unpipelined", "Unpipelined cores: a fresh draw and the flow's own noise",
            "benchmarks.bench_unpipelined:section"),
    Section("formats", "Weight formats (`reports/formats.md`)", "benchmarks.formats:section"),
    Section("findings", "LUT against MAC, and core size (`reports/findings.md`)", "benchmarks.findings:section",
            quick=True),
    Section("hardwired", "Hardwired-neuron arrays (`reports/hardwired.md`)", "benchmarks.bench_hardwired:section"),
    Section("hn-model", "gpt-oss-120B as Hardwired-Neuron arrays (`reports/hardwired.md`)",
            command=("benchmarks/hn_model.py",), markdown=True),
    Section("hn-must-show", "Hardwired Neurons: `hwgen simulate` on user files", command=("benchmarks/hn_must_show.py",)),
    Section("hn-synth", "Hardwired Neurons: cost model against synthesis", command=("-m", "benchmarks.hn_synth")),
    Section("cse-vs-da4ml", "Adder-graph sharing against da4ml 0.6",
            command=("-m", "benchmarks.cse_vs_da4ml", "--sizes", "32", "64", "128", "256"), markdown=True),
)


def section(key: str) -> Section:
    """The section called ``key``; `KeyError` listing the known ones."""
    for s in SECTIONS:
        if s.key == key:
            return s
    raise KeyError(f"no benchmark section {key!r}; known: {', '.join(s.key for s in SECTIONS)}")
