"""Hugging Face style model directories: shapes from ``config.json``, weights from safetensors.

A directory holds ``config.json`` and either ``model.safetensors`` or shards listed
by ``model.safetensors.index.json``. `open_checkpoint` reads the config into a
`ModelShape` (the dimensions a decode token's GEMVs follow from) and maps every
tensor name to its file; `Checkpoint.linear` returns one linear layer as the
``(N, M) = (in, out)`` integer matrix the hardware takes, with its scale.

How a layer is stored is decided per layer by the first `LayerReader` of
`LAYER_READERS` that recognises it, so a new storage format (MXFP4 blocks, ...) is
one more reader, registered with `register_reader`:

==============  ===========================================================  ==================
reader          stored as                                                    values
==============  ===========================================================  ==================
bitnet-packed   ``<p>.weight`` uint8 ``(ceil(out/4), in)``: transformers'     ternary, bit-exact
                ``pack_weights`` (value+1 in 2 bits, row block i of the      with ``unpack_weights``
                unpacked rows in bits 2i..2i+1), ``<p>.weight_scale`` beside
integer         ``<p>.weight`` of an integer dtype, ``(out, in)``            as stored
float-latent    ``<p>.weight`` float ``(out, in)`` (master weights)          BitNet absmean ternary,
                                                                             only with ``quantize="bitnet"``
==============  ===========================================================  ==================

Orientation follows the tensor's role: ``<p>.weight`` of a linear layer is PyTorch's
``(out, in)``, checked against the config's dimensions for the layer; the returned
matrix is its transpose. ``weight_scale``: transformers' packed ``BitLinear`` divides
its output by it (it stores ``1/alpha``), ``AutoBitLinear`` (``quantization_config.
linear_class: autobitlinear``, what 2B4T uses) multiplies; `LinearWeights.scale` is
always ``alpha`` (``W ~ values * alpha``).

Every problem with the user's files is an `InputError` naming the file or tensor.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open

from .errors import InputError
from .formats import quantize_weights_absmean

__all__ = ["PROJECTIONS", "FLOAT_DTYPES", "STORED_BITS", "QUANTIZE_RULES", "ModelShape", "LinearWeights",
           "TensorInfo", "Checkpoint", "LayerReader", "LAYER_READERS", "register_reader", "open_checkpoint",
           "read_model_shape", "is_checkpoint_dir", "projection_shapes", "layer_name", "layer_prefix",
           "unpack_ternary"]

#: A transformer layer's projections, in order, and their module names (Llama / BitNet layout).
PROJECTIONS = ("q", "k", "v", "o", "gate", "up", "down")
_MODULES = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
            "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}
#: Quantize-on-load rules for float latent weights.
QUANTIZE_RULES = ("bitnet",)
#: safetensors dtype -> hwgen's name of a float format (the LM head's streamed format).
FLOAT_DTYPES = {"BF16": "bf16", "F16": "fp16", "F32": "fp32"}
#: Bits per weight of the dense formats a layer is streamed in as stored (LM heads).
STORED_BITS = {"bf16": 16, "fp16": 16, "fp32": 32, "int8": 8}
_INDEX = "model.safetensors.index.json"
_SINGLE = "model.safetensors"


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer's dimensions (``config.json`` or a preset).

    ``head_dim`` defaults to ``hidden / heads``, ``kv_heads`` to ``heads``; ``vocab``
    is 0 when unknown (no LM head can be counted then).
    """

    hidden: int
    ffn: int
    heads: int
    kv_heads: int
    head_dim: int
    layers: int
    vocab: int = 0
    tied_embeddings: bool = False
    quantization: dict = field(default_factory=dict)

    @property
    def scale_is_reciprocal(self) -> bool:
        """transformers' packed ``BitLinear`` stores ``1/alpha``; ``AutoBitLinear`` stores ``alpha``."""
        return self.quantization.get("linear_class", "bitlinear") != "autobitlinear"


