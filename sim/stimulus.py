"""The stimulus both simulation harnesses share, and what they write back.

A design's interface is a list of `StreamPort`s (payload, valid and, where the
port can be back-pressured, ready). The caller packs each input port's beats
(``(beats, bytes)`` uint8, see `sim.lanes`) with the project's host-side packing
functions and names how many beats each output port must deliver. The stimulus
is written once as binary files in a folder:

``spec.json``            the ports, beat counts and level outputs (``run.txt``: the numbers alone, for C++)
``<port>.in``            an input port's payload bytes, beat after beat
``<port>.mask``          a seeded pattern, one byte per cycle (index ``cycle % PATTERN``):
                         an input offers a beat, an output is ready, where it is 1

and either harness streams it with the same cycle-by-cycle behaviour: the generated
C++ harness on a Verilated model (`sim.fastsim`, the fast path) or the cocotb
testbench `sim.tb_streams` (any simulator; the regression harness). Both write
``<port>.out`` (output payloads), ``<port>.stamps`` (int64 cycle of every transfer),
``levels.txt`` (the final value of each level output, such as a sticky ``error`` flag,
read `LEVEL_SETTLE` cycles after the last transfer) and ``result.txt`` (cycles, loop
wall and CPU seconds), read back as an `Outcome`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from hwgen.errors import ToolError

from .lanes import payload_bytes

__all__ = ["StreamPort", "Outcome", "amaranth_streams", "amaranth_levels", "write_stimulus", "read_outcome",
           "PATTERN"]

# Length of the per-port gap / back-pressure pattern, a power of two (cycle & (PATTERN - 1)).
PATTERN = 1 << 16
# A run with no transfer on any port for this many cycles has hung.
IDLE_LIMIT = 100_000
# Idle cycles after the last transfer before level outputs are read (a command rejected
# last raises its flag within a few cycles).
LEVEL_SETTLE = 4


@dataclass(frozen=True)
class StreamPort:
    """One stream of the design's top level, by the Verilog names of its signals.

    ``ready`` is None for an output without back-pressure (it is read whenever valid).
    """

    name: str
    direction: str  # "in" | "out"
    width: int
    payload: str
    valid: str
    ready: str | None

    @property
    def nbytes(self) -> int:
        return payload_bytes(self.width)


@dataclass
class Outcome:
    """What a harness saw: each output's payloads, every port's transfer cycles, the final
    value of each level output, the run's length."""

    outputs: dict[str, np.ndarray]
    stamps: dict[str, np.ndarray]
    cycles: int
    seconds: float
    cpu_seconds: float
    levels: dict[str, int]


_PORT = re.compile(r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(?:\[(\d+):0\]\s*)?(\w+)\s*[;,]?\s*$",
                   re.MULTILINE)


def top_ports(verilog: str, top: str) -> dict[str, tuple[str, int]]:
    """``{name: (direction, width)}`` of module ``top``'s ports, as the simulator will see them."""
    start = re.search(rf"^module\s+{re.escape(top)}\s*\(", verilog, re.MULTILINE)
    if start is None:
        raise ToolError(f"module {top} not found in the design's Verilog")
    body = verilog[start.start(): verilog.index("endmodule", start.start())]
    return {name: ("in" if kind == "input" else "out", int(msb) + 1 if msb else 1)
            for kind, msb, name in _PORT.findall(body)}


def amaranth_streams(verilog: str, top: str) -> list[StreamPort]:
    """The stream ports of an Amaranth component: ``X__payload`` / ``X__valid`` / ``X__ready``
    (how `amaranth.lib.stream` signatures flatten), with the payload's direction and width."""
    ports = top_ports(verilog, top)
    streams = []
    for name, (direction, width) in ports.items():
        if name.endswith("__payload"):
            stem = name[: -len("__payload")]
            ready = f"{stem}__ready"
            streams.append(StreamPort(stem, direction, width, name, f"{stem}__valid",
                                      ready if ready in ports else None))
    return streams


def amaranth_levels(verilog: str, top: str) -> list[str]:
    """The top's plain outputs (not part of a stream, at most 64 bits): flags such as ``error``."""
    stream_suffixes = ("__payload", "__valid", "__ready")
    return [name for name, (direction, width) in top_ports(verilog, top).items()
            if direction == "out" and width <= 64 and not name.endswith(stream_suffixes)]


def _patterns(ports: list[StreamPort], seed: int, gap: float, stall: float) -> dict[str, np.ndarray]:
    """One seeded pattern per port."""
    rng = np.random.default_rng(seed)
    return {p.name: (rng.random(PATTERN) >= (gap if p.direction == "in" else stall)).astype(np.uint8)
            for p in ports}


def write_stimulus(folder: Path, top: str, ports: list[StreamPort], inputs: dict[str, np.ndarray],
                   expected: dict[str, int], seed: int, gap: float, stall: float,
                   levels: list[str] = ()) -> None:
    """Write the stimulus files (see the module docstring) for ``ports`` into ``folder``."""
    spec = []
    for port, mask in zip(ports, _patterns(ports, seed, gap, stall).values()):
        if port.direction == "in":
            beats = np.ascontiguousarray(inputs[port.name], dtype=np.uint8)
            if beats.ndim != 2 or beats.shape[1] != port.nbytes:
                raise ValueError(f"port {port.name}: beats of {beats.shape[1:]} bytes, payload is {port.nbytes}")
            beats.tofile(folder / f"{port.name}.in")
            count = len(beats)
        else:
            count = expected[port.name]
        mask.tofile(folder / f"{port.name}.mask")
        spec.append({**asdict(port), "nbytes": port.nbytes, "beats": count})
    (folder / "spec.json").write_text(json.dumps({"top": top, "pattern": PATTERN, "idle_limit": IDLE_LIMIT,
                                                  "level_settle": LEVEL_SETTLE, "ports": spec,
                                                  "levels": list(levels)}, indent=1))
    (folder / "run.txt").write_text(f"{PATTERN} {IDLE_LIMIT} {LEVEL_SETTLE}\n" + "".join(f"{p['beats']}\n" for p in spec))


def read_outcome(folder: Path, ports: list[StreamPort]) -> Outcome:
    """The files a harness wrote back."""
    result = dict(line.split() for line in (folder / "result.txt").read_text().splitlines())
    outputs = {p.name: np.fromfile(folder / f"{p.name}.out", dtype=np.uint8).reshape(-1, p.nbytes)
               for p in ports if p.direction == "out"}
    stamps = {p.name: np.fromfile(folder / f"{p.name}.stamps", dtype=np.int64) for p in ports}
    levels_file = folder / "levels.txt"
    levels = {name: int(value) for name, value in (line.split() for line in levels_file.read_text().splitlines())} \
        if levels_file.exists() else {}
    return Outcome(outputs, stamps, int(result["cycles"]), float(result["seconds"]),
                   float(result["cpu_seconds"]), levels)

