"""PostgreSQL losing a connection under the portal (issue 14, section 2): the request that meets it gets a
clean 503 (our own page, Chinese first, no stack trace; problem+json under /api/), and the next request on the
same persistent connection succeeds (CONN_HEALTH_CHECKS).

Requests go through Django's real WSGI handler in this thread, as a gunicorn sync worker serves them: its
request_started and request_finished hooks run (the test client turns them off), so the connection outlives a
request (CONN_MAX_AGE) and is checked before reuse. The fault is real: pg_terminate_backend, sent from a
connection of its own, as a failover or an operator does.

SQLite is a file, with no server connection to lose: in a run on SQLite (CI's first pass, a fresh machine), the
last test runs the others in a child pytest on a real PostgreSQL (tests/services.py), so every pass proves them."""

import os
import re
import subprocess
import sys
import time

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from ..api_helpers import key_for
from ..conftest import wait_for
from .proxy import FaultProxy

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def _admin_dsn():
    db = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def _terminate(pid):
    """End the backend ``pid`` and wait until PostgreSQL has let it go."""
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        deadline = time.monotonic() + 5
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.05)


def _serve(path, **headers):
    """One request through the WSGI handler, as the server's worker process makes it."""
    environ = RequestFactory().get(path, headers=headers).environ
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)

    body = b"".join(WSGIHandler()(environ, start_response))
    return started["status"], started["headers"], body.decode()


def _backend_pid():
    return connection.connection.info.backend_pid


@pytest.fixture
def signed_in(client, owner_a):
    client.force_login(owner_a)
    return {"cookie": f"sessionid={client.cookies['sessionid'].value}"}


def _kill_at_query(n):
    """A wrapper (Django's execute_wrapper) that ends this connection's backend just before the n-th query of
    the request: the request is well under way, its health check already done."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        if len(seen) == n:
            _terminate(_backend_pid())
        return execute(sql, params, many, context)

    return wrapper, seen


def test_a_connection_ended_mid_page_is_a_clean_503_and_the_next_page_works(org_a, signed_in):
    path = f"/o/{org_a.pk}/"
    assert _serve(path, **signed_in)[0] == 200
    wrapper, seen = _kill_at_query(3)
    with connection.execute_wrapper(wrapper):
        status, headers, body = _serve(path, **signed_in)
    assert len(seen) >= 3  # the fault happened in the request
    assert status == 503 and headers["Retry-After"] == "5"
    assert body.index("服务暂时不可用") < body.index("The service is briefly unavailable")  # Chinese first
    assert "Traceback" not in body and "OperationalError" not in body and "psycopg" not in body
    assert _serve(path, **signed_in)[0] == 200


def test_a_connection_ended_mid_api_call_is_a_503_problem_and_the_next_call_works(owner_a):
    headers = {"Authorization": f"Bearer {key_for(owner_a.memberships.get())}", "Accept-Language": "zh-hans"}
    assert _serve("/api/v1/signatures/", **headers)[0] == 200
    wrapper, _ = _kill_at_query(2)
    with connection.execute_wrapper(wrapper):
        status, response_headers, body = _serve("/api/v1/signatures/", **headers)
    assert status == 503 and response_headers["Content-Type"] == "application/problem+json"
    assert '"code": "service-unavailable"' in body and "Traceback" not in body
    assert _serve("/api/v1/signatures/", **headers)[0] == 200


def test_a_connection_ended_between_requests_costs_no_request(org_a, signed_in):
    """CONN_HEALTH_CHECKS: the persistent connection, dead since the last request, is replaced before use."""
    path = f"/o/{org_a.pk}/"
    assert _serve(path, **signed_in)[0] == 200
    dead = _backend_pid()
    _terminate(dead)
    assert _serve(path, **signed_in)[0] == 200
    assert _backend_pid() != dead


# --- a task meeting the same fault --------------------------------------------------------------------------------


@pytest.fixture
def worker_behind_a_proxy(django_db_blocker, tmp_path):
    """A real worker on a queue of its own whose database connection goes through a FaultProxy."""
    from filing_portal.celery import app

    from ..conftest import _database_url

    db = connection.settings_dict
    queue = f"faults-{os.getpid()}"
    with FaultProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) as proxy:
        with django_db_blocker.unblock():
            url = _database_url({**db, "HOST": "127.0.0.1", "PORT": proxy.port})
        log_path, mail_dir = tmp_path / "worker.log", tmp_path / "mail"
        mail_dir.mkdir()
        env = {**os.environ, "DATABASE_URL": url, "EMAIL_URL": f"filemail:///{mail_dir}"}
        name = f"faults-worker-{os.getpid()}@%h"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "filing_portal", "worker", "--pool=solo", "--loglevel=INFO",
                 "--without-gossip", "--without-mingle", "-Q", queue, "-n", name],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                answered = wait_for(
                    lambda: (
                        process.poll() is None
                        and any(n.startswith(name[:-3]) for reply in app.control.ping(timeout=1.0) for n in reply)
                    ),
                    timeout=60,
                )
                assert answered, log_path.read_text()
                yield {"proxy": proxy, "queue": queue, "log": log_path, "mail_dir": mail_dir}
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_a_task_that_loses_the_database_retries_with_backoff_and_succeeds_once_it_is_back(
    org_a, owner_a, worker_behind_a_proxy
):
    from accounts.models import Invitation
    from accounts.tasks import send_invitation_email

    worker = worker_behind_a_proxy
    now = timezone.now()
    invitation = Invitation.objects.create(organization=org_a, email="colleague@alpha.cn", role="member",
                                           invited_by=owner_a, created_at=now,
                                           expires_at=now + settings.INVITATION_MAX_AGE)  # fmt: skip
    worker["proxy"].refuse()  # the database goes away under the worker
    send_invitation_email.apply_async((invitation.pk,), queue=worker["queue"])
    retries = lambda: re.findall(r"send_invitation_email\[\S+\] retry: Retry in (\d+)s", worker["log"].read_text())  # noqa: E731
    assert wait_for(lambda: len(retries()) >= 2, timeout=30), worker["log"].read_text()
    worker["proxy"].forward()  # and comes back
    sent = wait_for(lambda: Invitation.objects.filter(pk=invitation.pk, email_status="sent").exists(), timeout=40)
    assert sent, worker["log"].read_text()
    assert "OperationalError" in worker["log"].read_text()
    mails = [p for p in worker["mail_dir"].glob("*.log") if "To: colleague@alpha.cn" in p.read_text()]
    assert len(mails) == 1


def test_on_sqlite_the_database_faults_run_on_a_real_postgresql_in_a_child_run(postgres_server, tmp_path):
    """Only in a run on SQLite (tests/faults/conftest.py): the tests above, in a child pytest on PostgreSQL, with its
    own var/ (so its worker and broker folders are its own) and the filesystem broker."""
    env = {**os.environ, "DATABASE_URL": postgres_server.postgres_url(f"faults_{os.getpid()}"),
           "VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    env.pop("REDIS_URL", None)
    child = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__],
                           cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-2000:]
    assert re.search(r"\b4 passed\b", child.stdout), child.stdout[-2000:]
