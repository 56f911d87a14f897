"""`hwgen.fpadd.FpAdder` in Verilator (through cocotb) against the reference `sim.fpref.fp_add`.

One harness holds every variant (4 formats x pipeline 0 and 2, plus spot
checks of the other stage placements: fp16 at 3, bf16 at 1, fp8_e5m2 at 5),
each as several lanes of the Verilog that `amaranth.back.verilog.convert`
emits for it, so the whole regression is one Verilator build and one
simulation run:

- fp8_e4m3, fp8_e5m2: exhaustive, all 65,536 operand pairs for ``a + b`` and
  again for ``a - b``;
- fp16, bf16: directed corners (`sim.fpref.corner_operands`) plus uniform
  random pairs, ~21k vectors with random ``sub``;
- the spot-check units get a random subset of their format's vectors (as many
  as their 2 lanes take in the run).

The pipelined variants run with ``en`` dropped on ~20% of the cycles (and junk
on the inputs while stalled), so a stage register that ignores ``en`` shows up
as a mismatch, and the output must hold still on every stalled cycle.
"""

from __future__ import annotations


import numpy as np
import pytest
from amaranth.back import verilog

from hwgen.formats import ACTIVATIONS
from hwgen.fpadd import FpAdder, canonical_nan
from sim.fpref import corner_operands, fp_add
from sim.runner import run_testbench

# the structural tests build components they never elaborate
pytestmark = pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")

FORMATS = ("fp8_e4m3", "fp8_e5m2", "fp16", "bf16")
PIPELINES = (0, 2)
LANES = {"fp8_e4m3": 16, "fp8_e5m2": 16, "fp16": 4, "bf16": 4}  # adders per unit
SPOT_CHECKS = {("fp16", 3): 2, ("bf16", 1): 2, ("fp8_e5m2", 5): 2}  # (format, pipeline): lanes
UNITS = {**{(f, p): LANES[f] for f in FORMATS for p in PIPELINES}, **SPOT_CHECKS}
RANDOM_16 = 10_000  # uniform random pairs for the 16-bit formats, on top of the corners
CORNERS_16 = 2_048  # per corner class (see corner_operands)


def _unit(fmt: str, pipeline: int) -> str:
    return f"{fmt}_p{pipeline}"


