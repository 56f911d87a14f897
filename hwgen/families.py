"""Design families: how each kind of design is built, simulated, estimated and synthesized, in one table.

A family knows how to build its RTL (Verilog text plus the manifest's details),
how to run that RTL in a simulator against its reference model, which cost model
estimates it, how it is synthesized, and how many weight bits it streams.
`family_of(config)` picks one, so neither `hwgen.api` nor the sweep (`dse`) branches
on kinds or formats itself; `generate` writes a design's files for both.

This is the one module binding the lower layers (RTL generators, reference models,
cost models, simulation runners, the synthesis flow) together: it sits above all of
them and below `dse` and `hwgen.api` (tests/test_layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from costmodel import float_model, mac_model
from costmodel import hardwired as hardwired_model
from costmodel import model as lut_model
from costmodel.runs import synth_config, synth_verilog
from sim.core_sim import float_lut_job, float_lut_operands, float_lut_widths, simulate_float_lut
from sim.float_reference import check_float_operands, result_values
from sim.fpref import from_bits
from sim.hardwired_ref import check_operands as hardwired_operands
from sim.hardwired_sim import simulate_hardwired
from sim.lut_sim import lut_job, lut_operands, lut_widths, simulate_lut
from sim.mac_reference import mac_job, mac_operands, mac_widths, simulate_mac
from sim.program import run_program
from sim.reference import torch_gemv
from sim.torch_reference import torch_lut_gemv

from .build_cache import cached_build
from .config import FloatLutConfig, LutConfig, MacConfig
from .emit import convert, port_list, tool_versions, write_design
from .floatpath import FloatLutShape, MacShape
from .formats import key_width
from .fpadd import canonical_nan
from .hardwired.design import generate_design, source_text
from .lutgraph import naive_adders
from .rtl.float_core import FloatLutCore
from .rtl.lut_core import LutCore
from .rtl.mac_core import MacCore
from .weights.shape import LutCoreShape


@dataclass(frozen=True)
class Family:
    """One kind of design.

    Attributes
    ----------
    build : config -> (verilog_text, details)
        ``details`` go into the manifest: ports, latency, cycles and structure counts;
        a design of several files also gives ``sources`` (file name -> text, compile
        order), written instead of one ``<top>.v``.
    simulate : (config, verilog, weights, acts, simulator, seed) -> (B, M) result
        Raises `MismatchError` if the RTL differs from the reference model.
    check_operands : (config, weights, acts) -> checked operands (ignored)
        Raises `InputError` unless the data fits the design (shapes against its workload or
        maxima, dtypes, value ranges of its formats): the check ``simulate`` itself starts
        with, cheap, so `hwgen.api` runs it before the design is elaborated.
    program : (config, verilog, [(name, weights, acts)], simulator, seed) -> [result]
        Every GEMV in order in one simulation (`sim.program.run_program`); None for
        designs that run one fixed GEMV (hardwired arrays).
    estimate : (config, tech_name, clock_mhz) -> dict
        With an ``accuracy`` block: the ternary core's comes from its validation
        (`costmodel.model.accuracy`); the others say where they are checked.
    synth : (config, liberty, clock_period_ns) -> (SynthResult, seconds)
    bits_per_weight : config -> float
        Weight bits streamed per weight (keys, packed codes or multiplier operands;
        0 for arrays that carry their weights).
    weights_required : bool
        False where the design carries its own weights (hardwired arrays).
    checked_in : str
        Where a family without a validation set has its model compared with synthesis.
    """

    name: str
    build: Callable[[Any], tuple[str, dict]]
    simulate: Callable[..., np.ndarray]
    estimate: Callable[..., dict]
    synth: Callable[..., tuple[Any, float]]
    bits_per_weight: Callable[[Any], float]
    check_operands: Callable[..., Any]
    weights_required: bool = True
    checked_in: str = ""
    program: Callable[..., list] | None = None

    def estimate_with_accuracy(self, config, tech: str, clock_mhz: float | None) -> dict:
        result = self.estimate(config, tech, clock_mhz)
        if self.program is not None:  # streaming cores: the design's program (a decode step)
            result["cycles_per_token"] = shape_of(config).cycles_per_program()
        if "accuracy" not in result:
            result["accuracy"] = {"regime": self.name, "validated": False,
                                  "note": f"not validated on a spread of designs; compared with synthesis "
                                          f"in {self.checked_in}"}
        return result


def shape_of(config):
    """The datapath shape of a streaming core (latency, cycles)."""
    if isinstance(config, MacConfig):
        return MacShape(config)
    if isinstance(config, FloatLutConfig):
        return FloatLutShape(config)
    return LutCoreShape(config)


def _amaranth(top: str, component, shape, **details) -> tuple[str, dict]:
    return convert(component, top), {
        "ports": port_list(component),
        "latency_cycles": shape.latency,
        "cycles_per_gemv": shape.cycles_per_gemv,
        **details,
    }


def _lut_build(shape, naive: int) -> dict:
    return {"entries": shape.entries, "adders_per_lut": shape.graph.adders,
            "naive_adders_per_lut": naive, "depth": shape.graph.depth}


# -- the integer LUT core, every weight format (ternary, Sherry, iFairy, int2..4, binary) ----


def _build_lut(config: LutConfig):
    """Any weight format: the one integer LUT core (`hwgen.rtl.lut_core`)."""
    shape = LutCoreShape(config)
    return _amaranth(config.top, LutCore(config), shape, key_width=shape.key_width,
                     lut_build=_lut_build(shape, shape.naive_adders))


def _simulate_lut(config, verilog, weights, acts, simulator, seed):
    """Any weight format: one runner and reference model (`sim.lut_sim`, `sim.reference`)."""
    return simulate_lut(config, verilog, weights, acts, simulator=simulator, seed=seed)


def _program(kind: str):
    """A family's `run_program` with its job packer, port widths and PyTorch model."""

    def run(config, verilog, gemvs, simulator, seed):
        job, widths, torch_result, to_user = _PROGRAM_PARTS[kind]
        results = run_program(config, verilog, gemvs, job, widths, torch_result, simulator, seed)
        return [to_user(config, r) for r in results]

    return run


