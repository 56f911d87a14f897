"""cocotb testbench of a hardwired array's valid/ready-in, valid-out interface.

It streams the packed activation vectors named by ``HWGEN_TB_IN`` (an ``.npz``)
with seeded random idle cycles, honours ``in_ready`` (bit-serial arrays take a
vector every Wa cycles), records every ``y`` seen with ``out_valid`` and writes
them to ``HWGEN_TB_OUT``. It checks the protocol (result count, fixed latency, no
hang); the numbers are compared with the reference model by the caller.
"""

import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.lanes import ints_to_lanes, lanes_to_ints


@cocotb.test()
async def stream_vectors(dut):
    data = np.load(os.environ["HWGEN_TB_IN"])
    vectors = lanes_to_ints(data["act_lanes"], int(data["act_width"]))
    gap = float(data["gap"])
    latency = int(data["latency"])
    rng = random.Random(int(data["seed"]))

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.a.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0

    sent, received, accepted_at, seen_at = 0, [], [], []
    cycle, limit = 0, (latency + 4) * (len(vectors) + 4) * 2
    while len(received) < len(vectors):
        await RisingEdge(dut.clk)
        cycle += 1
        offer = sent < len(vectors) and rng.random() >= gap
        if offer:
            dut.a.value = vectors[sent]
        dut.in_valid.value = int(offer)
        await ReadOnly()
        if dut.out_valid.value == 1:
            received.append(int(dut.y.value))
            seen_at.append(cycle)
        if offer and dut.in_ready.value == 1:
            accepted_at.append(cycle)
            sent += 1
        assert cycle < limit, f"hang: {len(received)} of {len(vectors)} results after {cycle} cycles"
    lat = [s - a for s, a in zip(seen_at, accepted_at)]
    assert all(x == latency for x in lat), f"latency {sorted(set(lat))}, expected {latency}"
    y = ints_to_lanes(received, int(data["lanes"]), int(data["lane_width"]))
    np.savez(os.environ["HWGEN_TB_OUT"], y=y)
