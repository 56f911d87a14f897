"""``kind: hardwired`` design files: parse, validate and load the weight matrix.

A hardwired array bakes one ``(N, M)`` weight matrix into logic. The matrix comes
from ``weights_file`` (``.npy``, a ``.safetensors`` file, or a Hugging Face model
directory, `hwgen.checkpoint`, with ``tensor:`` naming the layer) or, without a file,
from a seeded BitNet-style generator (Gaussian floats quantized absmean-ternary, or
absmax per column for integer formats). A linear layer's ``.weight`` is PyTorch's
``(out, in)`` and is read as ``(N, M) = (in, out)`` by its role (BitNet packed uint8,
integers, or float latent weights with ``quantize: bitnet``); a ``.npy`` matrix or
another safetensors tensor is ``(N, M)``, or ``(M, N)`` with ``transpose: true``.

Fields
------
=============  ==========================================================  ==============
field          meaning                                                     default
=============  ==========================================================  ==============
weights        ternary | int2 | int4 | int8 | fp4 | mxfp4                  ternary
activation     int4 | int8                                                 int8
architecture   adder-graph (constant adder trees) | hn (Hardwired Neurons:  adder-graph
               value regions, `hwgen.hardwired.hn`)
weights_file   path of the matrix (.npy / .safetensors / model directory);  none
               relative to the design file's folder when ``base_dir`` is
               given
tensor         tensor or layer name in the safetensors (mxfp4: the weight  the only one
               name ``W`` of a packed ``W_blocks`` / ``W_scales`` pair)
transpose      the .npy / non-linear tensor holds ``(M, N)``               false
quantize       ``bitnet``: quantize float latent weights on load           none
expert         mxfp4: one expert of a stacked ``(E, out, G, 16)`` tensor   none
block          mxfp4: elements per E8M0 scale (along N)                    32
scale_span     mxfp4: block exponents one neuron may span (sizes the       4
               constants: ``2 * fp4 * 2**k``, ``k < scale_span``)
region_capacity  hn: inputs each value region of a neuron takes (the       from the matrix
               weight-independent fabric): one number, or a list with one
               per magnitude (`constant_magnitudes` order); absent: per
               magnitude the matrix's fullest region times ``region_slack``
region_slack   hn: slack factor when ``region_capacity`` is absent         1.25
seed           seed of the generated matrix (no weights_file)              0
workload       ``{n, m}``; required without a file, checked against it     from the file
pipeline       register cuts inside the adder tree (0..levels-1)           0
bit_serial     activations enter one bit-plane per cycle (adder-graph: MSB   false (hn: true)
               first; hn: LSB first, popcount regions)
sharing        share common sub-expressions across neurons                 true
cse            adder-graph sharing: neighbours (pairs of adjacent terms    neighbours
               in each balanced tree) | all-pairs (`hwgen.hardwired.cse`)
top            Verilog module name                                         hardwired_core
=============  ==========================================================  ==============

FP4 and MXFP4 (`hwgen.weights.mxfp4`): a ``.npy`` holds the real values (FP4 E2M1
values; MXFP4: FP4 values times one power of two per ``block`` rows of a column); an
MXFP4 ``.safetensors`` holds the packed ``_blocks`` / ``_scales`` pair as released
checkpoints do. The hardware bakes in integer constants ``C`` with
``W[:, j] = C[:, j] * 2**e[j]`` (`load_matrix`); outputs are scaled back by ``2**e[j]``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen import formats
from hwgen.checkpoint import QUANTIZE_RULES, Checkpoint, is_checkpoint_dir, layer_prefix, open_checkpoint
from hwgen.config import (DesignConfig, Workload, bool_field, choice_field, int_field, parse_workload,
                          reject_unknown, top_field)
from hwgen.errors import ConfigError, InputError
from hwgen.weights import mxfp4
from hwgen.weights.spec import check_integers, check_matrix

__all__ = [
    "HARDWIRED_WEIGHTS", "HARDWIRED_ACTIVATIONS", "HardwiredConfig", "parse_hardwired",
    "load_weights", "weight_range", "digit_positions", "tree_levels",
]

#: Weight formats: name -> (min, max) of the integer values.
HARDWIRED_WEIGHTS: dict[str, tuple[int, int]] = {
    "ternary": (-1, 1), "int2": (-2, 1), "int4": (-8, 7), "int8": (-128, 127),
}
#: Float weight formats: their integer constants are scaled per output column.
SCALED_WEIGHTS = ("fp4", "mxfp4")
HARDWIRED_ACTIVATIONS = ("int4", "int8")
ARCHITECTURES = ("adder-graph", "hn")
CSE_METHODS = ("neighbours", "all-pairs")
_FIELDS = {"kind", "weights", "activation", "weights_file", "tensor", "transpose", "quantize", "seed",
           "workload", "pipeline", "bit_serial", "sharing", "top", "architecture", "region_capacity",
           "region_slack", "scale_span", "block", "expert", "cse"}
#: FP4 constants ``2 * fp4`` carry the exponent -1 in every column.
FP4_EXPONENT = -1


def weight_range(fmt: str) -> tuple[int, int]:
    return HARDWIRED_WEIGHTS[fmt]


def constant_magnitudes(fmt: str, scale_span: int = 1) -> tuple[int, ...]:
    """Every non-zero ``|constant|`` a matrix of ``fmt`` can bake in (the HN value regions)."""
    if fmt in SCALED_WEIGHTS:
        return mxfp4.constant_alphabet(scale_span if fmt == "mxfp4" else 1)
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    return tuple(range(1, max(-lo, hi) + 1))


def digit_positions(fmt: str, scale_span: int = 1) -> int:
    """CSD digit positions a constant of ``fmt`` needs (|w| <= 2**(b-1) fits in b digits, NAF one more)."""
    if fmt == "ternary":
        return 1
    if fmt in SCALED_WEIGHTS:
        return max(constant_magnitudes(fmt, scale_span)).bit_length() + 1
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    return max(1, max(-lo, hi).bit_length())


def tree_levels(n: int, fmt: str, scale_span: int = 1) -> int:
    """Pairwise combining levels from the ``n * digits`` signed-digit terms to one sum."""
    return max(1, math.ceil(math.log2(n * digit_positions(fmt, scale_span))))


@dataclass(frozen=True)
class HardwiredConfig(DesignConfig):
    """A hardwired-neuron array (``kind: hardwired``); see the module docstring."""

    workload: Workload
    weights: str = "ternary"
    activation: str = "int8"
    weights_file: str | None = None
    tensor: str | None = None
    transpose: bool = False
    seed: int = 0
    pipeline: int = 0
    bit_serial: bool = False
    sharing: bool = True
    top: str = "hardwired_core"
    weights_digest: str = ""
    quantize: str | None = None
    architecture: str = "adder-graph"
    cse: str = "neighbours"
    region_capacity: int | tuple[int, ...] | None = None
    region_slack: float = 1.25
    scale_span: int = 4
    block: int = mxfp4.MX_BLOCK
    expert: int | None = None
    kind: str = field(default="hardwired")

    @property
    def act(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.activation]

    @property
    def span(self) -> int:
        """Block exponents one neuron may span (1 unless MXFP4)."""
        return self.scale_span if self.weights == "mxfp4" else 1

    @property
    def positions(self) -> int:
        return digit_positions(self.weights, self.span)

    @property
    def magnitudes(self) -> tuple[int, ...]:
        return constant_magnitudes(self.weights, self.span)

    @property
    def levels(self) -> int:
        return tree_levels(self.workload.n, self.weights, self.span)



# ----------------------------------------------------------------------------
# Weight files


def _role_tensor(ckpt: Checkpoint, tensor: str | None) -> str:
    """The tensor (or layer) a safetensors source names; a bare file's only tensor when not named."""
    if tensor is None:
        names = ckpt.names()
        if ckpt.shape is not None or len(names) != 1:
            raise ConfigError(f"{ckpt.path} holds {len(names)} tensors ({', '.join(names[:5])}...); "
                              "name one with 'tensor:'")
        return names[0]
    if not ckpt.is_linear(tensor) and tensor not in ckpt:
        ckpt.info(tensor)  # the error lists tensors nearby
    return tensor