def projection_shapes(shape: ModelShape) -> dict[str, tuple[int, int]]:
    """``(n, m) = (in, out)`` of each projection of one layer."""
    h, f = shape.hidden, shape.ffn
    q, kv = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
    return {"q": (h, q), "k": (h, kv), "v": (h, kv), "o": (q, h), "gate": (h, f), "up": (h, f), "down": (f, h)}


def layer_name(layer: int, projection: str) -> str:
    """Module name of one projection, e.g. ``model.layers.0.self_attn.q_proj``."""
    return f"model.layers.{layer}.{_MODULES[projection]}"


# ----------------------------------------------------------------------------- config.json

_CONFIG_KEYS = {"hidden": "hidden_size", "ffn": "intermediate_size", "layers": "num_hidden_layers",
                "heads": "num_attention_heads"}


def _positive(raw: dict, key: str, where: str, default: int | None = None) -> int:
    """``raw[key]`` (``default`` when absent or null), a positive integer."""
    value = default if raw.get(key) is None else raw[key]
    if value is None:
        raise InputError(f"{where}: missing '{key}'")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{where}: '{key}' must be a positive integer, not {value!r}")
    return value


def read_model_shape(directory: str | Path) -> ModelShape:
    """The `ModelShape` of ``directory/config.json``."""
    path = Path(directory) / "config.json"
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{directory}: no config.json (not a model directory)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not readable JSON ({exc.__class__.__name__})") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path}: must be a JSON object")
    dims = {k: _positive(raw, key, str(path)) for k, key in _CONFIG_KEYS.items()}
    heads = dims["heads"]
    kv_heads = _positive(raw, "num_key_value_heads", str(path), heads)
    if heads % kv_heads:
        raise InputError(f"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv_heads}")
    if raw.get("head_dim") is None and dims["hidden"] % heads:
        raise InputError(f"{path}: hidden_size {dims['hidden']} is not a multiple of num_attention_heads {heads} "
                         "and there is no head_dim")
    head_dim = _positive(raw, "head_dim", str(path), dims["hidden"] // heads)
    quant = raw.get("quantization_config") or {}
    if not isinstance(quant, dict):
        raise InputError(f"{path}: 'quantization_config' must be a mapping")
    vocab = _positive(raw, "vocab_size", str(path)) if raw.get("vocab_size") is not None else 0
    return ModelShape(dims["hidden"], dims["ffn"], heads, kv_heads, head_dim, dims["layers"], vocab,
                      bool(raw.get("tie_word_embeddings", True)), quant)


def is_checkpoint_dir(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "config.json").is_file()


# ----------------------------------------------------------------------------- tensors


@dataclass(frozen=True)
class TensorInfo:
    """A stored tensor's name, safetensors dtype (``BF16``, ``U8``, ...), shape and file."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    file: Path


@dataclass(frozen=True)
class LinearWeights:
    """One linear layer as the hardware takes it.

    Attributes
    ----------
    values : np.ndarray
        ``(N, M) = (in, out)`` integers (int8 for ternary, int64 otherwise).
    scale : float | np.ndarray | None
        ``alpha`` with ``W ~ values * alpha`` (None if the checkpoint stores none).
    reader : str
        The `LayerReader` that decoded it (``bitnet-packed``, ``integer``, ``float-latent``).
    ternary : bool
        Every value is in {-1, 0, 1} by construction of the format.
    """

    name: str
    values: np.ndarray
    scale: float | np.ndarray | None
    reader: str
    ternary: bool


@dataclass(frozen=True)
class LayerReader:
    """One storage format of a linear layer.

    ``matches(ckpt, prefix)``: the layer is stored this way; ``shape(ckpt, prefix)``:
    its ``(in, out)`` from the headers alone; ``read(ckpt, prefix, quantize)``: the
    `LinearWeights`; ``ternary``: every layer it reads is ternary (known from the layout);
    ``quantizes``: it needs a quantize rule (float latent weights).
    """

    name: str
    matches: Callable[["Checkpoint", str], bool]
    shape: Callable[["Checkpoint", str], tuple[int, int]]
    read: Callable[["Checkpoint", str, str | None], LinearWeights]
    ternary: bool = False
    quantizes: bool = False


def unpack_ternary(packed: np.ndarray, rows: int | None = None) -> np.ndarray:
    """transformers' ``unpack_weights`` in numpy: uint8 ``(R, ...)`` -> int8 ``(rows or 4R, ...)``.

    Row block ``i`` (rows ``i*R .. i*R+R-1``) sits in bits ``2i..2i+1`` as value+1.
    A field holding 3 (value 2) is not ternary: `InputError`.
    """
    packed = np.asarray(packed, dtype=np.uint8)
    fields = np.concatenate([(packed >> (2 * i)) & 3 for i in range(4)], axis=0)
    if np.any(fields == 3):
        raise InputError("packed ternary tensor holds the 2-bit code 3 (not -1, 0 or 1)")
    out = fields.astype(np.int8) - 1
    return out if rows is None else out[:rows]


class Checkpoint:
    """A model directory (or one bare ``.safetensors`` file, with no config): tensors by name."""

    def __init__(self, path: str | Path):
        path = Path(path)
        self.path = path.resolve()
        if path.is_dir():
            self.shape: ModelShape | None = read_model_shape(path)
            self._files = _tensor_files(path)
        elif path.is_file() and path.suffix == ".safetensors":
            self.shape = None
            self._files = {n: path for n in _keys(path)}
        else:
            raise InputError(f"{path}: not a model directory (config.json + safetensors) or a .safetensors file")
        self._info: dict[str, TensorInfo] = {}

    def names(self) -> list[str]:
        return sorted(self._files)

    def __contains__(self, name: str) -> bool:
        return name in self._files

    def info(self, name: str) -> TensorInfo:
        """dtype and shape of tensor ``name`` (read from its file's header only)."""
        if name not in self._files:
            near = [n for n in self.names() if n.startswith(name.rsplit(".", 1)[0])][:4] or self.names()[:4]
            raise InputError(f"{self.path}: no tensor {name!r} (e.g. {', '.join(near)})")
        if name not in self._info:
            file = self._files[name]
            with _open(file) as fh:
                sl = fh.get_slice(name)
                self._info[name] = TensorInfo(name, sl.get_dtype(), tuple(sl.get_shape()), file)
        return self._info[name]

    def tensor(self, name: str) -> np.ndarray:
        """Tensor ``name`` as numpy (bf16 widened exactly to float32)."""
        info = self.info(name)
        if info.dtype == "BF16":
            return _read_bf16(info)
        with _open(info.file) as fh:
            try:
                return fh.get_tensor(name)
            except (SafetensorError, TypeError) as exc:
                raise InputError(f"{info.file}: cannot read tensor {name!r} ({exc})") from None

    def reader_of(self, prefix: str, quantize: str | None = None) -> LayerReader:
        """The `LayerReader` that recognises linear layer ``prefix`` (``model.layers.0.mlp.up_proj``).

        Raises `InputError` (from the headers alone) when the layer cannot be read with
        ``quantize``: float latent weights without a rule, or an unknown rule.
        """
        prefix = layer_prefix(prefix)
        info = self.info(f"{prefix}.weight")  # names the tensor if it is missing
        if quantize is not None and quantize not in QUANTIZE_RULES:
            raise InputError(f"unknown quantize rule {quantize!r}; known: {', '.join(QUANTIZE_RULES)}")
        reader = next((r for r in LAYER_READERS if r.matches(self, prefix)), None)
        if reader is None:
            raise InputError(f"tensor {info.name!r} ({info.dtype}, shape {list(info.shape)}) is in no known layout "
                             f"({', '.join(r.name for r in LAYER_READERS)})")
        if reader.quantizes and quantize is None:
            raise InputError(f"tensor {info.name!r} holds float ({info.dtype}) latent weights; quantize them on load "
                             f"with quantize: {QUANTIZE_RULES[0]} (BitNet absmean ternary)")
        return reader

    def linear(self, prefix: str, quantize: str | None = None) -> LinearWeights:
        """Linear layer ``prefix`` (or its ``.weight`` tensor) as ``(in, out)`` integers."""
        prefix = layer_prefix(prefix)
        return self.reader_of(prefix, quantize).read(self, prefix, quantize)

    def linear_shape(self, prefix: str) -> tuple[int, int]:
        """``(in, out)`` of linear layer ``prefix`` from the file headers (no data read)."""
        prefix = layer_prefix(prefix)
        return next(r for r in LAYER_READERS if r.matches(self, prefix)).shape(self, prefix)

    def is_linear(self, name: str) -> bool:
        """``name`` is a linear layer (``<p>`` or ``<p>.weight`` with ``<p>.weight`` stored)."""
        return f"{layer_prefix(name)}.weight" in self

    def expected_out(self, prefix: str) -> int | None:
        """The output features the config gives layer ``prefix`` (None without a config or a known role)."""
        if self.shape is None:
            return None
        for proj, (_, m) in projection_shapes(self.shape).items():
            if prefix.endswith("." + _MODULES[proj]):
                return m
        if prefix in ("lm_head", "model.embed_tokens"):
            return self.shape.vocab or None
        return None

    def head_tensor(self) -> str | None:
        """The LM head's weight tensor: ``lm_head.weight``, or the embedding when the config ties
        them (``tie_word_embeddings``, transformers' default true); None if neither is stored."""
        if "lm_head.weight" in self:
            return "lm_head.weight"
        tied = self.shape is None or self.shape.tied_embeddings
        return "model.embed_tokens.weight" if tied and "model.embed_tokens.weight" in self else None


def layer_prefix(name: str) -> str:
    """``model.layers.0.mlp.up_proj`` for that name or its ``.weight`` tensor."""
    return name[: -len(".weight")] if name.endswith(".weight") else name


def _open(file: Path):
    try:
        return safe_open(str(file), framework="numpy")
    except (SafetensorError, OSError) as exc:
        raise InputError(f"{file}: not a readable safetensors file ({exc})") from None


def _keys(file: Path) -> list[str]:
    with _open(file) as fh:
        return list(fh.keys())


def _read_bf16(info: TensorInfo) -> np.ndarray:
    """numpy has no bfloat16: read the raw 16-bit words (at the header's offsets) and widen exactly."""
    with open(info.file, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        start, end = json.loads(fh.read(size))[info.name]["data_offsets"]
        fh.seek(8 + size + start)
        raw = fh.read(end - start)
    bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
    return bits.view(np.float32).reshape(info.shape)


def _tensor_files(directory: Path) -> dict[str, Path]:
    """Tensor name -> file: from ``model.safetensors.index.json`` (shards) or ``model.safetensors``."""
    index = directory / _INDEX
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{index}: not a safetensors index ({exc.__class__.__name__})") from None
        files = {name: directory / shard for name, shard in weight_map.items()}
        missing = sorted({str(f) for f in files.values() if not f.is_file()})
        if missing:
            raise InputError(f"{index}: shard {missing[0]} is missing")
        return files
    single = directory / _SINGLE
    if single.is_file():
        return {n: single for n in _keys(single)}
    raise InputError(f"{directory}: no {_SINGLE} or {_INDEX}")


# ----------------------------------------------------------------------------- layer readers


def _weight(ckpt: Checkpoint, prefix: str) -> TensorInfo:
    return ckpt.info(f"{prefix}.weight")


def _scale(ckpt: Checkpoint, prefix: str) -> float | np.ndarray | None:
    name = f"{prefix}.weight_scale"
    if name not in ckpt:
        return None
    stored = ckpt.tensor(name).astype(np.float64)
    alpha = 1.0 / stored if (ckpt.shape is None or ckpt.shape.scale_is_reciprocal) else stored
    return float(alpha.reshape(-1)[0]) if alpha.size == 1 else alpha


def _check_oriented(info: TensorInfo, out: int | None) -> None:
    """A linear ``weight`` must be 2-D ``(out, in)`` with the config's ``out``."""
    if len(info.shape) != 2:
        raise InputError(f"tensor {info.name!r} has shape {list(info.shape)}; a linear weight is 2-D (out, in)")
    if out is not None and info.shape[0] != out:
        raise InputError(f"tensor {info.name!r} has shape {list(info.shape)}; its layer has {out} outputs "
                         "(a linear weight is (out, in))")


def _packed_matches(ckpt: Checkpoint, prefix: str) -> bool:
    info = _weight(ckpt, prefix)
    if info.dtype != "U8" or len(info.shape) != 2:
        return False
    out = ckpt.expected_out(prefix)
    if out is not None:
        return info.shape[0] == math.ceil(out / 4) and out != info.shape[0]
    return f"{prefix}.weight_scale" in ckpt  # a bare file: packed when stored with its scale


def _packed_shape(ckpt: Checkpoint, prefix: str) -> tuple[int, int]:
    """``in`` is stored as is; ``out`` from the config (a bare file: all ``4R`` unpacked rows, as transformers)."""
    info = _weight(ckpt, prefix)
    return info.shape[1], ckpt.expected_out(prefix) or 4 * info.shape[0]


def _packed_read(ckpt: Checkpoint, prefix: str, quantize: str | None) -> LinearWeights:
    info = _weight(ckpt, prefix)
    out = _packed_shape(ckpt, prefix)[1]
    try:
        values = unpack_ternary(ckpt.tensor(info.name), out)
    except InputError as exc:
        raise InputError(f"tensor {info.name!r}: {exc}") from None
    return LinearWeights(prefix, np.ascontiguousarray(values.T), _scale(ckpt, prefix), "bitnet-packed", True)


def _integer_matches(ckpt: Checkpoint, prefix: str) -> bool:
    return _weight(ckpt, prefix).dtype in ("I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64")


def _oriented_shape(ckpt: Checkpoint, prefix: str) -> tuple[int, int]:
    """A linear ``weight`` stored as PyTorch's ``(out, in)``, ``out`` checked against the config."""
    info = _weight(ckpt, prefix)
    _check_oriented(info, ckpt.expected_out(prefix))
    return info.shape[1], info.shape[0]


def _integer_read(ckpt: Checkpoint, prefix: str, quantize: str | None) -> LinearWeights:
    info = _weight(ckpt, prefix)
    _oriented_shape(ckpt, prefix)
    values = ckpt.tensor(info.name).astype(np.int64).T
    ternary = bool(values.size) and int(values.min()) >= -1 and int(values.max()) <= 1
    return LinearWeights(prefix, np.ascontiguousarray(values.astype(np.int8) if ternary else values),
                         _scale(ckpt, prefix), "integer", ternary)


def _float_matches(ckpt: Checkpoint, prefix: str) -> bool:
    return _weight(ckpt, prefix).dtype in FLOAT_DTYPES


def _float_read(ckpt: Checkpoint, prefix: str, quantize: str | None) -> LinearWeights:
    info = _weight(ckpt, prefix)
    _oriented_shape(ckpt, prefix)
    q, alpha = quantize_weights_absmean(ckpt.tensor(info.name))
    return LinearWeights(prefix, np.ascontiguousarray(q.T), alpha, "float-latent", True)


#: Readers tried in order; the first whose ``matches`` holds decodes the layer.
LAYER_READERS: list[LayerReader] = [
    LayerReader("bitnet-packed", _packed_matches, _packed_shape, _packed_read, ternary=True),
    LayerReader("integer", _integer_matches, _oriented_shape, _integer_read),
    LayerReader("float-latent", _float_matches, _oriented_shape, _float_read, ternary=True, quantizes=True),
]


def register_reader(reader: LayerReader, first: bool = True) -> None:
    """Add a storage format (e.g. a format module's MXFP4 blocks), tried before the built-ins by default."""
    LAYER_READERS.insert(0 if first else len(LAYER_READERS), reader)


def open_checkpoint(path: str | Path) -> Checkpoint:
    """A `Checkpoint` of a model directory or a bare ``.safetensors`` file."""
    return Checkpoint(path)
