"""Workloads: the GEMVs one decoded token costs, and the weight stream they need.

A workload is a list of GEMV shapes ``Y(m) = A(n) @ W(n, m)``, each with how many
times it runs per token. A model preset describes a decoder-only transformer by
its dimensions, and expands to every linear projection of every layer:

=======  ===========================  ===========================
name     n (inputs)                   m (outputs)
=======  ===========================  ===========================
q        hidden                       heads * head_dim
k        hidden                       kv_heads * head_dim
v        hidden                       kv_heads * head_dim
o        heads * head_dim             hidden
gate     hidden                       ffn
up       hidden                       ffn
down     ffn                          hidden
=======  ===========================  ===========================

each ``layers`` times per token (batch-1 decode). Attention scores and norms do not
run on the cores and are not counted.

The LM head
-----------
A model workload with a vocabulary (``model: {vocab}``, or any checkpoint) has an LM
head ``(hidden, vocab)``: `LmHead`, in its stored format (2B4T: the tied bf16
embedding, 2560 x 128256, 657 MB per token). ``lm_head: {serve: stream}`` (the
default) streams it every token to a dense unit beside the cores (its bytes share
the roofline, its bits cost DRAM energy, its multiply-adds the dense unit's energy);
``serve: exclude`` leaves it out, and the report says so.

Checkpoints
-----------
``checkpoint: DIR`` reads the dimensions from ``DIR/config.json`` and checks every
projection of every layer in the safetensors (`hwgen.checkpoint`): its shape, and that
it is ternary (BitNet packed or integer), or float latent weights with ``quantize:
bitnet``; the head's format is the stored dtype of ``lm_head.weight`` (or of the tied
embedding).

Roofline
--------
A LUT core consumes one ``key_width(mu)``-bit key per group of ``mu`` weights, for
every padded tile it walks (``ceil(n / (L*mu)) * L`` groups by ``ceil(m / K) * K``
columns), so the bytes streamed per token depend on the design. At a memory
bandwidth ``B`` a token takes ``max(compute time, bytes / B)``: a design is
*compute-bound* when its cycles dominate and *bandwidth-bound* otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hwgen import formats
from hwgen.checkpoint import (FLOAT_DTYPES, PROJECTIONS, STORED_BITS, ModelShape, is_checkpoint_dir,
                              layer_name, open_checkpoint, projection_shapes)
from hwgen.config import reject_unknown
from hwgen.errors import ConfigError, HwgenError

__all__ = ["Gemv", "LmHead", "Workload", "PROJECTIONS", "HEAD_FORMATS", "HEAD_SERVING", "load_workload",
           "preset_names", "parse_workload", "key_bits", "streamed_bytes", "roofline"]

_MODEL_FIELDS = ("hidden", "ffn", "heads", "kv_heads", "head_dim", "layers", "vocab")
#: Formats an LM head is stored in, and their bits per weight.
HEAD_FORMATS = STORED_BITS
#: How the LM head is served: streamed to a dense unit, or left out of the account.
HEAD_SERVING = ("stream", "exclude")


@dataclass(frozen=True)
class Gemv:
    """One GEMV shape and how often it runs per token."""

    name: str
    n: int
    m: int
    count: int

    @property
    def weights(self) -> int:
        return self.n * self.m


@dataclass(frozen=True)
class LmHead:
    """The output projection ``(hidden, vocab)``, its stored format and how it is served."""

    n: int
    m: int
    weights: str = "bf16"
    serve: str = "stream"

    @property
    def streamed_bytes(self) -> float:
        """Bytes read per token (0 when excluded)."""
        return self.n * self.m * HEAD_FORMATS[self.weights] / 8 if self.serve == "stream" else 0.0

    def describe(self) -> str:
        what = f"LM head {self.n} x {self.m} {self.weights}"
        if self.serve == "exclude":
            return f"{what}: EXCLUDED from the per-token account (lm_head: {{serve: exclude}})"
        return f"{what}: streamed to a dense unit, {self.streamed_bytes / 1e6:,.1f} MB per token"


@dataclass(frozen=True)
class Workload:
    """The GEMVs of one decoded token.

    Attributes
    ----------
    name : str
        Preset name or a label from the space file.
    gemvs : tuple[Gemv, ...]
        Every projection, with its count per token.
    weights, activation : str
        Weight and activation formats the model is quantized to.
    description : str
        One line for reports.
    """

    name: str
    gemvs: tuple[Gemv, ...]
    weights: str = "ternary"
    activation: str = "int8"
    description: str = ""
    layers: int = 0  # transformer layers (model workloads; 0 for an explicit gemvs list)
    head: LmHead | None = None  # the LM head (model workloads with a vocabulary)
    source: str = ""  # the checkpoint directory a workload was read from

    @property
    def head_bytes(self) -> float:
        """LM head bytes streamed per token (0 without a head or when excluded)."""
        return self.head.streamed_bytes if self.head else 0.0

    @property
    def head_ops(self) -> int:
        """Operations of the LM head per token when it is served (2 per weight)."""
        return 2 * self.head.n * self.head.m if self.head and self.head.serve == "stream" else 0

    def account(self) -> str:
        """One line saying which parts of a token the per-token figures count."""
        parts = [f"{self.gemvs_per_token} projection GEMVs ({self.weights})"]
        parts.append(self.head.describe() if self.head else "no LM head (not a model workload with a vocab)")
        return "; ".join(parts)

    @property
    def shapes(self) -> list[tuple[int, int, int]]:
        """Distinct ``(n, m, count per token)``, in first-appearance order."""
        merged: dict[tuple[int, int], int] = {}
        for g in self.gemvs:
            merged[(g.n, g.m)] = merged.get((g.n, g.m), 0) + g.count
        return [(n, m, c) for (n, m), c in merged.items()]

    @property
    def gemvs_per_token(self) -> int:
        return sum(g.count for g in self.gemvs)

    @property
    def weights_per_token(self) -> int:
        return sum(g.count * g.weights for g in self.gemvs)

    @property
    def ops_per_token(self) -> int:
        """Two operations (multiply, add) per weight, the usual GOPS convention."""
        return 2 * self.weights_per_token

    @property
    def max_n(self) -> int:
        return max(g.n for g in self.gemvs)

    @property
    def largest(self) -> Gemv:
        """The GEMV with the largest ``n`` (then ``m``): it sets the accumulator width."""
        return max(self.gemvs, key=lambda g: (g.n, g.m))

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "weights": self.weights,
            "activation": self.activation,
            "gemvs": [{"name": g.name, "n": g.n, "m": g.m, "count": g.count} for g in self.gemvs],
            "gemvs_per_token": self.gemvs_per_token,
            "weights_per_token": self.weights_per_token,
            "ops_per_token": self.ops_per_token,
            "lm_head": ({"n": self.head.n, "m": self.head.m, "weights": self.head.weights, "serve": self.head.serve,
                         "bytes_per_token": self.head_bytes} if self.head else None),
            "account": self.account(),
            **({"checkpoint": self.source} if self.source else {}),
        }


def key_bits(group_size: np.ndarray | int) -> np.ndarray:
    """Key width in bits for each group size (`hwgen.formats.key_width`, vectorized)."""
    mu = np.asarray(group_size, dtype=np.int64)
    table = np.array([0] + [formats.key_width(u) for u in range(1, int(mu.max(initial=1)) + 1)])
    return table[mu]


def streamed_bytes(workload: Workload, group_size, luts, fetchers) -> np.ndarray:
    """Key bytes streamed into one core per token, padding of partial tiles included."""
    mu = np.asarray(group_size, dtype=np.int64)
    L = np.asarray(luts, dtype=np.int64)
    K = np.asarray(fetchers, dtype=np.int64)
    bits = key_bits(mu)
    total = np.zeros(np.broadcast(mu, L, K).shape, dtype=np.float64)
    for n, m, count in workload.shapes:
        groups = -(-n // (L * mu)) * L
        cols = -(-m // K) * K
        total += count * groups * cols * bits
    return total / 8.0


def roofline(compute_s: np.ndarray, memory_bytes: np.ndarray, bandwidth_gbps: float | None):
    """Seconds per token and whether each design is bandwidth-bound.

    ``bandwidth_gbps=None`` means unlimited bandwidth: every design is compute-bound.
    """
    compute_s = np.asarray(compute_s, dtype=np.float64)
    if bandwidth_gbps is None:
        return compute_s, np.zeros(compute_s.shape, dtype=bool)
    memory_s = np.asarray(memory_bytes, dtype=np.float64) / (bandwidth_gbps * 1e9)
    return np.maximum(compute_s, memory_s), memory_s > compute_s


# ----------------------------------------------------------------------------
# Parsing


def _positive_int(raw: dict, key: str, where: str) -> int:
    value = raw.get(key)
    if value is None:
        raise ConfigError(f"{where}: missing required field '{key}'")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: '{key}' must be a positive integer, not {value!r}")
    return value


def _model_shape(raw: Any, where: str) -> ModelShape:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'model' must be a mapping of {', '.join(_MODEL_FIELDS)}")
    reject_unknown(raw, _MODEL_FIELDS, f"in {where} 'model'", list_known=True)
    d = {k: _positive_int(raw, k, f"{where}: model") for k in _MODEL_FIELDS if k not in ("head_dim", "vocab")}
    head_dim = raw.get("head_dim")
    if head_dim is None:
        if d["hidden"] % d["heads"]:
            raise ConfigError(f"{where}: model 'hidden' {d['hidden']} is not a multiple of 'heads' "
                              f"{d['heads']}; give 'head_dim'")
        head_dim = d["hidden"] // d["heads"]
    else:
        head_dim = _positive_int(raw, "head_dim", f"{where}: model")
    if d["heads"] % d["kv_heads"]:
        raise ConfigError(f"{where}: model 'heads' {d['heads']} must be a multiple of 'kv_heads' {d['kv_heads']}")
    vocab = _positive_int(raw, "vocab", f"{where}: model") if "vocab" in raw else 0
    return ModelShape(d["hidden"], d["ffn"], d["heads"], d["kv_heads"], head_dim, d["layers"], vocab)


def _expand_model(shape: ModelShape) -> tuple[Gemv, ...]:
    shapes = projection_shapes(shape)
    return tuple(Gemv(name, *shapes[name], shape.layers) for name in PROJECTIONS)


def _lm_head(raw: Any, shape: ModelShape, stored: str | None, where: str) -> LmHead | None:
    """The head of a model workload: ``lm_head: {weights, serve}`` over the stored format (or bf16)."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'lm_head' must be a mapping of weights ({', '.join(HEAD_FORMATS)}) and "
                          f"serve ({', '.join(HEAD_SERVING)})")
    reject_unknown(raw, ("weights", "serve"), f"in {where} 'lm_head'", list_known=True)
    weights, serve = raw.get("weights", stored or "bf16"), raw.get("serve", "stream")
    if weights not in HEAD_FORMATS:
        raise ConfigError(f"{where}: lm_head 'weights' must be one of {', '.join(HEAD_FORMATS)}, not {weights!r}")
    if serve not in HEAD_SERVING:
        raise ConfigError(f"{where}: lm_head 'serve' must be one of {', '.join(HEAD_SERVING)}, not {serve!r}")
    if not shape.vocab:
        if raw:
            raise ConfigError(f"{where}: 'lm_head' needs the model's 'vocab'")
        return None
    return LmHead(shape.hidden, shape.vocab, weights, serve)


