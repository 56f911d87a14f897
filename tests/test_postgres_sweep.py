"""Sweeps on a real PostgreSQL server: workers started together on a fresh database, one of
them SIGKILLed, the study complete and exact, its report equal to a one-worker run, and the
study readable by optuna-dashboard."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pandas as pd
import psycopg
import pytest
import yaml
from optuna.trial import TrialState
from postgres_server import postgres_bin, postgres_server

from dse.space import load_space
from dse.study import UID_ATTR, WORKER_ATTR, open_storage, open_study
from dse.sweep import run_sweep

pytestmark = pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL's initdb is not installed "
                                "(/usr/lib/postgresql/*/bin/initdb; Debian package `postgresql`, `make tools`)")

ROOT = Path(__file__).resolve().parents[1]
TRIALS = 300

# 24 designs: 300 random trials cover every one (a design is missed with probability ~4e-6), so
# any run of 300 trials, on any number of workers, finds the same (exhaustive) front.
SPACE = {
    "name": "pg",
    "workload": {"name": "tiny", "gemvs": [{"name": "a", "n": 512, "m": 256, "count": 4}]},
    "parameters": {"group_size": [2, 3], "luts": [1, 2, 4], "fetchers": [1, 4], "pipeline": [0, 1]},
    "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
    "constraints": {"memory_bandwidth_gbps": 10},
    "search": {"trials": TRIALS, "sampler": "random"},
}


@pytest.fixture(scope="module")
def server():
    with postgres_server() as s:
        yield s


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(SPACE))
    return str(path)


def _open_at(url, barrier, errors):
    barrier.wait()
    try:
        open_storage(url)
    except Exception as exc:  # noqa: BLE001 (reported to the test)
        errors.put(repr(exc))


def test_workers_opening_a_fresh_database_together_all_succeed(server):
    url = server.create_database()
    ctx = multiprocessing.get_context("spawn")
    barrier, errors = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_open_at, args=(url, barrier, errors)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    failures = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert failures == [] and [p.exitcode for p in procs] == [0] * 3


def _sweep_cmd(space_file, url, out):
    return [sys.executable, "-m", "hwgen.cli", "sweep", space_file, "--storage", url, "--trials", str(TRIALS),
            "--out", str(out), "--quiet"]


def _trials_by(conn, worker):
    return conn.execute("SELECT count(*) FROM trial_user_attributes WHERE key = %s AND value_json = %s",
                        (WORKER_ATTR, json.dumps(worker))).fetchone()[0]


def test_three_workers_one_killed_fill_the_study_exactly(server, space_file, tmp_path):
    url = server.create_database()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(_sweep_cmd(space_file, url, tmp_path / f"w{i}"), cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    victim = procs[0]
    name = f"{os.uname().nodename}:{victim.pid}"
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.autocommit = True
        deadline = time.monotonic() + 120
        while victim.poll() is None and time.monotonic() < deadline:
            try:
                if _trials_by(conn, name) >= 3:
                    break
            except psycopg.errors.UndefinedTable:
                pass  # the schema is not made yet
            time.sleep(0.02)
        assert victim.poll() is None, "the worker to kill finished before it was killed"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_trials = _trials_by(conn, name)
        total_at_kill = conn.execute("SELECT count(*) FROM trials").fetchone()[0]
    outputs = [p.communicate(timeout=300) for p in procs[1:]]
    for p, (_out, err) in zip(procs[1:], outputs):
        assert p.returncode == 0, err

    # the report step reads the study from the same URL and has nothing left to run
    final = subprocess.run(_sweep_cmd(space_file, url, tmp_path / "final"), cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert final.returncode == 0, final.stderr

    study = open_study(load_space(space_file), open_storage(url), "pg")
    trials = study.get_trials(deepcopy=False)
    uids = [t.user_attrs[UID_ATTR] for t in trials]
    assert len(trials) == TRIALS and len(set(uids)) == TRIALS  # 0 lost, 0 duplicated
    assert all(t.state == TrialState.COMPLETE for t in trials)  # nothing left running by the killed worker
    assert 3 <= killed_trials and total_at_kill < TRIALS  # killed mid-run
    survivors = {t.user_attrs[WORKER_ATTR] for t in trials} - {name}
    assert len(survivors) == 2

    one = run_sweep(space_file, trials=TRIALS, out_dir=str(tmp_path / "one"), progress=False)
    many = json.loads((tmp_path / "final" / "manifest.json").read_text())["summary"]
    assert many["trials"] == one.trials == TRIALS
    for key in ("pareto_designs", "hypervolume", "hypervolume_ratio", "distinct_designs"):
        assert many[key] == pytest.approx(one.summary[key]), key
    params = list(SPACE["parameters"])
    front = lambda path: pd.read_csv(path).sort_values(params).reset_index(drop=True)[  # noqa: E731
        params + SPACE["objectives"]]
    pd.testing.assert_frame_equal(front(tmp_path / "final" / "pareto.csv"), front(one.out_dir / "pareto.csv"))

    _check_dashboard(url, TRIALS)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _check_dashboard(url, trials):
    """Serve optuna-dashboard on 127.0.0.1 for a moment and read the study through its API."""
    from optuna_dashboard import wsgi

    httpd = make_server("127.0.0.1", 0, wsgi(open_storage(url)), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_port}"
        studies = json.load(urllib.request.urlopen(f"{base}/api/studies", timeout=30))["study_summaries"]
        assert [s["study_name"] for s in studies] == ["pg"]
        detail = json.load(urllib.request.urlopen(f"{base}/api/studies/{studies[0]['study_id']}", timeout=30))
        assert len(detail["trials"]) == trials
    finally:
        httpd.shutdown()
        httpd.server_close()
