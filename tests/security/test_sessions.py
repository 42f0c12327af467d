"""Sessions, the second factor, CSRF, lockout and the transport headers, attacked.

Proved elsewhere, not repeated here:
- repeated bad passwords lock the account out (429, even the right password then refused), the e-mail's case and a
  forged X-Forwarded-For give no new attempts: tests/test_accounts_views.py::test_login_by_email_and_lockout_after_\
repeated_failures, tests/test_settings_and_health.py::test_changing_the_case_of_the_email_gives_no_new_attempts_at_\
the_admin, ::test_a_forged_forwarded_for_header_gives_no_new_attempts_without_a_proxy, ::test_behind_a_proxy_each_\
client_is_counted_apart;
- a wrong 6-digit code keeps staff out: tests/test_settings_and_health.py::test_a_wrong_code_keeps_staff_out;
- the REST API refuses a session write without the CSRF token: tests/test_api.py::test_a_session_write_needs_the_\
csrf_token;
- every page (the admin's, the API's readers and the error pages included) carries the strict Content-Security-Policy:
  tests/test_security_headers.py::test_every_page_carries_a_strict_policy_and_needs_nothing_inline.
"""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from policies.models import Holiday

from ..conftest import otp_login
from ..test_settings_and_health import GOOD_PRODUCTION, _run
from ..walk import url_patterns
from .output import every_log_line

pytestmark = pytest.mark.django_db

SESSION = settings.SESSION_COOKIE_NAME


def _session_exists(key) -> bool:
    return SessionStore().exists(key)


# --- sessions rotate at log-in and die at log-out --------------------------------------------------------------


def test_the_session_key_changes_at_log_in_and_the_one_before_is_gone(client, owner_a, password):
    """Session fixation: a key planted before log-in is worth nothing after it."""
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted = session.session_key
    assert client.cookies[SESSION].value == planted
    response = client.post(reverse("accounts:login"), {"username": owner_a.email, "password": password})
    assert response.status_code == 302
    assert client.cookies[SESSION].value != planted and not _session_exists(planted)
    assert client.session["_auth_user_id"] == str(owner_a.pk)


def test_the_session_key_changes_at_the_admins_log_in_too(client, reviewer, password):
    client.get(reverse("admin:login"))
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted = session.session_key
    assert otp_login(client, reviewer, password).status_code == 302
    assert client.cookies[SESSION].value != planted and not _session_exists(planted)


def _replay(cookie: str, url: str):
    """A request carrying a stolen session cookie."""
    thief = Client()
    thief.cookies[SESSION] = cookie
    return thief.get(url)


def test_after_log_out_the_old_cookie_no_longer_authenticates(client, org_a, owner_a, password):
    client.post(reverse("accounts:login"), {"username": owner_a.email, "password": password})
    dashboard = reverse("org:dashboard", args=[org_a.pk])
    cookie = client.cookies[SESSION].value
    assert _replay(cookie, dashboard).status_code == 200  # the cookie works while logged in
    assert client.post(reverse("accounts:logout")).status_code == 302
    replayed = _replay(cookie, dashboard)
    assert replayed.status_code == 302 and replayed["Location"].startswith(reverse("accounts:login"))
    assert not _session_exists(cookie)


def test_after_the_admins_log_out_the_old_cookie_no_longer_reaches_the_admin(client, reviewer, password):
    assert otp_login(client, reviewer, password).status_code == 302
    cookie = client.cookies[SESSION].value
    assert _replay(cookie, reverse("admin:index")).status_code == 200
    client.post(reverse("admin:logout"))
    replayed = _replay(cookie, reverse("admin:index"))
    assert replayed.status_code == 302 and replayed["Location"].startswith(reverse("admin:login"))


# --- the second factor --------------------------------------------------------------------------------------------

# Admin routes open without a verified second factor, and why.
OPEN_ADMIN = {
    "admin:login": "the log-in page itself (password and 6-digit code)",
    "admin:logout": "logging out needs no second factor (a GET is sent back to the admin, a redirect, not a page)",
}
ANY_UUID = "00000000-0000-4000-8000-000000000001"


def _any_url(route: str) -> str:
    """An admin route with made-up ids: the second-factor check comes before any lookup."""
    if route.startswith("admin/^("):
        return "/admin/qualifications/"
    if route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: ANY_UUID if m.group(1) == "uuid" else "1", route)