def _torch_lut(config, weights, acts):
    return torch_gemv(weights, acts)


def _torch_float_lut(config, weights, acts):
    w, bits = check_float_operands(config, weights, acts)
    theirs = torch_lut_gemv(config, w, bits)  # torch's NaN payloads: compare as the canonical NaN
    return np.where(np.isnan(from_bits(theirs, config.acc_format)), canonical_nan(config.acc_format),
                    theirs).astype(np.uint16)


def _torch_mac(config, weights, acts):  # integer MACs only: float products round per tile
    return None if config.is_float else torch_gemv(weights, acts)


def _as_given(config, result):
    return result


def _estimate_lut(config, tech, clock_mhz):
    """Any weight format: the one integer LUT cost model (`costmodel.model`)."""
    return lut_model.estimate(config, tech_name=tech, clock_mhz=clock_mhz)


def _synth_ternary(config, liberty, clock_period_ns):
    """The validated flow: power from a simulated random ternary workload (`costmodel.activity`)."""
    return synth_config(config, liberty=liberty, clock_period_ns=clock_period_ns)


# -- float LUT cores and the multiplier-based baseline ---------------------------------------


def _build_float(config: FloatLutConfig):
    shape = FloatLutShape(config)
    return _amaranth(config.top, FloatLutCore(config), shape, key_width=shape.key_width,
                     lut_build=_lut_build(shape, naive_adders(config.group_size)))


def _build_mac(config: MacConfig):
    shape = MacShape(config)
    return _amaranth(config.top, MacCore(config), shape, weight_width=shape.weight_width,
                     multipliers=shape.multipliers, tree_adders=shape.tree_adders)


def _float_values(config, result):
    """Float results as the values of the accumulation format (`sim.float_reference`)."""
    if not config.act.is_float:
        return result
    return result_values(result, config.acc_format)


def _simulate_float(config, verilog, weights, acts, simulator, seed):
    return _float_values(config, simulate_float_lut(config, verilog, weights, acts, simulator=simulator, seed=seed))


def _simulate_mac(config, verilog, weights, acts, simulator, seed):
    return _float_values(config, simulate_mac(config, verilog, weights, acts, simulator=simulator, seed=seed))


def _estimate_float(config, tech, clock_mhz):
    return float_model.estimate_float_lut(config, tech_name=tech, clock_mhz=clock_mhz)


def _estimate_mac(config, tech, clock_mhz):
    return mac_model.estimate_mac(config, tech_name=tech, clock_mhz=clock_mhz)


# -- hardwired-neuron arrays ----------------------------------------------------------------


def _build_hardwired(config):
    sources, ports, stats = generate_design(config)
    key = "hn" if config.architecture == "hn" else "adder_graph"
    return source_text(sources), {"ports": ports.pop("ports"), "latency_cycles": ports["latency_cycles"],
                                  "interface": ports, key: stats, "sources": sources}


def _simulate_hardwired(config, verilog, weights, acts, simulator, seed):
    return simulate_hardwired(config, verilog, weights, acts, simulator=simulator, seed=seed)


