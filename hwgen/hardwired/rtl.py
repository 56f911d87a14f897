"""Structural Verilog for a hardwired array, written straight from the adder graph.

Amaranth elaboration costs ~0.2 ms per weight, so the array is emitted as plain
Verilog-2001 text: one ``wire`` per adder, one ``reg`` per value crossing a register
cut. Same config -> byte-identical text (node order comes from the sorted graph).

Ports
-----
=============  =====  ============  ===================================================
port           dir    width         meaning
=============  =====  ============  ===================================================
clk            in     1             clock (rising edge)
rst            in     1             synchronous reset of the control state
in_valid       in     1             ``a`` holds an activation vector this cycle
in_ready       out    1             the vector is accepted when in_valid & in_ready
a              in     N*Wa          activations, lane i = a[i*Wa +: Wa], two's complement
out_valid      out    1             ``y`` holds a result this cycle (one cycle per vector)
y              out    M*Wy          outputs, lane j = y[j*Wy +: Wy], two's complement
=============  =====  ============  ===================================================

Latency counts clock cycles from the one in which ``in_valid & in_ready`` is high to
the one in which ``out_valid`` is. Parallel mode accepts a vector every cycle
(``in_ready`` is 1) and answers ``pipeline + 2`` cycles later (input register, ``pipeline`` cuts, output register).
Bit-serial mode loads the vector into per-lane shift registers and feeds the adder
graph one bit-plane per cycle, MSB first (graph inputs are single bits); per output,
``acc = -t`` on the MSB plane and ``acc = 2*acc + t`` after it, so the result appears
``Wa + pipeline + 1`` cycles after acceptance and a new vector is accepted every ``Wa``
cycles. There is no output back-pressure: ``y`` is valid for the one cycle
``out_valid`` is high, like any fixed-latency dataflow stage.
"""

from __future__ import annotations

import numpy as np

from hwgen import formats

from .config import HardwiredConfig, load_weights
from .adder_graph import AdderGraph, bit_length
from .graph import build_graph

__all__ = ["build_design_graph", "design_stats", "output_width", "cut_levels", "emit_verilog", "generate_verilog", "ports_info"]


def build_design_graph(config: HardwiredConfig, weights: np.ndarray | None = None) -> tuple[np.ndarray, AdderGraph]:
    """The design's weight matrix and its adder graph (graph inputs are bits if bit-serial)."""
    w = load_weights(config) if weights is None else weights
    act = config.act
    lo, hi = (0, 1) if config.bit_serial else (act.min, act.max)
    return w, build_graph(w, config.positions, lo, hi, sharing=config.sharing, cse=config.cse)


def output_width(weights: np.ndarray, act: formats.ActivationFormat) -> int:
    """Bits of every output lane: the exact range of ``A @ W`` over the activation range."""
    w = np.asarray(weights, dtype=np.int64)
    pos, neg = np.clip(w, 0, None).sum(axis=0), np.clip(-w, 0, None).sum(axis=0)
    lo = int(np.min(pos * act.min - neg * act.max))
    hi = int(np.max(pos * act.max - neg * act.min))
    return max(2, formats.signed_width(lo, hi))


def cut_levels(levels: int, pipeline: int) -> list[int]:
    """Graph levels after which a register cut sits: ``pipeline`` of them, evenly spread."""
    return sorted({round((k + 1) * levels / (pipeline + 1)) for k in range(pipeline)})


def ports_info(config: HardwiredConfig, wy: int) -> dict:
    n, m, wa = config.workload.n, config.workload.m, config.act.width
    latency = (wa + config.pipeline + 1) if config.bit_serial else (config.pipeline + 2)
    return {
        "protocol": "valid/ready in, valid out (no output back-pressure)",
        "ports": [
            {"name": "clk", "direction": "in", "width": 1},
            {"name": "rst", "direction": "in", "width": 1},
            {"name": "in_valid", "direction": "in", "width": 1},
            {"name": "in_ready", "direction": "out", "width": 1},
            {"name": "a", "direction": "in", "width": n * wa, "lanes": n, "lane_width": wa, "signed": True},
            {"name": "out_valid", "direction": "out", "width": 1},
            {"name": "y", "direction": "out", "width": m * wy, "lanes": m, "lane_width": wy, "signed": True},
        ],
        "a_lanes": n, "a_lane_width": wa, "y_lanes": m, "y_lane_width": wy,
        "latency_cycles": latency,
        "initiation_interval": wa if config.bit_serial else 1,
    }


