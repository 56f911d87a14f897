"""A throw-away PostgreSQL server for tests: `initdb` in a temporary folder, `pg_ctl` on 127.0.0.1.

Debian installs the server binaries outside PATH (``/usr/lib/postgresql/<version>/bin``);
`initdb` refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

USER = "hwgen"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binary folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Server:
    """A running server; `create_database` gives a fresh database's SQLAlchemy URL."""

    def __init__(self, bindir: Path, port: int):
        self.bindir, self.port = bindir, port
        self._count = 0

    def create_database(self) -> str:
        self._count += 1
        name = f"db{self._count}"
        subprocess.run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name],
                       check=True, capture_output=True)
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"


@contextmanager
def postgres_server() -> Iterator[Server]:
    """Start a fresh cluster, yield it, stop it (``-m immediate``) and delete its files."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="hwgen-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    try:
        subprocess.run(_as_owner([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER]),
                       check=True, capture_output=True)
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                                  "-o", f"-k {root} -p {port} -h 127.0.0.1 -c fsync=off", "start"]),
                       check=True, capture_output=True)
        try:
            yield Server(bindir, port)
        finally:
            subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
