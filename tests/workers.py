"""Celery worker processes a test starts, stops, pauses and kills itself (the session's `celery_worker` fixture
is one shared worker that a test must not kill). Each listens to a queue of its own choosing, so that the
shared worker, if a test before started it, never takes their tasks; each uses the test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from .conftest import _database_url

BASE_DIR = Path(settings.BASE_DIR)


class Worker:
    def __init__(self, name: str, *, queue: str, log_dir: Path, env: dict | None = None):
        self.name, self.queue, self.log_path = name, queue, log_dir / f"{name}.log"
        self.env = env or {}
        self.process = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def hostname(self) -> str:
        return f"{self.name}-{os.getpid()}@%h"

    def start(self, timeout: float = 60) -> "Worker":
        from filing_portal.celery import app

        env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict), **self.env}
        self._log = open(self.log_path, "a")  # noqa: SIM115  (closed by stop)
        command = [sys.executable, "-m", "celery", "-A", "filing_portal", "worker", "--pool=solo", "--loglevel=INFO",
                   "--without-gossip", "--without-mingle", "-Q", self.queue, "-n", self.hostname]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        prefix = f"{self.name}-{os.getpid()}@"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}:\n{self.log()}")
            if any(name.startswith(prefix) for reply in app.control.ping(timeout=0.5) for name in reply):
                return self
        raise RuntimeError(f"worker {self.name} did not answer a ping within {timeout} s:\n{self.log()}")

    def pause(self):
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)

    def kill(self):
        """SIGKILL: the worker dies mid-task, its claims and its unacknowledged message left behind."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self._log.close()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