def adder_module(top: str) -> str:
    """The one adder module of an all-pairs array, instantiated per adder.

    ``keep_hierarchy`` keeps each adder whole through synthesis. Flattened, Yosys/ABC optimize
    the graph across adders into a larger netlist, by an amount that varies from graph to graph,
    so area no longer follows the adders (BENCHMARKS.md cse-vs-da4ml, the "flattened" column);
    kept whole, an adder bit costs the same everywhere (`costmodel.hardwired`). Operands
    and result hold the exact values (interval bounds), each signed or, when never negative,
    unsigned (``UL``/``UR``; `signal_format`): a constant sign bit crossing a kept module's
    boundary would cost logic inside the module, where synthesis cannot fold it."""
    return "\n".join([
        "(* keep_hierarchy *)",
        f"module {top}_add #(parameter WL = 1, parameter WR = 1, parameter UL = 0, parameter UR = 0, "
        "parameter LS = 0, parameter RS = 0, parameter SUB = 0, parameter WO = 1) (",
        "  input wire [WL-1:0] a,\n  input wire [WR-1:0] b,\n  output wire [WO-1:0] y\n);",
        "  wire signed [WL:0] l = UL ? {1'b0, a} : {a[WL-1], a};",
        "  wire signed [WR:0] r = UR ? {1'b0, b} : {b[WR-1], b};",
        "  generate\n    if (SUB) begin : sub\n      assign y = (l <<< LS) - (r <<< RS);",
        "    end else begin : add\n      assign y = (l <<< LS) + (r <<< RS);\n    end\n  endgenerate",
        "endmodule",
    ])


def kept_adders(config: HardwiredConfig) -> bool:
    """Whether the array instantiates `adder_module` per adder: all-pairs arrays do."""
    return config.cse == "all-pairs" and config.sharing


def signal_format(config: HardwiredConfig, graph: AdderGraph) -> tuple[np.ndarray, np.ndarray]:
    """``(bits, unsigned)`` of each signal as the Verilog holds it (and a register cut stores it):
    signed, except in arrays of kept adders, where a signal that is never negative (a bit-serial
    input bit, a sum of them) is unsigned, without the constant sign bit."""
    widths = graph.width
    unsigned = np.zeros(widths.size, bool)
    if kept_adders(config):
        unsigned = graph.lo >= 0
        widths = np.where(unsigned, np.maximum(bit_length(graph.hi), 1), widths)
    return widths, unsigned


def _declared(kind: str, width: int, unsigned: bool, name: str) -> str:
    return f"{kind} {'' if unsigned else 'signed '}[{width - 1}:0] {name}"


def _ref(name: str, shift: int) -> str:
    return name if shift == 0 else f"({name} <<< {shift})"


