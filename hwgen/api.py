"""The Python API behind every CLI command: `generate`, `simulate`, `estimate`, `synth`, `sweep`.

Each function takes a design as a path to a YAML file, a mapping, or a parsed
config, and raises `HwgenError` subclasses for anything the user can get wrong.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from .config import FloatLutConfig, LutConfig, MacConfig, load_design, parse_design
from .datapath import LutCoreShape
from .emit import convert, port_list, tool_versions, write_design
from .errors import InputError
from .lutgraph import naive_adders
from .rtl.lut_core import LutCore

DEFAULT_CLOCK_MHZ = 100.0

Design = str | Path | dict | LutConfig | MacConfig


def load(design: Design) -> LutConfig | MacConfig:
    """Accept a design as a YAML path, a mapping, or an already validated config."""
    if isinstance(design, (LutConfig, MacConfig)):
        return design
    if isinstance(design, dict):
        return parse_design(design)
    return load_design(design)


def core(config: LutConfig):
    """The generator (Amaranth component) of a config: by ``kind``, then by ``weights``."""
    if isinstance(config, (FloatLutConfig, MacConfig)):
        return make_core(config)
    if config.weights != "ternary":
        from .rtl.format_core import FormatCore

        return FormatCore(config)
    return LutCore(config)


def verilog(design: Design) -> str:
    """The design's Verilog text (deterministic for a given config)."""
    config = load(design)
    return convert(core(config), config.top)


def make_core(config: FloatLutConfig | MacConfig):
    """The float LUT core or the MAC baseline of a config."""
    if isinstance(config, MacConfig):
        from .rtl.mac_core import MacCore

        return MacCore(config)
    from .rtl.float_core import FloatLutCore

    return FloatLutCore(config)


def _manifest_other(config, component, clock_mhz: float) -> dict[str, Any]:
    """Manifest of a float LUT core or a MAC baseline (`hwgen.floatpath` shapes)."""
    from .floatpath import FloatLutShape, MacShape

    info: dict[str, Any] = {"top": config.top, "config": config.to_dict(), "ports": port_list(component),
                            "clock_mhz": clock_mhz, "tool_versions": tool_versions()}
    if isinstance(config, MacConfig):
        shape = MacShape(config)
        info.update({"latency_cycles": shape.latency, "cycles_per_gemv": shape.cycles_per_gemv,
                     "weight_width": shape.weight_width, "multipliers": shape.multipliers,
                     "tree_adders": shape.tree_adders})
    else:
        shape = FloatLutShape(config)
        info.update({"latency_cycles": shape.latency, "cycles_per_gemv": shape.cycles_per_gemv,
                     "lut_build": {"entries": shape.entries, "adders_per_lut": shape.graph.adders,
                                   "naive_adders_per_lut": naive_adders(config.group_size),
                                   "depth": shape.graph.depth},
                     "key_width": shape.key_width})
    info["estimate"] = estimate(config, clock_mhz=clock_mhz)
    return info


def manifest(config: LutConfig, core: LutCore, clock_mhz: float) -> dict[str, Any]:
    if isinstance(config, (FloatLutConfig, MacConfig)):
        return _manifest_other(config, core, clock_mhz)
    if config.weights != "ternary":
        from .weights.shape import FormatShape

        shape = FormatShape(config)
        naive = shape.naive_adders
    else:
        shape = LutCoreShape(config)
        naive = naive_adders(config.group_size)
    return {
        "top": config.top,
        "config": config.to_dict(),
        "ports": port_list(core),
        "latency_cycles": shape.latency,
        "cycles_per_gemv": shape.cycles_per_gemv,
        "clock_mhz": clock_mhz,
        "lut_build": {
            "entries": shape.entries,
            "adders_per_lut": shape.graph.adders,
            "naive_adders_per_lut": naive,
            "depth": shape.graph.depth,
        },
        "key_width": shape.key_width,
        "tool_versions": tool_versions(),
        "estimate": estimate(config, clock_mhz=clock_mhz),
    }


def generate(design: Design, out_dir: str | Path, clock_mhz: float = DEFAULT_CLOCK_MHZ) -> dict[str, Any]:
    """Write ``<top>.v``, ``filelist.f``, ``constraints.sdc`` and ``manifest.json`` to ``out_dir``."""
    config = load(design)
    component = core(config)
    info = manifest(config, component, clock_mhz)
    write_design(out_dir, config.top, convert(component, config.top), info, clock_mhz)
    return info


