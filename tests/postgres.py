"""A throwaway PostgreSQL server for the tests (Debian's ``postgresql``): a cluster made with
initdb in a temporary folder, started on a free loopback port with trust authentication, and
stopped at the end. As root, the server runs as the ``postgres`` user (initdb refuses root).

Without Debian's server binaries the importing test module is skipped on a developer's machine;
in CI (``CI`` set: scripts/test installs ``postgresql``) a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path

import pytest
from servers import free_port

__all__ = ["PostgresServer", "postgres", "postgres_server"]

_BINARIES = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
if not _BINARIES and not os.environ.get("CI"):
    pytest.skip("Debian's postgresql is absent (apt-get install -y postgresql)",
                allow_module_level=True)
_BIN = Path(_BINARIES[-1]).parent if _BINARIES else Path("/usr/lib/postgresql/missing/bin")
USER = "frontdesk"


class PostgresServer:
    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database's URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run(_as_server_user([str(_BIN / args[0]), *args[1:]]), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    run("initdb", "-D", str(data), "-A", "trust", "-U", USER, "--no-sync")
    run("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "start", "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c max_connections=200")
    try:
        yield PostgresServer(port)
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (import this fixture into a test module)."""
    with postgres_server() as server:
        yield server