def _source_shape(path: Path, tensor: str | None, transpose: bool | None, quantize: str | None,
                  weights: str) -> tuple[tuple[int, int], Path]:
    """``(N, M)`` of the matrix a weights source holds (headers only) and the file holding its data.

    Checks the orientation (by role, or an explicit ``transpose`` for other tensors) and
    that a ternary layout is not taken as another format.
    """
    if path.suffix == ".npy":
        try:
            shape = tuple(np.load(path, mmap_mode="r", allow_pickle=False).shape)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable .npy file ({exc})") from None
        if len(shape) != 2:
            raise InputError(f"'weights_file' {path} holds a tensor of shape {shape}, not a 2-D matrix")
        return ((shape[1], shape[0]) if transpose else shape), path
    ckpt = open_checkpoint(path)
    name = _role_tensor(ckpt, tensor)
    if ckpt.is_linear(name):
        if transpose is not None:
            raise ConfigError(f"tensor {name!r} is a linear layer's weight, stored (out, in): its orientation "
                              "follows its role; drop 'transpose'")
        reader = ckpt.reader_of(name, quantize)
        if reader.ternary and weights != "ternary":
            raise ConfigError(f"tensor {layer_prefix(name)}.weight is {reader.name} ternary; "
                              f"the design says weights: {weights} (use weights: ternary)")
        return ckpt.linear_shape(name), ckpt.info(f"{layer_prefix(name)}.weight").file
    shape = ckpt.info(name).shape
    if len(shape) != 2:
        raise InputError(f"tensor {name!r} has shape {list(shape)}, not a 2-D matrix")
    if transpose is None:
        raise ConfigError(f"tensor {name!r} is not a linear layer's '.weight': say its orientation with "
                          "'transpose: false' (stored (N, M)) or 'transpose: true' (stored (M, N))")
    return ((shape[1], shape[0]) if transpose else shape), ckpt.info(name).file


