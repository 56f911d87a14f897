"""Optuna RDB storages shared by workers on many machines: schema creation and the trial budget.

Opening an `optuna.storages.RDBStorage` creates Optuna's tables and stamps their
Alembic version. Workers started together on a fresh PostgreSQL database race there
(one loses with ``DuplicateTable: relation "alembic_version" already exists``), so on
PostgreSQL the opening runs under a transaction-level advisory lock: the first worker
creates the schema, the others wait for it and find it made.

Workers on different machines cannot split a trial budget between them in advance, so
on PostgreSQL each finished trial is admitted under a second advisory lock (one per
study): count the study's complete trials and add the trial only while the count is
below the target. The study then holds exactly the requested number of trials however
many workers run. A worker killed while holding a lock loses its connection, and the
server releases the lock with it.

Other storages count the study's complete trials before each add without a server lock:
exact for a journal file, whose workers hold a file lock around the count and the add
(`dse.study.run_worker`); on SQLite or MySQL two workers may both add the last trial.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import optuna
import sqlalchemy
from sqlalchemy.pool import NullPool

__all__ = ["is_postgres", "open_rdb_storage", "BudgetGate"]

#: First key of hwgen's PostgreSQL advisory locks (the second is 0 for the schema, else a study id).
LOCK_NAMESPACE = 0x68776765  # "hwge"
SCHEMA_LOCK = 0

_COUNT_COMPLETE = sqlalchemy.text("SELECT count(*) FROM trials WHERE study_id = :study AND state = 'COMPLETE'")
_XACT_LOCK = sqlalchemy.text("SELECT pg_advisory_xact_lock(:namespace, :key)")


def is_postgres(url: str) -> bool:
    """True for ``postgresql://``, ``postgresql+DRIVER://`` and ``postgres://`` URLs."""
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


@contextmanager
def _locked(engine: sqlalchemy.Engine, key: int) -> Iterator[sqlalchemy.Connection]:
    """Hold hwgen's advisory lock ``key`` for the block (released when its transaction ends)."""
    with engine.begin() as conn:
        conn.execute(_XACT_LOCK, {"namespace": LOCK_NAMESPACE, "key": key})
        yield conn


def open_rdb_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage at ``url``; on PostgreSQL its schema is created by one worker at a time."""
    if not is_postgres(url):
        return optuna.storages.RDBStorage(url)
    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    try:
        with _locked(engine, SCHEMA_LOCK):
            return optuna.storages.RDBStorage(url)
    finally:
        engine.dispose()


class BudgetGate:
    """Admits finished trials into a study while it holds fewer than ``target`` complete ones.

    Exact on PostgreSQL (count and add under the study's advisory lock); on any other
    storage the count and the add are as atomic as the caller's lock makes them.
    """

    def __init__(self, storage: optuna.storages.BaseStorage, study: optuna.Study, target: int):
        self.storage, self.study, self.target = storage, study, target
        self._engine = storage.engine if isinstance(storage, optuna.storages.RDBStorage) and \
            is_postgres(storage.url) else None
        self._study_id = storage.get_study_id_from_name(study.study_name)

    def add(self, trial: optuna.trial.FrozenTrial) -> bool:
        """Add ``trial`` unless the study is full; True if it was added."""
        if self._engine is None:
            if self.storage.get_n_trials(self._study_id, optuna.trial.TrialState.COMPLETE) >= self.target:
                return False
            self.study.add_trial(trial)
            return True
        with _locked(self._engine, self._study_id) as conn:
            if conn.execute(_COUNT_COMPLETE, {"study": self._study_id}).scalar_one() >= self.target:
                return False
            self.study.add_trial(trial)  # commits on the storage's own connection, inside the lock
            return True
