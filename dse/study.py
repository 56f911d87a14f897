"""Optuna studies over a space: storage, samplers, workers, and the exhaustive front.

Storage
-------
A study lives in one Optuna storage: by default an Optuna journal file
(``<out>/study.journal``), or any Optuna RDB URL (``sqlite:///...``,
``postgresql://...``, ``mysql://...``) so workers on many machines share one study.
A storage given as a plain path is a journal file at that path. On PostgreSQL, workers
started together create the schema one at a time and fill the study to exactly
``trials`` complete trials (`dse.rdb`).

Workers
-------
Each worker samples in an in-memory *mirror* study (so the sampler costs no storage
round trips) and writes every finished trial to the shared storage in one step
(`optuna.Study.add_trial`: one journal record, or one RDB transaction), tagged with a
unique ``hwgen_uid``. A trial is therefore either in the storage complete or not at
all: a SIGKILLed sweep loses only the trial it was evaluating, and the next run
with the same arguments reloads every stored trial into its mirror and runs only the
trials still missing from ``trials`` (the total the study should reach). Workers of
one run split the missing trials between them; every ``SYNC_EVERY`` trials each
pulls the others' trials into its mirror, so the sampler sees the whole population.

The sampler (NSGA-II by default, TPE or random) is seeded from ``(seed, worker,
trials already stored)``: one worker on a fresh study is reproducible trial for
trial. Constraints go through Optuna's constraint mechanism: every trial records
one value per constraint with `optuna.Trial.set_constraint` (``<= 0`` is feasible),
which NSGA-II and TPE use for constrained domination (Optuna 5 deprecates the
samplers' ``constraints_func`` argument in favour of it).

Numeric parameters are suggested as an index into their sorted list of values, so
the samplers see their order (powers of two become evenly spaced); the design's
real values are in the ``design`` user attribute.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import socket
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import optuna
from optuna.trial import TrialState

from hwgen.errors import ConfigError

from .evaluate import METRICS, constraint_names, evaluate, violations
from .rdb import BudgetGate, open_rdb_storage
from .space import Space, load_space, max_pipeline_array

__all__ = ["Evaluator", "open_storage", "open_study", "space_fingerprint", "make_sampler", "suggest",
           "run_worker", "WorkerSpec", "completed_trials", "storage_label", "SYNC_EVERY", "UID_ATTR",
           "WORKER_ATTR"]

UID_ATTR = "hwgen_uid"
#: Which process ran a trial (``host:pid``), for a study shared by many machines.
WORKER_ATTR = "hwgen_worker"
SPACE_ATTR = "hwgen_space"
SEED_ATTR = "hwgen_seed"
#: Optuna's journal lock (`optuna.storages.journal.JournalFileSymlinkLock`) is the journal path plus this.
JOURNAL_LOCK_SUFFIX = ".lock"
#: Trials between two pulls of other workers' trials into a worker's mirror.
SYNC_EVERY = 10
#: Spaces up to this many raw parameter combinations are priced once, as one table.
TABLE_LIMIT = 2_000_000
#: A journal lock older than this (seconds) was left by a killed process.
LOCK_GRACE_S = 5

optuna.logging.set_verbosity(optuna.logging.WARNING)


# ----------------------------------------------------------------------------
# Evaluation


def _json_metrics(metrics: dict) -> dict:
    """Metrics as JSON values for a trial's attributes (cycle counts stay exact integers)."""
    return {k: bool(v) if k == "bandwidth_bound" else int(v) if k == "core_cycles_per_token" else float(v)
            for k, v in metrics.items()}