def _read_source(config: "HardwiredConfig") -> np.ndarray:
    path = Path(config.weights_file)
    if path.suffix == ".npy":
        w = np.load(path, allow_pickle=False)
        return w.T if config.transpose else w
    ckpt = open_checkpoint(path)
    name = _role_tensor(ckpt, config.tensor)
    if ckpt.is_linear(name):
        return ckpt.linear(name, config.quantize).values
    w = ckpt.tensor(name)
    return w.T if config.transpose else w


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def check_weight_values(w: np.ndarray, fmt: str, name: str = "weights", block: int = mxfp4.MX_BLOCK) -> np.ndarray:
    """``w`` checked against its format: int16 for integer formats, float64 values for FP4 / MXFP4."""
    if fmt == "fp4":
        return mxfp4.fp4_check(check_matrix(w, name), name)
    if fmt == "mxfp4":
        return mxfp4.check_mxfp4_blocks(check_matrix(w, name), block, name)
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    return check_integers(w, name, lo, hi, f"in {fmt} range [{lo}, {hi}]").astype(np.int16)


def generate_weights(fmt: str, n: int, m: int, seed: int, block: int = mxfp4.MX_BLOCK) -> np.ndarray:
    """A seeded BitNet-style ``(n, m)`` matrix from Gaussian floats.

    Ternary: absmean quantization (`formats.quantize_weights_absmean`). ``intb``:
    absmean scaling to ``2**(b-1) / 2.5`` per mean magnitude, rounded and clipped
    (about 2 sigma at full scale, so the codes are used the way a trained layer's are).
    FP4: nearest E2M1 value of ``1.5 x``; MXFP4: OCP block quantization (`quantize_mxfp4`).
    """
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, m), dtype=np.float32)
    if fmt == "ternary":
        return formats.quantize_weights_absmean(w)[0].astype(np.int16)
    if fmt == "fp4":
        return mxfp4.quantize_fp4(1.5 * w.astype(np.float64))
    if fmt == "mxfp4":
        return mxfp4.quantize_mxfp4(w, block)
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    scale = (hi + 1) / (2.5 * float(np.mean(np.abs(w))))
    return np.clip(np.round(w * scale), lo, hi).astype(np.int16)


def _mxfp4_name(path: Path, tensor: str | None) -> str:
    if tensor is None:
        raise ConfigError(f"{path}: name the MXFP4 weight with 'tensor:' (the name before _blocks / _scales)")
    return tensor


def _read_mxfp4(path: Path, tensor: str | None, expert: int | None) -> np.ndarray:
    """The ``(N, M)`` values of a packed MXFP4 weight in a safetensors file or model directory."""
    ckpt = open_checkpoint(path)
    return mxfp4.read_mxfp4(ckpt.tensor, ckpt.names(), _mxfp4_name(path, tensor), expert)[0]


def load_values(config: HardwiredConfig) -> np.ndarray:
    """The design's ``(N, M)`` matrix in its format's values (int16, or float64 for FP4 / MXFP4)."""
    n, m = config.workload.n, config.workload.m
    if config.weights_file is None:
        return generate_weights(config.weights, n, m, config.seed, config.block)
    path = Path(config.weights_file)
    if not path.exists():
        raise InputError(f"weights file not found: {path}")
    where = f"{path} tensor {config.tensor}" if config.tensor else str(path)
    packed = config.weights == "mxfp4" and path.suffix != ".npy"
    w = _read_mxfp4(path, config.tensor, config.expert) if packed else _read_source(config)
    w = check_weight_values(w, config.weights, name=where, block=config.block)
    if w.shape != (n, m):
        raise InputError(f"{path}: matrix has shape {w.shape}, design says (N, M) = ({n}, {m})")
    return w


