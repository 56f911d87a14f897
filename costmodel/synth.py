"""Open synthesis flow: Yosys + a Liberty library + OpenSTA -> area, timing and power.

This is the ground truth the analytical cost model is calibrated and validated against.

Flow
----
1. Yosys: ``read_verilog``; ``synth -top T -flatten``; ``dfflibmap -liberty L``;
   ``abc -liberty L -constr C -D <period in ps>``; ``flatten`` (modules kept whole through
   ABC with ``keep_hierarchy``, as hwgen's all-pairs adder graphs keep each adder, are mapped
   on their own and then inlined); ``splitnets; opt_clean -purge``; ``stat -liberty L`` (area
   in the library's unit, um^2 for osu018, and the count of every cell type);
   ``write_verilog -noattr -simple-lhs`` of the mapped netlist.

   ``-D`` gives ABC the clock period as its delay target and ``-constr`` (see
   `_abc_constraints`: primary inputs driven by the library's smallest inverter, outputs
   loaded with a typical gate input) makes it run its timing script, which ends in
   ``buffer; upsize; dnsize``: high-fanout nets (a pipeline's global stall/enable, the
   synchronous reset, a key register feeding many muxes) get buffer trees and gates are
   sized, as in any real flow. Without it ABC maps for area alone and one X1 gate drives
   thousands of flop enables, which gives absurd fmax and power. ABC's primary inputs
   include the flip-flop outputs, so the weak driver applies to them as well.
   ``splitnets; opt_clean -purge`` and ``-simple-lhs`` leave no ``assign {a, b} = ...``
   statements, which this OpenSTA cannot parse; they rename no port or register, so
   area and timing are unchanged. A constant left in the netlist (a kept module's output bit
   that is always 0, which ABC could not fold inside the module) crashes this OpenSTA's power
   analysis, so the netlist STA reads ties each constant bit to an extra input port,
   ``hwgen_tie0`` / ``hwgen_tie1``, held at its value for power and left out of timing.
2. OpenSTA on the mapped netlist: an ideal clock of ``clock_period_ns`` on
   ``clock_port`` (a virtual clock of that period when the design has no such port),
   input and output delays of 0 relative to it, ``report_checks -path_delay max`` and
   ``report_power``.

Critical path
-------------
``critical_path_ns = clock_period_ns - worst_setup_slack``, i.e. the worst data arrival
time plus the capturing flop's setup time (clock ideal, no uncertainty). It is the
shortest period at which the worst path of *this netlist* still meets setup;
``fmax_mhz = 1000 / critical_path_ns``. The netlist itself depends on the period a
little, since ABC maps, buffers and sizes towards it (``-D``): a design far slower than
the period asked for gets faster, larger gates on its long paths. With 0 I/O delays, paths from
inputs or to outputs count as well; the calibration blocks register both sides, so
there the critical path is a register-to-register one. ``None`` if OpenSTA finds no path.

Activity source
---------------
Dynamic power depends on switching activity, reported in ``activity_source``:

- ``"default"``: every input port toggles ``DEFAULT_INPUT_ACTIVITY`` times per clock
  period with duty 0.5 (OpenSTA's own default, set explicitly), propagated by OpenSTA.
- ``"vcd"``: a VCD of a simulation (normally RTL simulation of the pre-synthesis
  design) gives, for every input port bit found in it, the toggles per clock cycle and
  the fraction of time high; these are set with
  ``set_power_activity -input_ports`` and OpenSTA propagates them probabilistically
  through the logic and across registers (D -> Q).

The installed OpenSTA (Debian 2.0.17, git 2019-11) has neither ``read_vcd`` nor
``read_power_activities``/``read_saif``, and its propagation overwrites activities set
on internal pins (``sta::set_power_pin_activity`` on a flop's Q is recomputed from D),
so only primary inputs can be annotated: ``annotated_pins`` counts the input port bits
(clock excluded) that took their activity from the VCD, ``activity_pins`` the input
port bits there are. Unmatched inputs keep the default. Register names of the RTL
survive synthesis (their nets keep the name), but internal combinational nets do not,
which is a second reason to annotate at the ports. Activities must be set before the
first ``report_power`` of an OpenSTA session (changing them afterwards is not
reliably re-propagated in this version), so each run reports power exactly once.

Caching
-------
Results are stored as JSON under ``$HWGEN_CACHE_DIR/synth`` (default
``~/.cache/hwgen/synth``), keyed by a hash of the Verilog contents, top, Liberty
contents, clock port and period, VCD contents and scope, the tool versions and
`FLOW_VERSION`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from hwgen.cachedir import cache_part
from hwgen.errors import InputError, ToolError

__all__ = [
    "FLOW_VERSION",
    "DEFAULT_INPUT_ACTIVITY",
    "SynthResult",
    "synthesize",
    "default_liberty",
    "LIBRARIES",
    "library_liberty",
    "require_tool",
    "run_tool",
    "tool_versions",
    "cache_dir",
    "parse_yosys_stat",
    "vcd_activity",
]

#: Bump when the flow or the parsing changes, to invalidate cached results.
FLOW_VERSION = 2
#: Toggles per clock period of an input without annotation (OpenSTA's default).
DEFAULT_INPUT_ACTIVITY = 0.1

OSU018_LIBERTY = Path("/usr/share/qflow/tech/osu018/osu018_stdcells.lib")


@dataclass(frozen=True)
class Library:
    """An open Liberty library the flow knows by its technology name."""

    path: Path
    package: str  # the Debian package that installs it
    description: str


#: Technology name -> library; `hwgen synth --tech NAME` and `costmodel.calibrate` use these.
LIBRARIES = {
    "osu018": Library(OSU018_LIBERTY, "qflow-tech-osu018", "OSU 0.18 um standard cells (Debian qflow-tech-osu018), 1.8 V"),
    "osu035": Library(Path("/usr/share/qflow/tech/osu035/osu035_stdcells.lib"), "qflow-tech-osu035",
                      "OSU 0.35 um standard cells (Debian qflow-tech-osu035), 3.3 V"),
}
_SYNTH_TOOLS_HINT = "install it with `apt-get install yosys opensta`"
#: Commands the flow runs (a Dask worker must have them: `costmodel.batch`).
FLOW_TOOLS = ("yosys", "sta")


@dataclass(frozen=True)
class SynthResult:
    """What the flow measured for one design.

    Attributes
    ----------
    top : str
        Top module name.
    area_um2 : float
        Cell area from Yosys ``stat -liberty`` (Liberty area unit, um^2 for osu018).
    cells : int
        Number of mapped cells.
    cells_by_type : dict[str, int]
        Cell count per Liberty cell name.
    clock_period_ns : float
        Period of the (real or virtual) clock used by OpenSTA.
    slack_ns : float | None
        Worst setup slack at that period.
    critical_path_ns : float | None
        ``clock_period_ns - slack_ns`` (see the module docstring).
    fmax_mhz : float | None
        ``1000 / critical_path_ns``.
    power_mw : float
        Total power at ``clock_period_ns`` (mW).
    power_breakdown : dict[str, float]
        ``internal``, ``switching`` and ``leakage`` power (mW).
    activity_source : str
        ``"vcd"`` or ``"default"``.
    annotated_pins : int
        Input port bits whose activity came from the VCD (0 for ``"default"``).
    activity_pins : int
        Input port bits of the design, clock excluded.
    tool_versions : dict[str, str]
        ``yosys`` and ``sta`` version strings.
    flow_seconds : float | None
        Wall time of the Yosys + OpenSTA run that produced this result, kept in the cache
        so a cached result still says what synthesis costs (``None`` for cache entries
        written before it was recorded).
    """

    top: str
    area_um2: float
    cells: int
    cells_by_type: dict[str, int]
    clock_period_ns: float
    slack_ns: float | None
    critical_path_ns: float | None
    fmax_mhz: float | None
    power_mw: float
    power_breakdown: dict[str, float]
    activity_source: str
    annotated_pins: int
    activity_pins: int
    tool_versions: dict[str, str] = field(default_factory=dict)
    flow_seconds: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "SynthResult":
        return cls(**json.loads(text))


# ---------------------------------------------------------------- tools


def require_tool(name: str, hint: str = _SYNTH_TOOLS_HINT) -> str:
    """Absolute path of command ``name``; `ToolError` naming it and ``hint`` if missing."""
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"`{name}` not found on PATH; {hint}")
    return path


def default_liberty() -> Path:
    """The osu018 Liberty library (0.18 um, 1.8 V) the flow uses unless told otherwise."""
    return library_liberty("osu018")


def library_liberty(tech: str) -> Path:
    """The Liberty file of technology ``tech`` (`LIBRARIES`); `ToolError` saying how to get it."""
    if tech not in LIBRARIES:
        raise ToolError(f"technology {tech!r} has no open Liberty library here (only {' and '.join(LIBRARIES)} "
                        "do); pass --liberty FILE")
    lib = LIBRARIES[tech]
    if not lib.path.is_file():
        raise ToolError(f"Liberty library {lib.path} not found; install it with `apt-get install {lib.package}` "
                        "or pass a liberty file")
    return lib.path


@functools.lru_cache(maxsize=None)
def tool_versions() -> dict[str, str]:
    """Version strings of ``yosys`` and ``sta`` (raises `ToolError` if one is missing)."""
    yosys = run_tool([require_tool("yosys"), "-V"], "yosys").strip()
    sta = run_tool([require_tool("sta"), "-version"], "sta").strip()
    return {"yosys": yosys, "sta": sta}


def run_tool(cmd: list[str], tool: str, cwd: Path | None = None, log: Path | None = None,
             timeout_s: float | None = None) -> str:
    """Run ``cmd``; its stdout + stderr (also written to ``log``), or `ToolError` with the tail.

    With ``timeout_s``, a run still going after that many seconds is killed with everything it
    started (Yosys runs ABC as a child process) and reported as a `ToolError`."""
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ToolError(f"{tool} did not finish within {timeout_s:g} s (stopped)") from None
    out = stdout + stderr
    if log is not None:
        log.write_text(out)
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-15:])
        raise ToolError(f"{tool} failed (exit {proc.returncode}): {tail}")
    return out


# ---------------------------------------------------------------- cache


def cache_dir() -> Path:
    """``$HWGEN_CACHE_DIR/synth`` (default ``~/.cache/hwgen/synth``)."""
    return cache_part("synth")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cache_key(verilog: list[bytes], top: str, liberty: bytes, clock_port: str,
               period: float, vcd: bytes | None, vcd_scope: str | None) -> str:
    ident = {
        "flow": FLOW_VERSION,
        "verilog": [_sha256(v) for v in verilog],
        "top": top,
        "liberty": _sha256(liberty),
        "clock_port": clock_port,
        "period": repr(float(period)),
        "vcd": _sha256(vcd) if vcd is not None else None,
        "vcd_scope": vcd_scope,
        "tools": tool_versions(),
    }
    return _sha256(json.dumps(ident, sort_keys=True).encode())


# ---------------------------------------------------------------- parsing


def parse_yosys_stat(text: str, top: str) -> tuple[float, int, dict[str, int]]:
    """(area, cell count, cells by type) of module ``top`` from Yosys 0.23 ``stat`` text."""
    match = re.search(rf"^=== \\?{re.escape(top)} ===$(.*?)(?=^=== |\Z)", text, re.M | re.S)
    if match is None:
        raise ToolError(f"yosys stat has no section for module {top!r}")
    section = match.group(1)
    cells_match = re.search(r"^\s*Number of cells:\s+(\d+)\s*$", section, re.M)
    area_match = re.search(r"^\s*Chip area for module .*?:\s+([0-9.eE+-]+)\s*$", section, re.M)
    if cells_match is None or area_match is None:
        raise ToolError(f"cannot parse cell count / chip area from yosys stat of {top!r}")
    by_type: dict[str, int] = {}
    for line in section[cells_match.end():].splitlines()[1:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        by_type[parts[0]] = int(parts[1])
    return float(area_match.group(1)), int(cells_match.group(1)), by_type


def _netlist_inputs(netlist: str) -> dict[str, int]:
    """Input ports of a Yosys-written netlist: name -> width."""
    ports = {}
    for m in re.finditer(r"^\s*input\s+(?:\[(\d+):(\d+)\]\s*)?(\\?\S+)\s*;", netlist, re.M):
        msb, lsb, name = m.group(1), m.group(2), m.group(3).lstrip("\\")
        ports[name] = abs(int(msb) - int(lsb)) + 1 if msb is not None else 1
    return ports


def _parse_slack(report: str) -> float | None:
    if "No paths found" in report:
        return None
    match = re.search(r"^\s*(-?[0-9.]+(?:e[+-]?\d+)?)\s+slack \((?:MET|VIOLATED)\)", report, re.M)
    if match is None:
        raise ToolError("cannot find the slack in the OpenSTA report_checks output")
    return float(match.group(1))


def _parse_power(report: str) -> dict[str, float]:
    """Total internal/switching/leakage/total power (W) from ``report_power``."""
    match = re.search(r"^Total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", report, re.M)
    if match is None:
        raise ToolError("cannot find the Total row in the OpenSTA report_power output")
    values = [float(v) for v in match.groups()]
    return dict(zip(("internal", "switching", "leakage", "total"), values))


# ---------------------------------------------------------------- VCD


_TIME_UNITS = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0, "ps": 1e-3, "fs": 1e-6}


def vcd_activity(vcd: Path, names: dict[str, int], clock_port: str, clock_period_ns: float,
                 scope: str | None = None) -> tuple[dict[str, list[tuple[float, float]]], str]:
    """Per-bit (toggles per clock cycle, fraction of time high) of the signals ``names``.

    Parameters
    ----------
    vcd : Path
        Value change dump of a simulation.
    names : dict[str, int]
        Signal name -> width to look for (a VCD signal matches on name and width).
    clock_port : str
        Clock signal; its rising edges in the same scope count the cycles. Without it
        the cycles are the dump's duration divided by ``clock_period_ns``.
    scope : str | None
        Dotted (or ``/``-separated) scope path holding the signals, e.g. ``bench.top``;
        ``None`` picks the scope with the most matching signals (shallowest on a tie).

    Returns
    -------
    (activities, scope)
        ``activities[name][bit]`` for every matched signal (bit 0 = LSB), and the scope
        used.

    Raises
    ------
    InputError
        If the file cannot be parsed, the scope does not exist or nothing matches.
    """
    text = Path(vcd).read_text()
    head, sep, body = text.partition("$enddefinitions")
    if not sep:
        raise InputError(f"{vcd}: not a VCD file (no $enddefinitions)")
    unit = re.search(r"\$timescale\s+(\d+)\s*(s|ms|us|ns|ps|fs)\s+\$end", head)
    timescale_ns = int(unit.group(1)) * _TIME_UNITS[unit.group(2)] if unit else 1.0

    # Header: scopes and variables.
    stack: list[str] = []
    scopes: dict[str, dict[str, tuple[str, int]]] = {}  # scope -> name -> (id, width)
    tokens = iter(head.split())
    for tok in tokens:
        if tok == "$scope":
            next(tokens)
            stack.append(next(tokens))
        elif tok == "$upscope":
            stack.pop()
        elif tok == "$var":
            next(tokens)  # the variable kind (wire, reg)
            width, ident, name = int(next(tokens)), next(tokens), next(tokens)
            scopes.setdefault(".".join(stack), {})[name] = (ident, width)

    def matches(sc: str) -> int:
        return sum(1 for n, w in names.items() if scopes[sc].get(n, ("", -1))[1] == w)

    if scope is not None:
        scope = scope.replace("/", ".")
        if scope not in scopes:
            raise InputError(f"{vcd}: no scope {scope!r}; scopes are {sorted(scopes)}")
    else:
        if not scopes:
            raise InputError(f"{vcd}: no signals")
        scope = max(sorted(scopes, key=lambda s: s.count(".")), key=matches)
    wanted = {scopes[scope][n][0]: n for n in names
              if scopes[scope].get(n, ("", -1))[1] == names[n]}
    if not wanted:
        raise InputError(f"{vcd}: no signal of scope {scope!r} matches a design input")
    clock_id = scopes[scope].get(clock_port, (None, 0))[0]

    # Body: count toggles and time high per bit of the wanted signals.
    width = {i: names[n] for i, n in wanted.items()}
    value = {i: [None] * width[i] for i in wanted}
    since = {i: [0] * width[i] for i in wanted}
    toggles = {i: [0] * width[i] for i in wanted}
    high = {i: [0] * width[i] for i in wanted}
    start = end = None
    rising = 0
    clock_value = None

    def update(ident: str, bits: str, now: int) -> None:
        w = width[ident]
        bits = bits.lower()
        bits = (bits[0] if bits[0] in "xz" else "0") * (w - len(bits)) + bits
        bits = bits[-w:]
        cur, t0 = value[ident], since[ident]
        for k in range(w):
            new = bits[w - 1 - k]
            new = new if new in "01" else None
            old = cur[k]
            if old == new:
                continue
            if old == "1":
                high[ident][k] += now - t0[k]
            if old is not None and new is not None:
                toggles[ident][k] += 1
            cur[k] = new
            t0[k] = now

    now = 0
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("$"):
            continue
        c = line[0]
        if c == "#":
            now = int(line[1:])
            start = now if start is None else start
            end = now
            continue
        if c in "bBrR":
            bits, _, ident = line[1:].partition(" ")
            ident = ident.strip()
        else:
            bits, ident = c, line[1:].strip()
        if ident == clock_id:
            if clock_value == "0" and bits == "1":
                rising += 1
            clock_value = bits
        if ident in value and c not in "rR":
            update(ident, bits, now)
    if start is None or end is None or end <= start:
        raise InputError(f"{vcd}: the dump covers no time")
    for ident in wanted:  # close the last interval
        for k in range(width[ident]):
            if value[ident][k] == "1":
                high[ident][k] += end - since[ident][k]
    duration = end - start
    cycles = rising if rising else duration * timescale_ns / clock_period_ns
    if cycles <= 0:
        raise InputError(f"{vcd}: the dump covers no clock cycle")
    activities = {
        n: [(toggles[i][k] / cycles, high[i][k] / duration) for k in range(width[i])]
        for i, n in wanted.items()
    }
    return activities, scope


# ---------------------------------------------------------------- flow


def _liberty_cells(liberty: Path) -> dict[str, tuple[float, int, float]]:
    """Cells of a Liberty file: name -> (area, number of input pins, mean input capacitance)."""
    text = liberty.read_text(errors="replace")
    cells = {}
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^\s*cell\s*\(\s*\"?([\w$]+)\"?\s*\)", text, re.M)]
    for (pos, name), nxt in zip(starts, [s for s, _ in starts[1:]] + [len(text)]):
        body = text[pos:nxt]
        area = re.search(r"^\s*area\s*:\s*([0-9.eE+-]+)", body, re.M)
        caps = [float(c) for c in re.findall(
            r"direction\s*:\s*input\s*;\s*capacitance\s*:\s*([0-9.eE+-]+)", body)]
        cells[name] = (float(area.group(1)) if area else 0.0, len(caps), sum(caps) / len(caps) if caps else 0.0)
    return cells


def _abc_constraints(liberty: Path) -> str:
    """ABC ``-constr`` text: inputs driven by the smallest 1-input buffer/inverter of the
    library, every output loaded with the mean input capacitance of its 2-input cells (fF).

    Inside ABC the primary inputs are the design's ports *and* the flip-flop outputs, so
    a weak driver is the realistic one: it makes ABC buffer high-fanout nets such as a
    pipeline stall/enable signal instead of leaving one cell to drive them all.
    """
    cells = _liberty_cells(liberty)
    one_input = [(area, name) for name, (area, pins, _cap) in cells.items()
                 if pins == 1 and re.match(r"(?i)(inv|buf)", name) and not re.match(r"(?i)clk", name)]
    if not one_input:
        return ""
    driver = min(one_input)[1]
    two_input = [cap for _area, pins, cap in cells.values() if pins == 2 and cap > 0]
    unit = 1000.0 if re.search(r"capacitive_load_unit\s*\(\s*1\s*,\s*pf\s*\)", liberty.read_text(errors="replace"), re.I) else 1.0
    load_ff = (sum(two_input) / len(two_input) if two_input else 0.01) * unit
    return f"set_driving_cell {driver}\nset_load {load_ff:.3f}\n"


def _yosys_script(files: list[Path], top: str, liberty: Path, period_ns: float = 10.0,
                  constraints: str = "") -> str:
    """The Yosys script (see the module docstring); ``constraints`` is the ABC constraint
    file's name in the work directory ("" for none)."""
    reads = "\n".join(f'read_verilog "{f}"' for f in files)
    lib = f'"{liberty}"'
    constr = f" -constr {constraints}" if constraints else ""
    return (
        f"{reads}\n"
        f"synth -top {top} -flatten\n"
        f"dfflibmap -liberty {lib}\n"
        f"abc -liberty {lib}{constr} -D {round(period_ns * 1000.0)}\n"
        "setattr -mod -unset keep_hierarchy\n"
        "flatten\n"
        "splitnets\n"
        "opt_clean -purge\n"
        f"tee -o stat.txt stat -liberty {lib}\n"
        "write_verilog -noattr -simple-lhs netlist.v\n"
    )


