"""Weight formats beyond ternary: Sherry (3:4 sparse ternary), iFairy (+-1, +-i), int2/3/4
through bit-planes. `hwgen.formats` re-exports the registry, so it stays the one source
of truth for every format; the format-specific packing and keys live in one module each.
"""

from __future__ import annotations

from ..errors import ConfigError
from . import bitplane, ifairy, sherry
from .spec import WeightSpec, pack_format_keys

WEIGHT_SPECS: dict[str, WeightSpec] = {"sherry": sherry.SPEC, "ifairy": ifairy.SPEC, **bitplane.SPECS}


def weight_spec(name: str) -> WeightSpec:
    """The spec of a non-ternary weight format."""
    return WEIGHT_SPECS[name]


def weight_max_abs(name: str) -> int:
    """Largest |w| (per real component) of a weight format, ternary included."""
    return WEIGHT_SPECS[name].weight_max_abs if name in WEIGHT_SPECS else 1


def check_design(weights: str, group_size: int, n: int, activation_is_float: bool) -> None:
    """Format-specific design rules; raises `ConfigError` naming the field."""
    if weights not in WEIGHT_SPECS:
        return
    spec = WEIGHT_SPECS[weights]
    if activation_is_float:
        raise ConfigError(f"'weights' {weights} supports integer activations only (int4, int8)")
    if group_size not in spec.group_sizes:
        allowed = ", ".join(map(str, spec.group_sizes))
        raise ConfigError(f"'group_size' must be one of {allowed} for {weights} weights, not {group_size}")
    if weights == "sherry" and n % sherry.GROUP:
        raise ConfigError(f"'workload.n' must be a multiple of 4 for sherry weights (3:4 groups), not {n}")
