"""The Python API behind every CLI command: `generate`, `simulate`, `estimate`, `synth`, `sweep`.

Each function takes a design as a path to a YAML file, a mapping, or a parsed
config, and raises `HwgenError` subclasses for anything the user can get wrong.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from costmodel import synth as flow

from . import families
from .config import load_design, parse_design
from .errors import ConfigError, InputError
from .families import family_of, synthesize
from .preflight import DEFAULT_CLOCK_MHZ, check_clock_mhz, check_output_dir
from .program import ProgramGemv, load_array, load_program  # noqa: F401  (load_array: part of the API, for the CLI)
from .size_guard import check_build_size, check_estimate_size

Design = str | Path | dict | Any


def load(design: Design):
    """Accept a design as a YAML path, a mapping, or an already validated config."""
    if isinstance(design, (str, Path)):
        return load_design(design)
    if isinstance(design, dict):
        return parse_design(design)
    return design


def build(design: Design) -> tuple[str, dict[str, Any]]:
    """The design's Verilog text (deterministic for a given config; every module of a multi-file
    design) and its manifest details."""
    config = load(design)
    check_build_size(config)
    return families.build(config)


def verilog(design: Design) -> str:
    """The design's Verilog text."""
    return build(design)[0]


def generate(design: Design, out_dir: str | Path, clock_mhz: float = DEFAULT_CLOCK_MHZ) -> dict[str, Any]:
    """Write ``<top>.v``, ``filelist.f``, ``constraints.sdc`` and ``manifest.json`` to ``out_dir``.

    A Hardwired-Neuron array also writes ``<top>_fabric.v`` and ``<top>_wiring.v``
    (``files`` in the manifest lists the Verilog in compile order).

    The manifest holds the config, ports and widths, latency, structure counts,
    tool versions and the cost model's estimate at ``clock_mhz``.
    """
    clock_mhz = check_clock_mhz(clock_mhz)
    check_output_dir(out_dir, "output folder")
    config = load(design)
    check_build_size(config)
    check_estimate_size(config)
    return families.generate(config, out_dir, clock_mhz)


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


def check_operands(design: Design, weights: np.ndarray | None, activations: np.ndarray) -> None:
    """Raise `InputError` unless ``weights`` and ``activations`` fit the design: their shapes
    against its workload (or a streaming core's maxima), dtypes and the value ranges of its
    weight and activation formats. No elaboration: `simulate` runs it first, and the CLI before
    it says a large design will take a while."""
    config = load(design)
    family = family_of(config)
    if weights is None and family.weights_required:
        raise InputError(f"a {family.name} design needs --weights")
    for name, array in (("weights", weights), ("activations", activations)):
        if array is not None and np.asarray(array).size == 0:
            raise InputError(f"{name} are empty (shape {np.asarray(array).shape})")
    family.check_operands(config, weights, activations)


def simulate(design: Design, weights: np.ndarray | None, activations: np.ndarray,
             simulator: str = "verilator", seed: int = 0) -> np.ndarray:
    """Run the design's RTL on ``activations @ weights``; raises `MismatchError` on any difference.

    Returns ``(M,)`` for 1-D activations, else ``(B, M)``: int64 for integer designs
    (complex128 for iFairy); for float activations the values of the accumulation
    format, exactly, as float16 (fp16, fp8) or float32 (bf16). Hardwired arrays carry
    their own weights: ``weights`` may be None, and if given must be the same matrix.
    Data that does not fit the design (`check_operands`) is refused before elaboration.
    """
    config = load(design)
    check_operands(config, weights, activations)
    result = family_of(config).simulate(config, verilog(config), weights, activations, simulator, seed)
    return result[0] if np.asarray(activations).ndim == 1 else result


def program_gemvs(design: Design, program: str | Path | list[ProgramGemv]) -> list[ProgramGemv]:
    """The GEMVs of a program file (or already loaded ones), each checked against the design as
    `check_operands` does; `InputError` naming the GEMV that does not fit. No elaboration."""
    config = load(design)
    family = family_of(config)
    if family.program is None:
        raise InputError(f"a {family.name} design runs one fixed GEMV; --program needs a streaming core")
    gemvs = load_program(program) if isinstance(program, (str, Path)) else list(program)
    for g in gemvs:
        try:
            family.check_operands(config, g.weights, g.activations)
        except InputError as exc:
            raise InputError(f"GEMV {g.name}: {exc}") from None
    return gemvs


