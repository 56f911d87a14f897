"""The LUT build graph is minimal, shallow and numerically right."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.formats import entry_coefficients, lut_entries
from hwgen.lutgraph import build_lut_graph, naive_adders, zero_skipping_adders


@pytest.mark.parametrize("mu", range(1, 9))
def test_one_adder_per_multi_term_entry(mu):
    graph = build_lut_graph(mu)
    assert graph.adders == lut_entries(mu) - mu  # the lower bound: each such entry is a new value
    assert graph.depth == int(np.ceil(np.log2(mu)))
    assert len(graph.entries) == lut_entries(mu)


def test_savings_against_naive_build():
    assert build_lut_graph(4).adders == 36 and naive_adders(4) == 120
    assert build_lut_graph(2).adders == 2 and naive_adders(2) == 4


def test_zero_skipping_baseline_counts_entries_by_their_nonzero_weights():
    from math import comb

    # Of the 3^mu weight vectors, comb(mu, k) * 2^k have k non-zeros; sign symmetry halves them.
    for mu in range(1, 9):
        assert zero_skipping_adders(mu) == sum(comb(mu, k) * 2**k * (k - 1) for k in range(1, mu + 1)) // 2
    assert zero_skipping_adders(4) == 68 and build_lut_graph(4).adders == 36  # 47% fewer, not 70%
    assert zero_skipping_adders(2) == 2 == build_lut_graph(2).adders          # nothing to share at mu=2


@given(st.integers(1, 6), st.data())
def test_entries_evaluate_to_their_signed_sums(mu, data):
    acts = np.array(data.draw(st.lists(st.integers(-128, 127), min_size=mu, max_size=mu)))
    graph = build_lut_graph(mu)
    values = []
    for node in graph.nodes:
        if node.op == "in":
            values.append(acts[node.a])
        elif node.op == "add":
            values.append(values[node.a] + values[node.b])
        else:
            values.append(values[node.a] - values[node.b])
    for i, node_id in enumerate(graph.entries, start=1):
        assert values[node_id] == np.dot(entry_coefficients(mu, i), acts)


@pytest.mark.parametrize("mu", [2, 3, 5])
def test_value_ranges_are_exact(mu):
    graph = build_lut_graph(mu)
    ranges = graph.value_ranges(-128, 127)
    for i, node_id in enumerate(graph.entries, start=1):
        c = np.array(entry_coefficients(mu, i))
        hi = int(np.sum(np.where(c > 0, 127, 128) * np.abs(c)))
        lo = -int(np.sum(np.where(c > 0, 128, 127) * np.abs(c)))
        assert ranges[node_id] == (lo, hi)
