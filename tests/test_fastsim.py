"""The fast Verilator harness against the cocotb testbench, and its error paths."""

import re
import shutil
import subprocess

import numpy as np
import pytest
from amaranth.back import verilog
from conftest import lut_design

from hwgen import api, families
from hwgen.build_cache import cached_build
from hwgen.errors import ToolError
from hwgen.rtl.lut_core import LutCore
from hwgen.rtl.signed_select import SignedSelect
from sim import fastsim
from sim.lanes import bytes_to_lanes, lanes_to_bytes
from sim.lut_sim import lut_job, lut_widths, simulate_lut
from sim.reference import lut_gemv
from sim.select_tables import table_selects
from sim.stimulus import amaranth_streams, top_ports
from sim.stream import stream_beats
from sim.streams import run_streams

DESIGN = lut_design(workload={"n": 60, "m": 24})


def small_case(seed=0, batch=2):
    config = api.load(DESIGN)
    rng = np.random.default_rng(seed)
    w = rng.integers(-1, 2, (60, 24)).astype(np.int8)
    a = rng.integers(-128, 128, (batch, 60))
    return config, api.verilog(config), w, a


def core_beats(config, verilog, w, a):
    """Every input port's payload bytes for ``a @ w`` (one command, the activations once, the keys)."""
    cmd_width = next(p.width for p in amaranth_streams(verilog, config.top) if p.name == "cmd")
    return stream_beats(lut_widths(config), [lut_job(config, w, a).beats], cmd_width)


def test_ports_parsed_from_verilog_are_the_signature():
    config = api.load(DESIGN)
    verilog, details = api.build(config)  # details["ports"]: the component's signature
    signature = {p["name"]: ("in" if p["direction"] == "input" else "out", p["width"]) for p in details["ports"]}
    assert top_ports(verilog, config.top) == signature
    streams = {s.name: s for s in amaranth_streams(verilog, config.top)}
    assert sorted(streams) == ["act", "cmd", "keys", "result"]
    assert streams["result"].direction == "out" and streams["result"].ready == "result__ready"


def test_fast_and_cocotb_harnesses_agree_cycle_for_cycle():
    """Same stimulus, same seed: identical result payloads, transfer cycles and run length (the
    fast path Verilates the fetch selects as tables, cocotb runs the Verilog as emitted)."""
    config, verilog, w, a = small_case()
    assert table_selects(verilog) != verilog
    ports = amaranth_streams(verilog, config.top)
    beats = core_beats(config, verilog, w, a)
    results = {"result": len(a) * config.tiling.col_blocks}
    fast = run_streams(verilog, config.top, ports, beats, results, seed=3, gap=0.3, stall=0.3, harness="fast")
    slow = run_streams(verilog, config.top, ports, beats, results, seed=3, gap=0.3, stall=0.3, harness="cocotb")
    assert fast.cycles == slow.cycles
    for name in ("cmd", "act", "keys", "result"):
        assert np.array_equal(fast.stamps[name], slow.stamps[name]), name
    assert np.array_equal(fast.outputs["result"], slow.outputs["result"])
    # and what they delivered is the reference model's GEMV
    K, width = config.fetchers, config.accumulator_width
    got = bytes_to_lanes(fast.outputs["result"], K, width).reshape(len(a), -1)[:, :24]
    assert np.array_equal(got, lut_gemv(config, w, a))
    # back-pressure really happened: the run took longer than one beat per cycle
    assert fast.cycles > len(beats["keys"]) + 5



def test_model_key_holds_the_host_cpu(monkeypatch):
    """A model built for this CPU is not reused on another (nor a generic build for it)."""
    key = fastsim.model_key("module m; endmodule", "", fastsim.DEFAULT_OPT, native=True)
    assert "-march=" in fastsim.host_target()
    monkeypatch.setattr(fastsim, "host_target", lambda: "another CPU")
    assert fastsim.model_key("module m; endmodule", "", fastsim.DEFAULT_OPT, native=True) != key
    assert fastsim.model_key("module m; endmodule", "", fastsim.DEFAULT_OPT, native=False) != key

def test_hang_is_reported():
    """Waiting for a result beat the core never sends ends with a one-line ToolError."""
    config, verilog, w, a = small_case(batch=1)
    ports = amaranth_streams(verilog, config.top)
    with pytest.raises(ToolError, match="hang: no transfer"):
        run_streams(verilog, config.top, ports, core_beats(config, verilog, w, a),
                    {"result": config.tiling.col_blocks + 1}, harness="fast")


