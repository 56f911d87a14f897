"""Analytical model of the MAC baseline (`hwgen.rtl.mac_core`), priced like `costmodel.float_model`.

==============  ===================================================================
component       what is counted
==============  ===================================================================
products        ``rows*columns`` units: ternary sign-select (integers: a negator and
                a zero mux of ``act+1`` bits; floats: a sign flip and a zero mux),
                int8 multipliers (measured ``intXxint8`` unit) or fp16 x float
                multipliers (measured ``fpmul_fp16`` unit)
tree            ``columns*(rows-1)`` adders: float units, or integer adder bits
                priced with the integer table (``tree_add_bits``, exact widths)
accumulate      ``columns`` adders (float unit / ``acc_bits``), wideners if wider
registers       product cut, tree cuts, adder-internal stages, accumulators, results
==============  ===================================================================
"""

from __future__ import annotations


from hwgen.config import MacConfig
from hwgen.floatpath import MacShape
from hwgen.formats import signed_width

from .float_model import STAGE_BITS_EXTRA, price, unit_costs
from .frame import buffer_read_delay, buffer_report, frame_counts
from .tech import load_tech

__all__ = ["estimate_mac"]


def estimate_mac(config: MacConfig, tech_name: str = "osu018", clock_mhz: float | None = None) -> dict:
    """The model's prediction for one MAC baseline core (keys of `costmodel.model.OUTPUT_KEYS`)."""
    s = MacShape(config)
    c = config
    R, K = c.rows, c.columns
    units = unit_costs()
    base = load_tech("osu018")
    int_area = load_tech(tech_name).area
    area_scale = int_area["tree_add_bits"] / base.area["tree_add_bits"]
    unit_area, neg_bits, mux_bits, reg = 0.0, 0, 0, 0
    a = c.adder_pipeline if c.is_float else 0
    if c.weights == "ternary":
        if c.is_float:
            mux_bits = R * K * c.act.width
        else:
            neg_bits = R * K * s.product_width
            mux_bits = R * K * s.product_width
        prod_delay = base.delay["neg_base"] + base.delay["mux_base"]
    elif c.weights == "int8":
        u = units["intmul"][f"int{c.act.width}xint8"]
        unit_area += R * K * u["area_um2"]
        prod_delay = u["delay_ns"]
    else:
        u = units["fpmul_fp16"][c.activation]
        unit_area += R * K * u["area_um2"]
        prod_delay = u["delay_ns"]
    extra_int_area = 0.0
    if c.is_float:
        add = units["fpadd"][c.activation]
        acc = units["fpadd"][c.accumulation]
        unit_area += s.tree_adders * add["area_um2"] + K * acc["area_um2"]
        if c.accumulation != c.activation:
            unit_area += K * units["widen"][f"{c.activation}->{c.accumulation}"]["area_um2"]
        reg += s.tree_adders * a * (c.act.width + STAGE_BITS_EXTRA)
        add_delay, acc_delay = add["delay_ns"], acc["delay_ns"]
        level_widths = [[c.act.width] * len(level) for level in s.levels]
    else:
        level_widths = [[signed_width(-b, b) for b in bounds] for bounds in s.level_bounds[1:]]
        tree_bits = sum(w for level, ws in zip(s.levels, level_widths) for g, w in zip(level, ws) if len(g) == 2)
        extra_int_area = (K * tree_bits * int_area["tree_add_bits"] + K * c.accumulator_width * int_area["acc_bits"]
                          + K * (R - 1) * int_area["tree_adders"])
        add_delay = None
        acc_delay = base.delay["acc_base"] + base.delay["add_per_bit"] * c.accumulator_width
    out_w = c.acc_format.width if c.is_float else c.accumulator_width
    reg += 2 * K * out_w + 2 + 4 * s.latency
    if s.cut(0):
        reg += R * K * s.product_width
    for i, widths in enumerate(level_widths):
        if s.cut(1 + i):
            reg += K * sum(widths)
    frame = {k: int(v) for k, v in frame_counts(c.workload.max_n, c.workload.max_m, c.rows, c.columns,
                                                 c.rows * c.act.width).items()}
    reg += frame["reg_bits"]
    counts = {
        "unit_area": unit_area + extra_int_area / area_scale, "mux_data_bits": mux_bits + frame["mux_data_bits"],
        "mux_select_terms": frame["mux_select_terms"], "neg_bits": neg_bits, "reg_bits": reg,
        "counter_bits": frame["counter_bits"],
    }
    # stages: products, then tree levels (each an adder, pieces when pipelined inside), cuts between
    # the activation buffer's read mux leads into the products (`costmodel.frame.buffer_read_delay`)
    segments = [prod_delay + float(buffer_read_delay(frame["buffer_words"], base.delay))] + [
        (add_delay if add_delay is not None else base.delay["add_base"] + base.delay["add_per_bit"] * max(ws))
        for ws in level_widths]
    stages, current = [], 0.0
    for i, d in enumerate(segments):
        piece = d / (a + 1) if i else d
        for _ in range(a if i else 0):
            stages.append(current + piece)
            current = 0.0
        current += piece
        if s.cut(i):
            stages.append(current)
            current = 0.0
    stages += [current, acc_delay]
    return {**price(counts, stages, s.cycles_per_gemv, 2 * c.workload.n * c.workload.m, tech_name, clock_mhz),
            "activation_buffer": buffer_report(frame, load_tech(tech_name))}
