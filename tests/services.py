"""Real PostgreSQL and Redis servers for the tests that need a server whatever the pass: the fault tests (a connection
to cut) and the production shape (gunicorn, workers and beat on PostgreSQL and Redis, as in production).

Each is found in this order:
1. the server the run is configured with (DATABASE_URL on PostgreSQL, REDIS_URL): CI's second pass;
2. the one this kind of machine runs on 127.0.0.1 (5432 as user postgres, 6379), when it answers: CI's first pass;
3. otherwise a private one started for the session from Debian's packages (`scripts/system-deps.sh services`,
   which `make test` runs), in a temporary folder on a free port, and stopped at the end: a fresh machine.

`TEST_PRIVATE_SERVERS=1` skips 1 and 2 (how the third way is tried on a machine that has the first two).
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str = ""

    def postgres_url(self, dbname: str) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{dbname}"

    def redis_url(self, db: int) -> str:
        return f"redis://{self.host}:{self.port}/{db}"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.1)


def _private() -> bool:
    return os.environ.get("TEST_PRIVATE_SERVERS") == "1"


class PrivatePostgres:
    """initdb + pg_ctl in a temporary folder (as the postgres user when run as root: initdb refuses root)."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed: run `scripts/system-deps.sh services` (make test does)")
        self.bin = os.path.dirname(found[-1])
        self.folder = tempfile.mkdtemp(prefix="portal-test-pg-")
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")

    def start(self) -> Server:
        data = os.path.join(self.folder, "data")
        run = dict(check=True, capture_output=True)
        subprocess.run([*self.as_user, f"{self.bin}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], **run)  # fmt: skip
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([*self.as_user, f"{self.bin}/pg_ctl", "-D", data, "-o", options, "-l",
                        os.path.join(self.folder, "log"), "-w", "start"], **run)  # fmt: skip
        return Server("127.0.0.1", self.port, "postgres")

    def stop(self) -> None:
        subprocess.run([*self.as_user, f"{self.bin}/pg_ctl", "-D", os.path.join(self.folder, "data"), "-m", "immediate",
                        "stop"], capture_output=True)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    def __init__(self):
        self.exe = shutil.which("redis-server")
        if not self.exe:
            raise RuntimeError("Redis is not installed: run `scripts/system-deps.sh services` (make test does)")
        self.port = _free_port()
        self.process = None

    def start(self) -> Server:
        self.process = subprocess.Popen([self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
        _wait(lambda: _answers("127.0.0.1", self.port), "the private Redis")
        return Server("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)


def configured_postgres() -> Server | None:
    """The run's own PostgreSQL (CI's second pass), or this machine's on 127.0.0.1:5432."""
    if _private():
        return None
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return Server(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432), db["USER"] or "postgres")
    return Server("127.0.0.1", 5432, "postgres") if _answers("127.0.0.1", 5432) else None


def configured_redis() -> Server | None:
    if _private():
        return None
    if settings.REDIS_URL:
        url = urlsplit(settings.REDIS_URL)
        return Server(url.hostname or "127.0.0.1", url.port or 6379)
    return Server("127.0.0.1", 6379) if _answers("127.0.0.1", 6379) else None
