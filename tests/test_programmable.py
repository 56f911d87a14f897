"""Programmable streaming cores: runtime GEMV shapes, the activation buffer, programs.

One generated core per family runs the seven projections of a small transformer layer
(hidden 96, ffn 160, 6 heads, 2 kv heads) in one simulation without re-generating;
rejected commands and the cycle count of `hwgen.schedule` are checked on the RTL.
The ternary core runs on Verilator and Icarus; the fp16 and Sherry cores on Icarus here
(their Verilator builds take minutes: `benchmarks/programmable_layer.py` runs them).
"""

import numpy as np
import pytest
import yaml

from conftest import lut_design
from hwgen import api
from hwgen.cli import main
from hwgen.config import parse_design
from hwgen.errors import ConfigError, InputError
from hwgen.formats import pack_activations, pack_keys
from hwgen.schedule import command_word, gemv_cycles
from sim.core_sim import float_lut_widths
from sim.lut_sim import lut_widths
from sim.stream import GemvBeats, gemv_beats, run_beats

pytestmark = pytest.mark.slow

#: q, k, v, o, gate, up, down of hidden 96, ffn 160, 6 heads of 16, 2 kv heads: (n, m) = (in, out).
LAYER = {"q": (96, 96), "k": (96, 32), "v": (96, 32), "o": (96, 96), "gate": (96, 160), "up": (96, 160),
         "down": (160, 96)}
MAXIMA = {"max_n": 160, "max_m": 160}
TERNARY = lut_design(group_size=3, luts=4, fetchers=8, pipeline=1, workload=MAXIMA)
FP16 = lut_design(activation="fp16", group_size=3, luts=4, fetchers=8, pipeline=3, workload=MAXIMA)
SHERRY = lut_design(weights="sherry", group_size=4, luts=3, fetchers=8, pipeline=2, workload=MAXIMA)


