"""``kind: hardwired`` design files: parse, validate and load the weight matrix.

A hardwired array bakes one ``(N, M)`` weight matrix into logic. The matrix comes
from ``weights_file`` (``.npy``, or ``.safetensors`` with ``tensor:`` naming the
tensor when the file holds several) or, without a file, from a seeded BitNet-style
generator (Gaussian floats quantized absmean-ternary, or absmax per column for
integer formats). ``transpose: true`` reads a PyTorch ``Linear.weight`` ``(M, N)``.

Fields
------
=============  ==========================================================  ==============
field          meaning                                                     default
=============  ==========================================================  ==============
weights        ternary | int2 | int4 | int8                                ternary
activation     int4 | int8                                                 int8
weights_file   path of the matrix (.npy / .safetensors); relative to the   none
               design file's folder when ``base_dir`` is given
tensor         tensor name inside a .safetensors file                      the only one
transpose      the file holds ``(M, N)``                                   false
seed           seed of the generated matrix (no weights_file)              0
workload       ``{n, m}``; required without a file, checked against it     from the file
pipeline       register cuts inside the adder tree (0..levels-1)           0
bit_serial     activations enter one bit-plane per cycle, MSB first        false
sharing        share common sub-expressions across neurons                 true
top            Verilog module name                                         hardwired_core
=============  ==========================================================  ==============
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen import formats
from hwgen.fields import (DesignConfig, Workload, bool_field, choice_field, int_field, parse_workload,
                          reject_unknown, top_field)
from hwgen.errors import ConfigError, InputError
from hwgen.weights.spec import check_integers

__all__ = [
    "HARDWIRED_WEIGHTS", "HARDWIRED_ACTIVATIONS", "HardwiredConfig", "parse_hardwired",
    "load_weights", "weight_range", "digit_positions", "tree_levels", "read_safetensors_header",
]

#: Weight formats: name -> (min, max) of the integer values.
HARDWIRED_WEIGHTS: dict[str, tuple[int, int]] = {
    "ternary": (-1, 1), "int2": (-2, 1), "int4": (-8, 7), "int8": (-128, 127),
}
HARDWIRED_ACTIVATIONS = ("int4", "int8")
_FIELDS = {"kind", "weights", "activation", "weights_file", "tensor", "transpose", "seed",
           "workload", "pipeline", "bit_serial", "sharing", "top"}


def weight_range(fmt: str) -> tuple[int, int]:
    return HARDWIRED_WEIGHTS[fmt]


def digit_positions(fmt: str) -> int:
    """CSD digit positions a weight of ``fmt`` needs (|w| <= 2**(b-1) fits in b digits)."""
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    return max(1, max(-lo, hi).bit_length()) if fmt != "ternary" else 1


def tree_levels(n: int, fmt: str) -> int:
    """Pairwise combining levels from the ``n * digits`` signed-digit terms to one sum."""
    return max(1, math.ceil(math.log2(n * digit_positions(fmt))))


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
    kind: str = field(default="hardwired")

    @property
    def act(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.activation]

    @property
    def levels(self) -> int:
        return tree_levels(self.workload.n, self.weights)



# ----------------------------------------------------------------------------
# Weight files

_ST_DTYPES = {"I8": "<i1", "U8": "<u1", "I16": "<i2", "U16": "<u2", "I32": "<i4", "U32": "<u4",
              "I64": "<i8", "F16": "<f2", "F32": "<f4", "F64": "<f8", "BOOL": "?"}


def read_safetensors_header(path: Path) -> tuple[dict, int]:
    """The JSON header of a .safetensors file and the offset where tensor data starts."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) != 8:
                raise InputError(f"{path}: not a safetensors file (too short)")
            size = int.from_bytes(head, "little")
            if size > 100_000_000:
                raise InputError(f"{path}: not a safetensors file (header of {size} bytes)")
            header = json.loads(fh.read(size))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read safetensors header ({exc.__class__.__name__})") from None
    if not isinstance(header, dict):
        raise InputError(f"{path}: safetensors header is not a mapping")
    return header, 8 + size


def _safetensors_entry(path: Path, tensor: str | None) -> tuple[dict, int]:
    header, base = read_safetensors_header(path)
    names = sorted(k for k in header if k != "__metadata__")
    if tensor is None:
        if len(names) != 1:
            raise ConfigError(f"{path} holds {len(names)} tensors ({', '.join(names[:5])}...); name one with 'tensor:'")
        tensor = names[0]
    if tensor not in header or tensor == "__metadata__":
        raise ConfigError(f"{path} has no tensor {tensor!r}; it holds {', '.join(names[:8])}")
    return header[tensor], base


def _file_shape(path: Path, tensor: str | None) -> tuple[int, ...]:
    if path.suffix == ".npy":
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable .npy file ({exc})") from None
        return tuple(arr.shape)
    entry, _ = _safetensors_entry(path, tensor)
    return tuple(entry.get("shape", ()))


