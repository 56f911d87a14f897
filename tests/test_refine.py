"""Synthesis in the loop (`dse.refine`, ``hwgen sweep --synth-top``): which Pareto designs are
synthesized, the measured per-token objectives, and the front re-ranked in the report."""

import pandas as pd
import pytest
import yaml

from dse.refine import measured_metrics, selection_order
from dse.space import load_space
from dse.sweep import run_sweep
from hwgen.errors import ConfigError

SPACE = {
    "name": "tiny",
    "workload": {"name": "tiny", "gemvs": [{"name": "a", "n": 64, "m": 16, "count": 4}]},
    "parameters": {"group_size": [2, 3], "luts": [1, 2], "fetchers": [1, 2], "pipeline": [0, 1]},
    "objectives": ["area_mm2", "energy_per_token_uj"],
    "search": {"trials": 40, "sampler": "random"},
}


def _space(tmp_path, **changes):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump({**SPACE, **changes}))
    return str(path)


def test_selection_puts_the_largest_hypervolume_contribution_first(tmp_path):
    space = load_space(_space(tmp_path))
    # in log10: (0, 3), (1, 1), (3, 0); normalized (0, 1), (1/3, 1/3), (1, 0). The middle design
    # alone dominates (2/3)^2 of the box, the ends 1/3 * 0.1 each (reference point at 1.1).
    front = pd.DataFrame({"area_mm2": [1.0, 10.0, 1000.0], "energy_per_token_uj": [1000.0, 10.0, 1.0]})
    assert selection_order(space, front).tolist()[0] == 1
    assert sorted(selection_order(space, front).tolist()) == [0, 1, 2]


def test_measured_metrics_replace_the_core_numbers(tmp_path):
    space = load_space(_space(tmp_path))
    # 1 uJ of the 4 is the DRAM stream's: synthesis does not change it
    row = pd.Series({"clock_mhz": 200.0, "compute_ms_per_token": 0.02, "memory_ms_per_token": 0.0,
                     "latency_ms": 0.02, "area_mm2": 0.5, "energy_per_token_uj": 4.0, "dram_uj_per_token": 1.0,
                     "power_mw": 10.0, "tops_per_mm2": 8.0, "tops_per_w": 6.0})
    same = {"model_area_um2": 5e5, "synth_area_um2": 5e5, "model_power_mw": 10.0, "synth_power_mw": 10.0,
            "synth_fmax_mhz": 200.0}
    m = measured_metrics(space, row, same)
    assert [m[k] for k in ("area_mm2", "energy_per_token_uj", "tokens_per_s", "tops_per_mm2", "tops_per_w")] \
        == pytest.approx([0.5, 4.0, 50_000.0, 8.0, 6.0])
    # twice the area, half the power, the core only reaches 100 MHz: compute time doubles
    m = measured_metrics(space, row, {**same, "synth_area_um2": 1e6, "synth_power_mw": 5.0, "synth_fmax_mhz": 100.0})
    assert [m[k] for k in ("area_mm2", "energy_per_token_uj", "tokens_per_s", "tops_per_mm2", "tops_per_w")] \
        == pytest.approx([1.0, 2.5, 25_000.0, 2.0, 6.0 * 4.0 / 2.5])


@pytest.mark.slow
def test_sweep_synthesizes_the_front_and_reranks_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    result = run_sweep(_space(tmp_path), out_dir=str(tmp_path / "out"), synth_top=50, progress=False)
    synth = pd.read_csv(result.out_dir / "synthesis.csv")
    refined = pd.read_csv(result.out_dir / "refined.csv")
    pareto = pd.read_csv(result.out_dir / "pareto.csv")
    # a budget larger than the front: every Pareto design synthesized once
    assert sorted(synth["design"]) == sorted(refined["design"]) == sorted(pareto["design"])
    merged = refined.merge(synth, on="design").merge(pareto, on="design")
    assert merged["measured_area_mm2"].to_numpy() == pytest.approx(
        (merged["area_mm2"] * merged["synth_area_um2"] / merged["model_area_um2"]).to_numpy())
    assert sorted(refined["measured_rank"]) == sorted(refined["model_rank"]) == list(range(1, len(refined) + 1))
    assert refined["measured_pareto"].any()
    assert "## Front re-ranked by synthesis" in (result.out_dir / "report.md").read_text()


def test_scheduler_is_checked_before_the_search(tmp_path, monkeypatch):
    monkeypatch.setattr("costmodel.batch.CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ConfigError, match="give --synth-top N as well"):
        run_sweep(_space(tmp_path), out_dir=str(tmp_path / "out"), scheduler="tcp://127.0.0.1:9", progress=False)
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler tcp://127.0.0.1:9"):
        run_sweep(_space(tmp_path), out_dir=str(tmp_path / "out"), synth_top=2, scheduler="tcp://127.0.0.1:9",
                  progress=False)
    assert not (tmp_path / "out").exists()
