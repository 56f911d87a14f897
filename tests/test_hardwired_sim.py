"""Hardwired arrays in real simulators, on user-supplied weight and activation files."""

import numpy as np
import pytest

from hwgen.errors import InputError, MismatchError
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.rtl import generate_verilog
from hwgen.hardwired.config import HARDWIRED_WEIGHTS
from sim.hardwired_sim import simulate_hardwired

pytestmark = pytest.mark.slow


def _user_files(tmp_path, fmt, n, m, act_bits, seed):
    """What a user hands over: W.npy (N, M) in the format's values and A.npy (B, N) int64."""
    rng = np.random.default_rng(seed)
    lo, hi = HARDWIRED_WEIGHTS[fmt]
    w = rng.integers(lo, hi + 1, (n, m)).astype(np.int8)
    w[:, 0] = 0  # an all-zero neuron
    w[:, 1] = hi  # a dense one
    amin, amax = -(1 << (act_bits - 1)), (1 << (act_bits - 1)) - 1
    a = rng.integers(amin, amax + 1, (24, n)).astype(np.int64)
    a[0], a[1] = amin, amax  # extremes reach the widest sums
    np.save(tmp_path / "W.npy", w)
    np.save(tmp_path / "A.npy", a)
    return tmp_path / "W.npy", tmp_path / "A.npy"


@pytest.mark.parametrize("fmt, n, m, act, pipeline", [("ternary", 96, 40, "int8", 2), ("int4", 64, 32, "int4", 1)])
def test_verilator_exact_on_user_data(tmp_path, fmt, n, m, act, pipeline):
    wfile, afile = _user_files(tmp_path, fmt, n, m, int(act[3:]), seed=n)
    c = parse_hardwired({"kind": "hardwired", "weights_file": "W.npy", "weights": fmt, "activation": act,
                         "pipeline": pipeline}, base_dir=tmp_path)
    verilog, _, _ = generate_verilog(c)
    w, a = np.load(wfile), np.load(afile)
    y = simulate_hardwired(c, verilog, w, a, "verilator")
    assert np.array_equal(y, a @ w.astype(np.int64))


@pytest.mark.parametrize("raw", [
    {"weights": "int8", "activation": "int8", "bit_serial": True, "pipeline": 1, "workload": {"n": 20, "m": 7}},
    {"weights": "int2", "activation": "int4", "sharing": False, "pipeline": 3, "workload": {"n": 33, "m": 5}},
])
def test_icarus_bit_serial_and_unshared(raw):
    c = parse_hardwired({"kind": "hardwired", **raw})
    verilog, _, _ = generate_verilog(c)
    a = np.random.default_rng(5).integers(c.act.min, c.act.max + 1, (12, c.workload.n))
    simulate_hardwired(c, verilog, None, a, "icarus")


def test_broken_rtl_is_a_mismatch():
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 12, "m": 4}, "seed": 2})
    verilog, _, _ = generate_verilog(c)
    line = next(l for l in verilog.splitlines() if " + " in l and "wire signed" in l)
    broken = verilog.replace(line, line.replace(" + ", " - "))
    a = np.random.default_rng(0).integers(-128, 128, (8, 12))
    with pytest.raises(MismatchError, match="RTL differs from the reference model"):
        simulate_hardwired(c, broken, None, a, "icarus")


def test_other_weights_are_an_input_error(tmp_path):
    c = parse_hardwired({"kind": "hardwired", "workload": {"n": 8, "m": 4}})
    verilog, _, _ = generate_verilog(c)
    with pytest.raises(InputError, match="differ from the design's hardwired matrix"):
        simulate_hardwired(c, verilog, np.zeros((8, 4), np.int8), np.zeros((1, 8), np.int64), "icarus")
