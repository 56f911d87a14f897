"""Technology tables: the unit costs the analytical model prices its counts with.

A table is a JSON file ``costmodel/tech/<name>.json``::

    {
      "name": "osu018",
      "description": "...",
      "area_um2":   {<feature>: um^2 per unit, ...},        # one per costmodel.model.FEATURES
      "energy_pj":  {<feature>: pJ per unit per cycle, ...},
      "leakage_mw_per_um2": ...,
      "delay_ns":   {"reg_overhead": ..., "add_base": ..., ...},
      "provenance": {...}                                  # how it was fitted or derived
    }

``osu018`` is fitted from synthesis (`costmodel.calibrate`); the advanced-node tables are
derived from it by scaling (`derive_scaled`), and each factor's public source is written
beside it in the file under ``"scaling"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hwgen.errors import ConfigError

__all__ = ["TECH_DIR", "DELAY_KEYS", "Tech", "known_techs", "load_tech", "tech_from_dict", "derive_scaled"]

TECH_DIR = Path(__file__).resolve().parent / "tech"

DELAY_KEYS = (
    "reg_overhead",        # clock-to-Q + setup
    "add_base",            # logic depth of one adder (excluding its carry ripple)
    "add_per_bit",         # carry ripple per bit of the widest word of a stage
    "mux_base",            # fetch mux fixed part
    "mux_per_select_bit",  # per select bit (mux tree level)
    "neg_base",            # conditional negator (excluding its ripple)
    "acc_base",            # accumulator restart mux + adder (excluding its ripple)
    "enable_base",         # the stall/enable net: fixed part
    "enable_per_bit",      # per register bit it drives (no fanout buffering in the flow)
    "enable_per_acc_bit",  # the accumulator/result enables (a second, smaller net)
)


@dataclass(frozen=True)
class Tech:
    """One technology table (see the module docstring for the fields)."""

    name: str
    area: dict[str, float]
    energy: dict[str, float]
    leakage_mw_per_um2: float
    delay: dict[str, float]
    description: str = ""
    provenance: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "area_um2": self.area,
            "energy_pj": self.energy,
            "leakage_mw_per_um2": self.leakage_mw_per_um2,
            "delay_ns": self.delay,
            "provenance": self.provenance,
        }


def tech_from_dict(raw: dict) -> Tech:
    """Build a `Tech` from a parsed table, checking it has every coefficient the model needs."""
    from .model import FEATURES

    name = raw.get("name", "?")
    for section, keys in (("area_um2", FEATURES), ("energy_pj", FEATURES), ("delay_ns", DELAY_KEYS)):
        missing = [k for k in keys if k not in raw.get(section, {})]
        if missing:
            raise ConfigError(f"technology table {name!r}: '{section}' lacks {', '.join(missing)}")
    return Tech(
        name=name,
        area={k: float(raw["area_um2"][k]) for k in FEATURES},
        energy={k: float(raw["energy_pj"][k]) for k in FEATURES},
        leakage_mw_per_um2=float(raw.get("leakage_mw_per_um2", 0.0)),
        delay={k: float(raw["delay_ns"][k]) for k in DELAY_KEYS},
        description=raw.get("description", ""),
        provenance=raw.get("provenance", {}),
    )


def known_techs() -> list[str]:
    """Names of the technology tables shipped in `TECH_DIR`."""
    return sorted(p.stem for p in TECH_DIR.glob("*.json"))


@lru_cache(maxsize=None)
def load_tech(name: str) -> Tech:
    """The technology table ``name``.

    Raises
    ------
    hwgen.errors.ConfigError
        If there is no such table (the message lists the known ones).
    """
    path = TECH_DIR / f"{name}.json"
    if not isinstance(name, str) or "/" in name or not path.is_file():
        raise ConfigError(f"unknown technology {name!r}; known: {', '.join(known_techs())}")
    return tech_from_dict(json.loads(path.read_text()))


def derive_scaled(base: Tech, name: str, description: str, scaling: dict) -> dict:
    """A derived table (as a JSON-ready dict): ``base`` with area, energy, leakage and delay scaled.

    ``scaling`` maps ``area``, ``energy``, ``delay``, ``leakage_per_area`` to
    ``{"factor": x, "source": "...", ...}``; the whole mapping is stored in the table.
    """
    fa = scaling["area"]["factor"]
    fe = scaling["energy"]["factor"]
    fd = scaling["delay"]["factor"]
    fl = scaling["leakage_per_area"]["factor"]
    return {
        "name": name,
        "description": description,
        "area_um2": {k: v * fa for k, v in base.area.items()},
        "energy_pj": {k: v * fe for k, v in base.energy.items()},
        "leakage_mw_per_um2": base.leakage_mw_per_um2 * fl,
        "delay_ns": {k: v * fd for k, v in base.delay.items()},
        "provenance": {"derived_from": base.name, "scaling": scaling},
    }