def scale_to_constants(config: HardwiredConfig, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer constants ``C (N, M)`` and column exponents ``e (M,)``: ``values = C * 2**e``.

    Integer formats: ``C = values``, ``e = 0``. Raises `InputError` when an MXFP4 neuron's
    constants leave the format's alphabet (its blocks span more than ``scale_span`` exponents).
    """
    if config.weights not in SCALED_WEIGHTS:
        return np.asarray(values, dtype=np.int64), np.zeros(values.shape[1], dtype=np.int64)
    c, e = mxfp4.hardwired_constants(values, FP4_EXPONENT if config.weights == "fp4" else None)
    bad = (c != 0) & ~np.isin(np.abs(c), config.magnitudes)
    if np.any(bad):
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise InputError(f"neuron {j}: weight {float(values[i, j]):g} (row {i}) is {abs(int(c[i, j]))} times the "
                         f"neuron's smallest step 2**{int(e[j])}, beyond scale_span {config.scale_span}; "
                         "raise 'scale_span'")
    return c, e


def load_matrix(config: HardwiredConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(C, e)`` of the design (`scale_to_constants` of `load_values`)."""
    return scale_to_constants(config, load_values(config))


def load_weights(config: HardwiredConfig) -> np.ndarray:
    """The integer constants ``(N, M)`` the design bakes in (the matrix itself for integer formats)."""
    return load_matrix(config)[0]


# ----------------------------------------------------------------------------
# Parsing


def parse_hardwired(raw: dict, base_dir: str | Path | None = None) -> HardwiredConfig:
    """Validate a ``kind: hardwired`` mapping into a `HardwiredConfig`.

    Parameters
    ----------
    raw
        The design mapping as read from YAML.
    base_dir
        Folder that a relative ``weights_file`` is relative to (the design file's);
        the current directory if ``None``.

    Raises
    ------
    ConfigError
        An unknown or invalid field, a missing or unreadable weights file, or a
        workload that disagrees with the file's shape.
    """
    if not isinstance(raw, dict):
        raise ConfigError("a design file must be a YAML mapping of fields")
    reject_unknown(raw, _FIELDS, "for kind 'hardwired'")
    if raw.get("kind", "hardwired") != "hardwired":
        raise ConfigError(f"parse_hardwired got kind {raw.get('kind')!r}")
    weights = choice_field(raw, "weights", "ternary", tuple(HARDWIRED_WEIGHTS) + SCALED_WEIGHTS)
    activation = choice_field(raw, "activation", "int8", HARDWIRED_ACTIVATIONS)
    architecture = choice_field(raw, "architecture", "adder-graph", ARCHITECTURES)
    transpose = bool_field(raw, "transpose", False)
    bit_serial = bool_field(raw, "bit_serial", architecture == "hn")
    hn = _parse_hn_fields(raw, architecture)
    mx = _parse_mxfp4_fields(raw, weights)
    sharing = bool_field(raw, "sharing", True)
    cse = choice_field(raw, "cse", "neighbours", CSE_METHODS)
    if "cse" in raw and architecture != "adder-graph":
        raise ConfigError("'cse' only applies to 'architecture: adder-graph'")
    seed = int_field(raw, "seed", 0, 0)
    tensor = raw.get("tensor")
    if tensor is not None and not isinstance(tensor, str):
        raise ConfigError(f"'tensor' must be a tensor name, not {tensor!r}")
    top = top_field(raw, "hardwired_core")

    wfile = raw.get("weights_file")
    digest = ""
    quantize = choice_field(raw, "quantize", None, QUANTIZE_RULES) if raw.get("quantize") is not None else None
    if wfile is not None:
        if not isinstance(wfile, str) or not wfile:
            raise ConfigError(f"'weights_file' must be a path, not {wfile!r}")
        path = Path(wfile)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if path.suffix not in (".npy", ".safetensors") and not is_checkpoint_dir(path):
            raise ConfigError(f"'weights_file' must be a .npy or .safetensors file or a model directory "
                              f"(config.json + safetensors), not {wfile!r}")
        if not path.exists():
            raise ConfigError(f"'weights_file' not found: {path}")
        if (tensor is not None or quantize is not None) and path.suffix == ".npy":
            raise ConfigError("'tensor' and 'quantize' apply to safetensors weights (a file or a model directory)")
        if weights == "mxfp4" and path.suffix != ".npy":
            if "transpose" in raw:
                raise ConfigError("'transpose' does not apply to packed MXFP4 (stored (out, in), read as (N, M))")
            (n, m), data_file = _mxfp4_shape(path, tensor, mx.get("expert"))
        else:
            (n, m), data_file = _source_shape(path, tensor, transpose if "transpose" in raw else None, quantize,
                                              weights)
        if "workload" in raw:
            workload = parse_workload(raw["workload"])
            if (workload.n, workload.m) != (n, m):
                raise ConfigError(
                    f"'workload' (n={workload.n}, m={workload.m}) disagrees with {path}: (N, M) = ({n}, {m})")
        workload = Workload(int(n), int(m))
        digest = _file_digest(data_file)
        wfile = str(path.resolve())
    else:
        if tensor is not None or transpose or quantize is not None:
            raise ConfigError("'tensor', 'transpose' and 'quantize' need a 'weights_file'")
        if "workload" not in raw:
            raise ConfigError("a hardwired design needs 'weights_file' or a 'workload' for a generated matrix")
        workload = parse_workload(raw["workload"])
    span = mx.get("scale_span", 1) if weights == "mxfp4" else 1
    caps = hn.get("region_capacity")
    if isinstance(caps, tuple) and len(caps) != len(constant_magnitudes(weights, span)):
        raise ConfigError(f"'region_capacity' lists {len(caps)} capacities; {weights} has "
                          f"{len(constant_magnitudes(weights, span))} magnitudes "
                          f"({', '.join(map(str, constant_magnitudes(weights, span)))})")
    levels = tree_levels(workload.n, weights, span)
    pipeline = int_field(raw, "pipeline", 0, 0, 0 if architecture == "hn" else levels - 1)
    return HardwiredConfig(
        workload=workload, weights=weights, activation=activation, weights_file=wfile, tensor=tensor,
        transpose=transpose, seed=seed, pipeline=pipeline, bit_serial=bit_serial, sharing=sharing,
        top=top, weights_digest=digest, quantize=quantize, architecture=architecture, cse=cse, **hn, **mx,
    )


def _parse_hn_fields(raw: dict, architecture: str) -> dict:
    given = {"region_capacity", "region_slack"} & set(raw)
    if architecture != "hn":
        if given:
            raise ConfigError(f"{', '.join(sorted(given))} only apply to 'architecture: hn'")
        return {}
    out = {}
    cap = raw.get("region_capacity")
    if isinstance(cap, list):
        if not cap or not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 1 << 16 for c in cap):
            raise ConfigError(f"'region_capacity' must be a positive integer or a list of them, not {cap!r}")
        out["region_capacity"] = tuple(cap)
    elif cap is not None:
        out["region_capacity"] = int_field(raw, "region_capacity", None, 1, 1 << 16)
    slack = raw.get("region_slack", 1.25)
    if isinstance(slack, bool) or not isinstance(slack, (int, float)) or not 1.0 <= slack <= 16.0:
        raise ConfigError(f"'region_slack' must be a number in 1..16, not {slack!r}")
    out["region_slack"] = float(slack)
    return out


