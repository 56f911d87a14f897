"""cocotb testbench of the streaming cores' interface (``cmd``, ``act``, ``keys`` -> ``result``).

It streams the command words and the packed activation and key beats named by
``HWGEN_TB_IN`` (an ``.npz``), each port from its own driver with seeded random gaps,
applies random output back-pressure, and writes every result beat, the ``error`` flag
and the cycles of accepted commands and of ``last`` results to ``HWGEN_TB_OUT``. It
checks the protocol only (beat counts, no hang); the numbers are compared with the
reference model by the caller, so a mismatch is reported with the data at hand.
"""

import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.lanes import ints_to_lanes, lanes_to_ints


class Cycle:
    """A cycle counter every coroutine reads (the clock's rising edges since reset)."""

    def __init__(self):
        self.now = 0


async def count_cycles(dut, cycle):
    while True:
        await RisingEdge(dut.clk)
        cycle.now += 1


async def drive(dut, port: str, words: list[int], rng: random.Random, gap: float, cycle, accepted=None):
    """Offer ``words`` on stream ``port`` in order, idling with probability ``gap``; an idle
    payload is random (it must not matter), which also flushes simulator start-up X."""
    valid, payload, ready = (getattr(dut, f"{port}__{s}") for s in ("valid", "payload", "ready"))
    sent = 0
    while sent < len(words):
        offer = rng.random() >= gap
        valid.value = int(offer)
        payload.value = words[sent] if offer else rng.getrandbits(len(payload))
        await ReadOnly()
        if offer and ready.value == 1:
            if accepted is not None:
                accepted.append(cycle.now)
            sent += 1
        await RisingEdge(dut.clk)
    valid.value = 0
    payload.value = rng.getrandbits(len(payload))


@cocotb.test()
async def stream_gemv(dut):
    data = np.load(os.environ["HWGEN_TB_IN"])
    cmds = [int(c) for c in data["cmd"]]
    acts = lanes_to_ints(data["act_lanes"], int(data["act_width"])) if data["act_lanes"].size else []
    keys = lanes_to_ints(data["key_lanes"], int(data["key_width"])) if data["key_lanes"].size else []
    results_due = int(data["results"])
    gap, stall = float(data["gap"]), float(data["stall"])
    seed = int(data["seed"])

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    for port in ("cmd", "act", "keys"):
        getattr(dut, f"{port}__valid").value = 0
        payload = getattr(dut, f"{port}__payload")
        payload.value = (1 << len(payload)) - 1  # not the registers' reset value: they must change
    dut.result__ready.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)  # one idle cycle: pipeline registers take the payloads, leaving their reset values

    cycle, cmd_cycles = Cycle(), []
    cocotb.start_soon(count_cycles(dut, cycle))
    cocotb.start_soon(drive(dut, "cmd", cmds, random.Random(seed), gap, cycle, cmd_cycles))
    cocotb.start_soon(drive(dut, "act", acts, random.Random(seed + 1), gap, cycle))
    cocotb.start_soon(drive(dut, "keys", keys, random.Random(seed + 2), gap, cycle))

    rng = random.Random(seed + 3)
    received, last_cycles, idle = [], [], 0
    K, width = int(data["fetchers"]), int(data["acc_width"])
    limit = 50 * (len(keys) + len(cmds) + 10)
    while len(received) < results_due:
        dut.result__ready.value = int(rng.random() >= stall)
        await ReadOnly()
        if dut.result__valid.value == 1 and dut.result__ready.value == 1:
            value = dut.result__payload.value
            assert value.is_resolvable, f"result beat {len(received)} holds unknown bits: {value}"
            word = int(value)
            received.append(word)
            if (word >> (K * width)) & 1:
                last_cycles.append(cycle.now)
            idle = 0
        idle += 1
        assert idle < limit, f"no result for {limit} cycles: {len(received)} of {results_due} received"
        await RisingEdge(dut.clk)
    for _ in range(4):  # let trailing commands (rejected ones) be seen
        await RisingEdge(dut.clk)
    await ReadOnly()
    error = int(dut.error.value)

    sums = ints_to_lanes([w & ((1 << (K * width)) - 1) for w in received], K, width)
    last = np.array([(w >> (K * width)) & 1 for w in received], dtype=np.int8)
    np.savez(os.environ["HWGEN_TB_OUT"], sums=sums, last=last, error=error,
             cmd_cycles=np.array(cmd_cycles, dtype=np.int64), last_cycles=np.array(last_cycles, dtype=np.int64))
