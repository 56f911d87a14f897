"""Technology tables: the unit costs the analytical model prices its counts with.

A table is a JSON file ``costmodel/tech/<name>.json``::

    {
      "name": "osu018",
      "description": "...",
      "area_um2":   {<feature>: um^2 per unit, ...},        # one per costmodel.model.FEATURES
      "energy_pj":  {<feature>: pJ per unit per cycle, ...},
      "leakage_mw_per_um2": ...,
      "delay_ns":   {"reg_overhead": ..., "add_base": ..., ...},
      "provenance": {...},                                 # how it was fitted or derived
      "validation": {...},                                 # accuracy per regime, if validated
      "memory": {<name>: {"pj_per_bit": ..., "source": ...}}   # optional: DRAM energy per bit
    }

A table without ``"memory"`` gets the published figures of `costmodel.memory.MEMORIES`.

``osu018`` is fitted from synthesis (`costmodel.calibrate`); the advanced-node tables are
derived from it by scaling (`derive_scaled`), and each factor's public source is written
beside it in the file under ``"scaling"``. ``"validation"`` is written by
`costmodel.validate` for the table it validated (a refit drops it until the next
validation); `costmodel.model.estimate` reports it with every estimate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hwgen.errors import ConfigError

from .memory import MEMORIES

__all__ = ["TECH_DIR", "DELAY_KEYS", "Tech", "known_techs", "table_path", "load_tech", "tech_from_dict",
           "derive_scaled"]

TECH_DIR = Path(__file__).resolve().parent / "tech"

DELAY_KEYS = (
    "reg_overhead",        # clock-to-Q + setup
    "add_base",            # logic depth of one LUT-build adder (excluding its carry ripple)
    "tree_level",          # logic depth of one reduction-tree level (excluding its carry ripple)
    "add_per_bit",         # carry ripple per bit of the widest word of a stage
    "mux_base",            # fetch mux fixed part
    "mux_per_select_bit",  # per 2:1 mux level (log2 of the fan-in, `costmodel.model.mux_levels`)
    "neg_base",            # conditional negator (excluding its ripple)
    "acc_base",            # accumulator restart mux + adder (excluding its ripple)
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
    validation: dict = field(default_factory=dict)
    memory: dict = field(default_factory=lambda: dict(MEMORIES))

    def to_dict(self) -> dict:
        table = {
            "name": self.name,
            "description": self.description,
            "area_um2": self.area,
            "energy_pj": self.energy,
            "leakage_mw_per_um2": self.leakage_mw_per_um2,
            "delay_ns": self.delay,
            "provenance": self.provenance,
        }
        table = {**table, "validation": self.validation} if self.validation else table
        return table if self.memory == MEMORIES else {**table, "memory": self.memory}


def tech_from_dict(raw: dict) -> Tech:
    """Build a `Tech` from a parsed table, checking it has every coefficient the model needs."""
    from .model import FEATURES

    name = raw.get("name", "?")
    for section, keys in (("area_um2", FEATURES), ("energy_pj", FEATURES), ("delay_ns", DELAY_KEYS)):
        missing = [k for k in keys if k not in raw.get(section, {})]
        if missing:
            raise ConfigError(f"technology table {name!r}: '{section}' lacks {', '.join(missing)}")
    try:
        return Tech(
            name=name,
            area={k: float(raw["area_um2"][k]) for k in FEATURES},
            energy={k: float(raw["energy_pj"][k]) for k in FEATURES},
            leakage_mw_per_um2=float(raw.get("leakage_mw_per_um2", 0.0)),
            delay={k: float(raw["delay_ns"][k]) for k in DELAY_KEYS},
            description=raw.get("description", ""),
            provenance=raw.get("provenance", {}),
            validation=raw.get("validation", {}),
            memory=_memory(raw.get("memory", MEMORIES), name),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"technology table {name!r}: every coefficient must be a number ({exc})") from None


def _memory(raw, name: str) -> dict:
    """A table's ``memory`` section: every entry a ``pj_per_bit`` number and a ``source``."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"technology table {name!r}: 'memory' must map memory names to "
                          "{pj_per_bit, source}")
    for mem, entry in raw.items():
        if (not isinstance(entry, dict) or isinstance(entry.get("pj_per_bit"), bool)
                or not isinstance(entry.get("pj_per_bit"), (int, float)) or not entry.get("source")):
            raise ConfigError(f"technology table {name!r}: memory {mem!r} needs a number 'pj_per_bit' "
                              "and a 'source'")
    return raw


