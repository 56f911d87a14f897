"""The weight formats of the integer LUT core: ternary, Sherry (3:4 sparse ternary), iFairy
(+-1, +-i), int2/3/4 through bit-planes, binary (+-1). `hwgen.formats` re-exports the
registry, so it stays the one source of truth for every format; each format's rules,
packing and keys live in its own module (docs/adding-a-format.md). The accessors below
also answer for dense formats without a spec (an int8 / fp16 LM head) where noted.
"""

from __future__ import annotations

from ..errors import ConfigError
from . import binary, bitplane, ifairy, sherry, ternary
from .spec import WeightSpec, pack_format_keys

WEIGHT_SPECS: dict[str, WeightSpec] = {"ternary": ternary.SPEC, "sherry": sherry.SPEC, "ifairy": ifairy.SPEC,
                                       **bitplane.SPECS, "binary": binary.SPEC}


def weight_spec(name: str) -> WeightSpec:
    """The spec of a weight format."""
    return WEIGHT_SPECS[name]


def weight_max_abs(name: str) -> int:
    """Largest |w| (per real component) of a weight format (1 for a dense one)."""
    return WEIGHT_SPECS[name].weight_max_abs if name in WEIGHT_SPECS else 1


def mac_weights(name: str, activation_is_float: bool) -> str | None:
    """The MAC baseline's weight operand for a weight format (ternary: sign-select); None if none.
    Dense formats without a LUT spec (an int8 / fp16 LM head) get the default multiplier."""
    return WEIGHT_SPECS.get(name, WeightSpec()).mac_weights(activation_is_float)


def hardwired_weights(name: str) -> str | None:
    """The hardwired array format holding a weight format's matrices; None if none can."""
    return WEIGHT_SPECS[name].hardwired_weights


def fit_group_size(name: str, group_size: int, offered) -> int:
    """The group size of a search point for a weight format (`WeightSpec.fit_group_size`)."""
    return WEIGHT_SPECS[name].fit_group_size(group_size, offered)


def row_multiple(name: str) -> tuple[int, str]:
    """``(multiple, reason)``: ``workload.n`` must be a multiple of it for this format."""
    spec = WEIGHT_SPECS.get(name)
    return (spec.row_multiple, spec.row_reason) if spec else (1, "")


def check_design(weights: str, group_size: int, n: int, activation_is_float: bool) -> None:
    """Format-specific design rules; raises `ConfigError` naming the field."""
    spec = WEIGHT_SPECS[weights]
    if activation_is_float and not spec.float_activations:
        raise ConfigError(f"'weights' {weights} supports integer activations only (int4, int8)")
    if group_size not in spec.group_sizes:
        allowed = ", ".join(map(str, spec.group_sizes))
        raise ConfigError(f"'group_size' must be one of {allowed} for {weights} weights, not {group_size}")
    if n % spec.row_multiple:
        raise ConfigError(f"'workload.n' must be a multiple of {spec.row_multiple} for {weights} weights"
                          f"{spec.row_reason}, not {n}")
