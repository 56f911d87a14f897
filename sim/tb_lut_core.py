"""cocotb testbench of the LUT core's streaming interface.

It streams the packed activation and key beats named by ``HWGEN_TB_IN`` (an
``.npz``), applies seeded random input gaps and output back-pressure, and writes
every result beat to ``HWGEN_TB_OUT``. It checks the protocol only (beat counts,
``last`` placement, no hang); the numbers are compared with the reference model
by the caller, so a mismatch is reported with the data at hand.
"""

import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.lanes import ints_to_lanes, lanes_to_ints


@cocotb.test()
async def stream_gemv(dut):
    data = np.load(os.environ["HWGEN_TB_IN"])
    acts = lanes_to_ints(data["act_lanes"], int(data["act_width"]))
    keys = lanes_to_ints(data["key_lanes"], int(data["key_width"]))
    results_due = int(data["results"])
    gap, stall = float(data["gap"]), float(data["stall"])
    rng = random.Random(int(data["seed"]))

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.act__valid.value = 0
    dut.keys__valid.value = 0
    dut.result__ready.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0

    sent, received, idle = 0, [], 0
    limit = 50 * (len(acts) + 10)
    while len(received) < results_due:
        await RisingEdge(dut.clk)
        offer = sent < len(acts) and rng.random() >= gap
        if offer:
            dut.act__payload.value = acts[sent]
            dut.keys__payload.value = keys[sent % len(keys)]
        dut.act__valid.value = int(offer)
        dut.keys__valid.value = int(offer)
        dut.result__ready.value = int(rng.random() >= stall)
        await ReadOnly()
        if offer and dut.act__ready.value == 1:
            assert dut.keys__ready.value == 1, "act and keys must be consumed together"
            sent += 1
        if dut.result__valid.value == 1 and dut.result__ready.value == 1:
            word = int(dut.result__payload.value)
            received.append(word)
            idle = 0
        idle += 1
        assert idle < limit, f"no result for {limit} cycles: {sent} of {len(acts)} beats sent"

    K, width = int(data["fetchers"]), int(data["acc_width"])
    sums = ints_to_lanes([w & ((1 << (K * width)) - 1) for w in received], K, width)
    last = np.array([(w >> (K * width)) & 1 for w in received], dtype=np.int8)
    np.savez(os.environ["HWGEN_TB_OUT"], sums=sums, last=last)
