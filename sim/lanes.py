"""Packing lanes of integers into the wide bit vectors of stream payloads, and back.

Lane ``i`` occupies bits ``[i*width, (i+1)*width)``, the layout of Amaranth's
``data.ArrayLayout``. A payload is held as little-endian bytes, one row per beat,
the form the simulation harnesses read and write. Vectorized over beats so wide
payloads stay cheap.
"""

from __future__ import annotations

import numpy as np


def payload_bytes(width: int) -> int:
    """Bytes that hold one ``width``-bit payload."""
    return (width + 7) // 8


def lanes_to_bytes(lanes: np.ndarray, width: int) -> np.ndarray:
    """``(beats, lanes)`` integers (two's complement if negative) -> ``(beats, bytes)`` uint8."""
    lanes = np.asarray(lanes, dtype=np.int64).reshape(len(lanes), -1) & ((1 << width) - 1)
    shifts = np.arange(width, dtype=np.int64)
    bits = ((lanes[..., None] >> shifts) & 1).astype(np.uint8).reshape(lanes.shape[0], -1)
    return np.packbits(bits, axis=-1, bitorder="little")


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