def simulate_program(design: Design, program: str | Path | list[ProgramGemv], simulator: str = "verilator",
                     seed: int = 0, write: bool = True) -> list[tuple[Path, np.ndarray]]:
    """Run every GEMV of a program file (`hwgen.program`) in order on one core, in one simulation.

    ``program`` is the file, or its GEMVs as `program_gemvs` returns them; every GEMV is checked
    against the design before it is elaborated. Each result is checked bit-exact against the
    reference model (and that against PyTorch); only if all are exact are they written
    (``write``), each to its ``out``. Returns ``(out path, result)`` pairs; a result is ``(M,)``
    for 1-D activations.
    """
    config = load(design)
    check_build_size(config)
    gemvs = program_gemvs(config, program)
    results = family_of(config).program(config, verilog(config),
                                        [(g.name, g.weights, g.activations) for g in gemvs], simulator, seed)
    pairs = [(g.out, r[0] if np.asarray(g.activations).ndim == 1 else r) for g, r in zip(gemvs, results)]
    if write:
        for path, result in pairs:
            save_array(path, result)
    return pairs


def estimate(design: Design, tech: str = "osu018", clock_mhz: float | None = None,
             above_fmax: bool = False) -> dict[str, Any]:
    """The analytical cost model's prediction (area, power, energy, fmax, cycles, throughput),
    and ``accuracy``: how far off it was against synthesis for such designs, or where it is checked.

    Power and throughput are at ``clock_mhz``, or at the model's fmax if None. A clock above
    fmax is refused (the figures would describe a design that cannot run) unless
    ``above_fmax`` (a constraint target, as `generate` writes into its SDC)."""
    if clock_mhz is not None:
        clock_mhz = check_clock_mhz(clock_mhz)
    config = load(design)
    check_estimate_size(config)
    result = family_of(config).estimate_with_accuracy(config, tech, clock_mhz)
    if not above_fmax and clock_mhz is not None and clock_mhz > result["fmax_mhz"] * (1 + 1e-9):
        raise ConfigError(f"clock {clock_mhz:g} MHz is above this design's fmax ({result['fmax_mhz']:.1f} MHz by "
                          f"the model); give a clock at or below it, or none for fmax")
    return result


def synth(design: Design, tech: str = "osu018", liberty: str | Path | None = None,
          clock_mhz: float = DEFAULT_CLOCK_MHZ, on_start: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Synthesize with Yosys + Liberty + OpenSTA; power annotated from a simulated workload.

    ``tech`` picks an open library the flow knows (`costmodel.synth.LIBRARIES`: osu018,
    osu035); ``liberty`` overrides it with any Liberty file. ``on_start`` receives one line
    saying what runs, once every input is checked (the CLI prints it: the flow takes time).
    """
    clock_mhz = check_clock_mhz(clock_mhz)
    config = load(design)
    check_build_size(config)
    if liberty is not None:
        liberty = Path(liberty)
        if not liberty.is_file():
            raise InputError(f"liberty file not found: {liberty}")
    else:
        liberty = flow.library_liberty(tech)
    if on_start is not None:
        on_start(f"Yosys on {liberty.name}, a simulation for switching activity, OpenSTA: seconds for small "
                 f"cores, minutes for large ones (results are cached)")
    result, seconds = synthesize(config, liberty, 1000.0 / clock_mhz)
    report = asdict(result)
    report["liberty"] = str(liberty)
    report["seconds"] = round(seconds, 3)
    return report


def sweep(space: str | Path | None = None, **options) -> Any:
    """Run the design-space search and write the Pareto report (see `dse.sweep.run_sweep`)."""
    from dse.sweep import run_sweep  # loads optuna and pandas: only for a sweep (tests/test_layers.py)

    return run_sweep(None if space is None else str(space), **options)
