"""What a newcomer does first: the default sweep, a suggested design from its report, the
command that builds it; --trials shared by processes; a resumed search's messages."""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dse.study import JOURNAL_LOCK_SUFFIX, LOCK_GRACE_S, completed_trials, open_storage, open_study
from dse.space import load_space
from dse.sweep import run_sweep
from hwgen.cli import main
from hwgen.config import parse_design

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"name": "small", "workload": {"name": "t", "gemvs": [{"name": "a", "n": 512, "m": 256, "count": 4}]},
         "parameters": {"group_size": [2, 3, 4], "luts": {"min": 1, "max": 32, "scale": "pow2"},
                        "fetchers": {"min": 1, "max": 64, "scale": "pow2"}, "pipeline": {"min": 0, "max": 3}},
         "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
         "constraints": {"max_area_mm2": 5}, "search": {"trials": 60, "population": 20}}


@pytest.fixture
def space_file(tmp_path) -> str:
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(SPACE))
    return str(path)


def test_default_sweep_report_leads_to_a_design_whose_estimate_is_the_row(tmp_path, monkeypatch, capsys):
    """From report.html: a suggested design, its generate command; run it; the Verilog's estimate
    (manifest.json) is the report row's area and power."""
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--out", "rep", "--quiet"]) == 0
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "mode</th><td>exhaustive:" in page  # the default space is enumerated: the exact front
    section = page[page.index("<h2>Suggested designs</h2>"):]
    design = re.search(r"<h3 id='(p\d+)'>", section).group(1)
    assert f"<title>{design}: " in page  # the plots' hover names the same design
    table = pd.read_csv(tmp_path / "rep" / "pareto.csv")
    assert all(f"<td>{d}</td>" in page for d in table["design"])  # the HTML table holds every Pareto design
    commands = html.unescape(re.search(r"<pre>(.*?)</pre>", section, re.S).group(1)).splitlines()
    generate = next(c for c in commands if c.startswith("hwgen generate"))
    args = shlex.split(generate)[1:]
    monkeypatch.chdir(tmp_path / "rep")  # the commands run in the report's folder
    assert main(args) == 0
    out = Path(args[args.index("-o") + 1])
    manifest = json.loads((out / "manifest.json").read_text())
    assert f"module {manifest['top']}" in (out / f"{manifest['top']}.v").read_text()
    row = pd.read_csv(tmp_path / "rep" / "pareto.csv").set_index("design").loc[design]
    assert manifest["estimate"]["area_um2"] == pytest.approx(row["area_mm2"] * 1e6, rel=1e-7)
    assert manifest["estimate"]["power_mw"] == pytest.approx(row["power_mw"], rel=1e-5)
    assert manifest["estimate"]["fmax_mhz"] >= manifest["clock_mhz"]
    # the same figures from `hwgen estimate`, the report's second command
    estimate = shlex.split(next(c for c in commands if c.startswith("hwgen estimate")))[1:]
    capsys.readouterr()
    assert main(estimate + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["area_um2"] == manifest["estimate"]["area_um2"]


def test_emit_rtl_writes_a_design_file_beside_each_verilog(tmp_path):
    tiny = dict(SPACE, parameters={"group_size": 2, "luts": [1, 2], "fetchers": [1, 2], "pipeline": 1})
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny))
    res = run_sweep(str(path), out_dir=str(tmp_path / "o"), emit_rtl=True, progress=False)
    for design in res.pareto["design"]:
        folder = res.out_dir / "rtl" / design
        config = parse_design(yaml.safe_load((folder / "design.yaml").read_text()))
        manifest = json.loads((folder / "manifest.json").read_text())
        assert json.loads(json.dumps(config.to_dict())) == manifest["config"]  # the core the Verilog is


