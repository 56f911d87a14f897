"""Hardwired-Neuron arrays (architecture: hn): fabric/wiring split, reference, simulation, equivalence."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from benchmarks import hn_synth
from costmodel import synth
from hwgen import api
from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.config import load_matrix, load_values
from hwgen.hardwired.design import generate_design, hn_parts, source_text
from hwgen.weights import mxfp4
from sim.hardwired_ref import hn_gemv


def _fp4_matrix(seed, n, m):
    return mxfp4.quantize_fp4(1.5 * np.random.default_rng(seed).standard_normal((n, m)))


def _design(tmp_path, name, **fields):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"kind": "hardwired", "architecture": "hn", **fields}))
    return path


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "hwgen.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_fabric_is_weight_independent_and_wiring_is_assignments(tmp_path):
    outs = []
    for seed in (1, 2):
        np.save(tmp_path / f"W{seed}.npy", _fp4_matrix(seed, 128, 64))
        design = _design(tmp_path, f"d{seed}", weights="fp4", weights_file=f"W{seed}.npy", region_capacity=40)
        api.generate(design, tmp_path / f"out{seed}")
        outs.append(tmp_path / f"out{seed}")
    a, b = outs
    assert (a / "hardwired_core_fabric.v").read_bytes() == (b / "hardwired_core_fabric.v").read_bytes()
    assert (a / "hardwired_core_wiring.v").read_text() != (b / "hardwired_core_wiring.v").read_text()
    assert (a / "filelist.f").read_text() == "hardwired_core_fabric.v\nhardwired_core_wiring.v\nhardwired_core.v\n"
    body = (a / "hardwired_core_wiring.v").read_text().split(");\n", 1)[1].splitlines()
    assert body[-1] == "endmodule" and all(line.startswith("  assign slots[") for line in body[:-1])
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["files"][0] == "hardwired_core_fabric.v" and manifest["hn"]["fabric"]["region_capacity"] == [40] * 7
    assert manifest["interface"]["y_exponents"] == [-1] * 64


def test_overflowing_matrix_exits_2_with_one_line_and_writes_nothing(tmp_path):
    w = np.zeros((40, 3))
    w[:9, 1] = -1.5  # neuron 1 has nine -1.5 weights
    np.save(tmp_path / "W.npy", w)
    design = _design(tmp_path, "d", weights="fp4", weights_file="W.npy", region_capacity=8)
    run = run_cli("generate", str(design), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "hwgen generate: error: neuron 1: 9 inputs have weight -1.5, more than its region's capacity 8 "
        "(region_capacity)"]
    assert not (tmp_path / "out").exists()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), fmt=st.sampled_from(["fp4", "mxfp4", "ternary", "int4"]),
       serial=st.booleans(), act=st.sampled_from(["int4", "int8"]), n=st.integers(1, 70), m=st.integers(1, 5))
def test_reference_equals_a_at_w(seed, fmt, serial, act, n, m):
    c = parse_hardwired({"kind": "hardwired", "architecture": "hn", "weights": fmt, "activation": act,
                         "bit_serial": serial, "workload": {"n": n, "m": m}, "seed": seed})
    consts, exps = load_matrix(c)
    fabric, table = hn_parts(c, consts, exps)
    a = np.random.default_rng(seed).integers(c.act.min, c.act.max + 1, (5, n))
    a[0], a[1] = c.act.min, c.act.max
    assert np.array_equal(hn_gemv(fabric, table, a), a @ consts)


@pytest.mark.slow
def test_simulate_user_fp4_npy_icarus(tmp_path):
    np.save(tmp_path / "W.npy", _fp4_matrix(7, 16, 4).astype(np.float32))
    a = np.random.default_rng(7).integers(-128, 128, (10, 16))
    a[0], a[1] = -128, 127
    np.save(tmp_path / "A.npy", a)
    design = _design(tmp_path, "d", weights="fp4", weights_file="W.npy")
    run = run_cli("simulate", str(design), "--weights", "W.npy", "--activations", "A.npy", "--out", "Y.npy",
                  "--simulator", "icarus", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert np.array_equal(np.load(tmp_path / "Y.npy"), a @ np.load(tmp_path / "W.npy").astype(np.float64))


@pytest.mark.slow
def test_simulate_packed_mxfp4_checkpoint_verilator(tmp_path):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 64))  # a Linear weight (out, in)
    q = mxfp4.quantize_mxfp4(x.T).T  # blocks of 32 along `in`
    # pack as released checkpoints do: per block the smallest fitting exponent, FP4 codes low nibble first
    qb = q.reshape(2, 2, 32)
    amax = np.abs(qb).max(axis=2)
    e = np.where(amax > 0, np.ceil(np.log2(np.where(amax > 0, amax, 1) / 6)), 0)
    vals = qb / np.exp2(e)[..., None]
    codes = np.array([[[list(mxfp4.FP4_VALUES[:8]).index(abs(v)) | (8 if v < 0 else 0) for v in blk]
                       for blk in row] for row in vals], dtype=np.uint8)
    blocks = (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)
    scales = (e + 127).astype(np.uint8)
    save_file({"layer.w_blocks": np.ascontiguousarray(blocks), "layer.w_scales": np.ascontiguousarray(scales)},
              tmp_path / "model.safetensors")  # safetensors.numpy writes memory order: keep it C order
    a = rng.integers(-128, 128, (6, 64))
    a[0], a[1] = -128, 127
    np.save(tmp_path / "A.npy", a)
    design = _design(tmp_path, "d", weights="mxfp4", weights_file="model.safetensors", tensor="layer.w",
                     scale_span=2)
    assert np.array_equal(load_values(parse_hardwired(yaml.safe_load(design.read_text()), base_dir=tmp_path)), q.T)
    run = run_cli("simulate", str(design), "--activations", "A.npy", "--out", "Y.npy", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert np.array_equal(np.load(tmp_path / "Y.npy"), a @ q.T)


MITER = """
module miter (input wire clk, input wire rst, input wire in_valid, input wire [{na}:0] a, output wire ok);
  wire [{ya}:0] y1; wire [{yb}:0] y2; wire v1, v2, r1, r2;
  ag ag (.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(r1), .a(a), .out_valid(v1), .y(y1));
  hn hn (.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(r2), .a(a), .out_valid(v2), .y(y2));
  assign ok = (v1 == v2) && {lanes};