def _checkpoint_model(path: Any, quantize: Any, where: str) -> tuple[ModelShape, str | None, str]:
    """Shape, stored head format and resolved path of a checkpoint workload; every layer checked."""
    if not isinstance(path, (str, Path)) or not is_checkpoint_dir(path):
        raise ConfigError(f"{where}: 'checkpoint' must be a model directory (config.json + safetensors), "
                          f"not {path!r}")
    ckpt = open_checkpoint(path)
    shape = ckpt.shape
    for layer in range(shape.layers):
        for proj, expected in projection_shapes(shape).items():
            prefix = layer_name(layer, proj)
            reader = ckpt.reader_of(prefix, quantize)
            if ckpt.linear_shape(prefix) != expected:
                raise ConfigError(f"tensor {prefix}.weight: (in, out) = {ckpt.linear_shape(prefix)}, config.json "
                                  f"says {expected}")
            if not reader.ternary and not ckpt.linear(prefix).ternary:
                raise ConfigError(f"tensor {prefix}.weight holds integers outside {{-1, 0, 1}}; a checkpoint "
                                  "workload takes ternary layers")
    head = ckpt.head_tensor()
    stored = FLOAT_DTYPES.get(ckpt.info(head).dtype) if head else None
    if head and not shape.vocab:
        shape = replace(shape, vocab=ckpt.info(head).shape[0])
    return shape, stored, str(ckpt.path)