def test_two_processes_with_trials_n_end_with_n(space_file, tmp_path):
    """--trials is the total the study holds: two processes sharing one journal stop at it together."""
    journal = tmp_path / "shared.journal"
    go = tmp_path / "go"
    code = ("import os, sys, time; from pathlib import Path; from dse.sweep import run_sweep\n"
            "Path(sys.argv[1] + '.ready').touch()\n"
            f"while not os.path.exists({str(go)!r}): time.sleep(0.01)\n"
            f"run_sweep({space_file!r}, trials=300, storage={str(journal)!r}, out_dir=sys.argv[1], progress=False)")
    outs = [tmp_path / f"o{i}" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-c", code, str(o)], cwd=ROOT) for o in outs]
    deadline = time.monotonic() + 120
    while not all(Path(f"{o}.ready").exists() for o in outs) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()  # both start searching together
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    study = open_study(load_space(space_file), open_storage(str(journal)), "small")
    assert len(completed_trials(study)) == 300  # however the two processes interleaved


def test_a_worker_stops_at_the_target_others_filled(space_file, tmp_path):
    """The count is the storage's, not the worker's: with 100 of 120 trials stored by another
    process, a worker given a quota of 300 adds exactly 20."""
    from dse.study import WorkerSpec, run_worker

    journal = str(tmp_path / "s.journal")
    run_sweep(space_file, trials=100, storage=journal, out_dir=str(tmp_path / "o"), progress=False)
    spec = WorkerSpec(space_file, journal, "small", "nsga2", 0, 120, sync=False)
    assert run_worker(spec, 300, worker=1) == 20
    study = open_study(load_space(space_file), open_storage(journal), "small")
    assert len(completed_trials(study)) == 120


def test_resume_reports_the_stored_best_and_releases_a_stale_lock(space_file, tmp_path, capsys):
    out = tmp_path / "o"
    run_sweep(space_file, trials=30, out_dir=str(out), progress=False)
    lock = Path(str(out / "study.journal") + JOURNAL_LOCK_SUFFIX)
    os.symlink(out / "study.journal", lock)  # what a process killed while writing leaves behind
    old = time.time() - LOCK_GRACE_S - 1
    os.utime(lock, (old, old), follow_symlinks=False)
    capsys.readouterr()
    res = run_sweep(space_file, trials=30, out_dir=str(out), progress=True)
    err = capsys.readouterr().err
    assert res.new_trials == 0 and not os.path.lexists(lock)
    assert "released the journal lock a killed run left" in err and "Forcibly" not in err
    assert "nothing left to run" in err and "no feasible design yet" not in err and "best per objective: area_mm2" in err


def test_auto_mode_searches_when_asked_or_too_large(space_file):
    from dse.sweep import AUTO_EXHAUSTIVE_LIMIT, choose_mode

    space = load_space(space_file)
    assert choose_mode(space, None, search_asked=False)[0] == "exhaustive"
    assert choose_mode(space, None, search_asked=True) == ("search", "a search was asked for (--trials, --storage, --study or --jobs)")
    assert choose_mode(space, False, search_asked=False)[0] == "search"
    big = load_space(None)
    raw = yaml.safe_load(Path(ROOT / "dse" / "presets" / "default_space.yaml").read_text())
    raw["parameters"]["luts"] = {"min": 1, "max": 1024, "scale": "pow2"}
    from dse.space import parse_space

    wide = parse_space(raw)
    assert wide.size <= AUTO_EXHAUSTIVE_LIMIT and choose_mode(wide, None, False)[0] == "search"
    assert choose_mode(big, None, False)[0] == "exhaustive"


def test_reused_folders_hold_no_stale_outputs(space_file, tmp_path):
    from hwgen.api import generate

    generate({"kind": "lut", "group_size": 2, "luts": 2, "fetchers": 2, "workload": {"n": 8, "m": 4}}, tmp_path / "g")
    generate({"kind": "mac", "rows": 2, "columns": 2, "workload": {"n": 8, "m": 4}}, tmp_path / "g")
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["constraints.sdc", "filelist.f", "mac_core.v",
                                                                  "manifest.json"]
    out = tmp_path / "o"
    run_sweep(space_file, out_dir=str(out), synth_top=0, progress=False)
    (out / "synthesis.csv").write_text("from an earlier report\n")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["synthesis.csv"] = "0"
    (out / "manifest.json").write_text(json.dumps(manifest))
    run_sweep(space_file, out_dir=str(out), progress=False)
    assert not (out / "synthesis.csv").exists()


def test_cache_command_shows_and_cleans(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "c"))
    build = tmp_path / "c" / "sim_build" / "verilator-top-abc"
    build.mkdir(parents=True)
    (build / "Vtop").write_bytes(b"\0" * 2_000_000)
    (tmp_path / "c" / "synth").mkdir()
    (tmp_path / "c" / "synth" / "r.json").write_text("{}")
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert "sim_build" in out and "1 entries        2.0 MB" in out
    assert main(["cache", "--clean"]) == 0
    assert "removed 2.0 MB" in capsys.readouterr().out
    assert not (tmp_path / "c" / "sim_build").exists() and not (tmp_path / "c" / "synth").exists()


