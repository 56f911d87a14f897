"""Drive a streaming GEMV core on a simulator and check what comes out.

Every core with the LUT core's interface (ternary, other weight formats, float, MAC)
has the stream ports ``cmd``, ``act`` and ``keys`` (in) and ``result`` (out), and a
sticky ``error`` flag. Their beats are packed here and streamed by
`sim.streams.run_streams` (the fast Verilator harness, or cocotb), each input port with
its own random gaps, the output with random back-pressure.

Each family's simulate module turns one user GEMV into a `GemvJob`: its per-port beat
sequences (`GemvBeats`, the host-side packing) and the reference model's expected
result. `run_jobs` streams any list of jobs through one simulation of one core (a
program: the GEMVs of a decode step) and returns every result only if all are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from hwgen.errors import MismatchError, ToolError
from hwgen.schedule import col_blocks as count_col_blocks
from hwgen.schedule import command_word

from .lanes import bit, bytes_to_lanes, lanes_to_bytes
from .stimulus import amaranth_levels, amaranth_streams
from .streams import run_streams

__all__ = ["GemvBeats", "GemvJob", "PortWidths", "gemv_beats", "job_shape", "column_decode", "stream_beats",
           "run_beats", "run_jobs", "run_stream", "compare", "compare_last"]


@dataclass(frozen=True)
class GemvBeats:
    """Per-port beat sequences of a batch of ``B`` GEMVs with one weight matrix.

    Attributes
    ----------
    cmd : list[int]
        ``B`` command words (`hwgen.schedule.command_word`).
    act : numpy.ndarray
        ``(B * row_blocks, act lanes)``: each activation vector once.
    keys : numpy.ndarray
        ``(B * tiles, key lanes)``: the weight stream, once per command.
    results : int
        Result beats due: ``B * col_blocks``.
    """

    cmd: list[int]
    act: np.ndarray
    keys: np.ndarray
    results: int


def gemv_beats(config, n: int, m: int, act_lanes: np.ndarray, key_lanes: np.ndarray, fetchers: int) -> GemvBeats:
    """`GemvBeats` of ``(B, row_blocks, lanes)`` packed activations and ``(tiles, lanes)`` keys."""
    batch = act_lanes.shape[0]
    word = command_word(config.workload.max_n, config.workload.max_m, n, m)
    return GemvBeats(cmd=[word] * batch, act=act_lanes.reshape(-1, act_lanes.shape[-1]),
                     keys=np.tile(key_lanes, (batch, 1)), results=batch * count_col_blocks(m, fetchers))


def job_shape(config, weights) -> tuple:
    """``(config at the GEMV shape of weights, weights as an array)``: a 2-D matrix runs as its own
    ``(n, m)`` command (`hwgen.config.shape_at`), anything else at the core's maxima."""
    weights = np.asarray(weights)
    return (config.at(*weights.shape) if weights.ndim == 2 else config), weights


def column_decode(batch: int, tiling, *lanes: int) -> Callable[[np.ndarray], np.ndarray]:
    """Result beats ``(batch * col_blocks, K * lanes)`` -> ``(batch, m, *lanes)``, padding dropped."""
    return lambda sums: sums.reshape(batch, tiling.padded_m, *lanes)[:, : tiling.m]


@dataclass(frozen=True)
class GemvJob:
    """One user GEMV on a core: its beats, the reference result, and how to read the RTL's.

    ``decode`` turns the job's result beats ``(results, lanes_out)`` into the array the
    reference gave (``expected``); ``finish`` turns that into the user's result.
    """

    name: str
    beats: GemvBeats
    expected: np.ndarray
    decode: Callable[[np.ndarray], np.ndarray]
    finish: Callable[[np.ndarray], np.ndarray] = lambda got: got
    show: Callable = str


@dataclass(frozen=True)
class PortWidths:
    """Lane widths of a core's ports: ``act``/``keys`` lane bits, result lanes and bits
    (``cmd`` beats are whole words: `hwgen.schedule.command_word`)."""

    act: int
    key: int
    lanes_out: int
    out: int
    signed: bool = True