TIES = {"0": "hwgen_tie0", "1": "hwgen_tie1"}
#: A sized constant as Yosys writes it: ``1'h0``, ``32'd5``, ``4'b01x0``, ``8'sh7f``.
_CONSTANT = re.compile(r"\b(\d+)'s?([hdb])([0-9a-fA-FxXzZ_]+)\b")
_BASES = {"h": 16, "d": 10, "b": 2}


def tie_constants(netlist: str, top: str) -> tuple[str, list[str]]:
    """``netlist`` with every constant bit in module ``top``'s body read from a tie input port
    (`TIES`, added to the module), and the ports added."""
    module = re.search(rf"^module \\?{re.escape(top)}\s*\((.*?)\);\n", netlist, re.M | re.S)
    if module is None:
        raise ToolError(f"the synthesized netlist has no module {top!r}")
    body_start = module.end()
    body_end = netlist.index("endmodule", body_start)
    used: set[str] = set()

    def bits(match: re.Match) -> str:
        width = int(match.group(1))
        value = int(re.sub(r"[xXzZ_]", "0", match.group(3)), _BASES[match.group(2)])  # x, z: 0
        names = [TIES[str((value >> k) & 1)] for k in reversed(range(width))]
        used.update(names)
        return names[0] if width == 1 else "{ " + ", ".join(names) + " }"

    body = _CONSTANT.sub(bits, netlist[body_start:body_end])
    if not used:
        return netlist, []
    ties = sorted(used)
    ports = [p for p in (module.group(1).strip(), *ties) if p]
    header = netlist[:module.start(1)] + ", ".join(ports) + ");\n"
    declared = "".join(f"  input {t};\n" for t in ties)
    return header + declared + body + netlist[body_end:], ties


