"""Packing lanes of integers into the wide bit vectors of stream payloads, and back.

Lane ``i`` occupies bits ``[i*width, (i+1)*width)``, the layout of Amaranth's
``data.ArrayLayout``. A payload is held as little-endian bytes, one row per beat,
the form the simulation harnesses read and write. Vectorized over beats so wide
payloads stay cheap.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 2048


def payload_bytes(width: int) -> int:
    """Bytes that hold one ``width``-bit payload."""
    return (width + 7) // 8


def lanes_to_bytes(lanes: np.ndarray, width: int) -> np.ndarray:
    """``(beats, lanes)`` integers (two's complement if negative) -> ``(beats, bytes)`` uint8."""
    lanes = np.asarray(lanes, dtype=np.int64)
    lanes = lanes.reshape(len(lanes), -1) & ((1 << width) - 1)
    out = np.empty((len(lanes), payload_bytes(lanes.shape[1] * width)), dtype=np.uint8)
    shifts = np.arange(width, dtype=np.int64)
    for start in range(0, len(lanes), _CHUNK):  # bounded temporaries on million-beat streams
        block = lanes[start: start + _CHUNK]
        bits = ((block[..., None] >> shifts) & 1).astype(np.uint8).reshape(len(block), -1)
        out[start: start + _CHUNK] = np.packbits(bits, axis=-1, bitorder="little")
    return out


def bytes_to_lanes(raw: np.ndarray, lanes: int, width: int, signed: bool = True) -> np.ndarray:
    """Inverse of `lanes_to_bytes` for the low ``lanes * width`` bits: ``(beats, lanes)`` int64,
    sign-extended if ``signed``."""
    bits = np.unpackbits(raw, axis=-1, bitorder="little")[:, : lanes * width]
    bits = bits.reshape(len(raw), lanes, width).astype(np.int64)
    out = (bits << np.arange(width, dtype=np.int64)).sum(axis=-1)
    if signed:
        out = np.where(out >= 1 << (width - 1), out - (1 << width), out)
    return out


def bit(raw: np.ndarray, index: int) -> np.ndarray:
    """Bit ``index`` of every beat's payload, as int8."""
    return ((raw[:, index // 8] >> (index % 8)) & 1).astype(np.int8)


def lanes_to_ints(lanes: np.ndarray, width: int) -> list[int]:
    """``(beats, lanes)`` integers -> one Python int per beat (cocotb testbenches' values)."""
    return [int.from_bytes(row.tobytes(), "little") for row in lanes_to_bytes(lanes, width)]


def ints_to_lanes(values: list[int], lanes: int, width: int, signed: bool = True) -> np.ndarray:
    """Inverse of `lanes_to_ints`: ``(beats, lanes)`` int64, sign-extended if ``signed``."""
    nbytes = payload_bytes(lanes * width)
    raw = np.frombuffer(b"".join(v.to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    return bytes_to_lanes(raw.reshape(len(values), nbytes), lanes, width, signed)