def _explicit_gemvs(raw: Any, where: str) -> tuple[Gemv, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: 'gemvs' must be a non-empty list of {{name, n, m, count}}")
    out = []
    for i, item in enumerate(raw):
        at = f"{where}: gemvs[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{at} must be a mapping with n, m (and optional name, count)")
        reject_unknown(item, ("name", "n", "m", "count"), f"in {at}", list_known=True)
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(f"{at}: 'count' must be a positive integer, not {count!r}")
        out.append(Gemv(str(item.get("name", f"gemv{i}")), _positive_int(item, "n", at),
                        _positive_int(item, "m", at), count))
    return tuple(out)


def parse_workload(raw: Any, where: str = "workload") -> Workload:
    """Validate a workload mapping: ``model:`` dimensions, a ``checkpoint:`` directory, or ``gemvs:``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping (a model preset, a checkpoint or explicit gemvs)")
    reject_unknown(raw, ("name", "description", "weights", "activation", "model", "gemvs", "checkpoint", "quantize",
                         "lm_head"), f"in {where}", list_known=True)
    if sum(k in raw for k in ("model", "gemvs", "checkpoint")) != 1:
        raise ConfigError(f"{where}: give exactly one of 'model' (transformer dimensions), 'checkpoint' "
                          "(a model directory) or 'gemvs'")
    if "quantize" in raw and "checkpoint" not in raw:
        raise ConfigError(f"{where}: 'quantize' applies to a 'checkpoint'")
    shape, head, source, stored = None, None, "", None
    if "checkpoint" in raw:
        try:
            shape, stored, source = _checkpoint_model(raw["checkpoint"], raw.get("quantize"), where)
        except HwgenError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    elif "model" in raw:
        shape = _model_shape(raw["model"], where)
    if shape is not None:
        gemvs = _expand_model(shape)
        head = _lm_head(raw.get("lm_head"), shape, stored, where)
    else:
        if "lm_head" in raw:
            raise ConfigError(f"{where}: 'lm_head' applies to a model workload ('model' or 'checkpoint')")
        gemvs = _explicit_gemvs(raw["gemvs"], where)
    weights = raw.get("weights", "ternary")
    if weights not in formats.WEIGHT_FORMATS:
        raise ConfigError(f"{where}: 'weights' must be one of {', '.join(formats.WEIGHT_FORMATS)}, not {weights!r}")
    activation = raw.get("activation", "int8")
    if activation not in formats.ACTIVATIONS:
        raise ConfigError(f"{where}: 'activation' must be one of {', '.join(formats.ACTIVATIONS)}, "
                          f"not {activation!r}")
    name = raw.get("name", Path(source).name if source else "custom")
    return Workload(str(name), gemvs, weights, activation, str(raw.get("description", "")),
                    shape.layers if shape else 0, head, source)


def _preset_files() -> dict[str, Any]:
    root = resources.files("dse.presets")
    return {p.name[: -len(".yaml")]: p for p in root.iterdir()
            if p.name.endswith(".yaml") and not p.name.endswith("_space.yaml")}


def preset_names() -> list[str]:
    """Built-in model presets (files in ``dse/presets/``)."""
    return sorted(_preset_files())


def _read_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc.__class__.__name__})") from None


def load_workload(spec: str | dict | Path, base_dir: Path | None = None) -> Workload:
    """A workload from a preset name, a YAML file path, a model directory, or a mapping.

    Relative paths are taken from ``base_dir`` (the space file's folder) first.
    """
    if isinstance(spec, dict):
        ckpt = spec.get("checkpoint")
        if isinstance(ckpt, str) and base_dir is not None and not Path(ckpt).is_absolute():
            if (Path(base_dir) / ckpt).exists():
                spec = {**spec, "checkpoint": str(Path(base_dir) / ckpt)}
        return parse_workload(spec)
    if not isinstance(spec, (str, Path)):
        raise ConfigError(f"workload must be a preset name, a file or a mapping, not {spec!r}")
    presets = _preset_files()
    if str(spec) in presets:
        raw = _read_yaml(presets[str(spec)].read_text(), f"preset {spec}")
        return parse_workload(raw, f"preset {spec}")
    candidates = [Path(spec)]
    if base_dir is not None and not Path(spec).is_absolute():
        candidates.insert(0, Path(base_dir) / spec)
    for path in candidates:
        if is_checkpoint_dir(path):
            return parse_workload({"checkpoint": str(path)}, str(path))
        if path.is_file():
            return parse_workload(_read_yaml(path.read_text(), str(path)), str(path))
    raise ConfigError(f"workload {str(spec)!r} is neither a preset ({', '.join(presets)}), a file nor a model "
                      "directory")


def gemv_table(workload: Workload) -> str:
    """Markdown table of a workload's GEMVs."""
    rows = ["| projection | n | m | per token | weights |", "|---|---:|---:|---:|---:|"]
    for g in workload.gemvs:
        rows.append(f"| {g.name} | {g.n} | {g.m} | {g.count} | {g.count * g.weights:,} |")
    rows.append(f"| **total** | | | {workload.gemvs_per_token} | {workload.weights_per_token:,} |")
    if workload.head:
        h = workload.head
        rows.append(f"| lm head ({h.weights}, {h.serve}) | {h.n} | {h.m} | 1 | {h.n * h.m:,} |")
    return "\n".join(rows)

