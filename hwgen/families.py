"""Design families: what the API does for each kind of design, in one table.

A family knows how to build its RTL (Verilog text plus the manifest's details),
how to run that RTL in a simulator against its reference model, which cost model
estimates it, and how it is synthesized. `family_of(config)` picks one, so
`hwgen.api` never branches on kinds or formats itself.

Simulation, estimation and synthesis live in `sim/` and `costmodel/`, which build
on `hwgen`; they are imported when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import FloatLutConfig, LutConfig, MacConfig
from .emit import convert, port_list


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
    estimate : (config, tech_name, clock_mhz) -> dict
        With an ``accuracy`` block: the ternary core's comes from its validation
        (`costmodel.model.accuracy`); the others say where they are checked.
    synth : (config, liberty, clock_period_ns) -> (SynthResult, seconds)
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
    weights_required: bool = True
    checked_in: str = ""

    def estimate_with_accuracy(self, config, tech: str, clock_mhz: float | None) -> dict:
        result = self.estimate(config, tech, clock_mhz)
        if "accuracy" not in result:
            result["accuracy"] = {"regime": self.name, "validated": False,
                                  "note": f"not validated on a spread of designs; compared with synthesis "
                                          f"in {self.checked_in}"}
        return result


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


# -- ternary LUT core with integer activations ---------------------------------------------


def _build_ternary(config: LutConfig):
    from .datapath import LutCoreShape
    from .lutgraph import naive_adders
    from .rtl.lut_core import LutCore

    shape = LutCoreShape(config)
    return _amaranth(config.top, LutCore(config), shape, key_width=shape.key_width,
                     lut_build=_lut_build(shape, naive_adders(config.group_size)))


def _simulate_ternary(config, verilog, weights, acts, simulator, seed):
    from sim.lut_sim import simulate_lut

    return simulate_lut(config, verilog, weights, acts, simulator=simulator, seed=seed)


def _estimate_ternary(config, tech, clock_mhz):
    from costmodel.model import estimate

    return estimate(config, tech_name=tech, clock_mhz=clock_mhz)


def _synth_ternary(config, liberty, clock_period_ns):
    from costmodel.runs import synth_config

    return synth_config(config, liberty=liberty, clock_period_ns=clock_period_ns)


# -- LUT cores for the other weight formats (Sherry, iFairy, int2..4) ----------------------


def _build_format(config: LutConfig):
    from .rtl.format_core import FormatCore
    from .weights.shape import FormatShape

    shape = FormatShape(config)
    return _amaranth(config.top, FormatCore(config), shape, key_width=shape.key_width,
                     lut_build=_lut_build(shape, shape.naive_adders))


def _simulate_format(config, verilog, weights, acts, simulator, seed):
    from sim.format_sim import simulate_format

    return simulate_format(config, verilog, weights, acts, simulator=simulator, seed=seed)


def _estimate_format(config, tech, clock_mhz):
    from costmodel.formats_model import estimate

    return estimate(config, tech_name=tech, clock_mhz=clock_mhz)


# -- float LUT cores and the multiplier-based baseline ---------------------------------------


def _build_float(config: FloatLutConfig):
    from .floatpath import FloatLutShape
    from .lutgraph import naive_adders
    from .rtl.float_core import FloatLutCore

    shape = FloatLutShape(config)
    return _amaranth(config.top, FloatLutCore(config), shape, key_width=shape.key_width,
                     lut_build=_lut_build(shape, naive_adders(config.group_size)))


def _build_mac(config: MacConfig):
    from .floatpath import MacShape
    from .rtl.mac_core import MacCore

    shape = MacShape(config)
    return _amaranth(config.top, MacCore(config), shape, weight_width=shape.weight_width,
                     multipliers=shape.multipliers, tree_adders=shape.tree_adders)


def _float_values(config, result):
    """Float results as the values of the accumulation format (`sim.float_reference`)."""
    if not config.act.is_float:
        return result
    from sim.float_reference import result_values

    return result_values(result, config.acc_format)


def _simulate_float(config, verilog, weights, acts, simulator, seed):
    from sim.core_sim import simulate_float_lut

    return _float_values(config, simulate_float_lut(config, verilog, weights, acts, simulator=simulator, seed=seed))


def _simulate_mac(config, verilog, weights, acts, simulator, seed):
    from sim.mac_reference import simulate_mac

    return _float_values(config, simulate_mac(config, verilog, weights, acts, simulator=simulator, seed=seed))


def _estimate_float(config, tech, clock_mhz):
    from costmodel.float_model import estimate_float_lut

    return estimate_float_lut(config, tech_name=tech, clock_mhz=clock_mhz)


def _estimate_mac(config, tech, clock_mhz):
    from costmodel.mac_model import estimate_mac

    return estimate_mac(config, tech_name=tech, clock_mhz=clock_mhz)


# -- hardwired-neuron arrays ----------------------------------------------------------------


def _build_hardwired(config):
    from .hardwired.design import generate_design, source_text

    sources, ports, stats = generate_design(config)
    key = "hn" if config.architecture == "hn" else "adder_graph"
    return source_text(sources), {"ports": ports.pop("ports"), "latency_cycles": ports["latency_cycles"],
                                  "interface": ports, key: stats, "sources": sources}


def _simulate_hardwired(config, verilog, weights, acts, simulator, seed):
    from sim.hardwired_sim import simulate_hardwired

    return simulate_hardwired(config, verilog, weights, acts, simulator=simulator, seed=seed)


def _estimate_hardwired(config, tech, clock_mhz):
    from costmodel.hardwired import choose_architecture, estimate_hardwired

    result = estimate_hardwired(config, tech_name=tech, clock_mhz=clock_mhz)
    result["architecture_choice"] = choose_architecture(config, tech)
    return result


def _synth_verilog(build):
    """Synthesis of a family's Verilog with the flow's default input activity."""

    def run(config, liberty: Path, clock_period_ns: float):
        import tempfile
        import time

        from costmodel.synth import synthesize

        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="hwgen-synth-") as tmp:
            source = Path(tmp) / f"{config.top}.v"
            source.write_text(build(config)[0])
            result = synthesize([source], config.top, liberty=liberty, clock_period_ns=clock_period_ns)
        return result, time.perf_counter() - start

    return run


FAMILIES = {
    "lut": Family("lut", _build_ternary, _simulate_ternary, _estimate_ternary, _synth_ternary),
    "lut-format": Family("lut-format", _build_format, _simulate_format, _estimate_format,
                         _synth_verilog(_build_format),
                         checked_in="reports/formats.md (one small core per format, benchmarks/formats.py --synth)"),
    "lut-float": Family("lut-float", _build_float, _simulate_float, _estimate_float, _synth_verilog(_build_float),
                        checked_in="reports/findings.md (benchmarks/findings.py)"),
    "mac": Family("mac", _build_mac, _simulate_mac, _estimate_mac, _synth_verilog(_build_mac),
                  checked_in="reports/findings.md (benchmarks/findings.py)"),
    "hardwired": Family("hardwired", _build_hardwired, _simulate_hardwired, _estimate_hardwired,
                        _synth_verilog(_build_hardwired), weights_required=False,
                        checked_in="reports/hardwired.md (benchmarks/bench_hardwired.py)"),
}


def family_of(config) -> Family:
    """The family of a validated config."""
    if config.kind == "lut":
        if isinstance(config, FloatLutConfig):
            return FAMILIES["lut-float"]
        return FAMILIES["lut" if config.weights == "ternary" else "lut-format"]
    return FAMILIES[config.kind]