class Evaluator:
    """Metrics and constraint values of single designs, from a precomputed table when it fits."""

    def __init__(self, space: Space, table_limit: int = TABLE_LIMIT):
        self.space = space
        self._index = {p.name: {v: i for i, v in enumerate(p.values)} for p in space.params}
        self._shape = tuple(len(p.values) for p in space.params)
        self.table: dict[str, np.ndarray] | None = None
        self._cache: dict[tuple, tuple[dict[str, Any], list[float]]] = {}
        if space.classic and space.vectorized and math.prod(self._shape) <= table_limit:
            idx = np.indices(self._shape).reshape(len(self._shape), -1)
            grid = {p.name: np.array(p.values)[idx[i]] for i, p in enumerate(space.params)}
            grid["pipeline"] = _clamp_pipelines(space, grid["luts"], grid["pipeline"])
            self.table = evaluate(space, grid)
            self.table_violations = violations(space, self.table)

    def __call__(self, point: dict[str, Any]) -> tuple[dict[str, Any], list[float]]:
        if self.table is not None:
            flat = int(np.ravel_multi_index(
                tuple(self._index[p.name][point[p.name]] for p in self.space.params), self._shape))
            metrics = {k: self.table[k][flat] for k in METRICS}
            cons = self.table_violations[flat]
        else:
            key = tuple(point[p.name] for p in self.space.params)
            if key in self._cache:  # designs repeat; the per-design models are the slow part
                metrics, cons = self._cache[key]
                return dict(metrics), list(cons)
            arrays = {k: np.array([v]) for k, v in point.items()}
            m = evaluate(self.space, arrays)
            metrics = {k: m[k][0] for k in METRICS}
            cons = violations(self.space, m)[0]
            clean = _json_metrics(metrics)
            self._cache[key] = (clean, [float(c) for c in cons])
            return dict(clean), [float(c) for c in cons]
        clean = _json_metrics(metrics)
        return clean, [float(c) for c in cons]


def _clamp_pipelines(space: Space, luts: np.ndarray, pipeline: np.ndarray) -> np.ndarray:
    allowed = np.array(space.param("pipeline").values)
    limit = max_pipeline_array(luts)
    # largest allowed value <= limit, for every point (the space guarantees one exists)
    ok = allowed[None, :] <= limit[:, None]
    best = allowed[np.maximum(ok.sum(axis=1) - 1, 0)]
    return np.where(pipeline > limit, best, pipeline)


# ----------------------------------------------------------------------------
# Storage and studies


def storage_label(storage: str) -> str:
    """The storage for reports, with any password in a URL masked."""
    if "://" in storage and "@" in storage:
        scheme, rest = storage.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return storage


