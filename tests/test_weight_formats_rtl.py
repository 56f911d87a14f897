"""The Sherry, iFairy and int2/3/4 cores on Verilator against the reference model and PyTorch.

One small Verilator build per format (the builds are the cost of this suite): every test
of a format uses the same design, so the build is cached and reused, CLI test included.
"""

import json

import numpy as np
import pytest
import yaml

from conftest import lut_design
from hwgen import api
from hwgen.cli import main
from hwgen.config import parse_design
from sim.reference import torch_gemv
from test_weight_formats import random_acts, random_weights

pytestmark = pytest.mark.slow

# Ragged N and M, every pipeline depth class, both activation widths.
DESIGNS = {
    "sherry": lut_design(weights="sherry", group_size=4, luts=3, fetchers=4, pipeline=2, workload={"n": 44, "m": 10}),
    "ifairy": lut_design(weights="ifairy", group_size=2, luts=3, fetchers=3, pipeline=3, workload={"n": 23, "m": 7}),
    "int2": lut_design(weights="int2", group_size=4, luts=2, fetchers=3, pipeline=0, activation="int4",
                       workload={"n": 19, "m": 5}),
    "int3": lut_design(weights="int3", group_size=3, luts=3, fetchers=2, pipeline=1, workload={"n": 25, "m": 5}),
    "int4": lut_design(weights="int4", group_size=2, luts=3, fetchers=3, pipeline=4, activation="int4",
                       workload={"n": 17, "m": 7}),
}


def extreme_weights(weights, n, m):
    if weights == "sherry":
        return np.where(np.arange(n)[:, None] % 4 == 1, 0, -1) * np.ones((1, m), np.int8)
    if weights == "ifairy":
        return np.full((n, m), -1j)
    return np.full((n, m), -(1 << (int(weights[3:]) - 1)))


@pytest.mark.parametrize("weights", list(DESIGNS))
def test_core_exact_on_verilator(weights):
    design = DESIGNS[weights]
    config = parse_design(design)
    n, m = config.workload.n, config.workload.m
    rng = np.random.default_rng(7)
    for w, a in [(random_weights(rng, weights, n, m), random_acts(rng, config, 3)),
                 (extreme_weights(weights, n, m), random_acts(rng, config, 2))]:
        y = api.simulate(design, w, a, simulator="verilator", seed=2)  # raises on any RTL difference
        assert np.array_equal(y, torch_gemv(w, a))


def test_generated_verilog_is_deterministic_and_ports_match():
    config = parse_design(DESIGNS["ifairy"])
    text, details = api.build(config)
    assert text == api.verilog(config)
    ports = {p["name"]: p["width"] for p in details["ports"]}
    assert ports["act__payload"] == 3 * 2 * 2 * 8  # L * mu * (re, im) * 8 bits
    assert ports["keys__payload"] == 3 * 3 * 4      # L * K keys of 2*mu bits
    assert ports["result__payload"] == 3 * 2 * config.accumulator_width + 1


def test_cli_ifairy_complex_npy(tmp_path):
    """Complex .npy in, complex Y out, exact (reuses the ifairy build)."""
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(DESIGNS["ifairy"]))
    rng = np.random.default_rng(3)
    w = random_weights(rng, "ifairy", 23, 7)
    a = (rng.integers(-128, 128, 23) + 1j * rng.integers(-128, 128, 23)).astype(np.complex128)
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "a.npy", a)
    args = ["simulate", str(tmp_path / "d.yaml"), "--weights", str(tmp_path / "w.npy"),
            "--activations", str(tmp_path / "a.npy"), "--out", str(tmp_path / "y.npy")]
    assert main(args) == 0
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.complex128 and y.shape == (7,)
    assert np.array_equal(y, a @ w)


def test_cli_sherry_pattern_error_exit_2(tmp_path, capsys):
    """A matrix breaking 3:4 fails before any simulator build, one line naming the group."""
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(DESIGNS["sherry"]))
    w = random_weights(np.random.default_rng(4), "sherry", 44, 10)
    w[20:24, 6] = [1, 0, 0, -1]
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "a.npy", np.zeros(44, np.int64))
    code = main(["simulate", str(tmp_path / "d.yaml"), "--weights", str(tmp_path / "w.npy"),
                 "--activations", str(tmp_path / "a.npy"), "--out", str(tmp_path / "y.npy")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not (tmp_path / "y.npy").exists()
    assert err.count("\n") == 0 and "rows 20..23 of column 6" in err and "3:4" in err


def test_generate_and_estimate_for_every_format(tmp_path):
    for weights, design in DESIGNS.items():
        info = api.generate(design, tmp_path / weights)
        manifest = json.loads((tmp_path / weights / "manifest.json").read_text())
        assert manifest["config"]["weights"] == weights
        assert manifest["lut_build"]["adders_per_lut"] <= manifest["lut_build"]["naive_adders_per_lut"]
        assert info["estimate"]["weights"] == weights and info["estimate"]["area_um2"] > 0
