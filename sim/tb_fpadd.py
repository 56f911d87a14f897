"""cocotb testbench for a harness of `hwgen.fpadd.FpAdder` instances.

The harness (built by the test) holds several *units*; a unit is ``lanes``
copies of one adder variant (format, pipeline depth) side by side, with ports
``<unit>_a``, ``<unit>_b`` (``lanes * width`` bits, lane ``i`` at bits
``[i*width, (i+1)*width)``), ``<unit>_sub`` (``lanes`` bits) and
``<unit>_result``; pipelined units share ``clk``, ``rst`` and ``en``.

Data goes through files, never through this module's code:
``HWGEN_FPADD_PLAN`` names an ``.npz`` with ``units`` (names), and per unit
``<unit>_a``, ``<unit>_b``, ``<unit>_sub`` as ``(groups, lanes)`` arrays and
``<unit>_meta`` = ``[width, lanes, pipeline]``; every unit has the same number
of groups. One group per cycle is presented; ``en`` is dropped at random
(``stall`` probability in ``plan["stall"]``) to check that a stall holds every
stage, and a stalled group is presented again. The results, de-skewed by each
unit's latency, go to ``HWGEN_FPADD_RESULTS`` as ``<unit>_result`` arrays of
the same shape; the test compares them with the reference model. A pipelined
unit's output must not change on a stalled cycle: each change is counted in
``<unit>_stall_errors``.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer


def _pack(rows: np.ndarray, width: int) -> list[int]:
    """``(groups, lanes)`` patterns -> one int per group, lane ``i`` at bit ``i*width``."""
    if width in (8, 16):
        raw = rows.astype("<u1" if width == 8 else "<u2")
        return [int.from_bytes(r.tobytes(), "little") for r in raw]
    packed = np.packbits(rows.astype(np.uint8) & 1, axis=-1, bitorder="little")  # 1-bit lanes
    return [int.from_bytes(r.tobytes(), "little") for r in packed]


def _unpack(value: int, lanes: int, width: int) -> np.ndarray:
    dtype = "<u1" if width == 8 else "<u2"
    return np.frombuffer(value.to_bytes(lanes * width // 8, "little"), dtype=dtype).astype(np.uint16)


@cocotb.test()
async def run_plan(dut):
    plan = np.load(os.environ["HWGEN_FPADD_PLAN"])
    units = [str(u) for u in plan["units"]]
    stall = float(plan["stall"])
    rng = np.random.default_rng(int(plan["seed"]))
    info = {}
    for u in units:
        width, lanes, pipeline = (int(x) for x in plan[f"{u}_meta"])
        info[u] = dict(
            width=width, lanes=lanes, pipeline=pipeline,
            a=_pack(plan[f"{u}_a"], width), b=_pack(plan[f"{u}_b"], width), sub=_pack(plan[f"{u}_sub"], 1),
            ports=(getattr(dut, f"{u}_a"), getattr(dut, f"{u}_b"), getattr(dut, f"{u}_sub"), getattr(dut, f"{u}_result")),
            out=np.zeros(plan[f"{u}_a"].shape, dtype=np.uint16), last=None, stall_errors=0,
        )
    groups = plan[f"{units[0]}_a"].shape[0]
    max_latency = max(i["pipeline"] for i in info.values())

    def drive(k: int) -> None:
        for i in info.values():
            pa, pb, ps, _ = i["ports"]
            j = min(k, groups - 1)  # past the end: repeat the last group (results ignored)
            pa.value, pb.value, ps.value = i["a"][j], i["b"][j], i["sub"][j]

    pipelined = hasattr(dut, "clk")
    if pipelined:
        dut.rst.value = 0
        dut.en.value = 1
        Clock(dut.clk, 10, unit="ns").start(start_high=False)

    k, en = 0, 1
    drive(k)
    while True:
        if pipelined:
            await FallingEdge(dut.clk)  # just after the rising edge that saw group k and en
        else:
            await Timer(10, unit="ns")
        for i in info.values():
            raw = i["ports"][3].value.to_unsigned()
            if en:  # the inputs of this cycle were group k, and the pipelines accepted it
                j = k - max(i["pipeline"] - 1, 0)  # accepting group k completes group k - (p - 1)
                if 0 <= j < groups:
                    i["out"][j] = _unpack(raw, i["lanes"], i["width"])
            elif i["pipeline"] and raw != i["last"]:  # a stall must hold every stage
                i["stall_errors"] += 1
            i["last"] = raw
        if en:
            k += 1
        if k >= groups + max(max_latency - 1, 0):
            break
        if pipelined:
            en = int(rng.random() >= stall)
            dut.en.value = en
        # on a stall the inputs are don't-care: drive another group so an ungated stage shows
        drive(k if en else (k + groups // 2) % groups)

    results = {f"{u}_result": info[u]["out"] for u in units}
    results.update({f"{u}_stall_errors": np.array(info[u]["stall_errors"]) for u in units})
    np.savez(os.environ["HWGEN_FPADD_RESULTS"], **results)
    dut._log.info("%d groups, %d units done", groups, len(units))
