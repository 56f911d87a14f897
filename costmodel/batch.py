"""Batches of real-tool jobs (synthesis, simulation) on a Dask cluster, or in this process.

`map_batch(fn, items)` is ``[fn(item) for item in items]`` run where the tools are:

- ``scheduler="tcp://HOST:PORT"``: on an existing ``dask.distributed`` cluster (a
  ``dask scheduler`` and ``dask worker`` processes started on any machines);
- ``jobs=N`` (N > 1): on a `distributed.LocalCluster` of N single-threaded worker
  processes started for the batch;
- otherwise one after another in this process.

Results come back in the order of ``items``. The functions given are the flow's own
(`costmodel.runs`, `costmodel.synth`): their results go through the content-addressed
cache under ``HWGEN_CACHE_DIR`` on the machine that runs them, so workers sharing that
folder (a local cluster always does; on many machines, a shared file system) never
synthesize a design twice, and the client reads any of them back without running a tool.
A worker lost mid-job (killed, out of memory, its machine gone) is not an error: the
scheduler re-runs its jobs on the workers left (distributed's ``allowed-failures``), and
a re-run finds what the lost worker finished in the cache.

Before anything is submitted every worker is asked for the command-line ``tools`` the
jobs need; one missing gives one `ToolError` naming the worker's host and the tool.
"""

from __future__ import annotations

import logging
import shutil
import socket
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

from hwgen.errors import ConfigError, ToolError

__all__ = ["map_batch", "batch_client", "check_cluster", "missing_tools"]

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT_S = 20


def missing_tools(tools: Sequence[str]) -> tuple[str, list[str]]:
    """This machine's host name and the ``tools`` not on its PATH (run on every worker)."""
    return socket.gethostname(), [t for t in tools if shutil.which(t) is None]


@contextmanager
def batch_client(jobs: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """A `distributed.Client` on ``scheduler``, or on a `LocalCluster` of ``jobs`` workers.

    Raises `ConfigError` when ``scheduler`` cannot be reached or has no worker.
    """
    from distributed import Client, LocalCluster  # here: importing distributed costs every hwgen command ~1 s

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler {scheduler} ({exc.__class__.__name__}: {exc})") from None
        with client:
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError:
                raise ConfigError(f"the Dask scheduler {scheduler} has no worker (start some with "
                                  f"`dask worker {scheduler}`)") from None
            yield client
        return
    # memory_limit=0: a large synthesis may use what it needs, as it does outside Dask.
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, memory_limit=0,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _check_tools(client, tools: Sequence[str]) -> None:
    for address, (host, missing) in sorted(client.run(missing_tools, list(tools)).items()):
        if missing:
            raise ToolError(f"Dask worker {address} on host {host}: `{missing[0]}` not found on PATH"
                            + (f" (nor {', '.join(missing[1:])})" if missing[1:] else "")
                            + "; install it there or leave that worker out")


def check_cluster(scheduler: str, tools: Sequence[str]) -> None:
    """Fail now, before long work, if ``scheduler`` is unreachable or a worker lacks one of ``tools``."""
    with batch_client(scheduler=scheduler) as client:
        _check_tools(client, tools)


def map_batch(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int = 1, scheduler: str | None = None,
              tools: Sequence[str] = (), progress: Callable[[Any], None] | None = None) -> list:
    """``[fn(item) for item in items]``, run in this process, on ``jobs`` local workers, or on ``scheduler``.

    Parameters
    ----------
    fn : callable
        A module-level function (workers import it by name).
    items : iterable
        Its arguments, one job each; must pickle.
    jobs : int
        Local worker processes when no ``scheduler`` is given (1: run here).
    scheduler : str | None
        Address of an existing Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
    tools : sequence of str
        Commands every worker must have (checked before the batch starts).
    progress : callable | None
        Called with each result as it arrives (completion order).

    Raises
    ------
    ConfigError
        If ``jobs`` < 1 or the scheduler cannot be reached.
    ToolError
        If a worker lacks one of ``tools``, or a job raises it.
    """
    items = list(items)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be an integer >= 1, not {jobs!r}")
    if not scheduler and (jobs == 1 or len(items) <= 1):
        results = []  # here the jobs' own tool checks speak
        for item in items:
            results.append(fn(item))
            if progress:
                progress(results[-1])
        return results
    from distributed import as_completed  # see batch_client

    with batch_client(jobs, scheduler) as client:
        _check_tools(client, tools)
        futures = client.map(fn, items)
        for future in as_completed(futures):
            if progress:
                progress(future.result())
        return client.gather(futures)
