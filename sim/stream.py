"""Drive a streaming GEMV core on a simulator and check what comes out.

Every core with the LUT core's interface (ternary, other weight formats, float, MAC)
has the stream ports ``act`` and ``keys`` (in) and ``result`` (out). Their beats are
packed here and streamed by `sim.streams.run_streams` (the fast Verilator harness, or
cocotb), with random input gaps (act and keys offered together) and output back-pressure.
"""

from __future__ import annotations

import numpy as np

from hwgen.errors import MismatchError, ToolError

from .lanes import bit, bytes_to_lanes, lanes_to_bytes
from .stimulus import amaranth_streams
from .streams import run_streams

__all__ = ["run_stream", "stream_beats", "compare", "LOCKSTEP"]

# The core takes one act and one key beat per tile: they are offered together.
LOCKSTEP = ("act", "keys")


def stream_beats(act_lanes: np.ndarray, act_width: int, key_lanes: np.ndarray,
                 key_width: int) -> dict[str, np.ndarray]:
    """Each input port's payload bytes: one act beat and one key beat per tile, the keys
    repeated for every activation row."""
    keys = lanes_to_bytes(key_lanes, key_width)
    return {"act": lanes_to_bytes(act_lanes, act_width), "keys": np.tile(keys, (len(act_lanes) // len(keys), 1))}


def run_stream(verilog: str, top: str, act_lanes: np.ndarray, act_width: int, key_lanes: np.ndarray,
               key_width: int, results: int, lanes_out: int, out_width: int, simulator: str = "verilator",
               seed: int = 0, gap: float = 0.1, stall: float = 0.1, signed: bool = True,
               harness: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stream the beats through the RTL; returns ``(sums (beats, lanes_out), last flags)``.

    Sums are two's-complement integers if ``signed``, else raw ``out_width``-bit patterns.
    ``harness``: "fast" (Verilator's default) or "cocotb" (see `sim.streams.run_streams`).
    """
    outcome = run_streams(verilog, top, amaranth_streams(verilog, top),
                          stream_beats(act_lanes, act_width, key_lanes, key_width), {"result": results},
                          simulator, seed, gap, stall, harness, lockstep=LOCKSTEP)
    if not np.array_equal(outcome.stamps["act"], outcome.stamps["keys"]):
        raise ToolError("the core consumed act and keys beats in different cycles")
    raw = outcome.outputs["result"]
    return bytes_to_lanes(raw, lanes_out, out_width, signed), bit(raw, lanes_out * out_width)


def compare(got: np.ndarray, expected: np.ndarray, last: np.ndarray, batch: int, col_blocks: int,
            show=str) -> None:
    """Raise `MismatchError` unless the results and the ``last`` flags are exactly as expected."""
    expected_last = np.tile(np.arange(col_blocks) == col_blocks - 1, batch)
    if not np.array_equal(last.astype(bool), expected_last):
        raise MismatchError("RTL set 'last' on the wrong result beats")
    if not np.array_equal(got, expected):
        first = tuple(np.argwhere(got != expected)[0])
        count = int(np.sum(got != expected))
        raise MismatchError(
            f"RTL differs from the reference model in {count} of {got.size} outputs; "
            f"first at [{', '.join(map(str, first))}]: RTL {show(got[first].item())}, "
            f"reference {show(expected[first].item())}"
        )