def test_missing_compiler_names_what_to_install(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda tool: None if tool == "g++" else real(tool))
    config, verilog, w, a = small_case()
    with pytest.raises(ToolError, match="apt-get install g\\+\\+ make"):
        simulate_lut(config, verilog, w, a)


def test_lanes_round_trip():
    rng = np.random.default_rng(0)
    lanes = rng.integers(-(1 << 12), 1 << 12, (7, 11))
    assert np.array_equal(bytes_to_lanes(lanes_to_bytes(lanes, 13), 11, 13), lanes)


def test_emitted_verilog_drops_only_unread_field_aliases():
    """The emitted text is Amaranth's minus alias wires of layout fields nothing reads."""
    config = api.load(lut_design(group_size=5, luts=1, fetchers=2, activation="int4", workload={"n": 10, "m": 4}))
    original = verilog.convert(LutCore(config), name=config.top, emit_src=False).split("\n")
    emitted = api.verilog(config).split("\n")
    dropped, i = [], 0
    for line in original:  # emitted must be a subsequence of the original lines
        if i < len(emitted) and emitted[i] == line:
            i += 1
        else:
            dropped.append(line)
    assert i == len(emitted)
    assert len(dropped) > 100
    alias = re.compile(r"^  (wire (\[\d+:0\] )?\\\S*[\[.]\S* ;|assign \\\S*[\[.]\S*\s+= [^;]*;)$")
    assert all(alias.match(line) for line in dropped), [line for line in dropped if not alias.match(line)][:3]


def _yosys_equivalent(gold: str, gate: str, tmp_path) -> bool:
    """Yosys's SAT proof that two single-module texts (modules ``gold`` and ``gate``) compute the same."""
    (tmp_path / "gold.v").write_text(gold)
    (tmp_path / "gate.v").write_text(gate)
    script = ("read_verilog gold.v gate.v; proc; miter -equiv -flatten -make_assert gold gate miter; "
              "hierarchy -top miter; sat -verify -prove-asserts miter")
    return subprocess.run(["yosys", "-q", "-p", script], cwd=tmp_path, capture_output=True).returncode == 0


@pytest.mark.skipif(shutil.which("yosys") is None, reason="needs yosys")
@pytest.mark.parametrize("zero_entry", [True, False])
def test_table_select_is_the_case_it_replaces(tmp_path, zero_entry):
    """A signed select's case, written as a wire array, is the same function (proved by Yosys);
    a changed table entry is caught by the same proof."""
    case = verilog.convert(SignedSelect(5, 3, 4, 6, zero_entry=zero_entry), name="gold", emit_src=False)
    table = table_selects(case).replace("module gold(", "module gate(")
    assert "casez" in case and "casez" not in table and table.count("$table [") == 1 + 8 + 1
    assert _yosys_equivalent(case, table, tmp_path)
    wrong = table.replace("[1] = entries[7:4]", "[1] = entries[3:0]").replace("[2] = entries[7:4]",
                                                                              "[2] = entries[3:0]")
    assert wrong != table and not _yosys_equivalent(case, wrong, tmp_path)


def test_table_selects_leaves_other_cases_alone():
    """Only a full case of one vector's equal slices (or zeros) becomes a table."""
    case = verilog.convert(SignedSelect(5, 3, 4, 6), name="gold", emit_src=False)
    for edit in [("= entries[11:8];", "= key[3:0];"),  # a second source
                 ("= entries[11:8];", "= entries[10:8];"),  # a narrower slice
                 ("3'h7:", "3'h6:")]:  # not one arm per index
        other = case.replace(*edit)
        assert other != case and table_selects(other) == other


def test_mu5_core_on_icarus_is_exact():
    """The mu=5 core Icarus used to crawl through (~2 s a beat) now runs the generic cocotb bench."""
    config = api.load(lut_design(group_size=5, luts=2, fetchers=3, activation="int8", workload={"n": 31, "m": 7}))
    rng = np.random.default_rng(5)
    w, a = rng.integers(-1, 2, (31, 7)), rng.integers(-128, 128, (2, 31))
    assert np.array_equal(api.simulate(config, w, a, simulator="icarus"), lut_gemv(config, w, a))


def test_build_cache_returns_the_fresh_build_and_skips_amaranth(tmp_path, monkeypatch):
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path))
    config = api.load(DESIGN)
    calls = []

    def build(c):
        calls.append(c)
        return families.family_of(c).build(c)

    first = cached_build(config, build)
    again = cached_build(config, build)
    other = cached_build(api.load(lut_design(workload={"n": 60, "m": 32})), build)
    assert len(calls) == 2 and again == first and other[0] != first[0]
    assert first == families.family_of(config).build(config)