def known_techs() -> list[str]:
    """Names of the technology tables shipped in `TECH_DIR`."""
    return sorted(p.stem for p in TECH_DIR.glob("*.json"))


def table_path(name: str) -> Path:
    """The file of technology table ``name``: a shipped one (`known_techs`) or a ``.json`` path."""
    if isinstance(name, str) and name.endswith(".json"):
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"technology table {name} not found")
        return path
    path = TECH_DIR / f"{name}.json"
    if not isinstance(name, str) or "/" in name or not path.is_file():
        raise ConfigError(f"unknown technology {name!r}; known: {', '.join(known_techs())} "
                          "(or the path of a .json table)")
    return path


@lru_cache(maxsize=None)
def load_tech(name: str) -> Tech:
    """The technology table ``name``: a shipped one (`known_techs`), or the path of a table
    file ending in ``.json`` (e.g. one fitted to another Liberty library with
    ``python -m costmodel.calibrate --liberty LIB --out FILE``).

    Raises
    ------
    hwgen.errors.ConfigError
        If there is no such table (the message lists the known ones), or the file is not a
        readable table.
    """
    path = table_path(name)
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"technology table {path} is not readable JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"technology table {path} must be a JSON object")
    return tech_from_dict(raw)


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


# ----------------------------------------------------------------------------- derived advanced-node tables

_OSU018_NAND2 = ("osu018 NAND2X1 footprint 2.4 um x 10 um = 24 um^2, from "
                 "/usr/share/qflow/tech/osu018/osu018_stdcells.lef (Debian qflow-tech-osu018); "
                 "supply 1.8 V from osu018_stdcells.lib")

