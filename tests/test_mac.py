"""MAC baseline (`kind: mac`): config, reference model, RTL vs reference, cost model."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen import api
from hwgen.config import MacConfig, parse_design
from hwgen.errors import ConfigError, InputError
from hwgen.floatpath import MacShape
from sim.fpref import from_bits, round_to_bits
from sim.mac_reference import mac_gemv

pytestmark = pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")


def mac_design(**overrides) -> dict:
    design = {"kind": "mac", "weights": "ternary", "activation": "int8", "rows": 3, "columns": 2,
              "pipeline": 1, "workload": {"n": 10, "m": 5}}
    design.update(overrides)
    return design


def operands(config: MacConfig, rng, batch=3):
    n, m = config.workload.n, config.workload.m
    if config.weights == "ternary":
        w = rng.integers(-1, 2, (n, m)).astype(np.int8)
    elif config.weights == "int8":
        w = rng.integers(-128, 128, (n, m))
    else:
        w = from_bits(round_to_bits(rng.standard_normal((n, m)), "fp16"), "fp16").astype(np.float16)
    if config.is_float:
        x = from_bits(round_to_bits(rng.standard_normal((batch, n)) * 3, config.activation), config.activation)
        x = x.astype(np.float32)
    else:
        x = rng.integers(config.act.min, config.act.max + 1, (batch, n))
    return w, x


def test_config():
    c = parse_design(mac_design(weights="int8", activation="int4", rows=5))
    assert isinstance(c, MacConfig) and c.accumulator_width == 15  # 10 * 8 * 128 = 10240
    assert MacShape(c).latency == 2 and MacShape(c).multipliers == 10
    with pytest.raises(ConfigError, match="int8 multiplies integer"):
        parse_design(mac_design(weights="int8", activation="fp16"))
    with pytest.raises(ConfigError, match="fp16 multiplies float"):
        parse_design(mac_design(weights="fp16", activation="int8"))
    with pytest.raises(ConfigError, match="pipeline"):
        parse_design(mac_design(rows=4, pipeline=4))
    with pytest.raises(ConfigError, match="adder_pipeline"):
        parse_design(mac_design(adder_pipeline=1))
    with pytest.raises(ConfigError, match="accumulator_width"):
        parse_design(mac_design(accumulator_width=3))


@pytest.mark.parametrize("weights, act", [("ternary", "int8"), ("int8", "int8"), ("int8", "int4"), ("ternary", "int4")])
def test_integer_reference_is_exact(weights, act):
    rng = np.random.default_rng(1)
    c = parse_design(mac_design(weights=weights, activation=act, rows=4, columns=3, workload={"n": 23, "m": 7}))
    w, x = operands(c, rng)
    assert np.array_equal(mac_gemv(c, w, x), x @ w.astype(np.int64))


def test_float_reference_close_and_ordered():
    rng = np.random.default_rng(2)
    c = parse_design(mac_design(weights="fp16", activation="fp16", rows=4, columns=3, workload={"n": 40, "m": 6}))
    w, x = operands(c, rng)
    y = from_bits(mac_gemv(c, w, x), "fp16")
    assert np.allclose(y, x.astype(np.float64) @ w.astype(np.float64), rtol=0.02, atol=0.2)
    # ternary weights through the sign-select path equal the fp16 multiplier path with w in {-1, 0, 1},
    # except for the sign of zero products (sign-select gives +0, a multiplier gives the xor of signs)
    t = rng.integers(-1, 2, (40, 6)).astype(np.int8)
    sel = mac_gemv(parse_design(mac_design(weights="ternary", activation="fp16", rows=4, columns=3,
                                           workload={"n": 40, "m": 6})), t, x)
    mul = mac_gemv(c, t.astype(np.float16), x)
    assert np.array_equal(from_bits(sel, "fp16"), from_bits(mul, "fp16"))


def test_weight_checks():
    c = parse_design(mac_design(weights="fp16", activation="bf16"))
    with pytest.raises(InputError, match="not representable in fp16"):
        mac_gemv(c, np.full((10, 5), 1e-9, np.float32), np.zeros(10, np.float32))
    c = parse_design(mac_design(weights="int8"))
    with pytest.raises(InputError, match="out of int8 range"):
        mac_gemv(c, np.full((10, 5), 200), np.zeros(10, np.int64))


@pytest.mark.slow
def test_rtl_verilator_int():
    rng = np.random.default_rng(3)
    c = parse_design(mac_design(weights="int8", activation="int8", rows=3, columns=2, pipeline=2,
                                workload={"n": 11, "m": 5}))
    w, x = operands(c, rng)
    x[0] = -128
    assert np.array_equal(api.simulate(c, w, x, seed=2), x @ w.astype(np.int64))


@pytest.mark.slow
@pytest.mark.parametrize("design", [
    mac_design(weights="ternary", activation="int4", rows=4, pipeline=3),
    mac_design(weights="ternary", activation="fp16", rows=3, pipeline=2, adder_pipeline=1),
    mac_design(weights="fp16", activation="bf16", rows=3, pipeline=1, adder_pipeline=2),
    mac_design(weights="fp16", activation="fp8_e4m3", accumulation="fp16", rows=2, pipeline=0),
])
def test_rtl_icarus(design):
    rng = np.random.default_rng(4)
    c = parse_design(design)
    w, x = operands(c, rng)
    y = api.simulate(c, w, x, simulator="icarus", seed=1)  # raises MismatchError on any difference
    if not c.is_float:
        assert np.array_equal(y, x @ w.astype(np.int64))


def test_estimate_orders_and_scales():
    base = dict(rows=4, columns=4, pipeline=1, workload={"n": 64, "m": 16})
    mul = api.estimate(mac_design(weights="fp16", activation="fp16", **base))["area_um2"]
    sel = api.estimate(mac_design(weights="ternary", activation="fp16", **base))["area_um2"]
    imul = api.estimate(mac_design(weights="int8", activation="int8", **base))["area_um2"]
    isel = api.estimate(mac_design(weights="ternary", activation="int8", **base))["area_um2"]
    assert mul > sel > imul > isel
    big = api.estimate(mac_design(weights="fp16", activation="fp16", **{**base, "columns": 8}))["area_um2"]
    assert 1.8 < big / mul < 2.1
