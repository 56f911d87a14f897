"""Switching activity for power: simulate a design on a representative random workload.

The synthesis flow (`costmodel.synth`) annotates OpenSTA's power analysis with the
toggle rate and duty of every input port bit, read from a VCD. This module writes that
VCD by running the LUT core in Amaranth's Python simulator, which names the top-level
ports exactly as `amaranth.back.verilog.convert` does (``act__payload``,
``keys__payload``, ``act__valid``, ...; scope ``bench.top``).

Workload
--------
A random ternary matrix ``W`` (each weight -1, 0, +1 with probability 1/3) of the
design's largest shape and random activations uniform over the activation format's full
range, packed into the streams of `hwgen.formats` (a command per GEMV, each activation
vector once, keys column block outer and row block inner), streamed at full throughput
(``valid`` always high, ``result.ready`` always high) after two cycles of reset. So every
key beat is new, and the activations of column blocks after the first come from the
activation buffer, as in a real GEMV. The cost model's energy coefficients are fitted
under this same workload, so its power estimate means "power on random data at full
throughput".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from amaranth.sim import Simulator

from hwgen.config import LutConfig
from hwgen.weights.shape import LutCoreShape
from hwgen.formats import pack_activations, pack_keys
from hwgen.rtl.lut_core import LutCore
from hwgen.schedule import command_word

__all__ = ["DEFAULT_CYCLES", "VCD_SCOPE", "random_workload", "write_vcd"]

#: Beats simulated for one VCD: enough for stable toggle rates, fast in pysim.
DEFAULT_CYCLES = 160
#: Scope of the design's signals in the VCD written by `write_vcd`.
VCD_SCOPE = "bench.top"


def random_workload(config: LutConfig, beats: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """``(keys, acts, gemvs)``: key lanes of ``gemvs`` whole GEMVs (at least ``beats`` key
    beats), one row per tile, and their activation lanes, one row per row block of each GEMV."""
    rng = np.random.default_rng(seed)
    t = config.tiling
    batch = max(1, -(-beats // t.tiles))
    weights = rng.integers(-1, 2, size=(t.n, t.m), dtype=np.int8)
    act = config.act
    acts = rng.integers(act.min, act.max + 1, size=(batch, t.n), dtype=np.int64)
    keys = np.tile(pack_keys(weights, t), (batch, 1))
    lanes = pack_activations(acts, t).reshape(batch * t.row_blocks, -1)
    return keys, lanes, batch


def _pack(values: np.ndarray, width: int) -> int:
    """Lanes (lane 0 in the low bits) into one unsigned integer of ``len * width`` bits."""
    mask = (1 << width) - 1
    word = 0
    for lane in reversed(values.tolist()):
        word = (word << width) | (int(lane) & mask)
    return word


def write_vcd(config: LutConfig, path: str | Path, beats: int = DEFAULT_CYCLES, seed: int = 0,
              clock_period_ns: float = 10.0) -> Path:
    """Simulate `LutCore(config)` on `random_workload` and dump every signal to ``path``.

    Returns the path. The top's signals sit in scope `VCD_SCOPE`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dut = LutCore(config)
    key_width = LutCoreShape(config).key_width
    keys, lanes, gemvs = random_workload(config, beats, seed)
    key_words = [_pack(row, key_width) for row in keys]
    act_words = [_pack(row, config.act.width) for row in lanes]
    t = config.tiling

    sim = Simulator(dut)
    sim.add_clock(clock_period_ns * 1e-9)

    async def bench(ctx):
        ctx.set(dut.result.ready, 1)
        await ctx.tick().repeat(2)
        for g in range(gemvs):  # command, then the tiles, column block outer (full throughput)
            ctx.set(dut.cmd.payload.as_value(), command_word(t.n, t.m, t.n, t.m))
            ctx.set(dut.cmd.valid, 1)
            await ctx.tick()
            ctx.set(dut.cmd.valid, 0)
            for tile in range(t.tiles):
                col, row = divmod(tile, t.row_blocks)
                ctx.set(dut.keys.payload.as_value(), key_words[g * t.tiles + tile])
                ctx.set(dut.keys.valid, 1)
                ctx.set(dut.act.valid, int(col == 0))
                if col == 0:
                    ctx.set(dut.act.payload.as_value(), act_words[g * t.row_blocks + row])
                await ctx.tick()
            ctx.set(dut.keys.valid, 0)
            ctx.set(dut.act.valid, 0)
        await ctx.tick().repeat(2)

    sim.add_testbench(bench)
    with sim.write_vcd(str(path)):
        sim.run()
    path.write_text(_canonical_vcd(path.read_text()))
    return path


def _canonical_vcd(text: str) -> str:
    """The same dump with no ``$date`` line and the value changes of every time step sorted.

    Amaranth writes the changes of one time step in an order that varies from run to run
    (it follows set iteration, i.e. string hashing), and the synthesis cache is keyed on
    the VCD's contents: without this, the same design and seed never hit the cache.
    """
    head, sep, body = text.partition("$enddefinitions")
    if not sep:
        return text
    head = "".join(line for line in head.splitlines(keepends=True) if not line.startswith("$date"))
    end_line, nl, rest = body.partition("\n")
    out, block = [], []
    for line in rest.splitlines():
        if line.startswith("#"):
            out.extend(sorted(block))
            block = []
            out.append(line)
        elif line.startswith("$") or not line:
            out.extend(sorted(block))
            block = []
            out.append(line)
        else:
            block.append(line)
    out.extend(sorted(block))
    return head + sep + end_line + nl + "\n".join(out) + ("\n" if out else "")