def repair_journal(path: Path) -> None:
    """Drop a partly written last record (a process killed mid-write) so appends stay valid."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        f.truncate(f.read().rfind(b"\n") + 1)


def release_stale_lock(path: Path) -> bool:
    """Remove the journal lock a killed process left behind (a live writer holds it for
    milliseconds; one untouched for `LOCK_GRACE_S` is stale), waiting out the grace period
    if needed. Returns whether a lock was removed (Optuna would otherwise stall and warn)."""
    lock = Path(str(path) + JOURNAL_LOCK_SUFFIX)
    while os.path.lexists(lock):
        try:
            age = time.time() - os.lstat(lock).st_mtime
        except FileNotFoundError:
            return False
        if age >= LOCK_GRACE_S:
            lock.unlink(missing_ok=True)
            return True
        time.sleep(min(LOCK_GRACE_S - age, 0.5))
    return False


def check_journal(path: Path) -> None:
    """Refuse, before anything is written, a journal path that is a folder, or a file that is
    not an Optuna journal (its first line must be a JSON record)."""
    if path.is_dir():
        raise ConfigError(f"storage {path} is a directory, not a journal file")
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb") as f:
        first = f.readline(1 << 20)
    try:
        record = json.loads(first)
    except (UnicodeDecodeError, json.JSONDecodeError):
        record = None
    if not isinstance(record, dict) or "op_code" not in record:
        raise ConfigError(f"storage {path} is not an Optuna journal file (its first line is not a journal "
                          f"record); give another --storage path")


def open_storage(storage: str) -> optuna.storages.BaseStorage:
    """An Optuna storage: an RDB URL as is, anything else a journal file path."""
    if "://" in storage:
        try:
            return open_rdb_storage(storage)
        except (ImportError, ModuleNotFoundError) as exc:
            raise ConfigError(f"storage {storage_label(storage)}: the database driver is missing ({exc})") from None
        except Exception as exc:  # SQLAlchemy raises many kinds for a bad URL or an unreachable server
            raise ConfigError(f"storage {storage_label(storage)}: cannot open ({exc.__class__.__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    path = Path(storage)
    check_journal(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch()
    except OSError as exc:
        raise ConfigError(f"storage {path}: cannot write there ({exc.strerror or exc})") from None
    lock = optuna.storages.journal.JournalFileSymlinkLock(str(path), grace_period=LOCK_GRACE_S)
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path), lock_obj=lock))


def space_fingerprint(space: Space) -> str:
    """What must match for trials to be comparable: workload, tech, memory, parameters, objectives, constraints."""
    key = {
        "workload": space.workload.summary(),
        "tech": space.tech,
        "memory": space.memory,
        "parameters": {p.name: list(p.values) for p in space.params},
        "objectives": [o.name for o in space.objectives],
        "constraints": space.constraints,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def open_study(space: Space, storage: optuna.storages.BaseStorage, name: str,
               seed: int | None = None) -> optuna.Study:
    """Create or load the study ``name``; refuse one that was made for a different space, or
    (when ``seed`` is given) one started with another sampler seed."""
    try:  # load first: create_study(load_if_exists=True) appends a record even when the study exists
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        study = optuna.create_study(storage=storage, study_name=name, load_if_exists=True,
                                    directions=[o.direction for o in space.objectives])
    fp = space_fingerprint(space)
    stored = study.user_attrs.get(SPACE_ATTR)
    if stored is None:
        study.set_user_attr(SPACE_ATTR, fp)
        study.set_user_attr("hwgen_space_description", space.describe())
    elif stored != fp:
        raise ConfigError(f"study {name!r} in this storage was made for a different space "
                          f"(workload, tech, memory, parameters, objectives or constraints changed); "
                          f"use another --study name or --out directory")
    if seed is not None:
        first = study.user_attrs.get(SEED_ATTR)
        if first is None:
            study.set_user_attr(SEED_ATTR, seed)
        elif first != seed:
            raise ConfigError(f"study {name!r} was started with seed {first}, not {seed}; resume it with "
                              f"--seed {first}, or start another with a new --study name or --out directory")
    return study


def completed_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The study's complete trials, ordered by trial number."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(trials, key=lambda t: t.number)


# ----------------------------------------------------------------------------
# Sampling


def make_sampler(space: Space, sampler: str, seed: int) -> optuna.samplers.BaseSampler:
    """The space's sampler, seeded (constraints reach it through `optuna.Trial.set_constraint`)."""
    if sampler == "nsga2":
        return DistinctSampler(optuna.samplers.NSGAIISampler(population_size=space.population, seed=seed), space)
    if sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=space.population)
    if sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ConfigError(f"unknown sampler {sampler!r}")


class DistinctSampler(optuna.samplers.BaseSampler):
    """Wraps a sampler; re-draws a relative sample (up to ``tries`` times) that repeats a design
    already evaluated in this worker, so a discrete space's budget goes to new designs."""

    def __init__(self, inner: optuna.samplers.BaseSampler, space: Space, tries: int = 4):
        self.inner, self.space, self.tries = inner, space, tries
        self.seen: set[tuple] = set()

    def key(self, params: dict[str, Any]) -> tuple:
        point = {}
        for p in self.space.params:
            if p.name not in params:
                point[p.name] = p.values[0]
            else:
                point[p.name] = p.values[params[p.name]] if p.numeric else params[p.name]
        return tuple(self.space.normalize(point).values())

    def infer_relative_search_space(self, study, trial):
        return self.inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        params = self.inner.sample_relative(study, trial, search_space)
        for _ in range(self.tries - 1):
            if not params or len(params) < len(self.space.searched) or self.key(params) not in self.seen:
                break
            params = self.inner.sample_relative(study, trial, search_space)
        return params

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.inner.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial):
        self.inner.before_trial(study, trial)

    def after_trial(self, study, trial, state, values):
        self.seen.add(self.key(trial.params))
        self.inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self.inner.reseed_rng()