def test_staff_without_a_verified_second_factor_reach_no_admin_page(client, password):
    """Every admin route, as a superuser (who has an authenticator) logged in with the password only: the admin's
    log-in page, never a page of the admin nor a 403 that confirms the page exists."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    superuser = User.objects.create_superuser(email="root@platform.cn", password=password)
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    assert client.post(reverse("accounts:login"), {"username": superuser.email, "password": password}).status_code
    assert client.session["_auth_user_id"] == str(superuser.pk)  # logged in, with the password only
    walked, wrong = 0, {}
    for route, name in url_patterns():
        if not route.startswith("admin/") or name in OPEN_ADMIN:
            continue
        url = _any_url(route)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            walked += 1
            if not (response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))):
                wrong[f"{method.upper()} {url}"] = response.status_code
    assert wrong == {}
    assert walked > 200, walked
    assert client.get(reverse("admin:login")).status_code == 200
    assert client.get(reverse("admin:logout")).status_code == 302


# --- CSRF -------------------------------------------------------------------------------------------------------


def _token(client, url) -> str:
    client.get(url)
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def test_the_log_in_without_the_csrf_token_is_refused(owner_a, password):
    client = Client(enforce_csrf_checks=True)
    data = {"username": owner_a.email, "password": password}
    assert client.post(reverse("accounts:login"), data).status_code == 403
    assert "_auth_user_id" not in client.session
    # the same with the token: in (the refusal was the token's)
    token = _token(client, reverse("accounts:login"))
    assert client.post(reverse("accounts:login"), {**data, "csrfmiddlewaretoken": token}).status_code == 302


def test_a_customer_form_without_the_csrf_token_is_refused(org_a, owner_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_a)
    url = reverse("org:members", args=[org_a.pk])
    data = {"email": "new@alpha.cn", "role": Membership.Role.MEMBER}
    assert client.post(url, data).status_code == 403
    assert not org_a.invitations.exists()
    token = _token(client, url)
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert org_a.invitations.filter(email="new@alpha.cn").exists()


def test_an_admin_action_without_the_csrf_token_is_refused(reviewer, password):
    """The verified staff session, in a client that checks CSRF as a browser's server would."""
    from django.contrib.auth.models import Permission

    reviewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_holiday", "delete_holiday"]))
    holiday = Holiday.objects.create(day="2026-10-01", name="国庆节")
    verified = Client()
    assert otp_login(verified, reviewer, password).status_code == 302
    client = Client(enforce_csrf_checks=True)
    client.cookies[SESSION] = verified.cookies[SESSION].value
    url = reverse("admin:policies_holiday_changelist")
    action = {"action": "delete_selected", "_selected_action": [holiday.pk], "post": "yes"}
    assert client.post(url, action).status_code == 403
    assert Holiday.objects.filter(pk=holiday.pk).exists()
    token = _token(client, url)
    assert client.post(url, {**action, "csrfmiddlewaretoken": token}).status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()


# --- lockout, logged ----------------------------------------------------------------------------------------------


def test_repeated_bad_passwords_are_logged_and_the_lockout_too_never_the_password(client, owner_a, settings):
    url = reverse("accounts:login")
    with every_log_line() as lines:
        for i in range(settings.AXES_FAILURE_LIMIT):
            client.post(url, {"username": owner_a.email, "password": f"Guess-{i}-wrong"})
    assert client.post(url, {"username": owner_a.email, "password": "x"}).status_code == 429
    # the database keeps the failures and the lockout (the admin's axes pages show them)
    attempt = AccessAttempt.objects.get(username=owner_a.email)
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT and attempt.ip_address == "127.0.0.1"
    # and the log says so, at WARNING (what production keeps), without any password tried
    warnings = [line for line in lines if line.startswith(("WARNING axes", "ERROR axes"))]
    assert any("failure" in line.lower() for line in warnings), lines
    assert any("locking out" in line.lower() for line in warnings), warnings
    assert not [line for line in lines if "wrong" in line]


# --- transport: HSTS and CSP under production settings --------------------------------------------------------


def test_production_answers_carry_hsts_and_csp_and_plain_http_is_sent_to_https():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'filing_portal.settings'; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='filing.example.cn')\n"
        "plain = client.get('/accounts/login/')\n"
        "print('PLAIN', plain.status_code, plain.get('Location'))\n"
        "secure = client.get('/healthz', secure=True)\n"
        "print('SECURE', secure.status_code)\n"
        "print('HSTS', secure.get('Strict-Transport-Security'))\n"
        "print('CSP', secure.get('Content-Security-Policy'))\n"
    )
    # a page needs the collected static files (the manifest): the health probe (exempt from the redirect) does not
    done = _run(["-c", code], **GOOD_PRODUCTION)
    assert done.returncode == 0, done.stderr[-2000:]
    out = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert out["PLAIN"] == "301 https://filing.example.cn/accounts/login/"
    assert out["SECURE"] in ("200", "503")  # the probe answers either way; its headers are the point
    assert out["HSTS"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in out["CSP"] and "frame-ancestors 'none'" in out["CSP"]
