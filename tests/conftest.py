"""Shared fixtures: two customers of different enterprises (the second proves isolation),
a reviewer with a second factor, a real Celery worker process, and a real browser."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import Membership

from . import services
from .factories import PASSWORD, MembershipFactory, UserFactory

BASE_DIR = Path(settings.BASE_DIR)
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# What the integration fixtures really talked to, for the summary at the end of the run.
REAL_SERVICES: dict[str, str] = {}


def pytest_sessionstart(session):
    # Messages left in the test broker folders by an interrupted run must not reach this run's worker.
    if not settings.REDIS_URL:
        for folder in ("queue", "control"):
            shutil.rmtree(settings.CELERY_DIR / folder, ignore_errors=True)
            (settings.CELERY_DIR / folder).mkdir(parents=True, exist_ok=True)


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    broker = f"redis {settings.REDIS_URL}" if settings.REDIS_URL else f"kombu filesystem {settings.CELERY_DIR}"
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db['NAME']})",
        f"broker: {broker}",
        f"CI={os.environ.get('CI', '')}",
    ]


def pytest_terminal_summary(terminalreporter):
    if REAL_SERVICES:
        terminalreporter.section("real services used by the integration tests")
        for key, value in REAL_SERVICES.items():
            terminalreporter.write_line(f"{key}: {value}")


# --- people -----------------------------------------------------------------


@pytest.fixture
def owner_a(db):
    return MembershipFactory(user__email="owner-a@alpha.cn", organization__name="甲科技有限公司").user


@pytest.fixture
def org_a(owner_a):
    return owner_a.memberships.get().organization


@pytest.fixture
def member_a(org_a):
    return MembershipFactory(user__email="member-a@alpha.cn", organization=org_a, role=Membership.Role.MEMBER).user


@pytest.fixture
def owner_b(db):
    return MembershipFactory(user__email="owner-b@beta.cn", organization__name="乙网络有限公司").user


@pytest.fixture
def org_b(owner_b):
    return owner_b.memberships.get().organization


@pytest.fixture
def password():
    return PASSWORD


def make_staff(email, group):
    """A staff user in one of the staff groups, with a confirmed authenticator."""
    user = UserFactory(email=email, is_staff=True)
    roles.ensure_staff_groups()
    user.groups.add(Group.objects.get(name=group))
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def otp_code(user, steps_ahead=0) -> str:
    """The 6-digit code ``user``'s authenticator shows now, or ``steps_ahead`` 30-second steps later (a code is
    taken once: the next one is what a person types again right after logging in)."""
    import time

    from django_otp.oath import TOTP

    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def otp_login(client, user, password=PASSWORD):
    """Log in at the admin as a person does: email, password and the current 6-digit code."""
    from django.urls import reverse
    from django_otp.oath import TOTP

    device = TOTPDevice.objects.get(user=user)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    return client.post(reverse("admin:login"), {"username": user.email, "password": password, "otp_token": code})


@pytest.fixture
def reviewer(db):
    return make_staff("reviewer@platform.cn", roles.REVIEWER)


@pytest.fixture
def account_manager(org_a):
    """The account manager assigned to organization A."""
    user = make_staff("am@platform.cn", roles.ACCOUNT_MANAGER)
    org_a.account_manager = user
    org_a.save(update_fields=["account_manager"])
    return user


# --- real PostgreSQL and Redis servers, whatever the pass (tests/services.py) -------------


def _server(found, private_class):
    if found:
        yield found
        return
    private = private_class()
    try:
        yield private.start()
    finally:
        private.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server: the run's, this machine's, or a private one started for the session."""
    yield from _server(services.configured_postgres(), services.PrivatePostgres)


@pytest.fixture(scope="session")
def redis_server():
    """A Redis server: the run's, this machine's, or a private one started for the session."""
    yield from _server(services.configured_redis(), services.PrivateRedis)


# --- a real Celery worker ---------------------------------------------------


