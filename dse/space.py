"""Search spaces: which designs a sweep may try, for which workload, judged how.

A space file is YAML::

    name: bitnet-2b4t-lut            # label for reports
    workload: bitnet-b1.58-2b4t      # a preset (dse/presets), a YAML file, or a mapping
    tech: osu018                     # technology table of the cost model
    parameters:                      # every design parameter: a value, a list, or a range
      group_size: [2, 3, 4, 5, 6]
      luts: {min: 1, max: 256, scale: pow2}
      fetchers: {min: 1, max: 512, scale: pow2}
      pipeline: {min: 0, max: 5}     # clamped per design to what `luts` allows
      activation: int8
      clock_mhz: {min: 100, max: 400, step: 50}   # optional; absent: run at the design's fmax
      # optional families (absent: ternary LUT cores, as above)
      architecture: [lut, mac]       # LUT core or the multiplier-based MAC baseline
      weights: [ternary, sherry, int4]   # default: the workload's weight format
      activation: [int8, fp16]       # int4 | int8 | fp8_e4m3 | fp8_e5m2 | bf16 | fp16
      adder_pipeline: [0, 1]         # float cores: stages inside every float adder
      hardwired_layers: [0, 10, 30]  # model layers hardwired (HNLPU-style), rest on the core
    objectives: [area_mm2, energy_per_token_uj, tokens_per_s]
    constraints:
      max_area_mm2: 100
      max_power_mw: 5000
      min_clock_mhz: 100             # the design's fmax must reach it
      min_tokens_per_s: 1
      memory_bandwidth_gbps: 100     # weight streaming limit for the roofline
    search:
      sampler: nsga2                 # nsga2 | tpe | random
      trials: 1000
      population: 40                 # NSGA-II population size
      seed: 0

Parameter forms: a scalar (fixed), a list (the allowed values), ``{min, max}`` with
an optional ``step`` (default 1), or ``{min, max, scale: pow2}`` (the powers of two
in ``[min, max]``). Parameters left out take the defaults in `PARAMETERS`; the optional family parameters
(``architecture``, ``weights``, ``adder_pipeline``, ``hardwired_layers``) are not part of
the space at all unless given.

Combinations no core implements are mapped to the nearest buildable design before
evaluation (`Space.normalize`, like the pipeline clamp), in this order:

1. ``architecture: mac`` with ``ifairy`` weights -> ``lut`` (no complex MAC baseline);
2. a LUT core with a float activation and non-ternary weights -> ``ternary`` weights
   (float LUT cores take ternary keys only);
3. LUT cores: ``sherry`` -> ``group_size`` 4; ``ifairy`` -> the largest allowed ``group_size`` <= 4;
4. ``adder_pipeline`` -> 0 for integer activations;
5. ``pipeline`` -> the largest allowed value <= the design's cut points
   (LUT: ``2 + ceil(log2 luts)``; MAC: ``1 + ceil(log2 rows)``);
6. ``hardwired_layers`` -> 0 for float activations and ``ifairy`` weights (hardwired
   arrays take int4/int8 activations, ternary/int2/int4/int8 weights).

A MAC baseline has the LUT tile's throughput: ``rows = group_size * luts``,
``columns = fetchers``; its multiplier follows the weights: ternary and sherry
sign-select-and-add, int2..int4 an int8 multiplier (integer activations) or an fp16
multiplier (float activations). See `dse.evaluate` for hardwired layers.

Every error names the offending field and is a `hwgen.errors.ConfigError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from costmodel.memory import DEFAULT_MEMORY
from hwgen import formats
from hwgen.checkpoint import is_checkpoint_dir
from hwgen.config import MAX_ADDER_PIPELINE, MAX_GROUP_SIZE, mac_max_pipeline, max_pipeline, reject_unknown
from hwgen.errors import ConfigError

from .workload import Workload, load_workload

__all__ = ["Param", "Objective", "Space", "PARAMETERS", "OBJECTIVES", "CONSTRAINTS", "SAMPLERS",
           "load_space", "parse_space", "default_space_path", "DEFAULT_SPACE"]

#: Name of the built-in space, shipped in ``dse/presets/``.
DEFAULT_SPACE = "default_space.yaml"

#: Activation formats the LUT core (and its cost model) support.
INT_ACTIVATIONS = tuple(name for name, f in formats.ACTIVATIONS.items() if not f.is_float)
FLOAT_ACTIVATIONS = tuple(name for name, f in formats.ACTIVATIONS.items() if f.is_float)
ARCHITECTURES = ("lut", "mac")
#: Spaces with family parameters up to this many raw combinations are enumerated exactly.
GRID_LIMIT = 200_000
#: Parameters that are part of a space only when its file names them.
OPTIONAL = ("architecture", "weights", "adder_pipeline", "hardwired_layers")


@dataclass(frozen=True)
class ParamSpec:
    """What a design parameter may be: its type, bounds and default."""

    kind: str  # "int", "float" or "choice"
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()


#: Design parameters a space may search. ``clock_mhz`` has no default: run at fmax.
PARAMETERS: dict[str, ParamSpec] = {
    "group_size": ParamSpec("int", 4, 1, MAX_GROUP_SIZE),
    "luts": ParamSpec("int", 8, 1, 4096),
    "fetchers": ParamSpec("int", 16, 1, 4096),
    "pipeline": ParamSpec("int", 1, 0, 64),
    "activation": ParamSpec("choice", None, choices=INT_ACTIVATIONS + FLOAT_ACTIVATIONS),
    "clock_mhz": ParamSpec("float", None, 1.0, 10000.0),
    "architecture": ParamSpec("choice", None, choices=ARCHITECTURES),
    "weights": ParamSpec("choice", None, choices=formats.WEIGHT_FORMATS),
    "adder_pipeline": ParamSpec("int", None, 0, MAX_ADDER_PIPELINE),
    "hardwired_layers": ParamSpec("int", None, 0, 100_000),
}


@dataclass(frozen=True)
class Objective:
    """One metric to optimize. ``log`` objectives span decades and are compared in log10."""

    name: str
    direction: str  # "minimize" | "maximize"
    label: str
    log: bool = True


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("area_mm2", "minimize", "core area (mm^2)"),
    Objective("energy_per_token_uj", "minimize", "energy per token (uJ)"),
    Objective("tokens_per_s", "maximize", "tokens/s"),
    Objective("latency_ms", "minimize", "latency per token (ms)"),
    Objective("tops_per_mm2", "maximize", "TOPS/mm^2"),
    Objective("tops_per_w", "maximize", "TOPS/W"),
    Objective("power_mw", "minimize", "power (mW)"),
)}

#: Constraint keys: (metric, "max" | "min"), or None for the roofline bandwidth.
CONSTRAINTS: dict[str, tuple[str, str] | None] = {
    "max_area_mm2": ("area_mm2", "max"),
    "max_power_mw": ("power_mw", "max"),
    "min_clock_mhz": ("clock_mhz", "min"),
    "min_tokens_per_s": ("tokens_per_s", "min"),
    "max_energy_per_token_uj": ("energy_per_token_uj", "max"),
    "memory_bandwidth_gbps": None,
}

SAMPLERS = ("nsga2", "tpe", "random")
DEFAULT_OBJECTIVES = ("area_mm2", "energy_per_token_uj", "tokens_per_s")


@dataclass(frozen=True)
class Param:
    """One searched parameter: its allowed values, in order."""

    name: str
    values: tuple

    @property
    def fixed(self) -> bool:
        return len(self.values) == 1

    @property
    def numeric(self) -> bool:
        return not isinstance(self.values[0], str)


@dataclass(frozen=True)
class Space:
    """A validated search space (see the module docstring for the file format)."""

    name: str
    workload: Workload
    tech: str
    params: tuple[Param, ...]
    objectives: tuple[Objective, ...]
    constraints: dict[str, float] = field(default_factory=dict)
    sampler: str = "nsga2"
    trials: int = 1000
    population: int = 40
    seed: int = 0
    source: str = "<mapping>"
    memory: str = DEFAULT_MEMORY  # the DRAM the weights stream from (`costmodel.memory`)

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def searched(self) -> list[Param]:
        return [p for p in self.params if not p.fixed]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def bandwidth_gbps(self) -> float | None:
        return self.constraints.get("memory_bandwidth_gbps")

    @property
    def limits(self) -> list[tuple[str, str, float]]:
        """``(metric, "max" | "min", bound)`` for every constraint on a metric."""
        out = []
        for key, value in self.constraints.items():
            target = CONSTRAINTS[key]
            if target is not None:
                out.append((target[0], target[1], value))
        return out

    @property
    def vectorized(self) -> bool:
        """Every design is a ternary LUT core with integer activations: priced by the
        vectorized model (tables, exhaustive mode and reference fronts are cheap)."""
        names = self.param_names
        return (("architecture" not in names or self.param("architecture").values == ("lut",))
                and ("weights" not in names or self.param("weights").values == ("ternary",))
                and self.workload.weights == "ternary"
                and all(a in INT_ACTIVATIONS for a in self.param("activation").values))

    def normalize(self, point: dict[str, Any]) -> dict[str, Any]:
        """A point with every parameter, mapped to a buildable design (module docstring)."""
        out = {p.name: point.get(p.name, p.values[0]) for p in self.params}
        arch, weights = out.get("architecture", "lut"), out.get("weights", self.workload.weights)
        is_float = out["activation"] in FLOAT_ACTIVATIONS
        if "architecture" in out and arch == "mac" and weights == "ifairy":
            out["architecture"] = arch = "lut"
        if "weights" in out and arch == "lut" and is_float and weights != "ternary":
            out["weights"] = weights = "ternary"
        if arch == "lut" and weights == "sherry":
            out["group_size"] = 4
        elif arch == "lut" and weights == "ifairy" and out["group_size"] > 4:
            out["group_size"] = max([v for v in self.param("group_size").values if v <= 4], default=4)
        if "adder_pipeline" in out and not is_float:
            out["adder_pipeline"] = 0
        if arch == "mac":
            limit = mac_max_pipeline(int(out["group_size"]) * int(out["luts"]))
        else:
            limit = max_pipeline(int(out["luts"]))
        if out["pipeline"] > limit:
            out["pipeline"] = max(v for v in self.param("pipeline").values if v <= limit)
        if out.get("hardwired_layers", 0) and (is_float or weights == "ifairy"):
            out["hardwired_layers"] = 0
        return out

    @property
    def classic(self) -> bool:
        """Only the original LUT parameters: the pipeline clamp is the only normalization."""
        return not any(n in OPTIONAL for n in self.param_names) and self.workload.weights == "ternary"

    @property
    def raw_size(self) -> int:
        """Number of raw parameter combinations (before normalization)."""
        return math.prod(len(p.values) for p in self.params)

    def grid(self) -> dict[str, np.ndarray]:
        """Every distinct valid design of the space, as parameter arrays (enumeration order)."""
        names = self.param_names
        columns = {n: np.array(self.param(n).values) for n in names}
        sizes = [len(columns[n]) for n in names]
        idx = np.indices(sizes).reshape(len(names), -1)
        out = {n: columns[n][idx[i]] for i, n in enumerate(names)}
        if self.classic:
            keep = out["pipeline"] <= _max_pipeline_array(out["luts"])
            return {n: a[keep] for n, a in out.items()}
        seen: dict[tuple, None] = {}
        for i in range(idx.shape[1]):
            point = self.normalize({n: out[n][i].item() for n in names})
            seen.setdefault(tuple(point[n] for n in names), None)
        rows = list(seen)
        return {n: np.array([r[j] for r in rows]) for j, n in enumerate(names)}

    @cached_property
    def size(self) -> int:
        """Number of distinct valid designs (spaces with family parameters: exact up to
        `GRID_LIMIT` raw combinations, else the raw count, an upper bound)."""
        if not self.classic:
            if self.raw_size > GRID_LIMIT:
                return self.raw_size
            return len(self.grid()["pipeline"])
        luts = np.array(self.param("luts").values)
        pipes = np.array(self.param("pipeline").values)
        per_luts = (pipes[None, :] <= _max_pipeline_array(luts)[:, None]).sum(axis=1)
        others = math.prod(len(p.values) for p in self.params if p.name not in ("luts", "pipeline"))
        return int(per_luts.sum()) * others

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "workload": self.workload.name,
            "account": self.workload.account(),
            "tech": self.tech,
            "memory": self.memory,
            "parameters": {p.name: list(p.values) for p in self.params},
            "objectives": [o.name for o in self.objectives],
            "constraints": dict(self.constraints),
            "sampler": self.sampler,
            "population": self.population,
            "size": self.size,
        }


def _max_pipeline_array(luts: np.ndarray) -> np.ndarray:
    luts = np.asarray(luts, dtype=np.int64)
    bits = np.zeros(luts.shape, dtype=np.int64)
    v = luts - 1
    while np.any(v > 0):
        bits += v > 0
        v = v >> 1
    return 2 + bits


# ----------------------------------------------------------------------------
# Parsing


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _check_value(name: str, spec: ParamSpec, v: Any) -> Any:
    where = f"parameters.{name}"
    if spec.kind == "choice":
        if v not in spec.choices:
            raise ConfigError(f"{where}: {v!r} is not one of {', '.join(spec.choices)}")
        return v
    if spec.kind == "int" and not _is_int(v):
        raise ConfigError(f"{where}: values must be integers, not {v!r}")
    if spec.kind == "float" and not _is_num(v):
        raise ConfigError(f"{where}: values must be numbers, not {v!r}")
    if v < spec.lo or v > spec.hi:
        raise ConfigError(f"{where}: {v!r} is outside {spec.lo:g}..{spec.hi:g}")
    return int(v) if spec.kind == "int" else float(v)


def _param_values(name: str, raw: Any) -> tuple:
    spec = PARAMETERS[name]
    where = f"parameters.{name}"
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(f"{where}: the list of values is empty")
        values = [_check_value(name, spec, v) for v in raw]
    elif isinstance(raw, dict):
        reject_unknown(raw, ("min", "max", "step", "scale"), f"in {where}", "key(s)", list_known=True)
        if spec.kind == "choice":
            raise ConfigError(f"{where}: a choice parameter takes a value or a list, not a range")
        if "min" not in raw or "max" not in raw:
            raise ConfigError(f"{where}: a range needs both 'min' and 'max'")
        lo, hi = _check_value(name, spec, raw["min"]), _check_value(name, spec, raw["max"])
        if lo > hi:
            raise ConfigError(f"{where}: 'min' {lo} is greater than 'max' {hi}")
        scale = raw.get("scale", "linear")
        if scale == "pow2":
            if "step" in raw:
                raise ConfigError(f"{where}: 'step' does not apply to scale pow2")
            if spec.kind != "int" or lo < 1 or (lo & (lo - 1)) or (hi & (hi - 1)):
                raise ConfigError(f"{where}: scale pow2 needs integer powers of two for min and max, "
                                  f"not {raw['min']!r}..{raw['max']!r}")
            values = [1 << b for b in range(lo.bit_length() - 1, hi.bit_length())]
        elif scale == "linear":
            step = raw.get("step", 1)
            if not _is_num(step) or step <= 0 or (spec.kind == "int" and not _is_int(step)):
                raise ConfigError(f"{where}: 'step' must be a positive {'integer' if spec.kind == 'int' else 'number'}, "
                                  f"not {step!r}")
            count = int(math.floor((hi - lo) / step + 1e-9)) + 1
            values = [lo + i * step for i in range(count)]
            if spec.kind == "float":
                values = [round(v, 9) for v in values]
        else:
            raise ConfigError(f"{where}: 'scale' must be linear or pow2, not {scale!r}")
    else:
        values = [_check_value(name, spec, raw)]
    if len(set(values)) != len(values):
        raise ConfigError(f"{where}: values repeat ({values})")
    if spec.kind != "choice":
        values = sorted(values)
    return tuple(values)


def _positive(raw: dict, key: str, where: str, integer: bool = False) -> Any:
    v = raw[key]
    ok = _is_int(v) if integer else _is_num(v)
    if not ok or v <= 0:
        raise ConfigError(f"{where}.{key} must be a positive {'integer' if integer else 'number'}, not {v!r}")
    return v


def parse_space(raw: Any, source: str = "<mapping>", base_dir: Path | None = None) -> Space:
    """Validate a space mapping (as read from YAML) into a `Space`."""
    if not isinstance(raw, dict):
        raise ConfigError("a space file must be a YAML mapping")
    reject_unknown(raw, ("constraints", "description", "memory", "name", "objectives", "parameters", "search", "tech",
                         "workload"), "in the space", list_known=True)
    if "workload" not in raw:
        raise ConfigError("missing required field 'workload' (a preset name, a file or a mapping)")
    workload = load_workload(raw["workload"], base_dir)

    tech = raw.get("tech", "osu018")
    from costmodel.tech import load_tech  # validates the name, listing the known tables
    if not isinstance(tech, str):
        raise ConfigError(f"'tech' must be a technology name, not {tech!r}")
    memory = raw.get("memory", DEFAULT_MEMORY)
    if memory not in load_tech(tech).memory:
        raise ConfigError(f"'memory' must be one of {', '.join(load_tech(tech).memory)} (table {tech}), "
                          f"not {memory!r}")

    params_raw = raw.get("parameters", {}) or {}
    if not isinstance(params_raw, dict):
        raise ConfigError("'parameters' must be a mapping of parameter name to values")
    reject_unknown(params_raw, PARAMETERS, "in 'parameters'", "parameter(s)", list_known=True)
    params = []
    for name, spec in PARAMETERS.items():
        if name in params_raw:
            values = _param_values(name, params_raw[name])
        elif name == "activation":
            values = (workload.activation,)
        elif spec.default is None:
            continue
        else:
            values = (spec.default,)
        params.append(Param(name, values))

    byname = {p.name: p for p in params}
    pipes, luts = byname["pipeline"], byname["luts"]
    for v in luts.values:
        if min(pipes.values) > max_pipeline(v):
            raise ConfigError(f"parameters.pipeline: every value ({', '.join(map(str, pipes.values))}) exceeds "
                              f"the {max_pipeline(v)} cut points luts={v} has; allow a smaller pipeline")
    _check_families(byname, workload)

    objectives_raw = raw.get("objectives", list(DEFAULT_OBJECTIVES))
    if isinstance(objectives_raw, str):
        objectives_raw = [objectives_raw]
    if not isinstance(objectives_raw, list) or not objectives_raw:
        raise ConfigError("'objectives' must be a non-empty list of metric names")
    for o in objectives_raw:
        if o not in OBJECTIVES:
            raise ConfigError(f"objectives: unknown objective {o!r} (known: {', '.join(OBJECTIVES)})")
    if len(set(objectives_raw)) != len(objectives_raw):
        raise ConfigError(f"objectives: repeated objective in {objectives_raw}")
    if len(objectives_raw) > 4:
        raise ConfigError(f"objectives: at most 4 objectives, not {len(objectives_raw)}")
    objectives = tuple(OBJECTIVES[o] for o in objectives_raw)

    constraints_raw = raw.get("constraints", {}) or {}
    if not isinstance(constraints_raw, dict):
        raise ConfigError("'constraints' must be a mapping such as {max_area_mm2: 10}")
    constraints = {}
    for key in constraints_raw:
        if key not in CONSTRAINTS:
            raise ConfigError(f"constraints: unknown constraint {key!r} (known: {', '.join(CONSTRAINTS)})")
        constraints[key] = float(_positive(constraints_raw, key, "constraints"))

    search = raw.get("search", {}) or {}
    if not isinstance(search, dict):
        raise ConfigError("'search' must be a mapping of sampler, trials, population, seed")
    unknown = set(search) - {"sampler", "trials", "population", "seed"}
    if unknown:
        raise ConfigError(f"search: unknown field(s) {', '.join(sorted(unknown))}")
    sampler = search.get("sampler", "nsga2")
    if sampler not in SAMPLERS:
        raise ConfigError(f"search.sampler must be one of {', '.join(SAMPLERS)}, not {sampler!r}")
    trials = _positive(search, "trials", "search", integer=True) if "trials" in search else 1000
    population = _positive(search, "population", "search", integer=True) if "population" in search else 40
    if population < 2:
        raise ConfigError(f"search.population must be at least 2, not {population}")
    seed = search.get("seed", 0)
    if not _is_int(seed) or seed < 0:
        raise ConfigError(f"search.seed must be a non-negative integer, not {seed!r}")

    name = raw.get("name", Path(source).stem if source != "<mapping>" else "space")
    return Space(str(name), workload, tech, tuple(params), objectives, constraints,
                 sampler, trials, population, seed, source, memory)


def _check_families(byname: dict[str, Param], workload: Workload) -> None:
    """Cross-checks of the family parameters against each other and the workload."""
    archs = byname["architecture"].values if "architecture" in byname else ("lut",)
    weights = byname["weights"].values if "weights" in byname else (workload.weights,)
    acts = byname["activation"].values
    if "mac" in archs:
        rows = min(byname["group_size"].values) * min(byname["luts"].values)
        if min(byname["pipeline"].values) > mac_max_pipeline(rows):
            raise ConfigError(f"parameters.pipeline: a MAC baseline with rows={rows} (group_size * luts) has "
                              f"{mac_max_pipeline(rows)} cut points; allow a smaller pipeline")
    if "lut" in archs and not (set(archs) == {"lut"} and weights == ("ternary",)):
        if any(a in FLOAT_ACTIVATIONS for a in acts) and "ternary" not in weights:
            raise ConfigError("parameters.weights: float activations on LUT cores need ternary weights "
                              "(float cores take ternary keys only); add ternary to parameters.weights")
    if "sherry" in weights:
        bad = [g for g in workload.gemvs if g.n % 4]
        if bad:
            raise ConfigError(f"parameters.weights: sherry needs every workload n to be a multiple of 4 "
                              f"(3:4 groups); {bad[0].name} has n={bad[0].n}")
    if "ifairy" in weights and "architecture" in byname and archs == ("mac",):
        raise ConfigError("parameters.weights: ifairy (complex) weights have no MAC baseline; "
                          "add lut to parameters.architecture or drop ifairy")
    if "hardwired_layers" in byname:
        hw = byname["hardwired_layers"].values
        if max(hw) > 0:
            if not workload.layers:
                raise ConfigError("parameters.hardwired_layers: needs a model workload (a preset or 'model:' "
                                  "dimensions with layers), not an explicit 'gemvs' list")
            if max(hw) > workload.layers:
                raise ConfigError(f"parameters.hardwired_layers: {max(hw)} exceeds the workload's "
                                  f"{workload.layers} layers")


def default_space_path() -> Path:
    """The built-in space shipped with the package (``dse/presets/default_space.yaml``)."""
    return Path(str(resources.files("dse.presets") / DEFAULT_SPACE))


def load_space(path: str | Path | None = None) -> Space:
    """Read and validate a space file; the built-in default space if ``path`` is None.

    A bare name that is not a file picks a shipped space: ``all_families`` is
    ``dse/presets/all_families_space.yaml``. A model directory (``config.json`` +
    safetensors) is the default space with that checkpoint as its workload."""
    if path is not None and is_checkpoint_dir(path):
        raw = yaml.safe_load(default_space_path().read_text())
        return parse_space({**raw, "name": f"{Path(path).resolve().name}-lut", "workload": str(path)}, str(path))
    path = default_space_path() if path is None else Path(path)
    if not path.is_file() and path.suffix == "" and len(path.parts) == 1:  # a shipped space by name
        shipped = Path(str(resources.files("dse.presets") / f"{path.name}_space.yaml"))
        if shipped.is_file():
            path = shipped
    if not path.is_file():
        raise ConfigError(f"space file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    try:
        return parse_space(raw, str(path), path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None

