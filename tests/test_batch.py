"""Synthesis batches on Dask (`costmodel.batch`): a worker killed mid-batch, results equal to the
serial run and read back through the content-addressed cache, a worker without the tools."""

import os
import signal

import pytest
from distributed import Client, LocalCluster

from costmodel.batch import map_batch
from costmodel.runs import synth_designs
from hwgen.errors import ConfigError, ToolError

pytestmark = pytest.mark.slow

# Twelve tiny LUT cores (about half a second of synthesis each).
DESIGNS = [dict(mu=mu, L=L, K=K, act="int4", p=p, n=16, m=8)
           for mu in (1, 2) for L in (1, 2) for K in (1, 2) for p in (0, 1)][:12]


def _measured(rows):
    """What synthesis measured, without the run time."""
    return [{k: v for k, v in r.items() if k != "synth_seconds"} for r in rows]


def _cluster(**kwargs):
    return LocalCluster(n_workers=kwargs.pop("n_workers", 2), threads_per_worker=1, processes=True,
                        dashboard_address=None, **kwargs)


def test_batch_completes_when_a_worker_is_killed_mid_batch(tmp_path, monkeypatch):
    cache = tmp_path / "cluster-cache"
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(cache))  # before the workers start: they inherit it
    killed = []
    with _cluster() as cluster, Client(cluster) as client:
        def kill_a_busy_worker(_row):
            if killed:
                return
            busy = [w for w, keys in client.processing().items() if keys]
            assert busy, "no worker was running a job when the first result came back"
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        rows = synth_designs(DESIGNS, scheduler=cluster.scheduler_address, progress=kill_a_busy_worker)
        assert killed and killed[0] not in client.run(os.getpid).values()
    # every design synthesized exactly once into the cache, killed worker's job included
    assert len(list((cache / "synth").glob("*.json"))) == len(DESIGNS)

    # --jobs N (a LocalCluster made for the batch) reads the same cache back: identical rows, run times too
    assert synth_designs(DESIGNS, jobs=2) == rows

    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "serial-cache"))
    serial = synth_designs(DESIGNS)
    assert _measured(rows) == _measured(serial)
    assert [r["mu"] for r in rows] == [d["mu"] for d in DESIGNS]


def test_a_worker_without_the_tools_is_named(tmp_path):
    with _cluster(n_workers=1, env={"PATH": str(tmp_path)}) as cluster:
        with pytest.raises(ToolError, match=r"Dask worker tcp://\S+ on host \S+: `yosys` not found on PATH"):
            synth_designs(DESIGNS[:2], scheduler=cluster.scheduler_address)


def test_unreachable_scheduler_and_bad_jobs_are_config_errors(monkeypatch):
    monkeypatch.setattr("costmodel.batch.CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler tcp://127.0.0.1:9"):
        map_batch(abs, [1, 2], scheduler="tcp://127.0.0.1:9")
    with pytest.raises(ConfigError, match="jobs must be an integer >= 1"):
        map_batch(abs, [1, 2], jobs=0)


def test_a_scheduler_without_workers_is_a_config_error(monkeypatch):
    monkeypatch.setattr("costmodel.batch.CONNECT_TIMEOUT_S", 1)
    with _cluster(n_workers=0) as cluster:
        with pytest.raises(ConfigError, match="has no worker"):
            map_batch(abs, [1, 2], scheduler=cluster.scheduler_address)