def _port_bits(name: str, width: int) -> list[str]:
    return [name] if width == 1 else [f"{name}[{k}]" for k in range(width)]


def _sta_script(liberty: Path, top: str, clock_port: str, has_clock: bool,
                period: float, activity_lines: list[str]) -> str:
    if has_clock:
        clock = (f"create_clock -name {clock_port} -period {period!r} [get_ports {{{clock_port}}}]\n"
                 f"set data_inputs [delete_from_list [all_inputs] [get_ports {{{clock_port}}}]]\n")
        clk = clock_port
    else:
        clock = f"create_clock -name vclk -period {period!r}\nset data_inputs [all_inputs]\n"
        clk = "vclk"
    return (
        f'read_liberty "{liberty}"\n'
        'read_verilog "netlist.v"\n'
        f"link_design {top}\n"
        f"{clock}"
        f"if {{[llength $data_inputs]}} {{ set_input_delay 0 -clock {clk} $data_inputs }}\n"
        f"if {{[llength [all_outputs]]}} {{ set_output_delay 0 -clock {clk} [all_outputs] }}\n"
        f"set_power_activity -input -activity {DEFAULT_INPUT_ACTIVITY!r} -duty 0.5\n"
        + "".join(line + "\n" for line in activity_lines)
        + "puts \"@@CHECKS\"\n"
        "report_checks -path_delay max -digits 6\n"
        "puts \"@@POWER\"\n"
        "report_power -digits 6\n"
    )


