"""Redis failing under the portal (issue 14, section 2): a loopback proxy (tests/faults/proxy.py) stands
between this process (the web side: its cache and its broker connection) and the real Redis, and refuses or
hangs on command. The worker talks to the configured broker directly: the fault is the web's.

Both CI passes run these against a real Redis: the PostgreSQL pass's (REDIS_URL), and on the SQLite pass the
local one (tests/services.py: this machine's, or a private one on a fresh machine); there, once Redis is back,
the notices go through the pass's own broker (the filesystem one) to its worker."""

import os
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache

from filing_portal import outage
from filing_portal.celery import app
from notices import services as notice_services
from notices.models import Notice
from signatures.models import Signature

from ..api_helpers import for_member
from ..conftest import otp_login, wait_for
from ..factories import make_entity
from ..test_signatures import NAME, complete_package
from .proxy import FaultProxy

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BOUND = settings.REDIS_SOCKET_TIMEOUT + 1.0  # the bound for a request while Redis hangs


def _point_broker(url, options):
    app.conf.broker_url, app.conf.broker_transport_options = url, options
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_proxy(settings, redis_server):
    """This process's cache and broker connection go through the proxy; afterwards, straight to the real ones."""
    target = urlsplit(settings.REDIS_URL or redis_server.redis_url(15))
    real_broker, real_options = app.conf.broker_url, app.conf.broker_transport_options
    with FaultProxy(target.hostname, target.port or 6379) as proxy:
        proxied = f"redis://127.0.0.1:{proxy.port}"
        settings.CACHES = {"default": {
            "BACKEND": "filing_portal.cache.FailSoftRedisCache", "LOCATION": f"{proxied}/{target.path.strip('/')}",
            "KEY_PREFIX": f"faults-{os.getpid()}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": settings.REDIS_SOCKET_TIMEOUT},
        }}  # fmt: skip
        _point_broker(f"{proxied}/{target.path.strip('/')}", {"visibility_timeout": 3600, **settings.REDIS_FAIL_FAST})
        try:
            yield proxy
        finally:
            _point_broker(real_broker, real_options)
            _redis_is_back()


def _redis_is_back():
    """What BROKER_REST_SECONDS and the cache's DOWN_SECONDS would do with time: this process tries Redis again."""
    notice_services._broker_down_until = 0.0
    outage.redis_back()


@pytest.fixture
def entity(org_a):
    created = make_entity(organization=org_a, name=NAME, uscc="91110000802100433B", legal_rep_name="张三",
                          legal_rep_id_number="11010519491231002X")  # fmt: skip
    return complete_package(created)


def _warm_api(owner, entity):
    """A key, and a first request through the API's code (imports, URLs, compiled SQL): a serving process is warm,
    and what is timed is the fault's cost, not this process's first request."""
    api = for_member(owner.memberships.get())
    body = {"entity": str(entity.pk), "source": "abbreviation", "text": "百度"}
    assert api.post("/api/v1/signatures/precheck/", body).status_code == 200
    assert api.get("/api/v1/signatures/").status_code == 200
    return api


@contextmanager
def timed(bound):
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < bound, f"took {took:.2f} s, more than {bound:.2f} s"


def test_a_submission_while_redis_refuses_is_kept_and_its_notices_go_out_once_when_it_is_back(
    redis_proxy, owner_a, entity, celery_worker
):
    from notices.tasks import sweep

    api = _warm_api(owner_a, entity)
    redis_proxy.refuse()
    with timed(2.0):
        response = api.post("/api/v1/signatures/", {"entity": str(entity.pk), "source": "abbreviation",
                                                             "text": "百度", "submit": True})  # fmt: skip
    assert response.status_code == 201, response.content
    signature = Signature.objects.get(pk=response.json()["id"])
    assert signature.status == "submitted"
    waiting = signature.events.filter(processed_at__isnull=True)
    assert waiting.count() == 2  # created and submitted: committed in the outbox, not sent
    notices = Notice.objects.filter(organization=entity.organization, key__startswith="event:signature:")
    assert notices.count() == 0

    redis_proxy.forward()
    _point_broker(*_real_broker())
    _redis_is_back()
    sweep.apply_async(expires=60)  # beat's sweep, by name through the broker
    assert wait_for(lambda: waiting.count() == 0), celery_worker["log"].read_text()
    assert notices.count() == 2
    sweep.apply_async(expires=60)  # once more: nothing twice
    assert wait_for(lambda: "notices.tasks.sweep" in celery_worker["log"].read_text())
    time.sleep(1.0)
    assert notices.count() == 2
    assert cache.get("anything") is None  # the cache answers again through the proxy


def _real_broker():
    return settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS


def test_while_redis_hangs_every_request_ends_within_the_socket_timeout_and_the_status_page_says_broker_down(
    redis_proxy, client, owner_a, entity, reviewer
):
    api = _warm_api(owner_a, entity)
    staff = type(client)()
    otp_login(staff, reviewer)
    redis_proxy.hang()
    client.force_login(owner_a)
    org = entity.organization
    with timed(BOUND):
        response = api.post("/api/v1/signatures/", {"entity": str(entity.pk), "source": "abbreviation",
                                                    "text": "百度", "submit": True})  # fmt: skip
    assert response.status_code == 201, response.content
    for path in ("/", f"/o/{org.pk}/", f"/o/{org.pk}/signatures/new/", "/api/v1/signatures/"):
        with timed(BOUND):
            response = (api.get if path.startswith("/api/") else client.get)(path)
        assert response.status_code in (200, 302), (path, response.status_code)
    with timed(BOUND):
        page = staff.get("/admin/status/")
    assert page.status_code == 503
    probes = {probe.key: probe for probe in page.context["probes"]}
    assert not probes["broker"].ok and probes["database"].ok, probes
    assert "Timeout" in probes["broker"].detail, probes["broker"]  # it hung, it did not refuse
    assert "✘" in page.content.decode()  # the row shown down
    assert redis_proxy.connections > 0  # the requests really met the hanging Redis
