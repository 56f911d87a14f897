"""The building blocks every design parser shares: typed field readers, the GEMV workload
and the config base class. `hwgen.config` (LUT and MAC cores) and `hwgen.hardwired.config`
(hardwired arrays) both build on it, so neither imports the other's parser.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class GemvShape:
    """One GEMV a streaming core runs, ``count`` times per program (a decoded token)."""

    name: str
    n: int
    m: int
    count: int = 1


@dataclass(frozen=True)
class Workload:
    """The GEMVs ``Y(M) = A(N) @ W(N, M)`` a design serves.

    A hardwired array is one GEMV ``(n, m)``. A streaming core is generated for the
    maxima ``n = max_n``, ``m = max_m`` and takes each GEMV's shape as a command at
    run time; ``gemvs`` lists the GEMVs of one program (a decode step), if known.
    """

    n: int
    m: int
    gemvs: tuple[GemvShape, ...] = ()

    @property
    def max_n(self) -> int:
        return self.n

    @property
    def max_m(self) -> int:
        return self.m

    @property
    def program(self) -> tuple[GemvShape, ...]:
        """The GEMVs of one program: ``gemvs``, or the one GEMV at the maxima."""
        return self.gemvs or (GemvShape("gemv", self.n, self.m),)


class DesignConfig:
    """What every parsed design config offers: its fields as a dict, and a stable hash."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """Stable hash of the config: names build and synthesis caches."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def int_field(raw: dict, name: str, default: int | None, lo: int, hi: int | None = None) -> int:
    value = raw.get(name, default)
    if value is None:
        raise ConfigError(f"missing required field '{name}'")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"'{name}' must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        span = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ConfigError(f"'{name}' must be {span}, not {value}")
    return value


def bool_field(raw: dict, name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(f"'{name}' must be true or false, not {value!r}")
    return value


def choice_field(raw: dict, name: str, default: str, choices) -> str:
    value = raw.get(name, default)
    if value not in choices:
        raise ConfigError(f"'{name}' must be one of {', '.join(choices)}, not {value!r}")
    return value


def reject_unknown(raw: dict, known, where: str, what: str = "field(s)", list_known: bool = False) -> None:
    """`ConfigError` naming every key of ``raw`` not in ``known`` (``where``: "for kind 'lut'").

    ``list_known`` appends the accepted keys, for mappings whose keys a user cannot guess.
    """
    known = list(known)
    unknown = set(raw) - set(known)
    if unknown:
        hint = f" (known: {', '.join(known)})" if list_known else ""
        raise ConfigError(f"unknown {what} {where}: {', '.join(sorted(unknown))}{hint}")


def top_field(raw: dict, default: str) -> str:
    """The ``top`` module name: a Verilog identifier."""
    top = raw.get("top", default)
    if not isinstance(top, str) or not top.isidentifier():
        raise ConfigError(f"'top' must be a Verilog identifier, not {top!r}")
    return top


def parse_workload(raw: Any) -> Workload:
    if not isinstance(raw, dict):
        raise ConfigError(f"'workload' must be a mapping with n and m, not {raw!r}")
    reject_unknown(raw, {"n", "m"}, "in 'workload'")
    n = int_field(raw, "n", None, 1)
    m = int_field(raw, "m", None, 1)
    return Workload(n, m)