def _read_matrix(path: Path, tensor: str | None) -> np.ndarray:
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    entry, base = _safetensors_entry(path, tensor)
    dtype = entry.get("dtype")
    start, end = entry.get("data_offsets", (0, 0))
    shape = tuple(entry.get("shape", ()))
    with open(path, "rb") as fh:
        fh.seek(base + start)
        raw = fh.read(end - start)
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        arr = bits.view(np.float32)
    elif dtype in _ST_DTYPES:
        arr = np.frombuffer(raw, dtype=_ST_DTYPES[dtype])
    else:
        raise InputError(f"{path}: tensor dtype {dtype} is not supported")
    if arr.size != math.prod(shape):
        raise InputError(f"{path}: tensor data does not match its shape {shape}")
    return arr.reshape(shape)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def check_weight_values(w: np.ndarray, fmt: str, name: str = "weights") -> np.ndarray:
    """``w`` as int16 after checking it is 2-D and every value is in the format's range."""
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    return check_integers(w, name, lo, hi, f"in {fmt} range [{lo}, {hi}]").astype(np.int16)


def generate_weights(fmt: str, n: int, m: int, seed: int) -> np.ndarray:
    """A seeded BitNet-style ``(n, m)`` matrix from Gaussian floats.

    Ternary: absmean quantization (`formats.quantize_weights_absmean`). ``intb``:
    absmean scaling to ``2**(b-1) / 2.5`` per mean magnitude, rounded and clipped
    (about 2 sigma at full scale, so the codes are used the way a trained layer's are).
    """
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, m), dtype=np.float32)
    if fmt == "ternary":
        return formats.quantize_weights_absmean(w)[0].astype(np.int16)
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    scale = (hi + 1) / (2.5 * float(np.mean(np.abs(w))))
    return np.clip(np.round(w * scale), lo, hi).astype(np.int16)


def load_weights(config: HardwiredConfig) -> np.ndarray:
    """The design's ``(N, M)`` matrix as int16, validated against its format."""
    n, m = config.workload.n, config.workload.m
    if config.weights_file is None:
        return generate_weights(config.weights, n, m, config.seed)
    path = Path(config.weights_file)
    if not path.is_file():
        raise InputError(f"weights file not found: {path}")
    w = _read_matrix(path, config.tensor)
    if config.transpose:
        w = np.asarray(w).T
    w = check_weight_values(w, config.weights, name=str(path))
    if w.shape != (n, m):
        raise InputError(f"{path}: matrix has shape {w.shape}, design says (N, M) = ({n}, {m})")
    return w


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
    weights = choice_field(raw, "weights", "ternary", tuple(HARDWIRED_WEIGHTS))
    activation = choice_field(raw, "activation", "int8", HARDWIRED_ACTIVATIONS)
    transpose = bool_field(raw, "transpose", False)
    bit_serial = bool_field(raw, "bit_serial", False)
    sharing = bool_field(raw, "sharing", True)
    seed = int_field(raw, "seed", 0, 0)
    tensor = raw.get("tensor")
    if tensor is not None and not isinstance(tensor, str):
        raise ConfigError(f"'tensor' must be a tensor name, not {tensor!r}")
    top = top_field(raw, "hardwired_core")

    wfile = raw.get("weights_file")
    digest = ""
    if wfile is not None:
        if not isinstance(wfile, str) or not wfile:
            raise ConfigError(f"'weights_file' must be a path, not {wfile!r}")
        path = Path(wfile)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if path.suffix not in (".npy", ".safetensors"):
            raise ConfigError(f"'weights_file' must be a .npy or .safetensors file, not {wfile!r}")
        if not path.is_file():
            raise ConfigError(f"'weights_file' not found: {path}")
        if tensor is not None and path.suffix != ".safetensors":
            raise ConfigError("'tensor' only applies to a .safetensors weights_file")
        try:
            shape = _file_shape(path, tensor)
        except InputError as exc:
            raise ConfigError(str(exc)) from None
        if len(shape) != 2:
            raise ConfigError(f"'weights_file' {path} holds a tensor of shape {shape}, not a 2-D matrix")
        n, m = (shape[1], shape[0]) if transpose else shape
        if "workload" in raw:
            workload = parse_workload(raw["workload"])
            if (workload.n, workload.m) != (n, m):
                raise ConfigError(
                    f"'workload' (n={workload.n}, m={workload.m}) disagrees with {path}: (N, M) = ({n}, {m})")
        workload = Workload(int(n), int(m))
        digest = _file_digest(path)
        wfile = str(path)
    else:
        if tensor is not None or transpose:
            raise ConfigError("'tensor' and 'transpose' need a 'weights_file'")
        if "workload" not in raw:
            raise ConfigError("a hardwired design needs 'weights_file' or a 'workload' for a generated matrix")
        workload = parse_workload(raw["workload"])
    levels = tree_levels(workload.n, weights)
    pipeline = int_field(raw, "pipeline", 0, 0, levels - 1)
    return HardwiredConfig(
        workload=workload, weights=weights, activation=activation, weights_file=wfile, tensor=tensor,
        transpose=transpose, seed=seed, pipeline=pipeline, bit_serial=bit_serial, sharing=sharing,
        top=top, weights_digest=digest,
    )
