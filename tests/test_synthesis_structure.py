"""The cost model's picture of what Yosys builds, checked against Yosys itself.

`costmodel.adder_fusion` re-implements ``alumacc``'s merge rule and `costmodel.opt_share`
holds measured ``opt_share`` savings; both are only as good as their agreement with the
installed Yosys, so these run its coarse synthesis (seconds) on small cores.
"""

import pytest
from hypothesis import given, strategies as st

import re

from costmodel.adder_fusion import (FusedAdder, accumulator_carry_save, carry_save_adders, fuse_reduction, may_overflow,
                                   reduction_adders)
from costmodel.model import structure
from costmodel.opt_share import cell_widths, coarse_rtlil, measure
from costmodel.opt_share_table import removed_build_bits
from costmodel.runs import design_config
from hwgen.config import max_pipeline
from hwgen.weights.shape import LutCoreShape


def test_an_untruncated_tree_fuses_into_the_accumulator():
    # 8 leaves of 5 bits (bound 8): every node's exact width is its natural width.
    tree, into_acc = fuse_reduction(8, 8, [False, False, False])
    assert tree == () and into_acc == (5,) * 8
    # 6 leaves: the last level adds a pass-through (7 + 6 bits, exact 7): truncated, so the
    # tree is one 6-operand adder and the accumulator add stays a two-operand one.
    tree, into_acc = fuse_reduction(6, 8, [False, False, False])
    assert tree == (FusedAdder((5,) * 6, 7),) and into_acc == ()
    # Its 4 carry-save rows of 7 bits hold 28 full adders, but above bit 4 the rows repeat
    # the operands' sign bits: 21 distinct ones.
    assert tree[0].carry_save_bits == 21


def test_registered_levels_stop_fusion():
    tree, into_acc = fuse_reduction(8, 8, [True, False, False])
    assert tree == (FusedAdder((5, 5), 6),) * 4 and into_acc == (6,) * 4


@given(st.lists(st.integers(1, 30), min_size=1, max_size=12), st.integers(1, 40))
def test_may_overflow_is_exact_for_small_operands(sizes, width):
    # Below 21 bits Yosys's estimate is exact: the sum of the operands' magnitudes.
    if max(sizes) <= 20:
        assert may_overflow(sizes, width) == (sum((1 << s) - 1 for s in sizes).bit_length() > width)


@given(st.lists(st.integers(2, 12), min_size=2, max_size=16), st.integers(0, 12))
def test_accumulator_carry_save_is_linear_in_the_accumulator_width(operands, extra):
    operands = tuple(operands)
    base, per_bit = accumulator_carry_save(operands)
    width = max(operands) + len(operands).bit_length() + extra
    assert carry_save_adders(operands, width, accumulator=True) == base + per_bit * width
    # Never more than the unshared rows: N + 1 operands, N - 1 rows of ``width`` full adders.
    assert base + per_bit * width <= (len(operands) - 1) * width


def _yosys_maccs(config) -> list[int]:
    """Operand bits (``A_WIDTH``) of every multi-operand ``$macc`` Yosys's coarse synthesis keeps."""
    (rtlil,) = coarse_rtlil(config)
    leaf = LutCoreShape(config).fetch_width
    return sorted(w for w in cell_widths(rtlil, "$macc", "A_WIDTH") if w > leaf + 1)  # the others: fetch negators


@pytest.mark.parametrize("design", [
    dict(mu=1, L=8, K=2, act="int4", p=2, n=256, m=16),   # tree fused into the accumulator
    dict(mu=1, L=6, K=2, act="int4", p=2, n=192, m=16),   # tree fused, accumulator separate
    dict(mu=2, L=8, K=1, act="int8", p=3, n=256, m=8),    # first level registered
    dict(mu=3, L=5, K=1, act="int4", p=0, n=120, m=8),
])
def test_fusion_matches_yosys_alumacc(design):
    config = design_config(design)
    shape = LutCoreShape(config)
    tree, into_acc = fuse_reduction(config.luts, shape.fetch_bound, [shape.cut(2 + i) for i in range(len(shape.levels))])
    expected = [sum(a.operands) for a in tree if len(a.operands) >= 3]
    if into_acc:
        expected.append(config.accumulator_width + sum(into_acc))
    assert _yosys_maccs(config) == sorted(expected * config.fetchers)


