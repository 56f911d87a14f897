"""Controller arithmetic of the programmable streaming cores: the one source of truth.

A core is generated for maxima ``(max_n, max_m)`` and runs any GEMV ``(n, m)`` within
them. Per GEMV the controller (`hwgen.rtl.controller.GemvController`)

1. accepts one ``cmd`` beat carrying ``n`` and ``m`` (`CMD_CYCLES` cycle);
2. walks ``ceil(n / rows_per_tile) x ceil(m / K)`` tiles, one per cycle, column block
   outer and row block inner. In column block 0 every tile also takes one ``act`` beat
   (``rows_per_tile`` activations), which the activation buffer keeps; the other column
   blocks read the buffer, so the activation vector enters the core once per GEMV;
3. leaves the last result ``latency`` cycles after the last tile.

`gemv_cycles` counts 1 + 2 + 3 (the GEMV is dependent: the next one starts after its
result, as in a decode step where one projection feeds the next). The RTL, the host-side
packer, the reference's tests, every cost model and the sweep import it from here. It
works on Python ints and on numpy arrays alike.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CMD_CYCLES", "row_blocks", "col_blocks", "tiles", "gemv_cycles", "token_cycles",
           "command_bits", "command_word", "command_sequence", "input_bits"]

#: Cycles the controller spends accepting a GEMV's command.
CMD_CYCLES = 1


def _ceil_div(a, b):
    return -(-a // b)


def row_blocks(n, rows_per_tile):
    """Row blocks of an ``n``-row GEMV: the activation beats it takes, once."""
    return _ceil_div(n, rows_per_tile)


def col_blocks(m, fetchers):
    """Column blocks of an ``m``-column GEMV: the result beats it gives."""
    return _ceil_div(m, fetchers)


def tiles(n, m, rows_per_tile, fetchers):
    """Tiles (key beats, cycles at full throughput) of one GEMV."""
    return row_blocks(n, rows_per_tile) * col_blocks(m, fetchers)


def gemv_cycles(n, m, rows_per_tile, fetchers, latency):
    """Cycles from accepting a GEMV's command to its last result (inclusive)."""
    return CMD_CYCLES + tiles(n, m, rows_per_tile, fetchers) + latency


def token_cycles(gemvs, rows_per_tile, fetchers, latency):
    """Cycles of a list of ``(n, m, count)`` GEMVs run one after the other."""
    return sum(count * gemv_cycles(n, m, rows_per_tile, fetchers, latency) for n, m, count in gemvs)


def command_bits(max_n: int, max_m: int) -> tuple[int, int]:
    """Widths of the command's ``n`` and ``m`` fields: each holds its maximum."""
    return int(max_n).bit_length(), int(max_m).bit_length()


def command_word(max_n: int, max_m: int, n: int, m: int) -> int:
    """The ``cmd`` payload of an ``(n, m)`` GEMV on a core for ``(max_n, max_m)``: ``n`` in the
    low `command_bits` bits, ``m`` above (`hwgen.rtl.controller.cmd_layout`). Not range
    checked: the host-side packer checks shapes (`hwgen.config.shape_at`), tests send bad ones."""
    n_bits, m_bits = command_bits(max_n, max_m)
    return (int(n) & ((1 << n_bits) - 1)) | ((int(m) & ((1 << m_bits) - 1)) << n_bits)


def input_bits(n, m, rows_per_tile, fetchers, act_beat_bits, key_beat_bits, cmd_bits, buffered=True):
    """External input bits of one GEMV: command, activation beats and key beats.

    ``buffered=False`` is the core without an activation buffer, which took one
    activation beat beside every key beat.
    """
    key_beats = tiles(n, m, rows_per_tile, fetchers)
    act_beats = row_blocks(n, rows_per_tile) if buffered else key_beats
    return cmd_bits + np.multiply(act_beats, act_beat_bits) + np.multiply(key_beats, key_beat_bits)


def command_sequence(gemvs, max_n: int, max_m: int, rows_per_tile: int, fetchers: int, latency: int) -> list[dict]:
    """The commands of a program, in order: for each ``(name, n, m)`` its ``cmd`` word and the
    beats and cycles it takes (what ``hwgen sweep --emit-rtl`` writes to ``program.json``)."""
    return [{"name": name, "n": n, "m": m, "cmd": command_word(max_n, max_m, n, m),
             "act_beats": row_blocks(n, rows_per_tile), "key_beats": tiles(n, m, rows_per_tile, fetchers),
             "result_beats": col_blocks(m, fetchers),
             "cycles": gemv_cycles(n, m, rows_per_tile, fetchers, latency)} for name, n, m in gemvs]
