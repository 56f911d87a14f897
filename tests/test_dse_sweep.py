"""Sweeps end to end: the small default-like sweep, determinism, exhaustive mode,
resume after SIGKILL, and two workers on one storage."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dse.space import load_space
from dse.study import UID_ATTR, completed_trials, open_storage, open_study
from dse.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]

SPACE = {
    "name": "small",
    "workload": {"name": "tiny", "gemvs": [{"name": "a", "n": 512, "m": 256, "count": 4},
                                             {"name": "b", "n": 256, "m": 512, "count": 2}]},
    "parameters": {"group_size": [2, 3, 4], "luts": {"min": 1, "max": 32, "scale": "pow2"},
                   "fetchers": {"min": 1, "max": 64, "scale": "pow2"}, "pipeline": {"min": 0, "max": 3}},
    "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
    "constraints": {"max_area_mm2": 5, "memory_bandwidth_gbps": 10},
    "search": {"trials": 120, "population": 20},
}


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(SPACE))
    return str(path)


def _uids(storage, space_file, study="small"):
    study = open_study(load_space(space_file), open_storage(storage), study)
    return [t.user_attrs[UID_ATTR] for t in completed_trials(study)]


def test_small_sweep_writes_complete_deterministic_report(space_file, tmp_path):
    a = run_sweep(space_file, out_dir=str(tmp_path / "a"), exhaustive=False, progress=False)
    b = run_sweep(space_file, out_dir=str(tmp_path / "b"), exhaustive=False, progress=False)
    assert a.trials == 120 and a.new_trials == 120 and len(a.pareto) > 3
    assert a.hypervolume_ratio is not None and 0.5 < a.hypervolume_ratio <= 1.0 + 1e-9
    manifest = json.loads(a.manifest.read_text())
    assert manifest["status"] == "complete"
    for rel in ("report.html", "report.md", "trials.csv", "pareto.csv", "plots/hypervolume.png",
                "plots/importance.png", "plots/pareto_area_mm2__tokens_per_s.png"):
        assert rel in manifest["files"], rel
    # same seed -> byte-identical report files
    for rel in manifest["files"]:
        assert (a.out_dir / rel).read_bytes() == (b.out_dir / rel).read_bytes(), rel
    report = (a.out_dir / "report.md").read_text()
    assert "model accuracy, pipelined LUT cores**: on " in report and "unpipelined LUT cores" in report
    trials = pd.read_csv(a.out_dir / "trials.csv")
    assert len(trials) == 120 and set(trials.columns) >= {"luts", "area_mm2", "feasible", "bound", "pareto"}
    assert not list(a.out_dir.glob(".staging-*"))
    # a second run of the same study has nothing left to do and rewrites the same report
    c = run_sweep(space_file, out_dir=str(tmp_path / "a"), exhaustive=False, progress=False)
    assert c.new_trials == 0 and c.trials == 120


def test_exhaustive_mode_is_the_true_front(space_file, tmp_path):
    ex = run_sweep(space_file, out_dir=str(tmp_path / "ex"), exhaustive=True, progress=False)
    assert ex.mode == "exhaustive" and ex.trials == load_space(space_file).size
    assert not (tmp_path / "ex" / "study.journal").exists()
    found = run_sweep(space_file, out_dir=str(tmp_path / "s"), exhaustive=False, progress=False)
    assert found.exhaustive_hypervolume == pytest.approx(ex.hypervolume)
    auto = run_sweep(space_file, out_dir=str(tmp_path / "auto"), progress=False)
    assert auto.mode == "exhaustive" and "prices in seconds" in auto.summary["mode_reason"]
    assert auto.hypervolume == pytest.approx(ex.hypervolume) and len(auto.pareto) == len(ex.pareto)


def test_resume_after_sigkill_keeps_every_completed_trial(space_file, tmp_path):
    out = tmp_path / "out"
    code = ("import sys; from dse.sweep import run_sweep; "
            f"run_sweep({space_file!r}, trials=300, out_dir={str(out)!r}, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    journal = out / "study.journal"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_bytes().count(b'"hwgen_uid"') >= 40:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the sweep did not start")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    before = _uids(str(journal), space_file)
    assert 40 <= len(before) < 300
    assert not (out / "manifest.json").exists()  # no report presented for the killed run
    result = run_sweep(space_file, trials=300, out_dir=str(out), progress=False)
    after = _uids(str(journal), space_file)
    assert set(before) <= set(after)
    assert len(after) == len(set(after)) == 300
    assert result.new_trials == 300 - len(before)


def test_two_workers_share_one_storage(space_file, tmp_path):
    result = run_sweep(space_file, trials=200, jobs=2, out_dir=str(tmp_path / "j"), progress=False)
    uids = _uids(str(tmp_path / "j" / "study.journal"), space_file)
    assert result.trials == 200 and len(uids) == 200 and len(set(uids)) == 200
    assert {u.split("-")[1] for u in uids} == {"0", "1"}  # both workers contributed
    study = open_study(load_space(space_file), open_storage(str(tmp_path / "j" / "study.journal")), "small")
    numbers = [t.number for t in completed_trials(study)]
    assert numbers == list(range(200))


def test_study_of_another_space_is_refused(space_file, tmp_path):
    run_sweep(space_file, trials=10, out_dir=str(tmp_path / "o"), progress=False)
    other = dict(SPACE, constraints={"max_area_mm2": 1})
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(other))
    from hwgen.errors import ConfigError
    with pytest.raises(ConfigError, match="different space"):
        run_sweep(str(path), trials=10, out_dir=str(tmp_path / "o"), study="small", progress=False)