def test_estimate_prints_readable_lines_and_says_its_clock(tmp_path, monkeypatch, capsys):
    design = tmp_path / "d.yaml"
    design.write_text(yaml.safe_dump({"kind": "lut", "group_size": 3, "luts": 4, "fetchers": 8,
                                      "workload": {"n": 300, "m": 70}}))
    assert main(["estimate", str(design)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any("{" in line for line in lines)  # no Python dict
    clock = next(line for line in lines if line.startswith("clock_mhz"))
    assert "(fmax; power and throughput at this clock" in clock
    area = next(line for line in lines if line.startswith("area_um2 "))
    assert re.fullmatch(r"area_um2\s+\d{1,3}(,\d{3})*", area)  # grouped digits, no raw float
    assert main(["estimate", str(design), "--clock-mhz", "50"]) == 0
    assert "clock_mhz                    50 (power and throughput at this clock)" in capsys.readouterr().out


def test_progress_labels_each_objectives_best_and_waits_for_a_settled_rate():
    import io

    from dse.progress import ETA_AFTER_TRIALS, Progress

    space = load_space(None)
    bar = Progress(100, 0, space.objectives, stream=io.StringIO())
    bar.observe({"area_mm2": 2.0, "energy_per_token_uj": 5.0, "tokens_per_s": 1.0}, True)
    bar.observe({"area_mm2": 9.0, "energy_per_token_uj": 1.0, "tokens_per_s": 7.0}, True)
    bar.done = 1
    line = bar.line(now=bar._t0 + 60)
    assert "ETA --:--" in line  # one trial's rate says nothing yet
    assert "best per objective: area_mm2↓=2  energy_per_token_uj↓=1  tokens_per_s↑=7" in line
    bar.done = 50  # past ETA_AFTER_TRIALS: 50 trials in 60 s leave 50 more for another minute
    assert ETA_AFTER_TRIALS < 50 and "ETA 01:00" in bar.line(now=bar._t0 + 60)


def test_every_family_row_is_the_estimate_of_its_design_file(tmp_path):
    """Rows of MAC baselines and other weight formats too: the design file is the priced core."""
    from dse.picks import command_clock
    from dse.sweep import design_of_row
    from hwgen.api import estimate

    raw = {"name": "fam", "workload": {"name": "t", "gemvs": [{"name": "a", "n": 64, "m": 32, "count": 3},
                                                              {"name": "b", "n": 32, "m": 64, "count": 1}]},
           "tech": "osu018", "parameters": {"architecture": ["lut", "mac"], "weights": ["sherry", "int4", "ternary"],
                                            "activation": ["int4", "fp16"], "group_size": 2, "luts": [1, 2],
                                            "fetchers": [1, 2], "pipeline": 1},
           "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"]}
    path = tmp_path / "fam.yaml"
    path.write_text(yaml.safe_dump(raw))
    res = run_sweep(str(path), out_dir=str(tmp_path / "o"), progress=False)
    assert res.mode == "exhaustive" and res.pareto["architecture"].nunique() == 2
    space = load_space(str(path))
    for _, row in res.pareto.iterrows():
        est = estimate(design_of_row(space, row), space.tech, clock_mhz=command_clock(row))
        assert est["area_um2"] == pytest.approx(row["area_mm2"] * 1e6, rel=1e-6), row["design"]
        assert est["power_mw"] == pytest.approx(row["power_mw"], rel=1e-4), row["design"]
