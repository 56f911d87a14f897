"""Float LUT core: config, float units, ordered reference vs PyTorch, RTL vs reference.

Verilator builds are the cost, so the RTL tests reuse few, small designs: two
Verilator builds (fp16 and bf16 at pipeline 3, with adder-internal stages and
a wide-accumulation fp8 design on the CLI path) and the pipeline 0/1/3 CLI
matrix on Icarus (the same cocotb testbench).
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from amaranth.sim import Simulator

from hwgen import api
from hwgen.config import FloatLutConfig, parse_design
from hwgen.errors import ConfigError, InputError, MismatchError
from hwgen.floatpath import FloatLutShape
from hwgen.fpconv import FpWiden
from hwgen.fpmul import FpMultiplier
from sim.float_reference import check_float_activations, float_lut_gemv_bits, fp_mul, fp_widen, result_values
from sim.fpref import from_bits, round_to_bits, special_values
from sim.torch_reference import torch_lut_gemv

pytestmark = pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")


def float_design(**overrides) -> dict:
    design = {"kind": "lut", "activation": "fp16", "group_size": 2, "luts": 3, "fetchers": 2,
              "pipeline": 1, "workload": {"n": 20, "m": 5}}
    design.update(overrides)
    return design


def realistic(fmt: str, shape, rng, scale=4.0) -> np.ndarray:
    """Activation bit patterns: rounded Gaussians, plus a row of arbitrary patterns (specials included)."""
    rows = round_to_bits(rng.standard_normal(shape) * scale, fmt)
    rows[0] = rng.integers(0, 1 << (16 if fmt in ("fp16", "bf16") else 8), shape[1])
    return rows.astype(np.uint16)


# ------------------------------------------------------------------ config


def test_config_float_lut():
    c = parse_design(float_design(activation="fp8_e4m3", accumulation="fp16", adder_pipeline=2))
    assert isinstance(c, FloatLutConfig) and c.acc_format.name == "fp16" and c.accumulator_width == 16
    shape = FloatLutShape(c)
    assert shape.latency == 1 + 2 * (1 + 2) + 1  # pipeline + a * (depth(mu=2) + levels(L=3)) + 1
    with pytest.raises(ConfigError, match="accumulation"):
        parse_design(float_design(activation="fp16", accumulation="fp8_e4m3"))
    with pytest.raises(ConfigError, match="adder_pipeline"):
        parse_design(float_design(adder_pipeline=4))
    with pytest.raises(ConfigError, match="accumulator_width"):
        parse_design(float_design(accumulator_width=20))
    with pytest.raises(ConfigError, match="weights"):
        parse_design(float_design(weights="sherry"))


def test_activation_check():
    assert check_float_activations(np.array([1.5, -0.0], np.float32), "bf16").tolist() == [[0x3FC0, 0x8000]]
    with pytest.raises(InputError, match="not representable in fp16"):
        check_float_activations(np.array([0.1], np.float32), "fp16")
    with pytest.raises(InputError, match="not representable in fp8_e4m3"):
        check_float_activations(np.array([np.inf], np.float16), "fp8_e4m3")
    with pytest.raises(InputError, match="float array"):
        check_float_activations(np.array(["a"]), "fp16")


# ------------------------------------------------------------------ float units (Amaranth simulator)


def _run_comb(dut, ports, vectors) -> np.ndarray:
    out = []
    sim = Simulator(dut)

    async def bench(ctx):
        for vec in vectors:
            for port, value in zip(ports, vec):
                ctx.set(port, int(value))
            await ctx.delay(1e-9)
            out.append(ctx.get(dut.result))

    sim.add_testbench(bench)
    sim.run()
    return np.array(out, dtype=np.uint16)


@pytest.mark.parametrize("narrow, wide", [("fp8_e4m3", "fp16"), ("fp8_e5m2", "fp16"),
                                          ("fp8_e4m3", "bf16"), ("fp8_e5m2", "bf16")])
def test_widen_exhaustive(narrow, wide):
    dut = FpWiden(narrow, wide)
    a = np.arange(256)
    assert np.array_equal(_run_comb(dut, [dut.a], a[:, None]), fp_widen(a, narrow, wide))


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp8_e4m3", "fp8_e5m2"])
def test_multiplier_corners_and_random(fmt):
    """fp16 weight x activation -> activation format: every special pair, random, and underflow/overflow."""
    rng = np.random.default_rng(3)
    width = 16 if fmt in ("fp16", "bf16") else 8
    sa, sw = special_values(fmt), special_values("fp16")
    a, w = (x.ravel() for x in np.meshgrid(sa, sw))
    a = np.concatenate([a, rng.integers(0, 1 << width, 1500)])
    w = np.concatenate([w, rng.integers(0, 1 << 16, 1500)])
    dut = FpMultiplier(fmt, "fp16", fmt)
    got = _run_comb(dut, [dut.a, dut.b], np.stack([a, w], 1))
    want = fp_mul(a, w, fmt, "fp16", fmt)
    assert np.array_equal(got, want), [(hex(x), hex(y)) for x, y in zip(a[got != want][:3], w[got != want][:3])]


# ------------------------------------------------------------------ reference vs PyTorch


@pytest.mark.parametrize("act, acc", [("fp16", "fp16"), ("bf16", "bf16"), ("fp8_e4m3", "fp8_e4m3"),
                                      ("fp8_e5m2", "fp8_e5m2"), ("fp8_e4m3", "fp16"), ("fp8_e5m2", "bf16")])
@pytest.mark.parametrize("mu, luts, fetchers", [(1, 3, 2), (3, 5, 4), (4, 2, 3)])
def test_reference_equals_torch(act, acc, mu, luts, fetchers):
    rng = np.random.default_rng(mu * 100 + luts)
    n, m = 61, 9
    config = parse_design(float_design(activation=act, accumulation=acc, group_size=mu, luts=luts,
                                       fetchers=fetchers, workload={"n": n, "m": m}))
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    bits = realistic(act, (4, n), rng)
    ours, theirs = float_lut_gemv_bits(config, w, bits), torch_lut_gemv(config, w, bits)
    nan = np.isnan(from_bits(ours, acc)) & np.isnan(from_bits(theirs, acc))
    assert np.all((ours == theirs) | nan)


def test_reference_order_matters():
    """The order is part of the contract: a float sum in another order differs (so exactness is earned)."""
    rng = np.random.default_rng(0)
    n, m = 96, 16
    config = parse_design(float_design(group_size=3, luts=4, fetchers=4, workload={"n": n, "m": m}))
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    x = from_bits(round_to_bits(rng.standard_normal((8, n)), "fp16"), "fp16")
    ours = from_bits(float_lut_gemv_bits(config, w, round_to_bits(x, "fp16")), "fp16")
    naive = np.array([[np.float16(0)] * m] * 8)
    for i in range(n):  # row-by-row fp16 accumulation
        naive = (naive + (x[:, i:i + 1] * w[i]).astype(np.float16)).astype(np.float16)
    assert not np.array_equal(ours, naive)
    assert np.allclose(ours, x @ w, atol=0.1, rtol=0.02)


# ------------------------------------------------------------------ RTL (cocotb)

pytest_slow = pytest.mark.slow


@pytest_slow
@pytest.mark.parametrize("design", [
    float_design(activation="fp16", pipeline=3, adder_pipeline=1),
    float_design(activation="bf16", group_size=3, luts=2, fetchers=3, pipeline=3, adder_pipeline=2,
                 workload={"n": 17, "m": 7}),
])
def test_rtl_verilator(design):
    """Verilator: random values, specials, and the ragged edges, with random stalls."""
    rng = np.random.default_rng(9)
    config = parse_design(design)
    n, m = design["workload"]["n"], design["workload"]["m"]
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    fmt = design["activation"]
    bits = realistic(fmt, (5, n), rng)
    bits[1, : min(n, 12)] = special_values(fmt)[: min(n, 12)]
    x = from_bits(bits, fmt).astype(np.float32)
    y = api.simulate(config, w, x, seed=4)
    expected = result_values(float_lut_gemv_bits(config, w, check_float_activations(x, fmt)), fmt)
    assert y.dtype == (np.float16 if fmt == "fp16" else np.float32)
    assert np.array_equal(y.view(np.uint16 if fmt == "fp16" else np.uint32),
                          expected.view(np.uint16 if fmt == "fp16" else np.uint32))


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hwgen.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest_slow
@pytest.mark.parametrize("fmt, pipeline", list(itertools.product(["fp16", "bf16"], [0, 1, 3])))
def test_cli_simulate_pipelines(tmp_path, fmt, pipeline):
    """`hwgen simulate` on user .npy data at pipeline 0, 1, 3 (Icarus; Verilator above and in findings)."""
    import yaml

    rng = np.random.default_rng(pipeline)
    n, m = 14, 5
    design = float_design(activation=fmt, pipeline=pipeline, adder_pipeline=1 if pipeline == 3 else 0,
                          workload={"n": n, "m": m})
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(design))
    w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    x = from_bits(realistic(fmt, (3, n), rng), fmt)
    x = x.astype(np.float16 if fmt == "fp16" else np.float32)
    np.save(tmp_path / "w.npy", w)
    np.save(tmp_path / "a.npy", x)
    r = _cli("simulate", tmp_path / "d.yaml", "--weights", tmp_path / "w.npy", "--activations",
             tmp_path / "a.npy", "--out", tmp_path / "y.npy", "--simulator", "icarus")
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npy")
    config = parse_design(design)
    want = result_values(float_lut_gemv_bits(config, w, check_float_activations(x, fmt)), fmt)
    assert y.dtype == want.dtype and np.array_equal(y.view(np.uint8), want.view(np.uint8))


def test_cli_rejects_unrepresentable(tmp_path):
    import yaml

    (tmp_path / "d.yaml").write_text(yaml.safe_dump(float_design(activation="bf16", workload={"n": 3, "m": 2})))
    np.save(tmp_path / "w.npy", np.ones((3, 2), np.int8))
    np.save(tmp_path / "a.npy", np.array([1.0, 0.1, 2.0], np.float32))
    r = _cli("simulate", tmp_path / "d.yaml", "--weights", tmp_path / "w.npy", "--activations",
             tmp_path / "a.npy", "--out", tmp_path / "y.npy")
    assert r.returncode == 2 and "not representable in bf16" in r.stderr
    assert not (tmp_path / "y.npy").exists()


@pytest_slow
def test_mismatch_is_detected(monkeypatch):
    """A wrong reference must fail the check: the comparison is live."""
    import sim.core_sim as ref

    monkeypatch.setattr(ref, "float_lut_gemv_bits", lambda config, w, bits: np.zeros((1, 5), np.uint16))
    design = float_design(activation="fp16", pipeline=3, adder_pipeline=1)
    with pytest.raises(MismatchError):
        api.simulate(design, np.ones((20, 5), np.int8), np.ones(20, np.float16), simulator="icarus")


def test_generate_and_estimate(tmp_path):
    design = float_design(activation="bf16", pipeline=2, adder_pipeline=1)
    info = api.generate(design, tmp_path / "out")
    assert "module lut_core" in (tmp_path / "out" / "lut_core.v").read_text()
    assert info["latency_cycles"] == FloatLutShape(parse_design(design)).latency
    assert info["estimate"]["area_um2"] > 0 and info["estimate"]["fmax_mhz"] > 0