def _vectors(fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if ACTIVATIONS[fmt].width == 8:
        a, b = (x.ravel().astype(np.uint16) for x in np.meshgrid(np.arange(256), np.arange(256)))
        n = a.size
        return np.tile(a, 2), np.tile(b, 2), np.repeat(np.array([0, 1], np.uint8), n)
    rng = np.random.default_rng(1234)
    ca, cb = corner_operands(fmt, count=CORNERS_16, seed=7)
    ra, rb = rng.integers(0, 1 << 16, (2, RANDOM_16), dtype=np.uint16)
    a, b = np.concatenate([ca, ra]), np.concatenate([cb, rb])
    return a, b, rng.integers(0, 2, a.size, dtype=np.uint8)


def _harness(units: dict[str, tuple[str, int, int]]) -> str:
    """Verilog top wrapping ``lanes`` instances of each unit's adder module."""
    ports = ["input clk", "input rst", "input en"]
    body = ["  genvar i;"]
    for name, (fmt, pipeline, lanes) in units.items():
        w = ACTIVATIONS[fmt].width
        ports += [f"input [{lanes * w - 1}:0] {name}_a", f"input [{lanes * w - 1}:0] {name}_b",
                  f"input [{lanes - 1}:0] {name}_sub", f"output [{lanes * w - 1}:0] {name}_result"]
        clocking = ", .clk(clk), .rst(rst), .en(en)" if pipeline else ""
        body += [
            f"  generate for (i = 0; i < {lanes}; i = i + 1) begin : g_{name}",
            f"    fpadd_{name} u (.a({name}_a[i*{w} +: {w}]), .b({name}_b[i*{w} +: {w}]), "
            f".sub({name}_sub[i]), .result({name}_result[i*{w} +: {w}]){clocking});",
            "  end endgenerate",
        ]
    return "module fpadd_harness(\n  " + ",\n  ".join(ports) + "\n);\n" + "\n".join(body) + "\nendmodule\n"


@pytest.fixture(scope="module")
def rtl_results(tmp_path_factory):
    """Build the harness once, run every vector, return ``{unit: (a, b, sub, result)}``.

    The compiled model is cached by `sim.runner` (keyed by the Verilog), so only a
    changed design is rebuilt; vectors and results live in a tmp dir.
    """
    work = tmp_path_factory.mktemp("fpadd_rtl")
    units = {_unit(f, p): (f, p, lanes) for (f, p), lanes in UNITS.items()}
    texts = {f"fpadd_{name}.v": verilog.convert(FpAdder(fmt, pipeline), name=f"fpadd_{name}")
             for name, (fmt, pipeline, _) in units.items()}
    texts["fpadd_harness.v"] = _harness(units)

    vectors = {name: _vectors(fmt) for name, (fmt, _, _) in units.items()}
    groups = max(-(-vectors[_unit(f, p)][0].size // LANES[f]) for f in FORMATS for p in PIPELINES)
    for (fmt, pipeline), lanes in SPOT_CHECKS.items():
        a, b, sub = vectors[_unit(fmt, pipeline)]
        pick = np.sort(np.random.default_rng(99).permutation(a.size)[: groups * lanes])
        vectors[_unit(fmt, pipeline)] = a[pick], b[pick], sub[pick]
    plan = {"units": np.array(list(units)), "stall": np.array(0.2), "seed": np.array(5)}
    for name, (a, b, sub) in vectors.items():
        fmt, pipeline, lanes = units[name]
        n = a.size
        for key, arr in (("a", a), ("b", b), ("sub", sub)):
            padded = np.zeros(groups * lanes, dtype=arr.dtype)
            padded[:n] = arr
            plan[f"{name}_{key}"] = padded.reshape(groups, lanes)
        plan[f"{name}_meta"] = np.array([ACTIVATIONS[fmt].width, lanes, pipeline])
    np.savez(work / "plan.npz", **plan)

    run_testbench("".join(texts[name] for name in sorted(texts)), "fpadd_harness", "sim.tb_fpadd", "verilator",
                  {"HWGEN_FPADD_PLAN": str(work / "plan.npz"), "HWGEN_FPADD_RESULTS": str(work / "results.npz")},
                  work)
    results = np.load(work / "results.npz")
    return {name: (a, b, sub, results[f"{name}_result"].ravel()[: a.size], int(results[f"{name}_stall_errors"]))
            for name, (a, b, sub) in vectors.items()}


@pytest.mark.slow
@pytest.mark.parametrize("fmt,pipeline", list(UNITS), ids=[_unit(f, p) for f, p in UNITS])
def test_rtl_matches_reference(rtl_results, fmt, pipeline):
    a, b, sub, got, stall_errors = rtl_results[_unit(fmt, pipeline)]
    assert stall_errors == 0, f"{fmt} pipeline={pipeline}: output changed on {stall_errors} stalled cycles"
    want = fp_add(a, b, fmt, sub=sub.astype(bool))
    bad = np.flatnonzero(got != want)
    if bad.size:
        i = bad[0]
        op = "-" if sub[i] else "+"
        pytest.fail(
            f"{fmt} pipeline={pipeline}: {bad.size} of {a.size} results differ; first: "
            f"0x{a[i]:04x} {op} 0x{b[i]:04x} -> RTL 0x{got[i]:04x}, reference 0x{want[i]:04x}"
        )
    if ACTIVATIONS[fmt].width == 8 and (fmt, pipeline) not in SPOT_CHECKS:
        assert a.size == 2 * 65536  # every pair, add and subtract


# ----------------------------------------------------------------------------
# The component itself (no simulator)


@pytest.mark.parametrize("fmt", FORMATS)
def test_signature(fmt):
    w = ACTIVATIONS[fmt].width
    comb = FpAdder(fmt)
    assert set(comb.signature.members) == {"a", "b", "sub", "result"}
    assert comb.a.shape().width == w and comb.result.shape().width == w and comb.latency == 0
    piped = FpAdder(ACTIVATIONS[fmt], pipeline=3)
    assert set(piped.signature.members) == {"a", "b", "sub", "result", "en"}
    assert piped.latency == 3 and piped.fmt is ACTIVATIONS[fmt]


@pytest.mark.parametrize("bad", ["int8", "fp32", 8, None])
def test_rejects_non_float_format(bad):
    with pytest.raises(TypeError, match="[Ff]ormat"):
        FpAdder(bad)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_rejects_bad_pipeline(bad):
    with pytest.raises(TypeError, match="Pipeline depth"):
        FpAdder("fp16", pipeline=bad)


@pytest.mark.parametrize("pipeline", [1, 3, 5])
def test_other_depths_convert(pipeline):
    text = verilog.convert(FpAdder("bf16", pipeline), name="fpadd_bf16")
    assert "input en" in text and "input clk" in text


def test_canonical_nans():
    assert [canonical_nan(f) for f in FORMATS] == [0x7F, 0x7E, 0x7E00, 0x7FC0]
