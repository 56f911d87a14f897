"""The open synthesis flow (Yosys + osu018 + OpenSTA) on the calibration blocks.

Real tools, no mocks: skipped only when yosys, sta or the osu018 library is missing.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from amaranth.sim import Simulator

from costmodel import synth
from costmodel.blocks import block_name, block_verilog, make_block
from hwgen.errors import InputError, ToolError

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("yosys") is None or shutil.which("sta") is None
        or not synth.OSU018_LIBERTY.is_file(),
        reason="needs yosys, opensta and qflow-tech-osu018",
    ),
]

PERIOD_NS = 10.0


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))


def _write_block(tmp_path: Path, kind: str, **params) -> tuple[Path, str]:
    top = block_name(kind, **params)
    path = tmp_path / f"{top}.v"
    path.write_text(block_verilog(kind, **params))
    return path, top


def _adder_vcd(path: Path, width: int, stream: str, cycles: int = 200) -> Path:
    """RTL simulation of the registered adder with a quiet or a random input stream."""
    dut = make_block("adder", width=width)
    sim = Simulator(dut)
    sim.add_clock(PERIOD_NS * 1e-9)
    rng = random.Random(1)

    async def bench(ctx):
        for _ in range(cycles):
            if stream == "random":
                ctx.set(dut.a, rng.randrange(2**width))
                ctx.set(dut.b, rng.randrange(2**width))
            await ctx.tick()

    sim.add_testbench(bench)
    with sim.write_vcd(str(path)):
        sim.run()
    return path


def test_adder_area_grows_with_width_and_timing_is_plausible(tmp_path):
    results = {}
    for width in (8, 16):
        path, top = _write_block(tmp_path, "adder", width=width)
        results[width] = synth.synthesize([path], top, clock_period_ns=PERIOD_NS)
    r8, r16 = results[8], results[16]
    for r in (r8, r16):
        assert r.cells > 0 and sum(r.cells_by_type.values()) == r.cells
        assert r.area_um2 > 0
        assert 10 < r.fmax_mhz < 2000
        assert r.critical_path_ns == pytest.approx(r.clock_period_ns - r.slack_ns, abs=1e-5)
        assert r.power_mw > 0 and r.activity_source == "default" and r.annotated_pins == 0
        # Every register of the block is mapped to a flop: 2w input + (w+1) output bits.
    assert r8.cells_by_type["DFFPOSX1"] == 3 * 8 + 1
    assert r16.cells_by_type["DFFPOSX1"] == 3 * 16 + 1
    assert r16.area_um2 > 1.5 * r8.area_um2
    assert r16.critical_path_ns > r8.critical_path_ns  # a longer carry chain
    assert r8.activity_pins == 2 * 8 + 1  # a, b, rst (clock excluded)


def test_result_is_cached_on_disk(tmp_path, monkeypatch):
    path, top = _write_block(tmp_path, "mux", width=4, fan_in=4)
    first = synth.synthesize([path], top)
    entries = list(synth.cache_dir().glob("*.json"))
    assert len(entries) == 1 and synth.cache_dir().is_relative_to(tmp_path)
    assert first.flow_seconds > 0  # what the run cost, kept for cached reads

    def no_flow(*args, **kwargs):
        raise AssertionError("the flow ran although the result is cached")

    with monkeypatch.context() as patch:
        patch.setattr(synth, "_flow", no_flow)
        second = synth.synthesize([path], top)
    assert second == first
    # A different period is a different key.
    synth.synthesize([path], top, clock_period_ns=5.0)
    assert len(list(synth.cache_dir().glob("*.json"))) == 2


def test_other_blocks_synthesize(tmp_path):
    for kind, params in (("mux", dict(width=8, fan_in=4)), ("regs", dict(width=4, count=3)),
                         ("negate", dict(width=8))):
        path, top = _write_block(tmp_path, kind, **params)
        r = synth.synthesize([path], top, workdir=tmp_path / top, use_cache=False)
        assert r.cells > 0 and (tmp_path / top / "netlist.v").is_file()
    assert r.cells_by_type["DFFPOSX1"] == 8 + 1 + 9  # negate: a_r, neg_r, o


def test_vcd_annotated_power_follows_the_input_stream(tmp_path):
    path, top = _write_block(tmp_path, "adder", width=8)
    default = synth.synthesize([path], top, clock_period_ns=PERIOD_NS)
    quiet = synth.synthesize([path], top, clock_period_ns=PERIOD_NS,
                             vcd=_adder_vcd(tmp_path / "quiet.vcd", 8, "quiet"))
    noisy = synth.synthesize([path], top, clock_period_ns=PERIOD_NS,
                             vcd=_adder_vcd(tmp_path / "random.vcd", 8, "random"),
                             vcd_scope="bench.top")
    for r in (quiet, noisy):
        assert r.activity_source == "vcd"
        assert r.annotated_pins == r.activity_pins == 17  # a, b, rst: all found
        assert r.area_um2 == default.area_um2 and r.slack_ns == default.slack_ns
    # Random inputs toggle each bit ~0.5 per cycle, more than the default 0.1; a quiet
    # stream only leaves the clock tree and leakage.
    assert quiet.power_mw < default.power_mw < noisy.power_mw
    assert quiet.power_breakdown["switching"] == 0.0
    assert noisy.power_breakdown["switching"] > default.power_breakdown["switching"]


def test_vcd_activity_counts_toggles_per_cycle(tmp_path):
    vcd = _adder_vcd(tmp_path / "random.vcd", 4, "random", cycles=400)
    act, scope = synth.vcd_activity(vcd, {"a": 4, "rst": 1, "nope": 3}, "clk", PERIOD_NS)
    assert scope == "bench.top" and set(act) == {"a", "rst"}
    for toggles, duty in act["a"]:
        assert 0.4 < toggles < 0.6 and 0.4 < duty < 0.6
    assert act["rst"] == [(0.0, 0.0)]
    with pytest.raises(InputError):
        synth.vcd_activity(vcd, {"zzz": 1}, "clk", PERIOD_NS)
    with pytest.raises(InputError):
        synth.vcd_activity(vcd, {"a": 4}, "clk", PERIOD_NS, scope="bench.nothere")


def test_missing_tools_and_library_raise_tool_error(monkeypatch, tmp_path):
    with pytest.raises(ToolError, match="no-such-synth-tool.*apt-get install yosys opensta"):
        synth.require_tool("no-such-synth-tool")
    monkeypatch.setitem(synth.LIBRARIES, "osu018", synth.Library(tmp_path / "missing.lib", "qflow-tech-osu018", ""))
    with pytest.raises(ToolError, match="qflow-tech-osu018"):
        synth.default_liberty()
    with pytest.raises(ToolError, match="'n7' has no open Liberty library.*--liberty"):
        synth.library_liberty("n7")
    missing = synth.Library(tmp_path / "osu035.lib", "qflow-tech-osu035", "")
    monkeypatch.setitem(synth.LIBRARIES, "osu035", missing)
    with pytest.raises(ToolError, match="apt-get install qflow-tech-osu035"):
        synth.library_liberty("osu035")


def test_a_run_over_its_time_limit_is_stopped_with_its_children_and_not_cached(tmp_path):
    """Four 32 x 32 multipliers keep Yosys and its ABC busy for seconds: stopped at 0.5 s, nothing
    left running in the work folder and nothing cached."""
    path = tmp_path / "muls.v"
    path.write_text("module muls(input [31:0] a, b, c, d, output [63:0] x, y, z, w);\n"
                    "  assign x = a * b; assign y = c * d; assign z = a * d; assign w = b * c;\nendmodule\n")
    work = tmp_path / "work"
    with pytest.raises(ToolError, match=r"yosys did not finish within 0.5 s"):
        synth.synthesize([path], "muls", workdir=work, timeout_s=0.5)
    running = [p for p in Path("/proc").glob("[0-9]*") if _cwd(p) == work.resolve()]
    assert running == []
    assert not synth.cache_dir().exists() or not list(synth.cache_dir().glob("*.json"))


def _cwd(proc: Path) -> Path | None:
    try:
        return (proc / "cwd").resolve(strict=True)
    except OSError:
        return None


def test_tie_constants_reads_each_constant_bit_from_a_tie_port():
    netlist = ("module other(a, y);\n  assign y = 1'h0;\nendmodule\n"
               "module top(a, y);\n  input a;\n  output [3:0] y;\n  INVX1 _1_ (\n    .A(1'h1),\n    .Y(y[0])\n  );\n"
               "  assign y[3:1] = { 2'h2, a };\nendmodule\n")
    tied, ties = synth.tie_constants(netlist, "top")
    assert ties == ["hwgen_tie0", "hwgen_tie1"]
    assert ("module top(a, y, hwgen_tie0, hwgen_tie1);\n  input hwgen_tie0;\n  input hwgen_tie1;\n  input a;\n"
            in tied)
    assert ".A(hwgen_tie1)" in tied and "assign y[3:1] = { { hwgen_tie1, hwgen_tie0 }, a };" in tied
    assert tied.startswith("module other(a, y);\n  assign y = 1'h0;")  # other modules untouched
    assert synth.tie_constants(tied, "top") == (tied, [])
    other_forms = "module top();\n  assign x = 3'b1x0;\n  assign y = 2'd2;\n  assign z = 2'sh1;\nendmodule\n"
    tied, ties = synth.tie_constants(other_forms, "top")
    assert tied.startswith("module top(hwgen_tie0, hwgen_tie1);\n")
    assert ("assign x = { hwgen_tie1, hwgen_tie0, hwgen_tie0 };" in tied and "assign y = { hwgen_tie1, hwgen_tie0 };"
            in tied and "assign z = { hwgen_tie0, hwgen_tie1 };" in tied)


def test_a_kept_module_with_a_constant_output_bit_gets_timing_and_power(tmp_path):
    """``a + (b << 3)`` of a 2-bit ``a`` kept whole: bit 2 of its sum is always 0 and stays a
    constant in the netlist (nothing outside the module folds it), which OpenSTA's power
    analysis does not survive untied."""
    path = tmp_path / "kept.v"
    path.write_text("(* keep_hierarchy *)\nmodule gap(input [1:0] a, input [1:0] b, output [4:0] y);\n"
                    "  assign y = a + (b << 3);\nendmodule\n"
                    "module top(input clk, input [1:0] a, input [1:0] b, output reg [4:0] y);\n"
                    "  reg [1:0] ar, br;\n  wire [4:0] s;\n  gap g(.a(ar), .b(br), .y(s));\n"
                    "  always @(posedge clk) begin ar <= a; br <= b; y <= s; end\nendmodule\n")
    work = tmp_path / "work"
    r = synth.synthesize([path], "top", workdir=work, use_cache=False)
    assert r.power_mw > 0 and r.critical_path_ns is not None and r.area_um2 > 0
    assert "input hwgen_tie0;" in (work / "netlist.v").read_text()


def test_bad_verilog_raises_tool_error(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module broken(input a, output b); assign b = ; endmodule\n")
    with pytest.raises(ToolError, match="yosys failed"):
        synth.synthesize([bad], "broken", use_cache=False)


def test_flow_buffers_high_fanout_nets_and_writes_sta_readable_netlists(tmp_path):
    """ABC gets the period as delay target and a weak input driver, so one register
    driving many loads is buffered; the netlist has no concatenated assignments."""
    constr = synth._abc_constraints(synth.OSU018_LIBERTY)
    assert "set_driving_cell INVX1" in constr and "set_load" in constr
    script = synth._yosys_script([tmp_path / "x.v"], "top", synth.OSU018_LIBERTY, 10.0, "abc.constr")
    assert "-constr abc.constr -D 10000" in script
    assert "splitnets\nopt_clean -purge\n" in script and "-simple-lhs" in script

    loads = 256
    path = tmp_path / "fanout.v"
    path.write_text(
        "module fanout(input clk, input en, input [255:0] d, output reg [255:0] q);\n"
        "  reg en_r;\n"
        "  always @(posedge clk) begin en_r <= en; if (en_r) q <= d; end\n"
        "endmodule\n")
    work = tmp_path / "work"
    r = synth.synthesize([path], "fanout", clock_period_ns=PERIOD_NS, workdir=work)
    assert r.cells_by_type.get("BUFX2", 0) + r.cells_by_type.get("BUFX4", 0) >= loads // 32
    assert 0.5 < r.critical_path_ns < 3.0  # without buffering one X1 gate would drive all 256 enable muxes
    assert not [line for line in (work / "netlist.v").read_text().splitlines()
                if line.strip().startswith("assign {")]


def test_activity_vcd_is_byte_identical_across_runs(tmp_path):
    from costmodel.activity import write_vcd
    from costmodel.runs import design_config

    config = design_config(dict(mu=2, L=2, K=2, act="int4", p=1, n=16, m=4))
    a = write_vcd(config, tmp_path / "a.vcd", beats=12).read_bytes()
    b = write_vcd(config, tmp_path / "b.vcd", beats=12).read_bytes()
    assert a == b and b"$date" not in a
