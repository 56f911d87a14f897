"""Which Liberty library a technology table's designs are synthesized with.

A fitted table (osu018, osu035, or one fitted with ``costmodel.calibrate --liberty``) has
its own library; a derived one (n16, n7, n5: `costmodel.tech.derive_scaled`) has none and is
synthesized with the library of the table it was scaled from. Model-against-synthesis
comparisons price the model with the library's own table and say so
(`SynthTarget.note`), so 5 nm model figures never sit beside 0.18 um synthesis silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hwgen.errors import ConfigError

from . import synth
from .tech import load_tech

__all__ = ["SynthTarget", "synthesis_target"]


@dataclass(frozen=True)
class SynthTarget:
    """Where a technology table's designs are synthesized.

    ``tech`` is the table whose own Liberty library ``liberty`` is: model estimates compared
    with synthesis must be priced with ``tech``, not with ``requested``, to compare like
    with like. They differ when ``requested`` is scaled from ``tech`` (n16/n7/n5 from osu018),
    ``scaling`` then holds the factors (`costmodel.tech.derive_scaled`).
    """

    requested: str
    tech: str
    liberty: Path
    scaling: dict = field(default_factory=dict)

    @property
    def scaled(self) -> bool:
        return self.requested != self.tech

    def clock_mhz(self, requested_clock_mhz: float) -> float:
        """The clock in ``tech`` that matches ``requested_clock_mhz`` in ``requested``: a scaled
        table's delays are the base's times the delay factor, so its clocks are divided by it."""
        return requested_clock_mhz * self.scaling.get("delay", {}).get("factor", 1.0)

    def note(self) -> str:
        """One sentence for a report: what was synthesized and what the model was priced with."""
        if not self.scaled:
            return (f"Synthesized with the {self.tech} Liberty library ({self.liberty}); the model is priced "
                    f"with the {self.tech} table: like for like.")
        factors = ", ".join(f"{k} x{v['factor']:.3g}" for k, v in self.scaling.items()
                            if isinstance(v, dict) and "factor" in v)
        return (f"The space's technology {self.requested} has no Liberty library: it is {self.tech} scaled "
                f"({factors}; costmodel/tech/{self.requested}.json). The designs were synthesized with "
                f"{self.tech} ({self.liberty}) at the front's clocks scaled back to {self.tech} (times the delay "
                f"factor) and the model columns are its {self.tech} estimates, so this table compares "
                f"{self.tech} with {self.tech}; the front's {self.requested} figures are these {self.tech} "
                f"figures scaled.")


def synthesis_target(tech_name: str) -> SynthTarget:
    """The library ``tech_name``'s designs are synthesized with (`SynthTarget`).

    A fitted table names its Liberty file (provenance ``liberty``, or an open library of
    `costmodel.synth.LIBRARIES`); a derived one is synthesized with the library of the table
    it was scaled from. Raises `ConfigError` when neither leads to a library.
    """
    table = load_tech(tech_name)
    base = table.provenance.get("derived_from")
    if base:
        target = synthesis_target(base)
        return SynthTarget(tech_name, target.tech, target.liberty, table.provenance.get("scaling", {}))
    if tech_name in synth.LIBRARIES:
        return SynthTarget(tech_name, tech_name, synth.library_liberty(tech_name))
    liberty = table.provenance.get("liberty")
    if liberty and Path(liberty).is_file():
        return SynthTarget(tech_name, tech_name, Path(liberty))
    raise ConfigError(f"technology {tech_name!r} names no Liberty library that exists here "
                      f"(provenance liberty: {liberty!r}) and is not scaled from one; it cannot be synthesized")
