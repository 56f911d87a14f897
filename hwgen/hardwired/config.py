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
weights        ternary | int2 | int4 | int8                                ternary
activation     int4 | int8                                                 int8
weights_file   path of the matrix (.npy / .safetensors / model directory);  none
               relative to the design file's folder when ``base_dir`` is
               given
tensor         tensor or layer name in the safetensors                     the only one
transpose      the .npy / non-linear tensor holds ``(M, N)``               false
quantize       ``bitnet``: quantize float latent weights on load           none
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
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen import formats
from hwgen.checkpoint import QUANTIZE_RULES, Checkpoint, is_checkpoint_dir, layer_prefix, open_checkpoint
from hwgen.config import (DesignConfig, Workload, bool_field, choice_field, int_field, parse_workload,
                          reject_unknown, top_field)
from hwgen.errors import ConfigError, InputError
from hwgen.weights.spec import check_integers

__all__ = [
    "HARDWIRED_WEIGHTS", "HARDWIRED_ACTIVATIONS", "HardwiredConfig", "parse_hardwired",
    "load_weights", "weight_range", "digit_positions", "tree_levels",
]

#: Weight formats: name -> (min, max) of the integer values.
HARDWIRED_WEIGHTS: dict[str, tuple[int, int]] = {
    "ternary": (-1, 1), "int2": (-2, 1), "int4": (-8, 7), "int8": (-128, 127),
}
HARDWIRED_ACTIVATIONS = ("int4", "int8")
_FIELDS = {"kind", "weights", "activation", "weights_file", "tensor", "transpose", "quantize", "seed",
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
    quantize: str | None = None
    kind: str = field(default="hardwired")

    @property
    def act(self) -> formats.ActivationFormat:
        return formats.ACTIVATIONS[self.activation]

    @property
    def levels(self) -> int:
        return tree_levels(self.workload.n, self.weights)



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
    if not path.exists():
        raise InputError(f"weights file not found: {path}")
    where = f"{path} tensor {config.tensor}" if config.tensor else str(path)
    w = check_weight_values(_read_source(config), config.weights, name=where)
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
        (n, m), data_file = _source_shape(path, tensor, transpose if "transpose" in raw else None, quantize, weights)
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
    levels = tree_levels(workload.n, weights)
    pipeline = int_field(raw, "pipeline", 0, 0, levels - 1)
    return HardwiredConfig(
        workload=workload, weights=weights, activation=activation, weights_file=wfile, tensor=tensor,
        transpose=transpose, seed=seed, pipeline=pipeline, bit_serial=bit_serial, sharing=sharing,
        top=top, weights_digest=digest, quantize=quantize,
    )
