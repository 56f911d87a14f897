"""cocotb testbench for any design's stream ports: the regression harness.

It streams the stimulus folder named by ``HWGEN_TB_DIR`` (written by
`sim.stimulus.write_stimulus`) cycle by cycle exactly as the fast C++ harness
(`sim/stream_harness.cpp`) does, and writes the same result files. It checks the
protocol only (every input consumed, every output delivered, no hang); the numbers
are compared with the reference model by the caller. Level outputs (flags such as
``error``) are read a few idle cycles after the last transfer.
"""

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge


class _Port:
    def __init__(self, dut, folder: Path, spec: dict):
        self.name, self.nbytes, self.beats = spec["name"], spec["nbytes"], spec["beats"]
        self.input = spec["direction"] == "in"
        self.payload = getattr(dut, spec["payload"])
        self.valid = getattr(dut, spec["valid"])
        self.ready = getattr(dut, spec["ready"]) if spec["ready"] else None
        self.mask = np.fromfile(folder / f"{self.name}.mask", dtype=np.uint8).astype(bool).tolist()
        if self.input:
            rows = np.fromfile(folder / f"{self.name}.in", dtype=np.uint8).reshape(self.beats, self.nbytes)
            self.words = [int.from_bytes(row.tobytes(), "little") for row in rows]
        else:
            self.words = []
        self.done, self.on, self.stamps = 0, False, []


@cocotb.test()
async def stream_ports(dut):
    folder = Path(os.environ["HWGEN_TB_DIR"])
    spec = json.loads((folder / "spec.json").read_text())
    ports = [_Port(dut, folder, p) for p in spec["ports"]]
    pattern, idle_limit = spec["pattern"], spec["idle_limit"]

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    for p in ports:
        if p.input:
            # all ones, not zero, while in reset: on Icarus a float LUT core fed all-zero fp16
            # activations returns X results if zeros were held through reset (a register read
            # before it is written; not located yet), and exact zeros after this
            p.valid.value, p.payload.value = 0, (1 << len(p.payload)) - 1
        elif p.ready is not None:
            p.ready.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0

    start, cpu_start = time.perf_counter(), time.process_time()
    cycle = quiet = 0
    while True:
        await RisingEdge(dut.clk)
        cycle += 1
        phase = cycle & (pattern - 1)
        for p in ports:
            if p.input:
                p.on = p.done < p.beats and p.mask[phase]
                if p.on:
                    p.payload.value = p.words[p.done]
                p.valid.value = int(p.on)
            elif p.ready is not None:
                p.on = p.mask[phase]
                p.ready.value = int(p.on)
            else:
                p.on = True
        await ReadOnly()
        moved = False
        for p in ports:
            if p.input and p.on and p.ready.value == 1:
                p.stamps.append(cycle)
                p.done += 1
                moved = True
            elif not p.input and p.on and p.valid.value == 1 and p.done < p.beats:
                value = p.payload.value
                assert value.is_resolvable, f"output {p.name} beat {p.done} holds unknown bits: {value}"
                p.words.append(int(value))
                p.stamps.append(cycle)
                p.done += 1
                moved = True
        if all(p.done == p.beats for p in ports if not p.input):
            break
        quiet = 0 if moved else quiet + 1
        assert quiet < idle_limit, f"hang: no transfer for {idle_limit} cycles at cycle {cycle} " + \
            " ".join(f"{p.name} {p.done}/{p.beats}" for p in ports)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start

    for p in ports:
        assert not p.input or p.done == p.beats, \
            f"input {p.name}: {p.beats - p.done} of {p.beats} beats not consumed when every output had arrived"
        if not p.input:
            raw = b"".join(w.to_bytes(p.nbytes, "little") for w in p.words)
            (folder / f"{p.name}.out").write_bytes(raw)
        np.asarray(p.stamps, dtype=np.int64).tofile(folder / f"{p.name}.stamps")
    await RisingEdge(dut.clk)  # the last cycle's transfers take effect, then every port goes idle
    for p in ports:
        if p.input:
            p.valid.value = 0
        elif p.ready is not None:
            p.ready.value = 0
    for _ in range(spec["level_settle"] - 1):
        await RisingEdge(dut.clk)
    await ReadOnly()
    (folder / "levels.txt").write_text("".join(f"{name} {int(getattr(dut, name).value)}\n" for name in spec["levels"]))
    (folder / "result.txt").write_text(f"cycles {cycle}\nseconds {seconds:.6f}\ncpu_seconds {cpu_seconds:.6f}\n")