#: Scaling of each advanced-node table from osu018. First-order factors: area from the
#: NAND2 footprint (3 contacted poly pitches x cell height), energy as C*V^2 with C scaling
#: with the linear dimension (sqrt of the area factor) and V the node's nominal supply,
#: delay from foundry-published speed gains. Leakage is not scaled (it is < 0.01 % of
#: osu018 power, and no leakage figure is used), so advanced-node leakage is NOT modelled.
SCALING: dict[str, dict] = {
    "n16": {
        "description": "16 nm FinFET (TSMC 16FF+ class), derived from osu018 by scaling",
        "area": {"factor": 0.0065,
                 "basis": "NAND2 = 3 x CPP 90 nm x 9-track cell height 576 nm (64 nm metal pitch) = 0.156 um^2; / 24 um^2",
                 "source": "WikiChip, '16 nm lithography process' (TSMC 16FF: CPP 90 nm, MMP 64 nm), "
                           "https://en.wikichip.org/wiki/16_nm_lithography_process; " + _OSU018_NAND2,
                 "checked": "2026-11-23: WikiChip's 16 nm table (TechInsights data) lists TSMC 16FF CPP 90 nm, "
                            "MMP 64 nm, as used"},
        "energy": {"factor": 0.0159,
                   "basis": "sqrt(0.0065) * (0.8 V / 1.8 V)^2",
                   "checked": "2026-11-23: WikiChip's 16 nm table lists 0.75 V for 16FF; 0.8 V is 16FF+'s "
                              "nominal supply (at 0.75 V the factor would be 0.0140, -12%)",
                   "source": "C*V^2 scaling (e.g. Weste & Harris, CMOS VLSI Design, ch. 5); 0.8 V nominal "
                             "core supply of 16FF+ (TSMC 16nm technology page, https://www.tsmc.com/english/"
                             "dedicatedFoundry/technology/logic/l_16_12nm)"},
        "delay": {"factor": 0.20,
                  "basis": "FO4 inverter delay ~12 ps (16 nm FinFET) vs ~60 ps (0.18 um)",
                  "source": "first-order FO4 estimate; cross-check against Stillmaker & Baas, 'Scaling equations "
                            "for the accurate prediction of CMOS device performance from 180 nm to 7 nm', "
                            "Integration 58 (2017) 74-81, http://vcl.ece.ucdavis.edu/pubs/2017.02.VLSIintegration.TechScale/"},
        "leakage_per_area": {"factor": 1.0, "basis": "not scaled", "source": "none (leakage not modelled)"},
    },
    "n7": {
        "description": "7 nm FinFET (TSMC N7 class), derived from osu018 by scaling",
        "area": {"factor": 0.00171,
                 "basis": "NAND2 = 3 x CPP 57 nm x 6-track cell height 240 nm (40 nm metal pitch) = 0.041 um^2; / 24 um^2",
                 "source": "WikiChip, '7 nm lithography process' (TSMC N7: CPP 57 nm, MMP 40 nm, HD cell "
                           "height 240 nm), https://en.wikichip.org/wiki/7_nm_lithography_process; " + _OSU018_NAND2,
                 "checked": "2026-11-23: WikiChip's 7 nm page revisions list TSMC N7 CPP 54 nm (older) and 57 nm, "
                            "MMP 40 nm, 0.75 V; at CPP 54 nm the factor would be 0.00162 (-5%)"},
        "energy": {"factor": 0.00718,
                   "basis": "sqrt(0.00171) * (0.75 V / 1.8 V)^2",
                   "source": "C*V^2 scaling; 0.75 V nominal N7 supply (WikiChip 7 nm page)"},
        "delay": {"factor": 0.145,
                  "basis": "n16 delay / 1.15 (N10 vs 16FF+) / 1.20 (N7 vs N10)",
                  "source": "TSMC press releases / technology pages: 10nm '15% faster than 16FF+', 7nm "
                            "'~20% speed improvement over 10nm', https://www.tsmc.com/english/dedicatedFoundry/"
                            "technology/logic/l_7nm"},
        "leakage_per_area": {"factor": 1.0, "basis": "not scaled", "source": "none (leakage not modelled)"},
    },
    "n5": {
        "description": "5 nm FinFET (TSMC N5 class), derived from osu018 by scaling",
        "area": {"factor": 0.000929,
                 "basis": "n7 area / 1.84",
                 "source": "TSMC 5nm technology page: N5 '1.84X logic density' vs N7, "
                           "https://www.tsmc.com/english/dedicatedFoundry/technology/logic/l_5nm"},
        "energy": {"factor": 0.00503,
                   "basis": "n7 energy * 0.70",
                   "source": "TSMC 5nm technology page: '30% power reduction' vs N7 at the same speed"},
        "delay": {"factor": 0.126,
                  "basis": "n7 delay / 1.15",
                  "source": "TSMC 5nm technology page: '15% speed improvement' vs N7 at the same power"},
        "leakage_per_area": {"factor": 1.0, "basis": "not scaled", "source": "none (leakage not modelled)"},
    },
}


def write_derived_tables(base_name: str = "osu018") -> list[Path]:
    """(Re)write the advanced-node tables of `SCALING` from the fitted ``base_name`` table."""
    load_tech.cache_clear()
    base = load_tech(base_name)
    paths = []
    for name, spec in SCALING.items():
        scaling = {k: v for k, v in spec.items() if k != "description"}
        table = derive_scaled(base, name, spec["description"], scaling)
        path = TECH_DIR / f"{name}.json"
        path.write_text(json.dumps(table, indent=1) + "\n")
        paths.append(path)
    load_tech.cache_clear()
    return paths


if __name__ == "__main__":
    for p in write_derived_tables():
        print(f"wrote {p}")
