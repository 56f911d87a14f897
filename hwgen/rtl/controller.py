"""GEMV controller: takes each GEMV's shape as a command and walks exactly that shape.

Command layout (`cmd_layout`): ``n`` in the low ``bit_length(max_n)`` bits, ``m`` above
it (``bit_length(max_m)`` bits). A command with ``n`` or ``m`` zero or beyond the core's
maxima is dropped (consumed, no tiles, no result) and sets the sticky ``error`` output
until reset. The cycle count is `hwgen.schedule.gemv_cycles`.
"""

from amaranth import Module, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..schedule import command_bits, row_blocks


def cmd_layout(max_n: int, max_m: int) -> data.StructLayout:
    n_bits, m_bits = command_bits(max_n, max_m)
    return data.StructLayout({"n": unsigned(n_bits), "m": unsigned(m_bits)})


def _in_range(field, maximum: int):
    """``1 <= field <= maximum`` (no upper test where the field cannot exceed it: lint-clean)."""
    ok = field != 0
    return ok & (field <= maximum) if maximum < (1 << len(field)) - 1 else ok


class GemvController(wiring.Component):
    """Counts tiles of the commanded GEMV, column block outer and row block inner.

    ``busy`` is high from an accepted command to the GEMV's last tile; ``load`` marks
    column block 0 (its tiles bring the activations); ``first`` / ``last`` the first and
    final row block of a column block (the accumulator restarts / a result is due),
    ``gemv_last`` the final tile. ``row`` is the current row block (the buffer's write address), ``row_next`` the one
    the next cycle works on (the address of its synchronous read port).

    Parameters
    ----------
    max_n, max_m : int
        The largest GEMV the core runs.
    rows_per_tile, fetchers : int
        Rows (``L*mu``, or the MAC's ``rows``) and columns (``K``) of a tile.
    """

    def __init__(self, max_n: int, max_m: int, rows_per_tile: int, fetchers: int):
        self._max = (max_n, max_m)
        self._tile = (rows_per_tile, fetchers)
        self.depth = row_blocks(max_n, rows_per_tile)
        super().__init__({
            "cmd": In(stream.Signature(cmd_layout(max_n, max_m))),
            "fire": In(1),
            "busy": Out(1),
            "load": Out(1),
            "first": Out(1),
            "last": Out(1),
            "gemv_last": Out(1),
            "row": Out(range(self.depth)),
            "row_next": Out(range(self.depth)),
            "error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        (max_n, max_m), (rt, K) = self._max, self._tile
        n = Signal(range(max_n + 1), name="cmd_n")
        cols = Signal(range(max_m + 1), name="cmd_m")
        row = self.row
        row_base = Signal(range(max_n + rt), name="row_base")  # first row of the row block
        col_base = Signal(range(max_m + K), name="col_base")   # first column of the column block
        last_col = Signal()
        cmd = self.cmd.payload
        accept_ok = _in_range(cmd.n, max_n) & _in_range(cmd.m, max_m)

        m.d.comb += [
            self.cmd.ready.eq(~self.busy),
            self.first.eq(row_base == 0),
            self.load.eq(col_base == 0),
            self.last.eq(row_base + rt >= n),
            last_col.eq(col_base + K >= cols),
            self.gemv_last.eq(self.last & last_col),
            self.row_next.eq(row),
        ]
        with m.If(self.cmd.valid & ~self.busy):
            with m.If(accept_ok):
                m.d.sync += [self.busy.eq(1), n.eq(cmd.n), cols.eq(cmd.m), row_base.eq(0), col_base.eq(0)]
                m.d.comb += self.row_next.eq(0)
            with m.Else():
                m.d.sync += self.error.eq(1)
        with m.Elif(self.fire):
            with m.If(self.last):
                m.d.comb += self.row_next.eq(0)
                m.d.sync += [row_base.eq(0), col_base.eq(col_base + K)]
                with m.If(last_col):
                    m.d.sync += self.busy.eq(0)
            with m.Else():
                m.d.comb += self.row_next.eq(row + 1)
                m.d.sync += row_base.eq(row_base + rt)
        m.d.sync += row.eq(self.row_next)
        return m
