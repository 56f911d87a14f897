"""Design configuration: parse and validate a design file into a typed, frozen config.

Every rule lives here, so the CLI, the API, the generator and the cost model all
see the same validated object. A bad value raises `ConfigError` naming the field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from . import formats
from .errors import ConfigError

KINDS = ("lut",)
MAX_GROUP_SIZE = 8


@dataclass(frozen=True)
class Workload:
    """One GEMV ``Y(M) = A(N) @ W(N, M)``."""

    n: int
    m: int


@dataclass(frozen=True)
class LutConfig:
    """A LUT-based ternary GEMV core (``kind: lut``).

    Parameters
    ----------
    weights, activation
        Weight and activation formats (names from `hwgen.formats`).
    group_size
        mu, activations per LUT; the LUT has ``(3**mu - 1) / 2`` built entries.
    luts
        L, LUTs working in parallel on ``L*mu`` rows.
    fetchers
        K, fetchers (output columns) per LUT.
    pipeline
        Register stages inside the datapath (0 = combinational up to the accumulator);
        at most `max_pipeline`.
    accumulator_width
        Bits of each accumulator; derived from the workload if not given.
    """

    workload: Workload
    weights: str = "ternary"
    activation: str = "int8"
    group_size: int = 4
    luts: int = 8
    fetchers: int = 16
    pipeline: int = 1
    accumulator_width: int = 0
    top: str = "lut_core"
    kind: str = field(default="lut")

    @property
    def act(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.activation]

    @property
    def tiling(self) -> formats.Tiling:
        return formats.Tiling(self.workload.n, self.workload.m, self.group_size, self.luts, self.fetchers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """Stable hash of the config: names build and synthesis caches."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def required_accumulator_width(n: int, act: formats.ActivationFormat) -> int:
    """Bits that hold any ternary dot product of length ``n`` without overflow."""
    bound = n * max(-act.min, act.max)
    return formats.signed_width(-bound, bound)


def max_pipeline(luts: int) -> int:
    """Cut points: after the LUT build, after the fetch, then one per reduction-tree level."""
    return 2 + (luts - 1).bit_length()


def _int_field(raw: dict, name: str, default: int | None, lo: int, hi: int | None = None) -> int:
    value = raw.get(name, default)
    if value is None:
        raise ConfigError(f"missing required field '{name}'")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"'{name}' must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        span = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ConfigError(f"'{name}' must be {span}, not {value}")
    return value


def _choice_field(raw: dict, name: str, default: str, choices) -> str:
    value = raw.get(name, default)
    if value not in choices:
        raise ConfigError(f"'{name}' must be one of {', '.join(choices)}, not {value!r}")
    return value


def parse_workload(raw: Any) -> Workload:
    if not isinstance(raw, dict):
        raise ConfigError(f"'workload' must be a mapping with n and m, not {raw!r}")
    unknown = set(raw) - {"n", "m"}
    if unknown:
        raise ConfigError(f"unknown field(s) in 'workload': {', '.join(sorted(unknown))}")
    n = _int_field(raw, "n", None, 1)
    m = _int_field(raw, "m", None, 1)
    return Workload(n, m)


def parse_lut(raw: dict) -> LutConfig:
    known = {f.name for f in fields(LutConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown field(s) for kind 'lut': {', '.join(sorted(unknown))}")
    weights = _choice_field(raw, "weights", "ternary", formats.WEIGHT_FORMATS)
    activation = _choice_field(raw, "activation", "int8", tuple(formats.ACTIVATIONS))
    if formats.ACTIVATIONS[activation].is_float:
        raise ConfigError(f"'activation' {activation} is not supported by kind 'lut' yet; use int4 or int8")
    workload = parse_workload(raw.get("workload"))
    group_size = _int_field(raw, "group_size", 4, 1, MAX_GROUP_SIZE)
    luts = _int_field(raw, "luts", 8, 1)
    fetchers = _int_field(raw, "fetchers", 16, 1)
    pipeline = _int_field(raw, "pipeline", 1, 0, max_pipeline(luts))
    act = formats.ACTIVATIONS[activation]
    needed = required_accumulator_width(workload.n, act)
    acc = _int_field(raw, "accumulator_width", needed, 1)
    if acc < needed:
        raise ConfigError(
            f"'accumulator_width' {acc} can overflow: n={workload.n} {activation} activations need {needed} bits"
        )
    top = raw.get("top", "lut_core")
    if not isinstance(top, str) or not top.isidentifier():
        raise ConfigError(f"'top' must be a Verilog identifier, not {top!r}")
    return LutConfig(
        workload=workload, weights=weights, activation=activation, group_size=group_size,
        luts=luts, fetchers=fetchers, pipeline=pipeline, accumulator_width=acc, top=top,
    )


PARSERS = {"lut": parse_lut}


def parse_design(raw: Any) -> LutConfig:
    """Validate a design mapping (as read from YAML) into a config object."""
    if not isinstance(raw, dict):
        raise ConfigError("a design file must be a YAML mapping of fields")
    kind = raw.get("kind")
    if kind not in PARSERS:
        raise ConfigError(f"'kind' must be one of {', '.join(PARSERS)}, not {kind!r}")
    return PARSERS[kind](raw)


def load_design(path: str | Path) -> LutConfig:
    """Read and validate a design YAML file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"design file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    try:
        return parse_design(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