def synthesize(
    verilog_files: list[Path],
    top: str,
    liberty: Path | None = None,
    clock_port: str = "clk",
    clock_period_ns: float = 10.0,
    vcd: Path | None = None,
    vcd_scope: str | None = None,
    workdir: Path | None = None,
    use_cache: bool = True,
    timeout_s: float | None = None,
) -> SynthResult:
    """Synthesize ``top`` from ``verilog_files`` and measure area, timing and power.

    Parameters
    ----------
    verilog_files : list[Path]
        RTL sources, read in order.
    top : str
        Top module.
    liberty : Path | None
        Liberty library; `default_liberty()` (osu018) if ``None``.
    clock_port, clock_period_ns : str, float
        Clock input and the period power is computed at; a virtual clock of that period
        is used if the netlist has no ``clock_port``.
    vcd, vcd_scope : Path | None, str | None
        Simulation dump to take input activities from, and the scope of the top's
        signals in it (auto-detected if ``None``); see the module docstring.
    workdir : Path | None
        Keep the scripts, logs and mapped netlist there; a temporary directory if
        ``None``.
    use_cache : bool
        Read and write the on-disk result cache (`cache_dir()`).
    timeout_s : float | None
        Stop Yosys (and the ABC it runs) after this many seconds: a `ToolError`, nothing cached.

    Raises
    ------
    ToolError
        If Yosys, OpenSTA or the Liberty file is missing, or a tool fails.
    InputError
        If a Verilog file or the VCD cannot be read, or the VCD matches no input.
    """
    if not clock_period_ns > 0:
        raise InputError(f"clock_period_ns must be positive, not {clock_period_ns!r}")
    files = [Path(f).resolve() for f in verilog_files]
    if not files:
        raise InputError("synthesize needs at least one Verilog file")
    for f in files:
        if not f.is_file():
            raise InputError(f"Verilog file {f} not found")
    liberty = Path(liberty).resolve() if liberty is not None else default_liberty()
    if not liberty.is_file():
        raise ToolError(f"Liberty library {liberty} not found")
    if vcd is not None:
        vcd = Path(vcd).resolve()
        if not vcd.is_file():
            raise InputError(f"VCD file {vcd} not found")
    yosys, sta = require_tool("yosys"), require_tool("sta")

    key = _cache_key([f.read_bytes() for f in files], top, liberty.read_bytes(), clock_port,
                     clock_period_ns, vcd.read_bytes() if vcd else None, vcd_scope)
    cached = cache_dir() / f"{key}.json"
    if use_cache and cached.is_file():
        try:
            return SynthResult.from_json(cached.read_text())
        except (ValueError, TypeError):
            pass  # a corrupt or outdated entry: recompute and overwrite

    start = time.perf_counter()
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="hwgen-synth-") as tmp:
            result = _flow(files, top, liberty, clock_port, clock_period_ns, vcd, vcd_scope,
                           Path(tmp), yosys, sta, timeout_s)
    else:
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        result = _flow(files, top, liberty, clock_port, clock_period_ns, vcd, vcd_scope,
                       workdir, yosys, sta, timeout_s)
    result = replace(result, flow_seconds=round(time.perf_counter() - start, 2))

    if use_cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp_path.write_text(result.to_json())
        os.replace(tmp_path, cached)
    return result


