"""Cheap checks that run before any long work: clock values, input files and output locations.

A command that would simulate for minutes and then fail to write its result, or
write ``-period nan`` into an SDC, should instead stop at once with one line. These
checks import nothing heavy, so the CLI can run them before loading the generators.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from .errors import ConfigError, InputError

__all__ = ["DEFAULT_CLOCK_MHZ", "check_clock_mhz", "check_input_file", "check_output_dir", "check_output_file"]

#: The clock `generate` and `synth` target unless told otherwise.
DEFAULT_CLOCK_MHZ = 100.0


def check_clock_mhz(value, name: str = "clock_mhz") -> float:
    """A clock frequency in MHz: a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number of MHz, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number of MHz above 0, not {value:g}")
    return float(value)


def check_input_file(path: str | Path, what: str) -> Path:
    """``path`` as a `Path` if it names an existing regular file; else an error saying what it is."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path} is a directory, not a file")
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    return path


def _writable_ancestor(path: Path, what: str) -> None:
    """The nearest existing ancestor of ``path`` must be a folder we can create files in."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{what} {path}: {parent} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".hwgen-write-check-", dir=parent)
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot write in {parent} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def check_output_dir(path: str | Path, what: str) -> Path:
    """An output folder: missing (it will be created) or an existing folder, and writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path} is an existing file, not a folder")
    _writable_ancestor(path / "x" if path.is_dir() else path, what)
    return path


def check_output_file(path: str | Path, what: str) -> Path:
    """An output file: not a folder, in a location we can write (checked before the work that makes it)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path} is a directory, not a file")
    _writable_ancestor(path, what)
    return path