def _parse_mxfp4_fields(raw: dict, weights: str) -> dict:
    given = {"scale_span", "block", "expert"} & set(raw)
    if weights != "mxfp4":
        if given:
            raise ConfigError(f"{', '.join(sorted(given))} only apply to 'weights: mxfp4'")
        return {}
    out = {"scale_span": int_field(raw, "scale_span", 4, 1, 8), "block": int_field(raw, "block", mxfp4.MX_BLOCK, 1)}
    if "expert" in raw:
        out["expert"] = int_field(raw, "expert", None, 0)
    return out


def _mxfp4_shape(path: Path, tensor: str | None, expert: int | None) -> tuple[tuple[int, int], Path]:
    """``(N, M)`` of a packed MXFP4 weight from the headers alone (stored ``(..., out, in/32, 16)``)
    and the file holding its blocks."""
    ckpt = open_checkpoint(path)
    bname, _ = mxfp4.mxfp4_names(ckpt.names(), _mxfp4_name(path, tensor))
    info = ckpt.info(bname)
    shape = info.shape
    if expert is not None:
        if len(shape) != 4 or expert >= shape[0]:
            raise ConfigError(f"{path}: 'expert: {expert}' needs a stacked (E, out, G, 16) tensor with E > {expert}; "
                              f"{bname} is {shape}")
        shape = shape[1:]
    if len(shape) != 3 or shape[-1] != mxfp4.MX_BLOCK // 2:
        raise ConfigError(f"{path}: {bname} has shape {shape}, not (out, in/32, 16)"
                          + ("; name one expert with 'expert:'" if len(shape) == 4 else ""))
    return (shape[1] * mxfp4.MX_BLOCK, shape[0]), info.file