def emit_verilog(config: HardwiredConfig, graph: AdderGraph, wy: int) -> tuple[str, dict]:
    """Verilog text of the array and register counts (``register_bits`` by role)."""
    n, m, wa = graph.n_inputs, graph.n_outputs, config.act.width
    p = config.pipeline
    serial = config.bit_serial
    held, unsigned = signal_format(config, graph)
    widths, unsigned = held.tolist(), unsigned.tolist()
    names = [f"n{i}" for i in range(n + graph.n_adders)]
    out: list[str] = []
    emit = out.append
    emit(f"// Generated by hwgen (kind: hardwired, config {config.digest()}). Do not edit.")
    emit(f"// {n} x {m} {config.weights} weights, {config.activation} activations, "
         f"{graph.n_adders} adders, pipeline {p}, {'bit-serial' if serial else 'parallel'}.")
    emit(f"module {config.top} (")
    emit("  input wire clk,\n  input wire rst,\n  input wire in_valid,\n  output wire in_ready,")
    emit(f"  input wire [{n * wa - 1}:0] a,\n  output wire out_valid,\n  output wire [{m * wy - 1}:0] y\n);")
    regs = {"input": n * wa, "cut": 0, "output": m * wy, "accumulator": 0, "control": 0}
    used = graph.live[0].tolist()
    if serial:
        cw = max(1, wa.bit_length())
        regs["control"] = cw + 2 * p + 1
        regs["accumulator"] = m * wy
        emit(f"  reg [{cw - 1}:0] cnt;")
        emit("  assign in_ready = (cnt <= 1);")
        emit("  wire load = in_valid & in_ready;")
        emit(f"  always @(posedge clk) begin\n    if (rst) cnt <= 0;\n    else if (load) cnt <= {wa};\n"
             "    else if (cnt != 0) cnt <= cnt - 1;\n  end")
        emit("  wire bv0 = (cnt != 0);")
        emit(f"  wire f0 = (cnt == {wa});")
        emit("  wire l0 = (cnt == 1);")
        for i in range(n):
            emit(f"  reg [{wa - 1}:0] s{i};")
        emit("  always @(posedge clk) begin")
        emit("    if (load) begin")
        for i in range(n):
            emit(f"      s{i} <= a[{i * wa + wa - 1}:{i * wa}];")
        emit("    end else begin")
        for i in range(n):
            emit(f"      s{i} <= s{i} << 1;")
        emit("    end\n  end")
        for i in used:
            emit(f"  {_declared('wire', widths[i], unsigned[i], f'n{i}')} = "
                 + (f"s{i}[{wa - 1}];" if unsigned[i] else f"{{1'b0, s{i}[{wa - 1}]}};"))
    else:
        regs["control"] = p + 2
        emit("  assign in_ready = 1'b1;")
        emit(f"  reg [{n * wa - 1}:0] a_r;")
        emit(f"  reg [{p + 1}:0] v;")
        emit("  always @(posedge clk) a_r <= a;")
        emit(f"  always @(posedge clk) begin\n    if (rst) v <= 0;\n    else v <= {{v[{p}:0], in_valid}};\n  end" if p > 0
             else "  always @(posedge clk) begin\n    if (rst) v <= 0;\n    else v <= {v[0], in_valid};\n  end")
        emit(f"  assign out_valid = v[{p + 1}];")
        for i in used:
            emit(f"  {_declared('wire', wa, unsigned[i], f'n{i}')} = a_r[{i * wa + wa - 1}:{i * wa}];")

    cuts = cut_levels(graph.n_levels, p)
    # All-pairs graphs instantiate each adder (`adder_module`), which synthesis keeps whole. The
    # neighbours form stays as it was, since the adder-graph cost model is calibrated on it.
    separate = kept_adders(config)
    level = graph.level
    bounds = np.searchsorted(level, np.arange(1, graph.n_levels + 1), side="right").tolist()
    left, right = graph.left.tolist(), graph.right.tolist()
    lsh, rsh, rsg = graph.lshift.tolist(), graph.rshift.tolist(), graph.rsign.tolist()
    start = 0
    flag = "0"
    for lv in range(1, graph.n_levels + 1):
        stop = bounds[lv - 1]
        for k in range(start, stop):
            nid = n + k
            w = widths[nid]
            if separate:
                emit(f"  {_declared('wire', w, unsigned[nid], f'n{nid}')};")
                emit(f"  {config.top}_add #(.WL({widths[left[k]]}), .WR({widths[right[k]]}), "
                     f".UL({int(unsigned[left[k]])}), .UR({int(unsigned[right[k]])}), .LS({lsh[k]}), "
                     f".RS({rsh[k]}), .SUB({int(rsg[k] < 0)}), .WO({w})) add{nid} "
                     f"(.a({names[left[k]]}), .b({names[right[k]]}), .y(n{nid}));")
            else:
                op = "+" if rsg[k] > 0 else "-"
                emit(f"  wire signed [{w - 1}:0] n{nid} = {_ref(names[left[k]], lsh[k])} {op} "
                     f"{_ref(names[right[k]], rsh[k])};")
        start = stop
        if lv in cuts:
            c = cuts.index(lv)
            live = graph.live[lv].tolist()
            for i in live:
                emit(f"  {_declared('reg', widths[i], unsigned[i], f'r{c}_{i}')};")
            emit("  always @(posedge clk) begin")
            for i in live:
                emit(f"    r{c}_{i} <= {names[i]};")
                names[i] = f"r{c}_{i}"
                regs["cut"] += widths[i]
            emit("  end")
            if serial:
                emit(f"  reg bv{c + 1}, f{c + 1}, l{c + 1};")
                emit(f"  always @(posedge clk) begin\n    if (rst) bv{c + 1} <= 0;\n    else bv{c + 1} <= bv{c};\n"
                     f"    f{c + 1} <= f{c};\n    l{c + 1} <= l{c};\n  end")
            flag = str(c + 1)

    oid, osg, osh = graph.out_id.tolist(), graph.out_sign.tolist(), graph.out_shift.tolist()

    def term(j: int) -> str:
        if oid[j] < 0:
            return "0"
        t = _ref(names[oid[j]], osh[j])
        return t if osg[j] > 0 else f"-{t}"

    for j in range(m):
        emit(f"  reg signed [{wy - 1}:0] y{j};")
    if serial:
        last = flag if cuts else "0"
        for j in range(m):
            emit(f"  reg signed [{wy - 1}:0] acc{j};")
            emit(f"  wire signed [{wy - 1}:0] t{j} = {term(j)};")
            emit(f"  wire signed [{wy - 1}:0] c{j} = f{last} ? -t{j} : ((acc{j} <<< 1) + t{j});")
        emit("  reg ov;\n  assign out_valid = ov;")
        emit(f"  always @(posedge clk) begin\n    if (rst) ov <= 0;\n    else ov <= bv{last} & l{last};\n  end")
        emit(f"  always @(posedge clk) begin\n    if (bv{last}) begin")
        for j in range(m):
            emit(f"      acc{j} <= c{j};")
        emit(f"      if (l{last}) begin")
        for j in range(m):
            emit(f"        y{j} <= c{j};")
        emit("      end\n    end\n  end")
    else:
        emit("  always @(posedge clk) begin")
        for j in range(m):
            emit(f"    y{j} <= {term(j)};")
        emit("  end")
    emit("  assign y = {" + ", ".join(f"y{j}" for j in reversed(range(m))) + "};")
    emit("endmodule")
    if separate:
        emit(adder_module(config.top))
    out.append("")
    return "\n".join(out), regs


