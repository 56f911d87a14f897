"""Design configuration: parse and validate a design file into a typed, frozen config.

Every rule lives here, so the CLI, the API, the generator and the cost model all
see the same validated object. A bad value raises `ConfigError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from . import formats
from .checkpoint import ModelShape, projection_shapes, read_model_shape
from .errors import ConfigError, InputError
from .fields import DesignConfig, GemvShape, Workload, choice_field, int_field, reject_unknown, top_field
from .hardwired.config import parse_hardwired
from .yamlio import read_yaml

KINDS = ("lut", "mac")
MAX_GROUP_SIZE = 8


@dataclass(frozen=True)
class LutConfig(DesignConfig):
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
        """The tile walk of the largest GEMV (``max_n x max_m``)."""
        return formats.Tiling(self.workload.n, self.workload.m, self.group_size, self.luts, self.fetchers)

    def at(self, n: int, m: int):
        """This core running one ``(n, m)`` GEMV (`shape_at`)."""
        return shape_at(self, n, m)


def required_accumulator_width(n: int, act: formats.ActivationFormat, weights: str = "ternary") -> int:
    """Bits that hold any dot product of length ``n`` (``weights`` format) without overflow."""
    bound = n * max(-act.min, act.max) * formats.weight_max_abs(weights)
    return formats.signed_width(-bound, bound)


def max_pipeline(luts: int) -> int:
    """Cut points: after the LUT build, after the fetch, then one per reduction-tree level."""
    return 2 + (luts - 1).bit_length()


def _lut_geometry(raw: dict) -> tuple[int, int, int, int]:
    """``group_size, luts, fetchers, pipeline`` of a LUT core (integer or float)."""
    group_size = int_field(raw, "group_size", 4, 1, MAX_GROUP_SIZE)
    luts = int_field(raw, "luts", 8, 1)
    fetchers = int_field(raw, "fetchers", 16, 1)
    return group_size, luts, fetchers, int_field(raw, "pipeline", 1, 0, max_pipeline(luts))


def parse_stream_workload(raw: Any) -> Workload:
    """A streaming core's workload: ``{max_n, max_m}``, ``{n, m}`` (the one-shape case), or a
    program the maxima derive from (or, given, are checked against): ``{gemvs: [{n, m, name?,
    count?}, ...]}``, ``{model: {hidden, ffn, heads, layers, kv_heads?, head_dim?}}`` or
    ``{checkpoint: DIR}`` (a model directory's ``config.json``; every projection of every layer)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"'workload' must be a mapping with max_n and max_m (or n and m, or gemvs), not {raw!r}")
    reject_unknown(raw, ("max_n", "max_m", "n", "m", "gemvs", "model", "checkpoint"), "in 'workload'",
                   list_known=True)
    if ("n" in raw or "m" in raw) and ("max_n" in raw or "max_m" in raw):
        raise ConfigError("'workload' takes either max_n/max_m or n/m (the same: the largest GEMV), not both")
    if sum(k in raw for k in ("gemvs", "model", "checkpoint")) > 1:
        raise ConfigError("'workload' takes one of gemvs, model or checkpoint")
    if "gemvs" in raw:
        gemvs = _parse_gemvs(raw["gemvs"])
    elif "model" in raw or "checkpoint" in raw:
        gemvs = _model_gemvs(_model_shape(raw["model"]) if "model" in raw else read_model_shape(raw["checkpoint"]))
    else:
        gemvs = ()
    old_style = "n" in raw or "m" in raw
    maxima = []
    for key in ("n", "m"):
        name = key if old_style else f"max_{key}"
        largest = max((getattr(g, key) for g in gemvs), default=None)
        value = int_field(raw, name, largest, 1)
        if largest is not None and value < largest:
            raise ConfigError(f"'workload' {name}={value} is below a GEMV's {key}={largest}")
        maxima.append(value)
    return Workload(maxima[0], maxima[1], gemvs)


def _parse_gemvs(raw: Any) -> tuple[GemvShape, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("'workload.gemvs' must be a non-empty list of {n, m, name?, count?}")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(f"'workload.gemvs[{i}]' must be a mapping with n and m, not {item!r}")
        reject_unknown(item, ("name", "n", "m", "count"), f"in 'workload.gemvs[{i}]'", list_known=True)
        out.append(GemvShape(str(item.get("name", f"gemv{i}")), int_field(item, "n", None, 1),
                             int_field(item, "m", None, 1), int_field(item, "count", 1, 1)))
    return tuple(out)


def _model_shape(raw: Any) -> ModelShape:
    """A transformer's dimensions from ``workload: {model: {hidden, ffn, heads, layers, kv_heads?, head_dim?}}``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"'workload.model' must be a mapping of transformer dimensions, not {raw!r}")
    known = ("hidden", "ffn", "heads", "kv_heads", "head_dim", "layers")
    reject_unknown(raw, known, "in 'workload.model'", list_known=True)
    hidden, ffn, heads, layers = (int_field(raw, k, None, 1) for k in ("hidden", "ffn", "heads", "layers"))
    kv_heads = int_field(raw, "kv_heads", heads, 1)
    if heads % kv_heads:
        raise ConfigError(f"'workload.model' heads {heads} must be a multiple of kv_heads {kv_heads}")
    if "head_dim" not in raw and hidden % heads:
        raise ConfigError(f"'workload.model' hidden {hidden} is not a multiple of heads {heads}; give head_dim")
    return ModelShape(hidden, ffn, heads, kv_heads, int_field(raw, "head_dim", hidden // heads, 1), layers)


def _model_gemvs(shape: ModelShape) -> tuple[GemvShape, ...]:
    """Every projection of a decode step, ``layers`` times each (the LM head runs elsewhere)."""
    return tuple(GemvShape(name, n, m, shape.layers) for name, (n, m) in projection_shapes(shape).items())


def shape_at(config, n: int, m: int):
    """``config`` running one ``(n, m)`` GEMV: the same core (accumulator width included) with
    that GEMV as its workload, for the host-side packer and the reference model.

    Raises `InputError` for a shape the core rejects (zero, or beyond its maxima).
    """
    w = config.workload
    if not (1 <= n <= w.max_n and 1 <= m <= w.max_m):
        raise InputError(f"GEMV (n, m) = ({n}, {m}) is outside the core's range: 1 <= n <= {w.max_n}, "
                         f"1 <= m <= {w.max_m}")
    if isinstance(config, LutConfig):
        try:
            formats.check_weight_design(config.weights, config.group_size, n, config.act.is_float)
        except ConfigError as exc:
            raise InputError(f"GEMV (n, m) = ({n}, {m}): {exc}") from None
    return replace(config, workload=Workload(n, m))


def parse_lut(raw: dict) -> LutConfig:
    activation = raw.get("activation")
    if isinstance(activation, str) and activation in formats.ACTIVATIONS and formats.ACTIVATIONS[activation].is_float:
        return parse_float_lut(raw)
    reject_unknown(raw, (f.name for f in fields(LutConfig)), "for kind 'lut'")
    weights = choice_field(raw, "weights", "ternary", formats.WEIGHT_FORMATS)
    activation = choice_field(raw, "activation", "int8", tuple(formats.ACTIVATIONS))
    workload = parse_stream_workload(raw.get("workload"))
    group_size, luts, fetchers, pipeline = _lut_geometry(raw)
    act = formats.ACTIVATIONS[activation]
    for n in sorted({workload.n, *(g.n for g in workload.gemvs)}):
        formats.check_weight_design(weights, group_size, n, act.is_float)
    needed = required_accumulator_width(workload.n, act, weights)
    acc = int_field(raw, "accumulator_width", needed, 1)
    if acc < needed:
        raise ConfigError(
            f"'accumulator_width' {acc} can overflow: n={workload.n} {activation} activations need {needed} bits"
        )
    top = top_field(raw, "lut_core")
    return LutConfig(
        workload=workload, weights=weights, activation=activation, group_size=group_size,
        luts=luts, fetchers=fetchers, pipeline=pipeline, accumulator_width=acc, top=top,
    )


@dataclass(frozen=True)
class FloatLutConfig(LutConfig):
    """A LUT core with float activations (``kind: lut``, ``activation`` a float format).

    Parameters (beyond `LutConfig`)
    -------------------------------
    accumulation
        Float format of the accumulators (across row blocks); the activation format
        (default) or a wider one that holds every activation value exactly
        (`hwgen.formats.widens`): fp8 -> fp16 or bf16.
    adder_pipeline
        Register stages inside every LUT-build and reduction-tree `hwgen.fpadd.FpAdder`
        (0..3); the accumulator adder is always single-cycle (loop-carried).
    """

    accumulation: str = ""
    adder_pipeline: int = 0

    @property
    def acc_format(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.accumulation]


MAX_ADDER_PIPELINE = 3


def _float_accumulation(raw: dict, activation: str) -> str:
    acc = raw.get("accumulation", activation)
    wider = [name for name in formats.ACTIVATIONS if formats.widens(activation, name)]
    if acc not in wider:
        raise ConfigError(f"'accumulation' for {activation} activations must be one of {', '.join(wider)}, "
                          f"not {acc!r}")
    return acc


def parse_float_lut(raw: dict) -> FloatLutConfig:
    reject_unknown(raw, (f.name for f in fields(FloatLutConfig)), "for kind 'lut'")
    weights = choice_field(raw, "weights", "ternary", ("ternary",))  # float cores: ternary keys only
    activation = choice_field(raw, "activation", "int8", tuple(formats.ACTIVATIONS))
    workload = parse_stream_workload(raw.get("workload"))
    group_size, luts, fetchers, pipeline = _lut_geometry(raw)
    adder_pipeline = int_field(raw, "adder_pipeline", 0, 0, MAX_ADDER_PIPELINE)
    formats.check_weight_design(weights, group_size, workload.n, True)
    accumulation = _float_accumulation(raw, activation)
    if "accumulator_width" in raw:
        raise ConfigError("'accumulator_width' applies to integer activations; float cores take 'accumulation'")
    top = top_field(raw, "lut_core")
    return FloatLutConfig(
        workload=workload, weights=weights, activation=activation, group_size=group_size,
        luts=luts, fetchers=fetchers, pipeline=pipeline,
        accumulator_width=formats.ACTIVATIONS[accumulation].width, top=top,
        accumulation=accumulation, adder_pipeline=adder_pipeline,
    )


@dataclass(frozen=True)
class MacConfig(DesignConfig):
    """A multiplier-based MAC baseline (``kind: mac``) with the LUT core's streaming interface.

    Parameters
    ----------
    weights
        ``ternary`` (sign-select-and-add: no multiplier), ``int8`` (integer multipliers,
        integer activations) or ``fp16`` (float multipliers, float activations).
    activation
        Any activation format.
    rows, columns
        The tile: ``rows`` activations times ``columns`` output columns per cycle
        (``rows * columns`` products per cycle; equal throughput to a LUT core with
        ``L * mu == rows`` and ``K == columns``).
    pipeline
        Registered cut points: after the products, then after each adder-tree level.
    adder_pipeline
        Float only: register stages inside every tree adder (the accumulator is single-cycle).
    accumulator_width
        Integer only: bits per accumulator, derived from the workload if not given.
    accumulation
        Float only: accumulator format (the activation format or a wider one).
    """

    workload: Workload
    weights: str = "ternary"
    activation: str = "int8"
    rows: int = 8
    columns: int = 16
    pipeline: int = 1
    adder_pipeline: int = 0
    accumulator_width: int = 0
    accumulation: str = ""
    top: str = "mac_core"
    kind: str = field(default="mac")

    @property
    def act(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.activation]

    @property
    def is_float(self) -> bool:
        return self.act.is_float

    @property
    def acc_format(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.accumulation]

    @property
    def tiling(self) -> formats.Tiling:
        # a tile of rows x columns is a LUT tiling with mu = 1, L = rows
        return formats.Tiling(self.workload.n, self.workload.m, 1, self.rows, self.columns)

    def at(self, n: int, m: int) -> "MacConfig":
        """This core running one ``(n, m)`` GEMV (`shape_at`)."""
        return shape_at(self, n, m)


MAC_WEIGHTS = ("ternary", "int8", "fp16")


def mac_weight_max_abs(weights: str) -> int:
    """Largest |w| an integer MAC baseline multiplies by: 1 for ternary (sign-select), 128 for int8."""
    return 1 if weights == "ternary" else 128


def mac_max_pipeline(rows: int) -> int:
    """Cut points: after the products, then one per adder-tree level."""
    return 1 + (rows - 1).bit_length()


def parse_mac(raw: dict) -> MacConfig:
    reject_unknown(raw, (f.name for f in fields(MacConfig)), "for kind 'mac'")
    weights = choice_field(raw, "weights", "ternary", MAC_WEIGHTS)
    activation = choice_field(raw, "activation", "int8", tuple(formats.ACTIVATIONS))
    act = formats.ACTIVATIONS[activation]
    if weights == "int8" and act.is_float:
        raise ConfigError(f"'weights' int8 multiplies integer activations; {activation} needs weights fp16 or ternary")
    if weights == "fp16" and not act.is_float:
        raise ConfigError(f"'weights' fp16 multiplies float activations; {activation} needs weights int8 or ternary")
    workload = parse_stream_workload(raw.get("workload"))
    rows = int_field(raw, "rows", 8, 1)
    columns = int_field(raw, "columns", 16, 1)
    pipeline = int_field(raw, "pipeline", 1, 0, mac_max_pipeline(rows))
    top = top_field(raw, "mac_core")
    if act.is_float:
        for name in ("accumulator_width",):
            if name in raw:
                raise ConfigError(f"'{name}' applies to integer activations; float cores take 'accumulation'")
        adder_pipeline = int_field(raw, "adder_pipeline", 0, 0, MAX_ADDER_PIPELINE)
        accumulation = _float_accumulation(raw, activation)
        acc = formats.ACTIVATIONS[accumulation].width
    else:
        for name in ("accumulation", "adder_pipeline"):
            if name in raw:
                raise ConfigError(f"'{name}' applies to float activations only")
        adder_pipeline, accumulation = 0, ""
        bound = workload.n * max(-act.min, act.max) * mac_weight_max_abs(weights)
        needed = formats.signed_width(-bound, bound)
        acc = int_field(raw, "accumulator_width", needed, 1)
        if acc < needed:
            raise ConfigError(f"'accumulator_width' {acc} can overflow: n={workload.n} {activation} x {weights} "
                              f"products need {needed} bits")
    return MacConfig(workload=workload, weights=weights, activation=activation, rows=rows, columns=columns,
                     pipeline=pipeline, adder_pipeline=adder_pipeline, accumulator_width=acc,
                     accumulation=accumulation, top=top)


PARSERS = {"lut": parse_lut, "mac": parse_mac, "hardwired": parse_hardwired}


def parse_design(raw: Any, base_dir: Path | None = None):
    """Validate a design mapping (as read from YAML) into a config object.

    ``base_dir`` resolves relative file names in the design (a hardwired array's
    ``weights_file``); the current folder if None.
    """
    if not isinstance(raw, dict):
        raise ConfigError("a design file must be a YAML mapping of fields")
    kind = raw.get("kind")
    if kind is None and {"parameters", "objectives"} & set(raw):
        raise ConfigError("this is a sweep space file, not a design (no 'kind'); run it with hwgen sweep")
    if kind is None:
        raise ConfigError(f"missing required field 'kind' (one of {', '.join(PARSERS)})")
    if not isinstance(kind, str) or kind not in PARSERS:
        raise ConfigError(f"'kind' must be one of {', '.join(PARSERS)}, not {kind!r}")
    if kind == "hardwired":
        return parse_hardwired(raw, base_dir=base_dir)
    return PARSERS[kind](raw)


def load_design(path: str | Path) -> LutConfig | MacConfig:
    """Read and validate a design YAML file."""
    path = Path(path)
    raw = read_yaml(path, "design file")
    try:
        return parse_design(raw, base_dir=path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