def stream_beats(widths: PortWidths, beats: list[GemvBeats], cmd_width: int) -> dict[str, np.ndarray]:
    """Each input port's payload bytes for ``beats`` in order (``cmd_width``: the command port's bits)."""
    cmd = np.array([c for b in beats for c in b.cmd], dtype=np.int64).reshape(-1, 1)
    act = np.concatenate([b.act for b in beats]) if beats else np.zeros((0, 1), np.int64)
    keys = np.concatenate([b.keys for b in beats]) if beats else np.zeros((0, 1), np.int64)
    return {"cmd": lanes_to_bytes(cmd, cmd_width), "act": lanes_to_bytes(act, widths.act),
            "keys": lanes_to_bytes(keys, widths.key)}


def run_beats(verilog: str, top: str, widths: PortWidths, beats: list[GemvBeats], simulator: str = "verilator",
              seed: int = 0, gap: float = 0.1, stall: float = 0.1, timing: bool = False,
              harness: str | None = None):
    """Stream the beats through the RTL: ``(sums (beats, lanes_out), last flags, error flag)``,
    and with ``timing`` also ``(cycle of each accepted command, cycle of each last result)``.
    ``harness``: "fast" (Verilator's default) or "cocotb" (see `sim.streams.run_streams`)."""
    ports = amaranth_streams(verilog, top)
    cmd_width = next(p.width for p in ports if p.name == "cmd")
    results = sum(b.results for b in beats)
    outcome = run_streams(verilog, top, ports, stream_beats(widths, beats, cmd_width), {"result": results},
                          simulator, seed, gap, stall, harness, levels=amaranth_levels(verilog, top))
    raw = outcome.outputs["result"]
    if raw.shape[0] != results:
        raise ToolError(f"simulation returned {raw.shape[0]} result beats, expected {results}")
    sums = bytes_to_lanes(raw, widths.lanes_out, widths.out, widths.signed)
    last = bit(raw, widths.lanes_out * widths.out)
    error = int(outcome.levels.get("error", 0))
    if not timing:
        return sums, last, error
    return sums, last, error, (outcome.stamps["cmd"], outcome.stamps["result"][last.astype(bool)])


def run_jobs(verilog: str, top: str, widths: PortWidths, jobs: list[GemvJob], simulator: str = "verilator",
             seed: int = 0, gap: float = 0.1, stall: float = 0.1, harness: str | None = None) -> list[np.ndarray]:
    """Run every job in order in one simulation; the user's results, or `MismatchError`
    naming the first job that differs (so nothing is returned unless all are exact)."""
    sums, last, error = run_beats(verilog, top, widths, [j.beats for j in jobs], simulator, seed, gap, stall,
                                  harness=harness)
    if error:
        raise MismatchError("RTL raised its error flag on commands the packer accepted")
    out, start = [], 0
    for job in jobs:
        count = job.beats.results
        got = job.decode(sums[start:start + count])
        try:
            compare_last(last[start:start + count], len(job.beats.cmd), count // max(1, len(job.beats.cmd)))
            compare(got, job.expected, show=job.show)
        except MismatchError as exc:
            where = f"GEMV {job.name}: " if len(jobs) > 1 else ""
            raise MismatchError(f"{where}{exc}") from None
        out.append(job.finish(got))
        start += count
    return out


def run_stream(verilog: str, top: str, widths: PortWidths, job: GemvJob, simulator: str = "verilator",
               seed: int = 0, gap: float = 0.1, stall: float = 0.1, harness: str | None = None) -> np.ndarray:
    """One job through the RTL (`run_jobs` of one)."""
    return run_jobs(verilog, top, widths, [job], simulator, seed, gap, stall, harness)[0]


def compare_last(last: np.ndarray, batch: int, col_blocks: int) -> None:
    """Raise `MismatchError` unless ``last`` is set on exactly the final beat of every GEMV."""
    expected_last = np.tile(np.arange(col_blocks) == col_blocks - 1, batch)
    if not np.array_equal(last.astype(bool), expected_last):
        raise MismatchError("RTL set 'last' on the wrong result beats")


def compare(got: np.ndarray, expected: np.ndarray, show=str) -> None:
    """Raise `MismatchError` unless the results are exactly as expected."""
    if not np.array_equal(got, expected):
        first = tuple(np.argwhere(got != expected)[0])
        count = int(np.sum(got != expected))
        raise MismatchError(
            f"RTL differs from the reference model in {count} of {got.size} outputs; "
            f"first at [{', '.join(map(str, first))}]: RTL {show(got[first].item())}, "
            f"reference {show(expected[first].item())}"
        )
