"""Run a program (a list of GEMVs) on one streaming core in one simulation, checked twice.

Every GEMV is packed by its family's job function (`sim.stream.GemvJob`: the host-side
packer rejects a shape the core cannot run before anything is simulated), its
reference result is checked against PyTorch, then all GEMVs stream through one
simulation in order and every RTL output is compared with the reference bit for bit.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from hwgen.errors import MismatchError

from .stream import GemvJob, PortWidths, run_jobs

__all__ = ["run_program"]


def run_program(config, verilog: str, gemvs: list, job: Callable[..., GemvJob], widths: Callable[..., PortWidths],
                torch_result: Callable, simulator: str = "verilator", seed: int = 0) -> list[np.ndarray]:
    """Results of every ``(name, weights, activations)`` GEMV, or `MismatchError` / `InputError`.

    ``torch_result(config_at_shape, weights, activations)`` is PyTorch's result in the form
    of ``job.finish``, or None where the family has no PyTorch model of that design.
    """
    jobs = [job(config, w, a, name) for name, w, a in gemvs]
    for (name, w, a), j in zip(gemvs, jobs):
        theirs = torch_result(config.at(*np.shape(w)), w, a)
        if theirs is not None and not _same(j.finish(j.expected), theirs):
            raise MismatchError(f"GEMV {name}: the reference model differs from PyTorch")
    return run_jobs(verilog, config.top, widths(config), jobs, simulator, seed)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)
