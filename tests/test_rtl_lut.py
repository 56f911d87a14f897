"""cocotb regressions of the generated LUT core on Verilator and Icarus, against the reference."""

import itertools

import numpy as np
import pytest

from conftest import lut_design
from hwgen import api
from hwgen.config import parse_design
from hwgen.weights.shape import LutCoreShape
from hwgen.emit import convert
from hwgen.errors import MismatchError
from hwgen.formats import ACTIVATIONS
from hwgen.rtl.lut_build import LutBuild
from sim.reference import build_luts
from sim.runner import run_testbench

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mu, act, simulator", [(2, "int8", "verilator"), (3, "int4", "icarus")])
def test_lut_build_exhaustive(mu, act, simulator, tmp_path):
    """Every input vector of the build unit gives exactly the reference entries."""
    config = parse_design(lut_design(group_size=mu, activation=act))
    shape = LutCoreShape(config)
    fmt = ACTIVATIONS[act]
    values = np.arange(fmt.min, fmt.max + 1)
    acts = np.array(list(itertools.product(values, repeat=mu)), dtype=np.int64)
    unit = LutBuild(shape.graph, shape.node_widths, fmt.width, shape.entry_width)
    np.savez(tmp_path / "in.npz", acts=acts, act_width=fmt.width, entries=shape.entries,
             entry_width=shape.entry_width)
    run_testbench(convert(unit, "lut_build"), "lut_build", "sim.tb_lut_build", simulator,
                  {"HWGEN_TB_IN": str(tmp_path / "in.npz"), "HWGEN_TB_OUT": str(tmp_path / "out.npy")},
                  tmp_path)
    got = np.load(tmp_path / "out.npy")
    assert np.array_equal(got, build_luts(shape, acts)[:, 1:])


def test_acceptance_core_on_both_simulators():
    """The issue's case: W (300, 70), int8 A (4, 300), mu=3, L=4, K=8, exact on both simulators."""
    rng = np.random.default_rng(2026)
    w = rng.integers(-1, 2, (300, 70)).astype(np.int8)
    a = rng.integers(-128, 128, (4, 300))
    design = lut_design()
    for simulator in ("verilator", "icarus"):
        assert np.array_equal(api.simulate(design, w, a, simulator=simulator), a @ w)


RAGGED = lut_design(group_size=4, luts=3, fetchers=5, activation="int4", pipeline=4,
                    workload={"n": 37, "m": 11})


@pytest.mark.parametrize("name", ["random", "zeros", "ones", "minus_ones"])
def test_ragged_core_corner_weights(name):
    """N and M not multiples of the tile, the deepest pipeline, int4 extremes (on Icarus;
    ragged shapes on Verilator are `test_core_shapes`)."""
    rng = np.random.default_rng(5)
    w = {"random": rng.integers(-1, 2, (37, 11)), "zeros": np.zeros((37, 11)),
         "ones": np.ones((37, 11)), "minus_ones": -np.ones((37, 11))}[name].astype(np.int8)
    a = np.vstack([np.full(37, -8), np.full(37, 7), rng.integers(-8, 8, (3, 37))])
    assert np.array_equal(api.simulate(RAGGED, w, a, simulator="icarus", seed=3), a @ w.astype(np.int64))


# Icarus compiles in about a second, so the wider shapes run there; Verilator builds cost tens.
@pytest.mark.parametrize("design, simulator", [
    (lut_design(group_size=1, luts=1, fetchers=1, pipeline=0, workload={"n": 5, "m": 3}), "verilator"),
    (lut_design(group_size=6, luts=2, fetchers=2, pipeline=2, workload={"n": 40, "m": 7}), "verilator"),
    (lut_design(group_size=2, luts=5, fetchers=4, pipeline=3, workload={"n": 64, "m": 16}), "icarus"),
])
def test_core_shapes(design, simulator):
    rng = np.random.default_rng(11)
    n, m = design["workload"]["n"], design["workload"]["m"]
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    a = np.vstack([np.full(n, -128), rng.integers(-128, 128, (2, n))])
    assert np.array_equal(api.simulate(design, w, a, simulator=simulator, seed=1), a @ w.astype(np.int64))


def test_mismatch_is_detected(monkeypatch):
    """A wrong reference must fail the check: the comparison is live, not decorative."""
    import sim.lut_sim

    real = sim.lut_sim.lut_gemv_codes
    monkeypatch.setattr(sim.lut_sim, "lut_gemv_codes", lambda *args: real(*args) + (np.arange(3) == 1)[:, None])
    design = lut_design(group_size=1, luts=1, fetchers=1, pipeline=0, workload={"n": 5, "m": 3})
    with pytest.raises(MismatchError, match="1 of 3 outputs"):
        api.simulate(design, np.ones((5, 3), np.int8), np.arange(5))