def load_array(path: str | Path, name: str) -> np.ndarray:
    """Read a user's ``.npy`` file, with one clear error for a missing or unreadable file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{name} file not found: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError(f"{name} file {path} is not a readable .npy array ({exc})") from None


def save_array(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` atomically: a partial ``Y.npy`` never appears."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def simulate(design: Design, weights: np.ndarray, activations: np.ndarray,
             simulator: str = "verilator", seed: int = 0) -> np.ndarray:
    """Run the design's RTL on ``activations @ weights``; raises `MismatchError` on any difference.

    Returns ``(M,)`` for 1-D activations, else ``(B, M)``, as int64 (complex128 for iFairy).
    Float activations: the values of the accumulation format, exactly, as float16
    (fp16, fp8_e4m3, fp8_e5m2) or float32 (bf16) (`sim.float_reference.RESULT_DTYPES`).
    """
    if isinstance(load(design), (FloatLutConfig, MacConfig)):
        return _simulate_other(load(design), weights, activations, simulator, seed)
    from sim.format_sim import simulate_format
    from sim.lut_sim import simulate_lut

    config = load(design)
    run = simulate_lut if config.weights == "ternary" else simulate_format
    result = run(config, verilog(config), weights, activations, simulator=simulator, seed=seed)
    return result[0] if np.asarray(activations).ndim == 1 else result


def _simulate_other(config, weights, activations, simulator: str, seed: int) -> np.ndarray:
    """`simulate` for float LUT cores and MAC baselines."""
    from sim.core_sim import simulate_float_lut
    from sim.float_reference import result_values
    from sim.mac_reference import simulate_mac

    run = simulate_mac if isinstance(config, MacConfig) else simulate_float_lut
    result = run(config, verilog(config), weights, activations, simulator=simulator, seed=seed)
    if config.act.is_float:
        result = result_values(result, config.acc_format)
    return result[0] if np.asarray(activations).ndim == 1 else result


def estimate(design: Design, tech: str = "osu018", clock_mhz: float | None = None) -> dict[str, Any]:
    """The analytical cost model's prediction (area, power, energy, fmax, cycles, throughput)."""
    if isinstance(load(design), FloatLutConfig):
        from costmodel.float_model import estimate_float_lut

        return estimate_float_lut(load(design), tech_name=tech, clock_mhz=clock_mhz)
    if isinstance(load(design), MacConfig):
        from costmodel.mac_model import estimate_mac

        return estimate_mac(load(design), tech_name=tech, clock_mhz=clock_mhz)
    from costmodel.model import estimate as model_estimate

    config = load(design)
    if config.weights != "ternary":
        from costmodel.formats_model import estimate as formats_estimate

        return formats_estimate(config, tech_name=tech, clock_mhz=clock_mhz)
    return model_estimate(config, tech_name=tech, clock_mhz=clock_mhz)


def synth(design: Design, tech: str = "osu018", liberty: str | Path | None = None,
          clock_mhz: float = DEFAULT_CLOCK_MHZ) -> dict[str, Any]:
    """Synthesize with Yosys + Liberty + OpenSTA; power annotated from a simulated workload.

    ``tech`` picks the shipped library (only ``osu018`` has an open Liberty file);
    ``liberty`` overrides it with any Liberty file.
    """
    from costmodel import synth as flow
    from costmodel.runs import synth_config

    config = load(design)
    if liberty is not None:
        liberty = Path(liberty)
        if not liberty.is_file():
            raise InputError(f"liberty file not found: {liberty}")
    elif tech == "osu018":
        liberty = flow.default_liberty()
    else:
        raise InputError(f"technology {tech!r} has no open Liberty library here; pass --liberty FILE")
    if isinstance(config, (FloatLutConfig, MacConfig)):
        from costmodel.core_runs import synth_core

        result, seconds = synth_core(config, liberty=liberty, clock_period_ns=1000.0 / clock_mhz)
    else:
        result, seconds = synth_config(config, liberty=liberty, clock_period_ns=1000.0 / clock_mhz)
    report = asdict(result)
    report["liberty"] = str(liberty)
    report["seconds"] = round(seconds, 3)
    return report


def sweep(space: str | Path | None = None, **options) -> Any:
    """Run the design-space search and write the Pareto report (see `dse.sweep.run_sweep`)."""
    from dse.sweep import run_sweep

    return run_sweep(None if space is None else str(space), **options)
