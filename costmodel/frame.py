"""What the programmable frame of every streaming core costs: command, counters, activation buffer.

`hwgen.rtl.stream_frame` gives every core (ternary, formats, float, MAC) the same frame:
a ``cmd`` register pair (``n``, ``m`` at the widths of the maxima), a busy and a sticky
error flag, a row-block index and row / column base counters with their end comparators
(`hwgen.rtl.controller.GemvController`, all at the width of ``max_n`` / ``max_m``), and
the activation buffer: ``ceil(max_n / rows_per_tile)`` words of one ``act`` beat,
synchronous write, synchronous read (a registered address), and the 2:1 mux that picks
the stream (column block 0) or the buffer. `frame_counts` counts it in the cost model's
features, so every model prices it with its technology table's coefficients; the buffer
is a standard-cell register file there. `sram_area_um2` is the analytical alternative a
flow gets by mapping the buffer to an SRAM macro (`costmodel/sram.json`: bit-cell area per
technology, with its source, and an assumed array efficiency); it is reported beside the
estimate, not added to it.

Counts work on Python ints and numpy arrays alike.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from hwgen.schedule import row_blocks

__all__ = ["frame_counts", "buffer_shape", "buffer_cost", "buffer_read_delay", "buffer_report", "sram_area_um2",
           "sram_figures"]



def _bitlen(x):
    """``int.bit_length`` of non-negative integers, element-wise (exact below 2**53)."""
    return np.frexp(np.asarray(x, dtype=np.float64))[1].astype(np.int64)


def buffer_shape(max_n, rows_per_tile, act_beat_bits):
    """``(words, bits)`` of the activation buffer."""
    words = row_blocks(np.asarray(max_n), np.asarray(rows_per_tile))
    return words, words * np.asarray(act_beat_bits)


def frame_counts(max_n, max_m, rows_per_tile, fetchers, act_beat_bits) -> dict:
    """Feature counts of the frame: ``counter_bits`` (counters and comparators), ``reg_bits``
    (command, flags, counters, read address, buffer), ``mux_data_bits`` and
    ``mux_select_terms`` (buffer read mux and the stream/buffer select), and the buffer's
    ``buffer_words`` / ``buffer_bits``."""
    words, bits = buffer_shape(max_n, rows_per_tile, act_beat_bits)
    index = _bitlen(words - 1)
    n_bits = _bitlen(np.asarray(max_n) + np.asarray(rows_per_tile) - 1)
    m_bits = _bitlen(np.asarray(max_m) + np.asarray(fetchers) - 1)
    cmd = _bitlen(max_n) + _bitlen(max_m)
    # the row index incrementer; per base counter (row, column) its increment and its end test
    # (``base + step >= size``), each one bit wider than the counter (Amaranth widens a sum),
    # and the command's range check at the counter's width
    counters = index + 2 * (n_bits + 1 + m_bits + 1) + (n_bits + m_bits)
    return {
        "counter_bits": counters,
        "reg_bits": cmd + 2 + 2 * index + n_bits + m_bits + bits,
        "mux_data_bits": bits + 2 * np.asarray(act_beat_bits),
        "mux_select_terms": words,
        "buffer_words": words,
        "buffer_bits": bits,
    }


@lru_cache(maxsize=None)
def sram_figures() -> dict:
    """The analytical SRAM figures per technology (`costmodel/sram.json`)."""
    return json.loads((Path(__file__).with_name("sram.json")).read_text())


def sram_area_um2(bits, tech_name: str):
    """Area of an SRAM macro holding ``bits``: bit cells over the array efficiency, or None
    for a technology without a figure (a table file of the user's)."""
    figure = sram_figures()["technologies"].get(tech_name)
    if figure is None:
        return None
    return np.asarray(bits) * figure["bitcell_um2"] / sram_figures()["array_efficiency"]


def buffer_cost(frame: dict, tech) -> tuple:
    """``(area um^2, energy pJ per cycle)`` of the activation buffer as a standard-cell register
    file: its flip-flops, read mux and select terms at the table's coefficients."""
    return tuple(costs["reg_bits"] * frame["buffer_bits"] + costs["mux_data_bits"] * frame["mux_data_bits"]
                 + costs["mux_select_terms"] * frame["mux_select_terms"] for costs in (tech.area, tech.energy))


def buffer_read_delay(words, delay: dict):
    """ns from the buffer's registered read address to the activations the LUT build takes:
    the ``words``:1 read mux and the stream/buffer select, ``log2(words) + 1`` mux levels
    (the path OpenSTA reports as critical when the build stage is short)."""
    levels = np.log2(np.maximum(np.asarray(words, dtype=np.float64), 1.0)) + 1.0
    return delay["mux_base"] + delay["mux_per_select_bit"] * levels


def buffer_report(frame: dict, tech) -> dict:
    """The estimate's ``activation_buffer`` block: size, the register-file area included in
    the estimate, and the analytical SRAM area a flow would get instead (not included)."""
    sram = sram_area_um2(frame["buffer_bits"], tech.name)
    figure = sram_figures()["technologies"].get(tech.name)
    return {
        "words": int(frame["buffer_words"]), "bits": int(frame["buffer_bits"]),
        "register_file_um2": float(buffer_cost(frame, tech)[0]),
        "sram_um2": None if sram is None else float(sram),
        "sram_source": None if figure is None else
        f"{figure['source']}; array efficiency {sram_figures()['array_efficiency']} (costmodel/sram.json)",
    }
