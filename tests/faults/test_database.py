"""PostgreSQL losing a connection under the portal (issue 14, section 2): the request that meets it gets a
clean 503 (our own page, Chinese first, no stack trace; problem+json under /api/), and the next request on the
same persistent connection succeeds (CONN_HEALTH_CHECKS).

Requests go through Django's real WSGI handler in this thread, as a gunicorn sync worker serves them: its
request_started and request_finished hooks run (the test client turns them off), so the connection outlives a
request (CONN_MAX_AGE) and is checked before reuse. The fault is real: pg_terminate_backend, sent from a
connection of its own, as a failover or an operator does.

PostgreSQL only: SQLite is a file, there is no server connection to lose. These run in CI's PostgreSQL pass."""

import time

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

from ..api_helpers import key_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a server connection to lose: PostgreSQL only"),
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