def _estimate_hardwired(config, tech, clock_mhz):
    result = hardwired_model.estimate_hardwired(config, tech_name=tech, clock_mhz=clock_mhz)
    result["architecture_choice"] = hardwired_model.choose_architecture(config, tech)
    return result


def _synth_verilog(build):
    """Synthesis of a family's Verilog with the flow's default input activity."""

    def run(config, liberty: Path, clock_period_ns: float):
        return synth_verilog(build(config)[0], config.top, liberty, clock_period_ns)

    return run


def _key_bits(config) -> float:
    """Float LUT cores' ternary keys: key bits per weight of the group."""
    return key_width(config.group_size) / config.group_size


_PROGRAM_PARTS = {
    "lut": (lut_job, lut_widths, _torch_lut, _as_given),
    "lut-float": (float_lut_job, float_lut_widths, _torch_float_lut, _float_values),
    "mac": (mac_job, mac_widths, _torch_mac, _float_values),
}


#: The integer LUT core is one core, one reference, one model; its ternary and other-format
#: designs stay two entries for what differs: the synthesis flow (ternary's power from a
#: simulated ternary workload, the model's validation set) and where the model is checked.
FAMILIES = {
    "lut": Family("lut", _build_lut, _simulate_lut, _estimate_lut, _synth_ternary, lut_model.bits_per_weight,
                  lut_operands, program=_program("lut")),
    "lut-format": Family("lut-format", _build_lut, _simulate_lut, _estimate_lut,
                         _synth_verilog(_build_lut), lut_model.bits_per_weight, lut_operands,
                         checked_in="reports/formats.md (one small core per format, benchmarks/formats.py --synth)",
                         program=_program("lut")),
    "lut-float": Family("lut-float", _build_float, _simulate_float, _estimate_float, _synth_verilog(_build_float),
                        _key_bits, float_lut_operands, checked_in="reports/findings.md (benchmarks/findings.py)",
                        program=_program("lut-float")),
    "mac": Family("mac", _build_mac, _simulate_mac, _estimate_mac, _synth_verilog(_build_mac),
                  lambda config: float(MacShape(config).weight_width), mac_operands,
                  checked_in="reports/findings.md (benchmarks/findings.py)", program=_program("mac")),
    "hardwired": Family("hardwired", _build_hardwired, _simulate_hardwired, _estimate_hardwired,
                        _synth_verilog(_build_hardwired), lambda config: 0.0, hardwired_operands,
                        weights_required=False,
                        checked_in="reports/hardwired.md (benchmarks/bench_hardwired.py)"),
}


def family_of(config) -> Family:
    """The family of a validated config."""
    if config.kind == "lut":
        if isinstance(config, FloatLutConfig):
            return FAMILIES["lut-float"]
        return FAMILIES["lut" if config.weights == "ternary" else "lut-format"]
    return FAMILIES[config.kind]


def build(config) -> tuple[str, dict[str, Any]]:
    """The family's ``build`` of a validated config, through the design cache (`hwgen.build_cache`)
    unless the design carries its own weights: they come from a file that can change under the
    same config, so it is always rebuilt."""
    family = family_of(config)
    return cached_build(config, family.build) if family.weights_required else family.build(config)


def generate(config, out_dir: str | Path, clock_mhz: float) -> dict[str, Any]:
    """Write ``<top>.v`` (a Hardwired-Neuron array also ``<top>_fabric.v`` and ``<top>_wiring.v``),
    ``filelist.f``, ``constraints.sdc`` and ``manifest.json`` of a validated config to ``out_dir``;
    the manifest holds the config, ports and widths, latency, structure counts, the Verilog files
    in compile order, tool versions and the cost model's estimate at ``clock_mhz``. Returns it."""
    family = family_of(config)
    text, details = build(config)
    sources = details.pop("sources", {f"{config.top}.v": text})
    info = {"top": config.top, "kind": family.name, "config": config.to_dict(), "clock_mhz": clock_mhz,
            **details, "files": list(sources), "tool_versions": tool_versions(),
            "estimate": family.estimate_with_accuracy(config, "osu018", clock_mhz)}
    write_design(out_dir, sources, info, clock_mhz)
    return info


def synthesize(config, liberty: Path, clock_period_ns: float) -> tuple[Any, float]:
    """Synthesize a validated config with its family's flow: ``(SynthResult, seconds)``.

    The one synthesis entry point for designs (`hwgen.api.synth`, the sweep's ``--synth-top``,
    benchmarks); a plain top-level function of picklable arguments, so a batch executor can
    map it over designs. Ternary LUT cores get power from a simulated workload, the other
    families the flow's default input activity.
    """
    return family_of(config).synth(config, liberty, clock_period_ns)
