"""All-pairs sub-expression extraction (`hwgen.hardwired.cse`) inside the adder graph."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.hardwired import parse_hardwired
from hwgen.hardwired.config import generate_weights
from hwgen.hardwired.graph import build_graph
from hwgen.hardwired.rtl import generate_verilog
from sim.hardwired_sim import simulate_hardwired


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 24), m=st.integers(1, 24), positions=st.sampled_from([1, 4, 5]))
def test_all_pairs_graph_is_exact_and_within_widths(seed, n, m, positions):
    rng = np.random.default_rng(seed)
    hi = 1 if positions == 1 else (1 << (positions - 1)) - 1
    w = rng.integers(-hi, hi + 1, (n, m))
    g = build_graph(w, positions, -128, 127, cse="all-pairs")
    a = rng.integers(-128, 128, (6, n))
    a[0], a[1] = -128, 127
    assert np.array_equal(g.evaluate(a, check_widths=True), a @ w)
    assert np.all(np.diff(g.level) >= 0), "adders sorted by level"
    assert all(np.all(g.level[live[live >= n] - n] <= lv) for lv, live in enumerate(g.live))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 12), m=st.integers(1, 30), positions=st.sampled_from([1, 3, 5]),
       patterns=st.integers(1, 4))
def test_all_pairs_graph_is_exact_on_matrices_full_of_repeats(seed, n, m, positions, patterns):
    """Few distinct columns, each repeated at random powers of two: many shared pairs, at many shifts."""
    rng = np.random.default_rng(seed)
    hi = 1 if positions == 1 else (1 << (positions - 2)) - 1
    base = rng.integers(-hi, hi + 1, (n, patterns))
    w = base[:, rng.integers(0, patterns, m)] << rng.integers(0, 2 if positions > 1 else 1, m)
    g = build_graph(w, positions, -128, 127, cse="all-pairs")
    a = rng.integers(-128, 128, (6, n))
    a[0], a[1] = -128, 127
    assert np.array_equal(g.evaluate(a, check_widths=True), a @ w)


def test_a_tall_narrow_matrix_names_its_input_pairs_through_the_map_and_stays_exact():
    """160 inputs, 3 columns (the second and third the first at other shifts): too many inputs for
    the kernel's direct table of input pairs, so its hash map names them; the repeats are shared."""
    rng = np.random.default_rng(5)
    col = rng.integers(-3, 4, 160)
    w = np.stack([col, col << 1, -(col << 2)], axis=1)
    g = build_graph(w, 5, -128, 127, cse="all-pairs")
    a = rng.integers(-128, 128, (6, 160))
    a[0], a[1] = -128, 127
    assert np.array_equal(g.evaluate(a, check_widths=True), a @ w)
    nb = build_graph(w, 5, -128, 127)
    assert g.n_adders + g.negations < (nb.n_adders + nb.negations) / 2


@pytest.mark.parametrize("k", [2, 5, 9])
def test_identical_columns_share_one_tree_without_negations(k):
    """M equal columns with k non-zeros (one positive): k - 1 adders in all, none per column."""
    col = np.array([1] + [-1, 1] * 8)[:k]
    w = np.tile(np.concatenate([col, np.zeros(3, int)])[:, None], (1, 7))
    g = build_graph(w, 1, -128, 127, cse="all-pairs")
    assert (g.n_adders, g.negations) == (k - 1, 0)


def test_all_pairs_needs_fewer_adders_than_neighbours_on_a_seeded_layer():
    for fmt, positions in (("ternary", 1), ("int4", 4)):
        w = generate_weights(fmt, 48, 48, 0)
        nb = build_graph(w, positions, -128, 127)
        ap = build_graph(w, positions, -128, 127, cse="all-pairs")
        assert ap.n_adders + ap.negations < nb.n_adders + nb.negations


@pytest.mark.slow
@pytest.mark.parametrize("bit_serial", [False, True])
def test_all_pairs_rtl_with_register_cuts_simulates_exact(bit_serial):
    c = parse_hardwired({"kind": "hardwired", "weights": "int4", "cse": "all-pairs", "pipeline": 3,
                         "workload": {"n": 12, "m": 24}, "seed": 4, "bit_serial": bit_serial})
    verilog, _, _ = generate_verilog(c)
    a = np.random.default_rng(2).integers(-128, 128, (10, 12))
    simulate_hardwired(c, verilog, None, a, "icarus")


def test_max_pairs_refuses_a_matrix_over_the_limit_and_takes_one_at_it(monkeypatch):
    """Ternary, one digit: 3 distinct columns with 8, 6 and 5 non-zeros hold 28 + 15 + 10 term pairs."""
    from hwgen.errors import ConfigError  # imported here: this file's header is being edited on main

    w = np.zeros((8, 3), int)
    w[:, 0] = [1, -1, 1, 1, -1, 1, 1, 1]
    w[:6, 1] = [1, 1, -1, 1, 1, 1]
    w[:5, 2] = [-1, 1, 1, -1, 1]
    monkeypatch.setattr("hwgen.hardwired.cse.MAX_PAIRS", 53)
    g = build_graph(w, 1, -128, 127, cse="all-pairs")
    assert np.array_equal(g.evaluate(np.eye(8, dtype=int)), w)
    monkeypatch.setattr("hwgen.hardwired.cse.MAX_PAIRS", 52)
    with pytest.raises(ConfigError, match="cse: neighbours"):
        build_graph(w, 1, -128, 127, cse="all-pairs")
    assert build_graph(w, 1, -128, 127).n_adders > 0  # the default sharing has no such limit


def test_cli_refuses_all_pairs_over_the_limit_in_one_line(tmp_path, monkeypatch, capsys):
    from hwgen.cli import main

    monkeypatch.setattr("hwgen.hardwired.cse.MAX_PAIRS", 10)
    design = tmp_path / "d.yaml"
    design.write_text("kind: hardwired\nweights: ternary\nseed: 1\nworkload: {n: 16, m: 8}\ncse: all-pairs\n")
    out = tmp_path / "out"
    assert main(["generate", str(design), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("hwgen generate: error: cse: all-pairs")
    assert not out.exists()
