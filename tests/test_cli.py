"""The command-line contract: outputs, determinism, lint, and one-line errors with exit 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import lut_design
from hwgen.cli import main
from sim.runner import LINT_WAIVERS, simulator_env


def write_design(tmp_path, **overrides) -> Path:
    path = tmp_path / "design.yaml"
    path.write_text(yaml.safe_dump(lut_design(**overrides)))
    return path


def test_generate_writes_contract_files_byte_identically(tmp_path):
    design = write_design(tmp_path)
    for out in ("a", "b"):
        assert main(["generate", str(design), "-o", str(tmp_path / out)]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["constraints.sdc", "filelist.f", "lut_core.v", "manifest.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["config"]["group_size"] == 3 and manifest["latency_cycles"] == 2
    ports = {p["name"]: p["width"] for p in manifest["ports"]}
    assert ports["act__payload"] == 4 * 3 * 8 and ports["keys__payload"] == 4 * 8 * 5
    assert manifest["lut_build"] == {"entries": 13, "adders_per_lut": 10, "naive_adders_per_lut": 26, "depth": 2}
    assert manifest["estimate"]["area_um2"] > 0


@pytest.mark.slow
def test_generated_verilog_lints_clean(tmp_path):
    """verilator --lint-only passes with only the documented waivers (see sim/runner.py)."""
    design = write_design(tmp_path, pipeline=3)
    main(["generate", str(design), "-o", str(tmp_path / "out")])
    simulator_env("verilator")
    run = subprocess.run(["verilator", "--lint-only", *LINT_WAIVERS, str(tmp_path / "out" / "lut_core.v")],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "%Warning" not in run.stderr, run.stderr


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "hwgen.cli", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("override, message", [
    ({"group_size": 0}, "'group_size' must be in 1..8, not 0"),
    ({"fetchers": -2}, "'fetchers' must be >= 1, not -2"),
])
def test_bad_design_one_line_exit_2(tmp_path, override, message):
    design = write_design(tmp_path, **override)
    run = run_cli("generate", str(design), "-o", "out", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and message in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case, message", [
    ("two", "must be ternary (values in {-1, 0, 1}): found 2 at [3, 4]"),
    ("shape", "GEMV (n, m) = (301, 70) is outside the core's range: 1 <= n <= 300, 1 <= m <= 70"),
    ("missing", "weights file not found: missing.npy"),
    ("acts", "activations have 299 columns"),
])
def test_bad_data_one_line_exit_2_and_no_output(tmp_path, case, message):
    design = write_design(tmp_path)
    w = np.zeros((300, 70), np.int8)
    a = np.zeros((2, 300), np.int64)
    if case == "two":
        w[3, 4] = 2
    if case == "shape":  # beyond the core's maxima (smaller shapes run: tests/test_programmable.py)
        w, a = np.zeros((301, 70), np.int8), np.zeros((2, 301), np.int64)
    if case == "acts":
        a = a[:, :299]
    np.save(tmp_path / "W.npy", w)
    np.save(tmp_path / "A.npy", a)
    weights = "missing.npy" if case == "missing" else "W.npy"
    run = run_cli("simulate", str(design), "--weights", weights, "--activations", "A.npy", "--out", "Y.npy",
                  cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and message in run.stderr, run.stderr
    assert not (tmp_path / "Y.npy").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".Y")]


def test_missing_design_file(tmp_path):
    run = run_cli("estimate", "nope.yaml", cwd=tmp_path)
    assert run.returncode == 2 and "design file not found: nope.yaml" in run.stderr


@pytest.mark.parametrize("command", ["generate", "simulate", "estimate", "synth", "sweep"])
def test_every_command_has_help(command, tmp_path):
    run = run_cli(command, "--help", cwd=tmp_path)
    assert run.returncode == 0 and "usage: hwgen" in run.stdout and len(run.stdout) > 200


def test_estimate_takes_a_table_file(tmp_path):
    """``--tech`` names a shipped table or gives a table file (one fitted to another Liberty library)."""
    from costmodel.tech import TECH_DIR

    design = write_design(tmp_path)
    (tmp_path / "mylib.json").write_text((TECH_DIR / "osu035.json").read_text())
    by_path = run_cli("estimate", str(design), "--tech", "mylib.json", "--json", cwd=tmp_path)
    by_name = run_cli("estimate", str(design), "--tech", "osu035", "--json", cwd=tmp_path)
    assert by_path.returncode == 0 and json.loads(by_path.stdout) == json.loads(by_name.stdout)
    missing = run_cli("estimate", str(design), "--tech", "other.json", cwd=tmp_path)
    assert missing.returncode == 2 and "technology table other.json not found" in missing.stderr


def test_estimate_says_how_far_off_it_is(tmp_path):
    design = write_design(tmp_path)
    run = run_cli("estimate", str(design), cwd=tmp_path)
    line = next(l for l in run.stdout.splitlines() if l.startswith("accuracy"))
    assert "validation cores: area MAPE" in line and "reports/validation/validation.md" in line
    fmt = tmp_path / "int2.yaml"
    fmt.write_text(yaml.safe_dump(lut_design(weights="int2")))
    run = run_cli("estimate", str(fmt), "--json", cwd=tmp_path)
    acc = json.loads(run.stdout)["accuracy"]
    assert not acc["validated"] and "reports/formats.md" in acc["note"]
