"""Small parameterized Amaranth blocks used to calibrate the cost model against synthesis.

Every block registers its inputs and its output, so the only timing paths OpenSTA sees
are register-to-register (plus the clock-to-Q of the output registers): the measured
critical path is the block's own logic, not an artefact of the I/O constraints.

Blocks
------
``adder``   ``o = a + b`` of width ``w`` (output ``w + 1`` bits, unsigned).
``mux``     ``o = d[sel]`` over ``f`` inputs of width ``w`` (an Amaranth `Array`).
``regs``    ``n`` independent registers of width ``w`` (``q[i] = d[i]``, one cycle late).
``negate``  ``o = -a if neg else a`` for a signed ``w``-bit ``a`` (output ``w + 1`` bits).

`block_verilog(kind, **params)` converts one of them to Verilog deterministically (no
source locations), with `block_name(kind, **params)` as its top module name.
"""

from __future__ import annotations

from amaranth.back import verilog
from amaranth.hdl import Array, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = [
    "KINDS",
    "RegisteredAdder",
    "RegisteredMux",
    "RegisterArray",
    "RegisteredNegate",
    "make_block",
    "block_name",
    "block_verilog",
]


def _check_positive(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TypeError(f"{name} must be a positive integer, not {value!r}")
    return value


class RegisteredAdder(wiring.Component):
    """``o <= a_r + b_r`` with ``a_r <= a``, ``b_r <= b``.

    Parameters
    ----------
    width : int
        Width of each operand; the sum has ``width + 1`` bits.

    Raises
    ------
    TypeError
        If ``width`` is not a positive integer.
    """

    def __init__(self, width: int):
        self._width = _check_positive("width", width)
        super().__init__({
            "a": In(unsigned(width)),
            "b": In(unsigned(width)),
            "o": Out(unsigned(width + 1)),
        })

    @property
    def width(self) -> int:
        return self._width

    def elaborate(self, platform):
        m = Module()
        a_r, b_r = _reg(m, self.a, "a_r"), _reg(m, self.b, "b_r")
        m.d.sync += self.o.eq(a_r + b_r)
        return m


class RegisteredMux(wiring.Component):
    """``o <= d_r[sel_r]`` with every input registered.

    Parameters
    ----------
    width : int
        Width of each data input and of the output.
    fan_in : int
        Number of data inputs ``f`` (>= 2); ``sel`` has ``ceil(log2(f))`` bits. A select
        value past ``f - 1`` yields the last input (Amaranth `Array` semantics).

    Raises
    ------
    TypeError
        If a parameter is not a positive integer or ``fan_in < 2``.
    """

    def __init__(self, width: int, fan_in: int):
        self._width = _check_positive("width", width)
        self._fan_in = _check_positive("fan_in", fan_in)
        if fan_in < 2:
            raise TypeError(f"fan_in must be at least 2, not {fan_in!r}")
        super().__init__({
            "d": In(unsigned(width)).array(fan_in),
            "sel": In(unsigned((fan_in - 1).bit_length())),
            "o": Out(unsigned(width)),
        })

    @property
    def width(self) -> int:
        return self._width

    @property
    def fan_in(self) -> int:
        return self._fan_in

    def elaborate(self, platform):
        m = Module()
        d_r = Array(_reg(m, d, f"d_r{i}") for i, d in enumerate(self.d))
        sel_r = _reg(m, self.sel, "sel_r")
        m.d.sync += self.o.eq(d_r[sel_r])
        return m


class RegisterArray(wiring.Component):
    """``n`` registers of width ``w``: ``q[i] <= d[i]``.

    Parameters
    ----------
    width : int
        Width of each register.
    count : int
        Number of registers ``n``.

    Raises
    ------
    TypeError
        If a parameter is not a positive integer.
    """

    def __init__(self, width: int, count: int):
        self._width = _check_positive("width", width)
        self._count = _check_positive("count", count)
        super().__init__({
            "d": In(unsigned(width)).array(count),
            "q": Out(unsigned(width)).array(count),
        })

    @property
    def width(self) -> int:
        return self._width

    @property
    def count(self) -> int:
        return self._count

    def elaborate(self, platform):
        m = Module()
        for d, q in zip(self.d, self.q):
            m.d.sync += q.eq(d)
        return m


class RegisteredNegate(wiring.Component):
    """``o <= -a_r if neg_r else a_r`` for a signed ``a``.

    Parameters
    ----------
    width : int
        Width of the signed input; the output has ``width + 1`` bits so that
        ``-(-2**(width-1))`` is exact.

    Raises
    ------
    TypeError
        If ``width`` is not a positive integer.
    """

    def __init__(self, width: int):
        self._width = _check_positive("width", width)
        super().__init__({
            "a": In(signed(width)),
            "neg": In(1),
            "o": Out(signed(width + 1)),
        })

    @property
    def width(self) -> int:
        return self._width

    def elaborate(self, platform):
        m = Module()
        a_r, neg_r = _reg(m, self.a, "a_r"), _reg(m, self.neg, "neg_r")
        m.d.sync += self.o.eq(Mux(neg_r, -a_r, a_r))
        return m


def _reg(m: Module, value, name: str):
    """A register (sync domain) holding ``value`` one cycle late, same shape."""

    reg = Signal(value.shape(), name=name)
    m.d.sync += reg.eq(value)
    return reg


KINDS = {
    "adder": (RegisteredAdder, ("width",)),
    "mux": (RegisteredMux, ("width", "fan_in")),
    "regs": (RegisterArray, ("width", "count")),
    "negate": (RegisteredNegate, ("width",)),
}


def make_block(kind: str, **params) -> wiring.Component:
    """Instantiate the calibration block ``kind`` with its parameters (see module doc).

    Raises
    ------
    ValueError
        If ``kind`` is unknown.
    TypeError
        If a parameter is missing, unexpected or invalid.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown block kind {kind!r}; expected one of {sorted(KINDS)}")
    cls, names = KINDS[kind]
    if set(params) != set(names):
        raise TypeError(f"Block {kind!r} takes parameters {list(names)}, not {sorted(params)}")
    return cls(**params)


def block_name(kind: str, **params) -> str:
    """Top module name of a block, e.g. ``adder_width8`` or ``mux_width8_fan_in4``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown block kind {kind!r}; expected one of {sorted(KINDS)}")
    _, names = KINDS[kind]
    return "_".join([kind] + [f"{n}{params[n]}" for n in names if n in params])


def block_verilog(kind: str, **params) -> str:
    """Verilog of block ``kind``; same parameters give byte-identical text.

    The top module is `block_name(kind, **params)`, with ports ``clk``, ``rst`` and the
    signature's members (arrays flattened as ``d__0``, ``d__1``, ...).
    """
    block = make_block(kind, **params)
    return verilog.convert(block, name=block_name(kind, **params), emit_src=False)