def suggest(trial: optuna.Trial, space: Space) -> dict[str, Any]:
    """Ask the trial for a design of the space (index-coded numbers, see the module docstring)."""
    point = {}
    for p in space.params:
        if p.fixed:
            point[p.name] = p.values[0]
        elif p.numeric:
            point[p.name] = p.values[trial.suggest_int(p.name, 0, len(p.values) - 1)]
        else:
            point[p.name] = trial.suggest_categorical(p.name, list(p.values))
    return space.normalize(point)


def worker_seed(seed: int, worker: int, stored: int) -> int:
    return int(np.random.SeedSequence([seed, worker, stored]).generate_state(1)[0])


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs (picklable)."""

    space_path: str | None
    storage: str
    study: str
    sampler: str
    seed: int
    target: int
    sync: bool


def run_worker(spec: WorkerSpec, quota: int, worker: int = 0,
               on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
               space: Space | None = None) -> int:
    """Run up to ``quota`` trials into the shared study; return how many were run.

    Stops early once the study holds ``spec.target`` complete trials (checked at every
    sync, and before every add on PostgreSQL: `dse.rdb.BudgetGate`), or when the process
    that started it is gone.
    """
    space = space if space is not None else load_space(spec.space_path)
    storage = open_storage(spec.storage)
    study = open_study(space, storage, spec.study)
    gate = BudgetGate(storage, study, spec.target)
    worker_name = f"{socket.gethostname()}:{os.getpid()}"
    evaluator = Evaluator(space)
    stored = completed_trials(study)
    mirror = optuna.create_study(directions=[o.direction for o in space.objectives],
                                 sampler=make_sampler(space, spec.sampler, worker_seed(spec.seed, worker, len(stored))))
    seen: set[str] = set()
    cons_names = constraint_names(space)

    def pull(trials) -> int:
        for t in trials:
            uid = t.user_attrs.get(UID_ATTR, f"number-{t.number}")
            if uid not in seen:
                seen.add(uid)
                mirror.add_trial(t)
                if isinstance(mirror.sampler, DistinctSampler):
                    mirror.sampler.seen.add(mirror.sampler.key(t.params))
        return len(seen)

    total = pull(stored)
    parent = os.getppid()
    run_id = uuid.uuid4().hex[:12]
    done = 0
    while done < quota:
        if spec.sync and done and done % SYNC_EVERY == 0:
            total = pull(completed_trials(study))
            if total >= spec.target or os.getppid() != parent:
                break
        trial = mirror.ask()
        point = suggest(trial, space)
        metrics, cons = evaluator(point)
        trial.set_user_attr("design", point)
        trial.set_user_attr("metrics", metrics)
        for name, value in zip(cons_names, cons):
            trial.set_constraint(name, value)
        uid = f"{run_id}-{worker}-{done}"
        trial.set_user_attr(UID_ATTR, uid)
        trial.set_user_attr(WORKER_ATTR, worker_name)
        mirror.tell(trial, [metrics[o.name] for o in space.objectives])
        frozen = mirror.get_trials(deepcopy=False)[-1]
        with _count_lock(spec.storage):
            if not gate.add(frozen):
                break  # other processes on this storage reached the target
        seen.add(uid)
        done += 1
        if on_trial is not None:
            on_trial(frozen)
    return done


@contextmanager
def _count_lock(storage: str):
    """Serialize count-then-add across processes sharing a journal file, with an advisory lock
    on the journal itself (Optuna's own lock is a separate symlink); an RDB storage is left to
    `dse.rdb.BudgetGate` (exact on PostgreSQL; on SQLite two workers may both add the last trial)."""
    if "://" in storage:
        yield
        return
    with open(storage, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _worker_main(spec: WorkerSpec, quota: int, worker: int) -> int:  # process entry point
    return run_worker(spec, quota, worker)
