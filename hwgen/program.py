"""Programs: a sequence of GEMVs one streaming core runs in one simulation (a decode step).

A program file is YAML::

    gemvs:
      - {weights: q.npy, activations: x.npy, out: y_q.npy}
      - {weights: k.npy, activations: x.npy, out: y_k.npy, name: k}

Paths are relative to the program file; each ``W`` has its own shape ``(n, m)``
within the core's maxima. `load_program` reads and checks every entry before any
simulation starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .fields import reject_unknown
from .preflight import check_input_file, check_output_file
from .yamlio import read_yaml

#: The first bytes of every .npy file (`numpy.lib.format`).
NPY_MAGIC = b"\x93NUMPY"

__all__ = ["ProgramGemv", "load_array", "load_program"]


@dataclass(frozen=True)
class ProgramGemv:
    """One GEMV of a program: its data and where its result goes."""

    name: str
    weights: np.ndarray
    activations: np.ndarray
    out: Path


def load_array(path: str | Path, name: str) -> np.ndarray:
    """Read a user's ``.npy`` file, with one clear error for a missing or unreadable file."""
    path = check_input_file(path, f"{name} file")
    with open(path, "rb") as f:
        magic = f.read(len(NPY_MAGIC))
    if magic != NPY_MAGIC:
        raise InputError(f"{name} file {path} is not a .npy array (no NumPy header; write it with numpy.save)")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{name} file {path} is not a readable .npy array ({str(exc).splitlines()[0]})") from None
    if array.dtype.kind not in "biufc":
        raise InputError(f"{name} file {path} holds {array.dtype} values, not numbers")
    if array.size == 0:
        raise InputError(f"{name} file {path} is empty (shape {array.shape})")
    return array


def load_program(path: str | Path) -> list[ProgramGemv]:
    """The GEMVs of a program file, arrays loaded; `InputError` naming the bad entry."""
    path = Path(path)
    raw = read_yaml(path, "program file")
    if not isinstance(raw, dict) or not isinstance(raw.get("gemvs"), list) or not raw["gemvs"]:
        raise InputError(f"{path}: a program is a mapping with 'gemvs': a non-empty list of "
                         "{weights, activations, out}")
    reject_unknown(raw, ("gemvs",), f"in program {path}", list_known=True)
    out, seen = [], set()
    for i, item in enumerate(raw["gemvs"]):
        where = f"{path}: gemvs[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{where} must be a mapping with weights, activations and out")
        reject_unknown(item, ("name", "weights", "activations", "out"), f"in {where}", list_known=True)
        missing = [k for k in ("weights", "activations", "out") if not isinstance(item.get(k), str)]
        if missing:
            raise InputError(f"{where}: missing file name(s): {', '.join(missing)}")
        target = (path.parent / item["out"]).resolve()
        if target in seen:
            raise InputError(f"{where}: output {item['out']} is written by an earlier GEMV too")
        seen.add(target)
        check_output_file(path.parent / item["out"], f"{where} out")
        out.append(ProgramGemv(str(item.get("name", f"gemv{i}")),
                               load_array(path.parent / item["weights"], f"{where} weights"),
                               load_array(path.parent / item["activations"], f"{where} activations"),
                               path.parent / item["out"]))
    return out
