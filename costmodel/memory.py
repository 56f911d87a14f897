"""DRAM energy per bit streamed: published figures, each beside its source.

Every technology table carries these (`costmodel.tech.Tech.memory`); a table file may
override them with its own ``"memory"`` section of the same form. A sweep names the
memory its weights stream from (space ``memory:``, default `DEFAULT_MEMORY`), and every
streamed bit (keys, other formats' codes, the LM head) costs ``pj_per_bit``. The
figures are whole-access energies (activation, array, I/O) per bit delivered.
"""

from __future__ import annotations

#: name -> {"pj_per_bit": ..., "source": ...}.
MEMORIES: dict[str, dict] = {
    "hbm2": {
        "pj_per_bit": 3.9,
        "source": "O'Connor et al., 'Fine-Grained DRAM: Energy-Efficient DRAM for Extreme Bandwidth Systems', "
                  "MICRO-50 (2017), https://doi.org/10.1145/3123939.3124545: HBM2, the most energy-efficient "
                  "DRAM of its time, ~3.9 pJ/bit (their FGDRAM proposal halves it)",
    },
    "ddr3": {
        "pj_per_bit": 20.3,
        "source": "Horowitz, 'Computing's Energy Problem (and what we can do about it)', ISSCC 2014, "
                  "https://doi.org/10.1109/ISSCC.2014.6757323: 1.3-2.6 nJ per 64-bit DRAM access (45 nm era); "
                  "the lower end, 1.3 nJ / 64 bit",
    },
}
#: The default: the lowest published per-bit energy here, so DRAM energy is a lower bound.
DEFAULT_MEMORY = "hbm2"
