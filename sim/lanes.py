"""Packing lanes of integers into the wide bit vectors of stream payloads, and back.

Lane ``i`` occupies bits ``[i*width, (i+1)*width)``, the layout of Amaranth's
``data.ArrayLayout``. Vectorized over beats so wide payloads stay cheap.
"""

from __future__ import annotations

import numpy as np


def lanes_to_ints(lanes: np.ndarray, width: int) -> list[int]:
    """``(beats, lanes)`` integers (two's complement if negative) -> one Python int per beat."""
    lanes = np.asarray(lanes, dtype=np.int64) & ((1 << width) - 1)
    shifts = np.arange(width, dtype=np.int64)
    bits = ((lanes[..., None] >> shifts) & 1).astype(np.uint8).reshape(lanes.shape[0], -1)
    packed = np.packbits(bits, axis=-1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def ints_to_lanes(values: list[int], lanes: int, width: int, signed: bool = True) -> np.ndarray:
    """Inverse of `lanes_to_ints`: ``(beats, lanes)`` int64, sign-extended if ``signed``."""
    nbytes = (lanes * width + 7) // 8
    raw = np.frombuffer(b"".join(v.to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    bits = np.unpackbits(raw.reshape(len(values), nbytes), axis=-1, bitorder="little")[:, : lanes * width]
    bits = bits.reshape(len(values), lanes, width).astype(np.int64)
    out = (bits << np.arange(width, dtype=np.int64)).sum(axis=-1)
    if signed:
        out = np.where(out >= 1 << (width - 1), out - (1 << width), out)
    return out