def _database_url(db: dict) -> str:
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    if engine.endswith("postgresql"):
        auth = db.get("USER") or ""
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    raise RuntimeError(f"no worker URL for {engine}")


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("worker-mail")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, mail_dir, tmp_path_factory):
    """A real `celery worker` process on the configured broker, using the test database.

    Tests that use it need committed data (`transactional_db`). If the broker cannot be
    reached the fixture fails: integration tests never skip.
    """
    from django.db import connection

    from filing_portal.celery import app

    with django_db_blocker.unblock():
        database_url = _database_url(connection.settings_dict)
    try:
        app.control.purge()
    except Exception as exc:
        pytest.fail(f"The broker {app.conf.broker_url} cannot be reached: {exc}")

    log_path = tmp_path_factory.mktemp("worker-log") / "worker.log"
    # (django-environ drops the first slash of the path, hence four in all.)
    env = {**os.environ, "DATABASE_URL": database_url, "EMAIL_URL": f"filemail:///{mail_dir}"}
    hostname = f"test-worker-{os.getpid()}@%h"
    log = open(log_path, "w")  # noqa: SIM115  (closed at teardown)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "filing_portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            hostname,
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        replies = []
        while time.monotonic() < deadline and not replies:
            if process.poll() is not None:
                pytest.fail(f"The Celery worker exited with {process.returncode}:\n{log_path.read_text()}")
            replies = [
                name
                for reply in app.control.ping(timeout=1.0)
                for name in reply
                if name.startswith(f"test-worker-{os.getpid()}@")
            ]
        if not replies:
            pytest.fail(f"The Celery worker did not answer a ping within 60 s:\n{log_path.read_text()}")
        REAL_SERVICES["worker"] = f"{replies[0]} (pid {process.pid}) answered a ping"
        REAL_SERVICES["broker"] = app.connection_for_write().as_uri()
        REAL_SERVICES["worker database"] = database_url.split("@")[-1]
        yield {"name": replies[0], "mail_dir": mail_dir, "log": log_path}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(predicate, timeout=30.0, interval=0.2):
    """Poll until predicate() is truthy; return its value, or None after the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


# --- a real browser -----------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package (scripts/system-deps.sh).")
    from playwright.sync_api import expect, sync_playwright

    # CI runs two passes on a 2-core machine with a worker beside the tests: be patient, not flaky.
    expect.set_options(timeout=15_000)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _no_nudges_without_a_worker(request, settings):
    """Notices nudge a worker after each move (notices.services.nudge). A test with no worker of its own
    leaves them to no one: otherwise the session's worker, started by another test, dispatches them while
    this test's database is being emptied (TRUNCATE then waits on the worker's locks: a deadlock)."""
    if "celery_worker" not in request.fixturenames and request.node.get_closest_marker("integration") is None:
        settings.NOTICES_NUDGE = False


@pytest.fixture(autouse=True)
def _api_rates_off(settings):
    """No API rate limits, except in the tests of the limits (which set them): the suite's many requests come
    from one address within a minute. The limits' counters live in the shared cache: emptied for those tests."""
    settings.API_RATE_PER_KEY = settings.API_RATE_PER_ADDRESS = ""


@pytest.fixture(autouse=True)
def _no_cached_policies():
    """Each test reads the policy rows and holidays it made, not a cached copy from the test before
    (whose transaction was rolled back, so no signal said they went)."""
    from policies.timeline import HOLIDAYS_KEY, TIMELINE_KEY

    cache.delete_many([TIMELINE_KEY, HOLIDAYS_KEY])
    yield
    cache.delete_many([TIMELINE_KEY, HOLIDAYS_KEY])


@pytest.fixture(autouse=True)
def _no_kept_options():
    """Each test's forms read the options of its own rows, not those a test before kept for an
    organization of the same id (its transaction rolled back, no signal said they went)."""
    from filing_portal.choices import forget_kept

    forget_kept()
    yield
    forget_kept()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at production strength costs ~0.4 s a user; the tests are about behaviour, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