def _flow(files, top, liberty, clock_port, period, vcd, vcd_scope, work: Path,
          yosys: str, sta: str, timeout_s: float | None = None) -> SynthResult:
    constraints = _abc_constraints(liberty)
    if constraints:
        (work / "abc.constr").write_text(constraints)
    (work / "synth.ys").write_text(_yosys_script(files, top, liberty, period,
                                                 "abc.constr" if constraints else ""))
    run_tool([yosys, "-q", "-s", "synth.ys"], "yosys", cwd=work, log=work / "yosys.log", timeout_s=timeout_s)
    area, cells, by_type = parse_yosys_stat((work / "stat.txt").read_text(), top)
    netlist, ties = tie_constants((work / "netlist.v").read_text(), top)
    if ties:
        (work / "netlist.v").write_text(netlist)

    inputs = _netlist_inputs(netlist)
    has_clock = clock_port in inputs
    data_inputs = {n: w for n, w in inputs.items() if n != clock_port and n not in ties}
    activity_pins = sum(data_inputs.values())
    lines: list[str] = []
    if vcd is not None:
        activities, _scope = vcd_activity(vcd, data_inputs, clock_port, period, vcd_scope)
        for name, bits in sorted(activities.items()):
            for port, (act, duty) in zip(_port_bits(name, data_inputs[name]), bits):
                lines.append(f"set_power_activity -input_ports [get_ports {{{port}}}] "
                             f"-activity {act:.6g} -duty {duty:.6g}")
    held = [f"set_power_activity -input_ports [get_ports {{{t}}}] -activity 0 -duty {1 if t == TIES['1'] else 0}\n"
            f"set_false_path -from [get_ports {{{t}}}]" for t in ties]
    (work / "sta.tcl").write_text(_sta_script(liberty, top, clock_port, has_clock, period, lines + held))
    out = run_tool([sta, "-no_init", "-no_splash", "-exit", "sta.tcl"], "sta", cwd=work,
               log=work / "sta.log")
    errors = re.findall(r"^Error.*$", out, re.M)
    if errors:
        raise ToolError(f"sta reported an error: {errors[0]}")
    checks, _, power_text = out.partition("@@POWER")
    slack = _parse_slack(checks.partition("@@CHECKS")[2])
    power = _parse_power(power_text)
    critical = round(period - slack, 6) if slack is not None else None
    fmax = 1000.0 / critical if critical is not None and critical > 0 else None
    return SynthResult(
        top=top,
        area_um2=area,
        cells=cells,
        cells_by_type=by_type,
        clock_period_ns=float(period),
        slack_ns=slack,
        critical_path_ns=critical,
        fmax_mhz=fmax,
        power_mw=power["total"] * 1e3,
        power_breakdown={k: power[k] * 1e3 for k in ("internal", "switching", "leakage")},
        activity_source="vcd" if vcd is not None else "default",
        annotated_pins=len(lines),
        activity_pins=activity_pins,
        tool_versions=tool_versions(),
    )
