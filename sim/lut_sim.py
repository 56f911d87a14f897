"""Run the LUT core's RTL on user data and compare with the reference model."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from hwgen.config import LutConfig
from hwgen.errors import MismatchError, ToolError
from hwgen.formats import pack_activations, pack_keys

from .reference import check_operands, lut_gemv
from .runner import run_testbench


def simulate_lut(config: LutConfig, verilog: str, weights: np.ndarray, acts: np.ndarray,
                 simulator: str = "verilator", seed: int = 0, gap: float = 0.1,
                 stall: float = 0.1) -> np.ndarray:
    """``(B, M)`` results of the RTL; raises `MismatchError` if they differ from the reference.

    ``gap`` and ``stall`` are the probabilities of an idle input cycle and of a
    back-pressured output cycle, so the handshake is exercised, not just the datapath.
    """
    weights, acts = check_operands(config, weights, acts)
    expected = lut_gemv(config, weights, acts)
    t = config.tiling
    batch = acts.shape[0]
    from hwgen.datapath import LutCoreShape

    shape = LutCoreShape(config)
    with tempfile.TemporaryDirectory(prefix="hwgen-sim-") as tmp:
        tmp = Path(tmp)
        np.savez(
            tmp / "in.npz",
            act_lanes=pack_activations(acts, t).reshape(batch * t.tiles, -1),
            act_width=config.act.width,
            key_lanes=pack_keys(weights, t),
            key_width=shape.key_width,
            results=batch * t.col_blocks,
            fetchers=config.fetchers,
            acc_width=config.accumulator_width,
            seed=seed, gap=gap, stall=stall,
        )
        run_testbench(verilog, config.top, "sim.tb_lut_core", simulator,
                      {"HWGEN_TB_IN": str(tmp / "in.npz"), "HWGEN_TB_OUT": str(tmp / "out.npz")}, tmp)
        out = np.load(tmp / "out.npz")
        sums, last = out["sums"], out["last"]
    if sums.shape[0] != batch * t.col_blocks:
        raise ToolError(f"simulation returned {sums.shape[0]} result beats, expected {batch * t.col_blocks}")
    expected_last = np.tile(np.arange(t.col_blocks) == t.col_blocks - 1, batch)
    if not np.array_equal(last.astype(bool), expected_last):
        raise MismatchError("RTL set 'last' on the wrong result beats")
    got = sums.reshape(batch, t.padded_m)[:, : t.m]
    if not np.array_equal(got, expected):
        b, j = np.argwhere(got != expected)[0]
        count = int(np.sum(got != expected))
        raise MismatchError(
            f"RTL differs from the reference model in {count} of {got.size} outputs; "
            f"first at [{b}, {j}]: RTL {got[b, j]}, reference {expected[b, j]}"
        )
    return got
