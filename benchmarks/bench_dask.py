"""Wall time of a validation batch: serial, ``--jobs 2`` (a LocalCluster) and a 2-worker Dask cluster
started separately (``dask scheduler`` + ``dask worker`` processes, as on other machines).

Usage: ``python benchmarks/bench_dask.py [--designs 16]``

The batch is the ``--designs`` validation cores with the smallest model area
(`costmodel.validate.VALIDATION_CORES`, synthesized with activity, as
``python -m costmodel.validate`` does). Every mode starts from its own empty
synthesis cache, so each one really runs Yosys and OpenSTA; all three must measure
the same numbers. The 1-minute load average is printed before and after each mode:
on a shared machine it says how much of the time was someone else's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from distributed import Client  # noqa: E402

from costmodel.model import estimate  # noqa: E402  (after the path insert)
from costmodel.runs import design_config, synth_designs  # noqa: E402
from costmodel.validate import VALIDATION_CORES  # noqa: E402

DASK = Path(sys.executable).with_name("dask")


def smallest(count: int) -> list[dict]:
    """The ``count`` validation cores of smallest model area."""
    return sorted(VALIDATION_CORES, key=lambda d: estimate(design_config(d), "osu018")["area_um2"])[:count]


def load() -> float:
    return os.getloadavg()[0]


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.is_file():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear")
        time.sleep(0.2)


def separate_cluster(workdir: Path, env: dict) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and one ``dask worker`` command with two single-threaded worker processes."""
    info = workdir / "scheduler.json"
    common = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], **common)]
    _wait_for(info)
    procs.append(subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(info), "--nworkers", "2",
                                   "--nthreads", "1", "--memory-limit", "0", "--no-dashboard"], **common))
    address = json.loads(info.read_text())["address"]
    with Client(address) as client:
        client.wait_for_workers(2, timeout=120)
    return address, procs


def run_mode(name: str, designs: list[dict], root: Path) -> tuple[list[dict], float]:
    cache = root / name
    os.environ["HWGEN_CACHE_DIR"] = str(cache)
    procs = []
    try:
        kwargs = {"jobs": 1}
        if name == "jobs2":
            kwargs = {"jobs": 2}
        elif name == "cluster":
            address, procs = separate_cluster(root, {**os.environ, "PYTHONPATH": str(REPO)})
            kwargs = {"scheduler": address}
        before = load()
        start = time.perf_counter()
        rows = synth_designs(designs, **kwargs)
        seconds = time.perf_counter() - start
        print(f"{name:8s} {seconds:7.1f} s  load average {before:.2f} -> {load():.2f}", flush=True)
        return rows, seconds
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--designs", type=int, default=16)
    args = parser.parse_args(argv)
    designs = smallest(args.designs)
    print(f"{len(designs)} validation cores, {os.cpu_count()} CPUs, "
          f"git {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True, text=True).stdout.strip()}")
    root = Path(tempfile.mkdtemp(prefix="hwgen-bench-dask-"))
    try:
        results = {name: run_mode(name, designs, root) for name in ("serial", "jobs2", "cluster")}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    measured = {name: [{k: v for k, v in r.items() if k != "synth_seconds"} for r in rows]
                for name, (rows, _) in results.items()}
    same = measured["serial"] == measured["jobs2"] == measured["cluster"]
    serial = results["serial"][1]
    print("speed-up over serial: " + ", ".join(f"{n} {serial / s:.2f}x" for n, (_, s) in results.items()
                                               if n != "serial") + f"; identical results: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