def sherry_weights(rng, n, m):
    """Ternary with exactly one zero in every group of 4 rows of a column."""
    w = rng.choice(np.array([-1, 1], np.int8), (n, m))
    zero = rng.integers(0, 4, (n // 4, m))
    w.reshape(n // 4, 4, m)[np.arange(n // 4)[:, None], zero, np.arange(m)[None]] = 0
    return w


def write_program(folder, kind: str, seed: int = 18) -> dict:
    """The layer's weights and activations as .npy files and a program.yaml; returns the data."""
    rng = np.random.default_rng(seed)
    data, gemvs = {}, []
    for name, (n, m) in LAYER.items():
        w = sherry_weights(rng, n, m) if kind == "sherry" else rng.integers(-1, 2, (n, m)).astype(np.int8)
        a = (rng.standard_normal(n) * 8).astype(np.float16) if kind == "fp16" else rng.integers(-128, 128, (2, n))
        np.save(folder / f"{name}_w.npy", w)
        np.save(folder / f"{name}_a.npy", a)
        gemvs.append({"name": name, "weights": f"{name}_w.npy", "activations": f"{name}_a.npy",
                      "out": f"out/{name}.npy"})
        data[name] = (w, a)
    (folder / "program.yaml").write_text(yaml.safe_dump({"gemvs": gemvs}))
    return data


@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
def test_ternary_core_runs_a_layer_in_one_simulation(tmp_path, simulator, capsys):
    data = write_program(tmp_path, "ternary")
    (tmp_path / "design.yaml").write_text(yaml.safe_dump(TERNARY))
    code = main(["simulate", str(tmp_path / "design.yaml"), "--program", str(tmp_path / "program.yaml"),
                 "--simulator", simulator])
    assert code == 0, capsys.readouterr().err
    for name, (w, a) in data.items():
        assert np.array_equal(np.load(tmp_path / "out" / f"{name}.npy"), a @ w.astype(np.int64)), name


def test_fp16_core_at_pipeline_3_runs_a_layer(tmp_path):
    data = write_program(tmp_path, "fp16")
    results = dict(api.simulate_program(FP16, tmp_path / "program.yaml", simulator="icarus"))
    for name, (w, a) in data.items():
        y = results[tmp_path / "out" / f"{name}.npy"]
        assert y.dtype == np.float16 and y.shape == (LAYER[name][1],)
        # the exact check is the simulation's (reference and PyTorch, bit for bit); here: it is a GEMV
        close = np.allclose(y.astype(np.float64), a.astype(np.float64) @ w, rtol=2e-2, atol=0.5)
        assert close, name


def test_sherry_core_runs_a_layer(tmp_path):
    data = write_program(tmp_path, "sherry")
    results = dict(api.simulate_program(SHERRY, tmp_path / "program.yaml", simulator="icarus"))
    for name, (w, a) in data.items():
        assert np.array_equal(results[tmp_path / "out" / f"{name}.npy"], a @ w.astype(np.int64)), name


def test_program_writes_nothing_when_a_gemv_cannot_run(tmp_path, capsys):
    """The host-side packer rejects a GEMV beyond the maxima before anything runs: exit 2, one line."""
    write_program(tmp_path, "ternary")
    np.save(tmp_path / "down_w.npy", np.zeros((161, 96), np.int8))  # n beyond max_n = 160
    np.save(tmp_path / "down_a.npy", np.zeros(161, np.int64))
    (tmp_path / "design.yaml").write_text(yaml.safe_dump(TERNARY))
    code = main(["simulate", str(tmp_path / "design.yaml"), "--program", str(tmp_path / "program.yaml"),
                 "--simulator", "icarus"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "(161, 96) is outside the core's range" in err
    assert not (tmp_path / "out").exists()


def test_rejected_commands_are_dropped_and_flagged():
    """A command with n or m zero or beyond the maxima is consumed, runs no tile, gives no
    result, and sets the sticky error flag; the GEMVs around it are exact."""
    config = parse_design(lut_design(group_size=2, luts=2, fetchers=4, pipeline=2, workload={"max_n": 12, "max_m": 9}))
    rng = np.random.default_rng(3)

    def good(n, m):
        w, a = rng.integers(-1, 2, (n, m)).astype(np.int8), rng.integers(-128, 128, (1, n))
        t = config.at(n, m).tiling
        return gemv_beats(config, n, m, pack_activations(a, t), pack_keys(w, t), 4), a @ w.astype(np.int64)

    def bad(n, m):
        return GemvBeats(cmd=[command_word(12, 9, n, m)], act=np.zeros((0, 4), np.int64),
                         keys=np.zeros((0, 8), np.int64), results=0)

    first, y1 = good(12, 9)
    last, y2 = good(5, 3)
    verilog = api.verilog(config)
    for rejected in [(0, 4), (13, 4), (4, 0), (4, 10), (15, 15)]:
        sums, _, error = run_beats(verilog, config.top, lut_widths(config), [first, bad(*rejected), last],
                                   simulator="icarus", seed=rejected[0])
        assert error == 1, rejected
        assert np.array_equal(sums[:3].reshape(-1)[:9], y1[0]) and np.array_equal(sums[3, :3], y2[0])
    _, _, error = run_beats(verilog, config.top, lut_widths(config), [first, last], simulator="icarus")
    assert error == 0


@pytest.mark.parametrize("design", [
    lut_design(group_size=3, luts=4, fetchers=8, pipeline=1, workload=MAXIMA),
    lut_design(activation="fp16", group_size=2, luts=2, fetchers=3, pipeline=2, adder_pipeline=1,
               workload={"max_n": 20, "max_m": 9}),
])
def test_cycles_per_gemv_are_the_controllers(design):
    """With no input gaps and no back-pressure, each GEMV takes `gemv_cycles` from its command
    to its last result, on the RTL; the next command is taken right after its last tile."""
    config = parse_design(design)
    rng = np.random.default_rng(1)
    shapes = [(96, 32), (160, 96), (7, 1)] if config.workload.max_n == 160 else [(20, 9), (3, 4), (11, 1)]
    beats = []
    is_float = config.act.is_float
    for n, m in shapes:
        t = config.at(n, m).tiling
        a = np.zeros((1, n), np.int64) if is_float else rng.integers(-128, 128, (1, n))
        beats.append(gemv_beats(config, n, m, pack_activations(a, t), pack_keys(np.zeros((n, m), np.int8), t),
                                config.fetchers))
    widths = float_lut_widths(config) if is_float else lut_widths(config)
    _, _, _, (cmd_cycles, last_cycles) = run_beats(api.verilog(config), config.top, widths, beats,
                                                   simulator="icarus", gap=0.0, stall=0.0, timing=True)
    shape = api.build(config)[1]
    latency = shape["latency_cycles"]
    rt = config.group_size * config.luts
    assert list(last_cycles - cmd_cycles + 1) == [gemv_cycles(n, m, rt, config.fetchers, latency) for n, m in shapes]


def test_host_side_shape_errors():
    config = parse_design(TERNARY)
    with pytest.raises(InputError, match=r"\(0, 5\) is outside"):
        config.at(0, 5)
    with pytest.raises(InputError, match="multiple of 4"):
        parse_design(SHERRY).at(30, 8)
    assert config.at(96, 32).accumulator_width == config.accumulator_width


def test_workload_forms_give_the_same_core():
    """{n, m} (one shape), {max_n, max_m}, a GEMV list and a model's dimensions all make the
    core of their maxima; a list or a model also gives the program whose cycles are reported."""
    base = lut_design(group_size=3, luts=4, fetchers=8)
    model = {"hidden": 96, "ffn": 160, "heads": 6, "kv_heads": 2, "layers": 3}
    listed = [{"name": k, "n": n, "m": m, "count": 3} for k, (n, m) in LAYER.items()]
    configs = [parse_design({**base, "workload": w}) for w in
               ({"n": 160, "m": 160}, MAXIMA, {"gemvs": listed}, {"model": model})]
    assert len({api.verilog(c) for c in configs}) == 1  # one core
    assert configs[2].workload.gemvs == configs[3].workload.gemvs
    est = api.estimate(configs[3])
    latency = api.build(configs[3])[1]["latency_cycles"]
    assert est["cycles_per_token"] == 3 * sum(gemv_cycles(n, m, 12, 8, latency) for n, m in LAYER.values())
    for bad, message in [({"gemvs": listed, "max_n": 100}, "max_n=100 is below a GEMV's n=160"),
                         ({"n": 4, "max_m": 4}, "either max_n/max_m or n/m"),
                         ({"model": {**model, "kv_heads": 4}}, "multiple of kv_heads")]:
        with pytest.raises(ConfigError, match=message):
            parse_design({**base, "workload": bad})