endmodule
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_adder_graph_and_parallel_hn_are_formally_equivalent(tmp_path):
    """SAT miter: both are 2-register pipelines (input, output register) from a zero state, so an
    output at step 3 is each design's function of the arbitrary input at step 1; proving the lanes
    equal at every step of a 3-step bounded check covers every input vector (the function, not a sample)."""
    raw = {"kind": "hardwired", "weights": "fp4", "activation": "int4", "workload": {"n": 4, "m": 2}, "seed": 5}
    ag = parse_hardwired({**raw, "top": "ag"})
    hn = parse_hardwired({**raw, "top": "hn", "architecture": "hn", "bit_serial": False})
    ag_src, ag_ports, _ = generate_design(ag)
    hn_src, hn_ports, _ = generate_design(hn)
    wa, wb = ag_ports["y_lane_width"], hn_ports["y_lane_width"]
    lanes = " && ".join(f"($signed(y1[{j * wa + wa - 1}:{j * wa}]) == $signed(y2[{j * wb + wb - 1}:{j * wb}]))"
                        for j in range(2))
    (tmp_path / "all.v").write_text(source_text(ag_src) + source_text(hn_src) + MITER.format(
        na=4 * 4 - 1, ya=2 * wa - 1, yb=2 * wb - 1, lanes=lanes))
    script = ("read_verilog all.v; hierarchy -top miter; proc; flatten; opt_clean; "
              "sat -verify -prove ok 1 -seq 3 -set-init-zero -show-inputs -timeout 120")
    run = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    # the same miter fails on a wrong wiring: swap two inputs of neuron 0
    bad = source_text(hn_src).replace("x[3:0]", "x[7:4]", 1)
    assert bad != source_text(hn_src)
    (tmp_path / "all.v").write_text(source_text(ag_src) + bad + MITER.format(
        na=4 * 4 - 1, ya=2 * wa - 1, yb=2 * wb - 1, lanes=lanes))
    run = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode != 0


def test_architecture_choice_follows_the_value_histogram():
    """Many values, few inputs per value (int8, N = 32): HN regions are mostly empty, the adder
    graph wins. Few values, many inputs (FP4, N = 256): popcount regions win."""
    few_inputs = api.estimate({"kind": "hardwired", "weights": "int8", "workload": {"n": 32, "m": 16}})
    many_inputs = api.estimate({"kind": "hardwired", "weights": "fp4", "workload": {"n": 256, "m": 16}})
    assert few_inputs["architecture_choice"]["choice"] == "adder-graph"
    assert many_inputs["architecture_choice"]["choice"] == "hn"
    assert "distinct non-zero magnitudes" in many_inputs["architecture_choice"]["reason"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None or shutil.which("sta") is None
                    or not synth.OSU018_LIBERTY.is_file(), reason="needs yosys, opensta and qflow-tech-osu018")
def test_model_within_issue_bounds_of_synthesis():
    """Issue #20's area bound (10%) and the project's power one (15%) on three fabrics of
    `benchmarks.hn_synth`'s held-out list (bit-serial, parallel int4 and int8 slots), each synthesized
    here (Yosys + osu018 + OpenSTA under random activations, cached by content), none fitted on."""
    picked = {"i2_48x4", "t_par_i8_24x4", "i4_par_i4_24x4"}
    rows = hn_synth.run([d for d in hn_synth.VALIDATION if d[0] in picked])
    assert {r["name"] for r in rows} == picked
    for r in rows:
        assert abs(r["est_area_um2"] / r["area_um2"] - 1) <= 0.10, r["name"]
        assert abs(r["est_energy_pj_per_cycle"] / r["energy_pj_per_cycle"] - 1) <= 0.15, r["name"]
