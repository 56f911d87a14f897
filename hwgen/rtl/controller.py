"""Tile controller: where the current beat sits in the ``N x M`` walk."""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class TileController(wiring.Component):
    """Counts accepted tiles, column block outer and row block inner.

    ``first`` marks the first row block of a column block (the accumulator
    restarts), ``last`` the final one (a result is due), ``gemv_last`` the final
    tile of the whole GEMV. The counters wrap, so GEMVs stream back to back.

    Parameters
    ----------
    row_blocks, col_blocks : int
        Tiles along N (``ceil(N / (L*mu))``) and along M (``ceil(M / K)``).
    """

    def __init__(self, row_blocks: int, col_blocks: int):
        self._rows = row_blocks
        self._cols = col_blocks
        super().__init__({
            "fire": In(1),
            "first": Out(1),
            "last": Out(1),
            "gemv_last": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        row = Signal(range(self._rows), name="row_block")
        col = Signal(range(self._cols), name="col_block")
        m.d.comb += [
            self.first.eq(row == 0),
            self.last.eq(row == self._rows - 1),
            self.gemv_last.eq(self.last & (col == self._cols - 1)),
        ]
        with m.If(self.fire):
            with m.If(self.last):
                m.d.sync += row.eq(0)
                m.d.sync += col.eq(Mux(col == self._cols - 1, 0, col + 1))
            with m.Else():
                m.d.sync += row.eq(row + 1)
        return m