def design_stats(config: HardwiredConfig, weights: np.ndarray, graph: AdderGraph, wy: int) -> dict:
    """Adder and register counts of the design, without writing its Verilog.

    ``effective_adder_bits`` leaves out the low bits below an operand's shift, which
    are wires, not full adders (what synthesis keeps).
    """
    n, m, wa, p = graph.n_inputs, graph.n_outputs, config.act.width, config.pipeline
    w = graph.width
    cuts = cut_levels(graph.n_levels, p)
    held, _ = signal_format(config, graph)
    cut_bits = int(sum(int(held[graph.live[lv]].sum()) for lv in cuts))
    serial = config.bit_serial
    regs = {"input": n * wa, "cut": cut_bits, "output": m * wy, "accumulator": m * wy if serial else 0,
            "control": (max(1, wa.bit_length()) + 2 * p + 1) if serial else p + 2}
    eff = w[n:] - np.maximum(graph.lshift, graph.rshift)
    stats = graph.stats(weights, config.positions)
    stats.update({
        "register_bits": regs,
        "output_width": wy,
        "cut_levels": cuts,
        "mean_adder_width": stats["adder_bits"] / max(1, graph.n_adders),
        "effective_adder_bits": int(eff.sum()),
        "negation_bits": graph.negations * wy,
        "stage_levels": [b - a for a, b in zip([0] + cuts, cuts + [graph.n_levels])],
        "stage_max_width": [int(w[n:][(graph.level > a) & (graph.level <= b)].max(initial=0))
                            for a, b in zip([0] + cuts, cuts + [graph.n_levels])],
    })
    return stats


def generate_verilog(config: HardwiredConfig) -> tuple[str, dict, dict]:
    """``(verilog_text, ports_info, stats)`` of a hardwired design.

    ``stats`` holds the adder counts against the naive per-neuron count
    (`AdderGraph.stats`), register bits by role, the output width and the cut levels.
    """
    weights, graph = build_design_graph(config)
    wy = output_width(weights, config.act)
    text, regs = emit_verilog(config, graph, wy)
    stats = design_stats(config, weights, graph, wy)
    if stats["register_bits"] != regs:
        raise RuntimeError(f"emitter bug: {regs} register bits emitted, {stats['register_bits']} counted")
    return text, ports_info(config, wy), stats
