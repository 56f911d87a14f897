"""Two's-complement widths: the one helper every layer sizes words with (re-exported by
`hwgen.formats`; the weight specs in `hwgen.weights` import it from here, below the registry)."""

from __future__ import annotations


def signed_width(lo: int, hi: int) -> int:
    """Smallest two's-complement width holding every integer in ``[lo, hi]``."""
    if lo > hi:
        raise ValueError(f"empty range [{lo}, {hi}]")
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width