@pytest.mark.parametrize("design", [
    dict(mu=3, L=2, K=2, act="int8", n=96, m=16),   # int8: negators are $alu cells
    dict(mu=4, L=3, K=2, act="int4", n=96, m=16),   # int4: narrow negators become $macc cells
])
def test_counts_follow_what_yosys_builds(design):
    """Fully pipelined (nothing fuses): the model's adder bits, mux select terms and registers
    against the cells of Yosys's coarse synthesis of the generated RTL."""
    config = design_config(dict(design, p=max_pipeline(design["L"])))
    (rtlil,) = coarse_rtlil(config)
    f = structure(config)["features"]
    adder_bits = sum(cell_widths(rtlil, "$alu", "Y_WIDTH")) + sum(cell_widths(rtlil, "$macc", "Y_WIDTH"))
    assert f["csa_bits"] == 0
    assert f["build_add_bits"] + f["neg_bits"] + f["tree_add_bits"] + f["acc_bits"] + f["counter_bits"] == adder_bits
    # the activation buffer's read mux is Yosys's $mem read port, not a $pmux: one select term per word
    words = -(-design["n"] // (design["mu"] * design["L"]))
    assert f["mux_select_terms"] == sum(cell_widths(rtlil, "$pmux", "S_WIDTH")) + words
    # Fetch-mux data inputs are counted at each entry's own width: never more than Yosys's E x width
    # (plus the buffer's words and its stream/buffer select, one activation beat each).
    pmux = zip(cell_widths(rtlil, "$pmux", "S_WIDTH"), cell_widths(rtlil, "$pmux", "WIDTH"))
    beat = design["mu"] * design["L"] * int(design["act"][3:])
    assert f["mux_data_bits"] <= sum(s * w for s, w in pmux) + (words + 2) * beat
    flops = sum(sum(cell_widths(rtlil, t, "WIDTH")) for t in set(re.findall(r"cell (\$\w*dff\w*) ", rtlil)))
    # control flops are counted as a constant (~5% short); the buffer's words are a $mem, not flops
    assert 0.9 * flops <= f["reg_bits"] - words * beat <= flops


@pytest.mark.parametrize("mu,act", [(2, "int4"), (3, "int8"), (4, "int4")])
def test_opt_share_table_matches_yosys(mu, act):
    assert removed_build_bits(mu, int(act[3:])) == measure(mu, act)


@pytest.mark.parametrize("design", [
    dict(mu=1, L=16, K=1, act="int4", p=1, n=64, m=4),   # 16 operands fused into an 11-bit accumulator
    dict(mu=2, L=3, K=1, act="int4", p=0, n=24, m=4),    # 3-operand tree, accumulator separate
    dict(mu=2, L=5, K=1, act="int4", p=1, n=40, m=4),
    dict(mu=1, L=8, K=1, act="int4", p=2, n=32, m=4),
])
def test_carry_save_count_matches_yosys_after_structural_hashing(design):
    """The replay's full adders are Yosys's: map its ``$fa`` cells to gates, merge identical
    gates (what ABC's strash does) and count XORs, two per full adder."""
    config = design_config(design)
    shape = LutCoreShape(config)
    _, full_adders, per_accumulator_bit = reduction_adders(
        config.luts, shape.fetch_bound, [shape.cut(2 + i) for i in range(len(shape.levels))])
    full_adders += per_accumulator_bit * config.accumulator_width
    *_, merged = coarse_rtlil(config, "maccmap", "techmap t:$fa; opt_expr; opt_merge; opt_clean")
    assert abs(len(re.findall(r"cell \$_XOR_ ", merged)) - 2 * full_adders) <= 1
