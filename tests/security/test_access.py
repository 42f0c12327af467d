"""Who may open what: every URL pattern of the site, the admin and the API, walked from the resolver as each
kind of intruder, against the rule written for it in ACCESS.

The world is the policy walk's (tests/walk.py: the demo organization A with one row of everything a route can
name) plus a second organization B with its own entity, signature, notice, webhook and API key. Every pattern is
requested with GET and with POST (the test client skips the CSRF check, so a POST reaches the view) by:

- an anonymous visitor: the log-in page with ``next=`` (the admin's for admin and staff routes), 401 problem JSON
  under /api/; the public routes are listed as such and answer anything but a log-in redirect;
- B's owner (the portal session, and B's read-and-write API key): 404 for anything of A's, byte for byte the
  answer for an id that does not exist (status, content type, body), and none of A's identifiers in any answer;
- A's plain member (no owner role; the session, and a read-only key of A's): 403 where the rule needs the owner
  (only on routes whose list the member sees, so the 403 tells nothing new), 404 on staff routes;
- staff who logged in with their password only, with and without a confirmed authenticator: no admin page and no
  staff route (the admin's log-in instead);
- verified staff in no group: refused on every admin and staff route but the admin's index and their own password;
- the verified superuser, POSTing an empty form everywhere (their GETs are the policy walk's).

No one gets a 500. A 403 appears only where the rule allows one. A pattern with no rule in ACCESS fails
test_every_url_pattern_has_an_access_rule with what to add. The last test guesses private storage's paths.
"""

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.management.commands.seed_demo import DEMO_PASSWORD, MEMBER, STAFF
from accounts.models import Membership, User
from qualifications.models import Document

from ..conftest import otp_login
from ..factories import UserFactory
from ..walk import build_world, fill, other_organization, url_patterns

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Rule:
    """Who may use a route. ``kind``:

    public        anyone, signed in or not
    signed-in     any signed-in person (the page itself says what they see)
    member        a member of the organization in the URL, any role
    owner-writes  members read, owners write (a member's POST: 403; the member sees the page, so it exists)
    owner         the organization's owners only, every method (403 for a member, who sees the list it belongs to)
    document      whoever may see the document (document_for_viewer): the owning organization's members, staff
    api-public    the API's schema, readers and problem types: anyone
    api           an API key or the portal session of a member; writes need a read-and-write key
    api-owner     the same, and writes need the organization's owner (a key acts as its creator)
    staff         staff with a verified second factor, and the permission ``perm`` (staff_route + the view)
    admin         the admin (admin_view: staff with a verified second factor), its model permissions
    admin-public  the admin's log-in and log-out
    """

    kind: str
    perm: str = ""


PUBLIC, SIGNED_IN, MEMBER_RULE, OWNER_WRITES, OWNER = (Rule(k) for k in ("public", "signed-in", "member",
                                                                         "owner-writes", "owner"))  # fmt: skip
API, API_OWNER, API_PUBLIC = Rule("api"), Rule("api-owner"), Rule("api-public")
ADMIN = Rule("admin", "the ModelAdmin's permissions (the admin's own pages: is_staff)")


def staff(perm: str) -> Rule:
    """A staff route (review.admin_views.staff_route): the admin's log-in for anonymous visitors and unverified
    staff, 404 for a signed-in customer (as for a page that does not exist)."""
    return Rule("staff", perm)


def admin_page(perm: str) -> Rule:
    """An admin page (admin.site.admin_view): the admin's log-in for everyone but verified staff."""
    return Rule("admin", perm)


ACCESS: dict[str, Rule] = {
    # The site's public doors.
    "healthz": PUBLIC,  # a load balancer's probe: says up or down, nothing else
    "favicon.ico": PUBLIC,
    "home": PUBLIC,  # anonymous: the welcome page; signed in: their organizations
    "set_language": PUBLIC,
    "accounts:signup": PUBLIC,
    "accounts:login": PUBLIC,
    "accounts:logout": PUBLIC,
    "accounts:invitation-accept": PUBLIC,  # the token is the key (accounts.services.invitation_from_token)
    "accounts:password-reset": PUBLIC,
    "accounts:password-reset-done": PUBLIC,
    "accounts:password-reset-confirm": PUBLIC,  # the token is the key
    "accounts:password-reset-complete": PUBLIC,
    "accounts:two-factor": SIGNED_IN,  # staff enrol here; anyone else gets 404
    # An organization's pages (accounts.selectors.membership_get: 404 for a non-member).
    "org:dashboard": MEMBER_RULE,
    "org:members": OWNER_WRITES,
    "org:member-remove": OWNER,
    "org:invitation-revoke": OWNER,
    "org:entity-list": MEMBER_RULE,
    "org:entity-create": MEMBER_RULE,
    "org:entity-field-check": MEMBER_RULE,
    "org:entity-detail": MEMBER_RULE,
    "org:entity-edit": MEMBER_RULE,
    "org:document-upload": MEMBER_RULE,
    "org:entity-consent": MEMBER_RULE,
    "org:entity-package-submit": MEMBER_RULE,
    "org:entity-consent-withdraw": MEMBER_RULE,
    "org:evidence-create": MEMBER_RULE,
    "org:evidence-delete": MEMBER_RULE,
    "org:signature-list": MEMBER_RULE,
    "org:signature-create": MEMBER_RULE,
    "org:signature-check": MEMBER_RULE,
    "org:signature-detail": MEMBER_RULE,
    "org:signature-edit": MEMBER_RULE,
    "org:signature-withdraw": MEMBER_RULE,
    "org:template-list": MEMBER_RULE,
    "org:template-create": MEMBER_RULE,
    "org:template-check": MEMBER_RULE,
    "org:template-detail": MEMBER_RULE,
    "org:template-edit": MEMBER_RULE,
    "org:template-revise": MEMBER_RULE,
    "org:template-withdraw": MEMBER_RULE,
    "org:template-test-send": MEMBER_RULE,
    "org:sending-stats": MEMBER_RULE,
    "org:notices": MEMBER_RULE,
    "org:notice-detail": MEMBER_RULE,
    "org:notice-acknowledge": MEMBER_RULE,
    "org:webhooks": OWNER_WRITES,
    "org:webhook-detail": MEMBER_RULE,
    "org:webhook-action": OWNER,
    "org:api-keys": OWNER_WRITES,
    "org:api-key-revoke": OWNER,
    "document-file": Rule("document"),
    # The REST API (api.base.OrgView: the key's organization, or the session's).
    "api:schema": API_PUBLIC,
    "api:docs": API_PUBLIC,
    "api:redoc": API_PUBLIC,
    "api:problem": API_PUBLIC,
    "api:policies": API,
    "api:entities-list": API,
    "api:entities-detail": API,
    "api:entities-documents": API,
    "api:entities-document": API,
    "api:entities-consent": API,
    "api:entities-consent-withdraw": API,
    "api:documents-link": Rule("api-public"),  # a signed link: the signature is the key (tested in test_api_entities)
    "api:signatures-list": API,
    "api:signatures-precheck": API,
    "api:signatures-detail": API,
    "api:signatures-withdraw": API,
    "api:signatures-resubmit": API,
    "api:templates-list": API,
    "api:templates-check": API,
    "api:templates-detail": API,
    "api:templates-withdraw": API,
    "api:templates-resubmit": API,
    "api:notices-list": API,
    "api:notices-detail": API,
    "api:notices-acknowledge": API,
    "api:webhooks-list": API_OWNER,
    "api:webhooks-detail": API_OWNER,
    "api:webhooks-test": API_OWNER,
    "api:webhooks-deliveries": API,
    "api:sending-stats": API,
    # Staff routes (review.admin_views.staff_route: the admin's log-in and second factor; a customer gets 404).
    "system-status": admin_page("is_staff"),
    "review-queue": staff("accounts.review_filings"),
    "review-item": staff("accounts.review_filings"),
    "review-claim": staff("accounts.review_filings"),
    "review-release": staff("accounts.review_filings"),
    "review-reveal": staff("accounts.review_filings"),
    "review-decide": staff("accounts.review_filings"),
    "carrier-batches": staff("filings.file_with_carriers"),
    "carrier-batch-open": staff("filings.file_with_carriers"),
    "carrier-batch": staff("filings.file_with_carriers"),
    "carrier-batch-download": staff("filings.file_with_carriers"),
    "carrier-batch-submit": staff("filings.file_with_carriers"),
    "carrier-batch-import": staff("filings.file_with_carriers"),
    "desk": staff("accounts.manage_assigned_customers"),
    # The admin's own routes.
    "admin:login": Rule("admin-public"),
    "admin:index": ADMIN,
    "admin:logout": Rule("admin-public"),  # anyone else is sent to the admin's index, and from there to its log-in
    "admin:password_change": ADMIN,
    "admin:password_change_done": ADMIN,
    "admin:auth_user_password_change": admin_page("accounts.change_user"),  # a user's password, set by staff
    "admin:autocomplete": ADMIN,
    "admin:jsi18n": ADMIN,
    "admin:view_on_site": ADMIN,
    "admin:app_list": ADMIN,
    "admin/(?P<url>.*)$": ADMIN,  # the catch-all
    # The admin's own views beside the standard ones (each checks its permission in its ModelAdmin).
    "admin:otp_totp_totpdevice_config": ADMIN,
    "admin:otp_totp_totpdevice_qrcode": ADMIN,
    "admin:qualifications_entity_transfer": admin_page("accounts.manage_assigned_customers"),
    "admin:qualifications_entity_share": admin_page("accounts.manage_assigned_customers"),
    "admin:announcements_announcement_dry_run": admin_page("announcements.change_announcement"),
    "admin:announcements_announcement_publish": admin_page("accounts.publish_policies"),
    "admin:announcements_announcement_progress": admin_page("announcements.view_announcement"),
}

# The models the admin shows, each with its five standard routes (list, add, change, history, delete) and the
# bare object address; their ModelAdmin's has_*_permission decide (the model permissions, scoped querysets).
ADMIN_MODELS = {
    "auth.group", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "accounts.user",
    "accounts.organization", "accounts.membership", "accounts.invitation", "accounts.authenticator",
    "qualifications.entity", "qualifications.trademark", "qualifications.icpapp", "qualifications.ownedaddress",
    "qualifications.partnerauthorization", "qualifications.documentaccess", "qualifications.idnumberreveal",
    "qualifications.idimageconsent", "policies.policy", "policies.holiday", "signatures.signature",
    "templates_app.smstemplate", "templates_app.testsend", "filings.filing", "filings.carrierbatch",
    "announcements.announcement",
}  # fmt: skip
ADMIN_VIEWS = ("changelist", "add", "history", "delete", "change")

# Route parameters that name a row: replaced by an id that does not exist to get the "missing" answer.
OBJECT_KEYS = {"org_id", "entity_id", "document_id", "evidence_id", "signature_id", "template_id", "membership_id",
               "invitation_id", "notice_id", "endpoint_id", "key_id", "pk"}  # fmt: skip
MISSING_INT = 2_000_000_000
MISSING_UUID = "00000000-0000-4000-8000-00000000dead"
PAGE_RULES = {"signed-in", "member", "owner-writes", "owner", "document"}
ORG_RULES = {"member", "owner-writes", "owner"}
API_RULES = {"api", "api-owner"}
ADMIN_RULES = {"admin", "staff"}
LOGIN, LOGOUT, ADMIN_LOGIN = "/accounts/login/", "/accounts/logout/", "/admin/login/"
PROBLEM = "application/problem+json"
# What a verified staff member with no permission may open: the admin's index (empty), their password, its scripts.
STAFF_OWN_PAGES = {"admin:index", "admin:password_change", "admin:password_change_done", "admin:jsi18n",
                   "system-status"}  # fmt: skip
STATUS_PAGE = "/admin/status/"
READ_ONLY_POSTS = {"api:signatures-precheck", "api:templates-check"}  # checks: a read-only key may send them


def rule_for(route: str, name: str) -> Rule | None:
    if name in ACCESS:
        return ACCESS[name]
    for model in ADMIN_MODELS:
        app, model_name = model.split(".")
        standard = {f"admin:{app}_{model_name}_{view}" for view in ADMIN_VIEWS}
        if name in standard or route == f"admin/{app}/{model_name}/<path:object_id>/":
            return ADMIN
    return None


def test_every_url_pattern_has_an_access_rule():
    """A new URL fails here until someone writes down who may use it."""
    missing = [name for route, name in url_patterns() if rule_for(route, name) is None]
    assert missing == [], (
        "These URL patterns have no access rule: add each to ACCESS in tests/security/test_access.py "
        "(public, signed-in, member, owner-writes, owner, document, api, api-owner, api-public, staff(perm), "
        "admin_page(perm)), "
        "or its model to ADMIN_MODELS if it is a standard admin route:\n" + "\n".join(missing)
    )
    names = {name for _route, name in url_patterns()}
    stale = sorted(set(ACCESS) - names)
    assert stale == [], f"ACCESS names patterns that no longer exist: {stale}"
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == ADMIN_MODELS, registered ^ ADMIN_MODELS


# --- the walk ---------------------------------------------------------------------------


# The live checks read their subject from the query (GET) or the form (POST), and answer 404 without one: they are
# walked with one, its ids filled as a route's are.
PARAMS = {
    "org:signature-check": {"entity": "entity_id", "source": "=full_name", "text": "=示例科技"},
    "org:template-check": {"signature": "signature_id", "kind": "=notification", "text": "=您的订单已发货"},
    "org:entity-field-check": {"field": "=id_number", "value": "=11010519491231002X"},
}


def _with(route: str, name: str, world, overrides: dict) -> str:
    """The route's URL with the world's ids but ``overrides``; a check's parameters as its query string (the walker
    posts them as a form to a POST)."""
    values = {**world["ids"], **world["per_pattern"].get(name, {}), **overrides}
    url = fill(route, name, {"ids": values, "per_pattern": {}})
    if name in PARAMS:
        url += "?" + urlencode({k: v[1:] if v.startswith("=") else values[v] for k, v in PARAMS[name].items()})
    return url


def _missing(route: str, name: str) -> dict:
    """An id that does not exist for each row the route (or its check's parameters) names, but the organization."""
    named = re.findall(r"<(?:(\w+):)?(\w+)>", route) + [("uuid" if key == "entity_id" else "int", key)
                                                        for key in PARAMS.get(name, {}).values()]  # fmt: skip
    return {key: MISSING_UUID if converter == "uuid" else MISSING_INT for converter, key in named
            if key in OBJECT_KEYS and key != "org_id"}  # fmt: skip


def _object_keys(route: str, name: str) -> set[str]:
    keys = {key for _c, key in re.findall(r"<(?:(\w+):)?(\w+)>", route)} | set(PARAMS.get(name, {}).values())
    return keys & OBJECT_KEYS - {"org_id"}


# What differs between two answers to two requests that are the same but for an id, and is the request's own:
# the path it asked for (echoed in the problem's "instance", the language form's "next", the log-in's "next=")
# and the CSRF token, masked afresh for each page (Django's BREACH defence).
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def _scrub(content: bytes, url: str) -> bytes:
    """The body without the request's own URL (echoed, as it may be, by any page)."""
    path = url.partition("?")[0]
    full = (url, quote(url, safe="/"), html.escape(url), quote(url, safe="/?&="))
    for form in (*full, path, quote(path, safe="/"), quote(path, safe="")):
        content = content.replace(form.encode(), b"<path>")
    return content


def answer(response, url: str) -> tuple:
    body = _scrub(CSRF.sub(rb"\1<csrf>\2", response.content), url)
    location = response.get("Location", "").replace(url.partition("?")[0], "<path>")
    # The headers' names too (an ETag or a Vary on one only would tell); their values are the body's (length) or
    # the location's, compared above.
    return response.status_code, response.get("Content-Type"), location, tuple(sorted(response.headers)), body


def _redirects_to_a_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith((LOGIN, ADMIN_LOGIN))


def _login_redirect(response, login: str, url: str) -> bool:
    """A redirect to ``login`` that comes back to ``url`` (its query too, for a GET)."""
    back = {f"{login}?next={quote(url, safe='/')}", f"{login}?next={quote(url.partition('?')[0], safe='/')}"}
    return response.status_code == 302 and response["Location"] in back


class Walker:
    """One actor: its session for pages (and for the API when it has no key), its key for the API. Records every
    500 and every broken rule, and lets no exception out (the test client would raise a view's exception)."""

    def __init__(self, actor: str, problems: list, *, user=None, key: str = ""):
        self.actor, self.problems, self.user = actor, problems, user
        self.client = Client(raise_request_exception=False)
        if user is not None:
            self.client.force_login(user)
        self.api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}") if key else self.client
        self.compared = 0  # pairs of answers compared byte for byte
        self.may_be_refused = lambda method, url: False  # 403 tells that a row exists: only where the rule says

    def request(self, method: str, url: str):
        api = url.startswith("/api/")
        if method == "GET":
            response = (self.api if api else self.client).get(url)
        elif api:  # a JSON body, as API clients send: the request reaches the view, not the parser's 415
            response = self.api.post(url, "{}", content_type="application/json")
        else:
            path, _, query = url.partition("?")
            response = self.client.post(path, dict(parse_qsl(query)))
        if url == LOGOUT and self.user is not None:  # the walk goes on signed in
            self.client.force_login(self.user)
        # 503: the staff status page saying a probe is down (no worker answers in the tests): its designed answer.
        if response.status_code >= 500 and not (url == STATUS_PAGE and response.status_code == 503):
            self.problems.append(f"{self.actor} {method} {url}: {response.status_code}")
        if response.status_code == 403 and not self.may_be_refused(method, url):
            self.problems.append(f"{self.actor} {method} {url}: 403 where the rule gives no reason to refuse")
        return response

    def check(self, condition: bool, what: str, method: str, url: str, response) -> None:
        if not condition:
            where = response.get("Location") or response.content[:300].decode(errors="replace")
            self.problems.append(f"{self.actor} {method} {url}: {what}; got {response.status_code} {where}")

    def same_as_missing(self, method: str, url: str, missing_url: str, response=None) -> None:
        """The answer for ``url`` (someone else's row) is the answer for ``missing_url`` (no row): 404, or the
        405 every id gets for a method the route does not take, byte for byte."""
        seen = response if response is not None else self.request(method, url)
        missing = self.request(method, missing_url)
        self.compared += 1
        self.check(seen.status_code in (404, 405), "404", method, url, seen)
        if answer(seen, url) != answer(missing, missing_url):
            self.problems.append(f"{self.actor} {method} {url} and {missing_url} differ:\n"
                                 f"  {answer(seen, url)}\n  {answer(missing, missing_url)}")  # fmt: skip


@pytest.fixture
def world(db, password):
    from api import services as api_services

    world = build_world(password)
    world["b"] = other_organization()
    org_a = world["customer"].memberships.get().organization
    member = User.objects.get(email=MEMBER[0])
    assert Membership.objects.get(user=member, organization=org_a).role == Membership.Role.MEMBER
    owner = Membership.objects.get(user=world["customer"], organization=org_a)
    reviewer = User.objects.get(email=STAFF[0][0])
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    bare = UserFactory(email="bare-staff@platform.cn", is_staff=True, is_superuser=True)
    world["staff_without_groups"] = UserFactory(email="no-groups@platform.cn", is_staff=True)
    TOTPDevice.objects.create(user=world["staff_without_groups"], name="phone", confirmed=True)
    assert not TOTPDevice.objects.filter(user=bare).exists()
    world.update(member=member, reviewer=reviewer, bare_staff=bare, org_a_name=org_a.name,
                 read_key=api_services.key_create(membership=owner, name="只读", scope="read").secret)  # fmt: skip
    return world


def _patterns(world):
    for route, name in url_patterns():
        url = fill(route, name, world)  # None: an admin model with no row (test_security_headers fails on it)
        if url is not None:
            yield route, name, rule_for(route, name), url if name not in PARAMS else _with(route, name, world, {})


def test_every_route_answers_each_intruder_by_its_rule(world, password):
    problems: list[str] = []
    patterns = list(_patterns(world))
    assert len(patterns) > 250, len(patterns)  # the walk really walks (266 patterns when written)
    assert all(rule is not None for *_r, rule, _u in patterns), "see test_every_url_pattern_has_an_access_rule"
    counts = dict.fromkeys(("anonymous", "B's owner", "A's member", "staff"), 0)
    open_doors = {"public", "api-public", "admin-public"}

    # 1. Anonymous: the log-in (the site's, or the admin's for its pages), 401 under /api/, 404 for a document.
    anonymous = Walker("anonymous", problems)
    for route, name, rule, url in patterns:
        for method in ("GET", "POST"):
            response = anonymous.request(method, url)
            counts["anonymous"] += 1
            if rule.kind in open_doors:
                anonymous.check(method == "POST" or not _redirects_to_a_login(response), "a public route asks for a "
                                "log-in", method, url, response)  # fmt: skip
            elif rule.kind in API_RULES:
                anonymous.check(response.status_code == 401 and response["Content-Type"] == PROBLEM
                                and response.json()["code"] == "not-authenticated", "401 problem JSON", method, url,
                                response)  # fmt: skip
            elif rule.kind in ADMIN_RULES:
                anonymous.check(_login_redirect(response, ADMIN_LOGIN, url), "the admin's log-in", method, url,
                                response)  # fmt: skip
            elif rule.kind == "document":
                anonymous.same_as_missing(method, url, _with(route, name, world, _missing(route, name)), response)
            else:
                anonymous.check(_login_redirect(response, LOGIN, url), "the log-in page", method, url, response)

    # 2. Another organization's owner (session, and B's read-and-write key): A's rows are as missing as rows that
    # never existed, and nothing of A's shows in any answer.
    b = world["b"]
    other = Walker("B's owner", problems, user=b["owner"], key=b["write_key"])
    a_marks = {str(world["ids"]["entity_id"]), str(world["ids"]["document_id"]), world["org_a_name"]}
    for route, name, rule, url in patterns:
        for method in ("GET", "POST"):
            response = other.request(method, url)
            counts["B's owner"] += 1
            if rule.kind not in open_doors:
                leaked = sorted(mark for mark in a_marks if mark.encode() in _scrub(response.content, url))
                other.check(not leaked, f"A's {leaked} in the answer", method, url, response)
            if rule.kind in open_doors or rule.kind == "signed-in":
                continue
            if rule.kind == "admin":
                other.check(_login_redirect(response, ADMIN_LOGIN, url), "the admin's log-in", method, url, response)
            elif rule.kind in ORG_RULES:
                # A's organization as a missing one; and A's rows under B's own organization as missing rows.
                other.same_as_missing(method, url, _with(route, name, world, {"org_id": MISSING_INT}), response)
                if _object_keys(route, name):
                    mine = {"org_id": b["org"].pk}
                    other.same_as_missing(method, _with(route, name, world, mine),
                                          _with(route, name, world, {**mine, **_missing(route, name)}))  # fmt: skip
            elif _object_keys(route, name):  # the API's rows, documents, staff routes
                other.same_as_missing(method, url, _with(route, name, world, _missing(route, name)), response)
            elif rule.kind == "staff":
                other.check(response.status_code == 404, "404 (a staff route)", method, url, response)

    # 3. A's plain member: 403 only where the owner is needed (on routes whose list the member sees, so the 403
    # says nothing new), 404 on staff routes; a read-only key of A's may not write.
    member = Walker("A's member", problems, user=world["member"])
    reader = Walker("A's read-only key", problems, key=world["read_key"])
    owners_only = {url for _r, _n, rule, url in patterns if rule.kind in ("owner", "owner-writes", "api-owner")}
    member.may_be_refused = lambda method, url: method == "POST" and url in owners_only
    reader.may_be_refused = lambda method, url: method == "POST"
    # Every GET before any POST: the member's POSTs change A's rows (a withdrawn consent hides the files).
    for method, (_route, name, rule, url) in [(method, p) for method in ("GET", "POST") for p in patterns]:
        response = member.request(method, url)
        counts["A's member"] += 1
        writes = method == "POST"
        if rule.kind == "owner" or (rule.kind == "owner-writes" and writes):  # (405: a GET to a POST route)
            member.check(response.status_code in (403, 405 if not writes else 403), "403 (owners only)", method,
                         url, response)  # fmt: skip
        elif rule.kind == "api-owner" and writes:
            member.check(response.status_code == 403 and response.json()["code"] == "permission-denied",
                         "403 (owners only)", method, url, response)  # fmt: skip
        elif rule.kind == "staff":
            member.check(response.status_code == 404, "404 (a staff route)", method, url, response)
        elif rule.kind == "admin":
            member.check(_login_redirect(response, ADMIN_LOGIN, url), "the admin's log-in", method, url, response)
        elif rule.kind in ORG_RULES | API_RULES | {"document"}:
            member.check(response.status_code not in (401, 403, 404), "the member's access", method, url,
                         response)  # fmt: skip
        if rule.kind in API_RULES and writes and name not in READ_ONLY_POSTS:
            refused = reader.request(method, url)
            reader.check(refused.status_code in (403, 405) and refused.json()["code"] in ("scope-insufficient",
                         "method-not-allowed"), "403 scope-insufficient", method, url, refused)  # fmt: skip

    # 4. Staff who gave their password only (the customer site's log-in), with and without an authenticator:
    # no admin page, no staff route.
    staff_logins = (("staff with an authenticator", world["reviewer"], DEMO_PASSWORD),
                    ("a superuser without one", world["bare_staff"], password))  # fmt: skip
    for who, user, secret in staff_logins:
        walker = Walker(f"{who}, password only", problems)
        logged_in = walker.client.post(LOGIN, {"username": user.email, "password": secret})
        assert logged_in.status_code == 302 and "_auth_user_id" in walker.client.session, who
        for _route, _name, rule, url in patterns:
            if rule.kind not in ADMIN_RULES:
                continue
            for method in ("GET", "POST"):
                response = walker.request(method, url)
                counts["staff"] += 1
                walker.check(_login_redirect(response, ADMIN_LOGIN, url), "the admin's log-in", method, url,
                             response)  # fmt: skip

    # 5. Verified staff in no group (second factor given, no permission): the admin's index and their own password
    # page, nothing else.
    nobody = Walker("verified staff without permissions", problems)
    nobody.may_be_refused = lambda method, url: True  # staff know the admin exists: 403 tells them nothing
    assert otp_login(nobody.client, world["staff_without_groups"], password).status_code == 302
    for method, (_route, name, rule, url) in [(method, p) for method in ("GET", "POST") for p in patterns]:
        # The status page (any staff's) waits seconds for a worker no test runs here: tests/test_settings_and_health.
        if rule.kind not in ADMIN_RULES or name in ("admin:logout", "system-status"):
            continue
        response = nobody.request(method, url)
        counts["staff"] += 1
        own = name in STAFF_OWN_PAGES
        nobody.check(own or response.status_code in (302, 403, 404, 405), "refused", method, url, response)
        if response.status_code == 302:
            # The bare object address redirects to its change page, for any id (Django's), which refuses.
            to = response["Location"]
            nobody.check(own or to == f"{url}change/" or to.startswith(ADMIN_LOGIN), "refused", method, url, response)

    # 6. The verified superuser, POSTing an empty form to every route (their GETs are the policy walk's,
    # tests/test_security_headers.py): refusals and form errors, never a 500.
    root = Walker("the verified superuser", problems)
    root.may_be_refused = lambda method, url: True  # the admin refuses actions it never offers (adding purges…)
    assert otp_login(root.client, world["superuser"], password).status_code == 302
    for _route, name, _rule, url in patterns:
        if name not in ("admin:logout", "accounts:logout", "system-status"):
            root.request("POST", url)
            counts["staff"] += 1

    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
    assert min(counts.values()) > 200, counts
    assert other.compared > 150 and anonymous.compared >= 2, (other.compared, anonymous.compared)


# --- private storage ---------------------------------------------------------------------


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_no_route_serves_private_storage(world):
    """Documents leave storage only through the door (document-file): their stored names, guessed under every
    public prefix, with ../ and its encodings, are 404 to anyone, and never the bytes."""
    document = Document.objects.get(pk=world["ids"]["document_id"])
    stored = Path(document.file.path)
    secret = stored.read_bytes()[:256]
    assert stored.is_relative_to(settings.PRIVATE_STORAGE_ROOT) and len(secret) >= 64
    name, root = document.file.name, Path(settings.PRIVATE_STORAGE_ROOT)
    from_checkout = os.path.relpath(stored, settings.BASE_DIR)  # var/test/private/… (../ when VAR_DIR is elsewhere)
    from_var = str(stored.relative_to(settings.VAR_DIR))  # private/…
    up = "../" * 4
    guesses = [
        *(f"/{prefix}/{path}" for prefix in ("media", "private", "static", "var", "files", "uploads", "documents")
          for path in (name, from_var, from_checkout, stored.name)),
        f"/{name}", f"/{from_var}", f"/{from_checkout}", f"/{stored}", f"/{quote(str(stored), safe='')}",
        f"/static/{up}{from_checkout}",
        *(f"/static/{up.replace('../', dots)}{from_checkout}" for dots in ("%2e%2e/", "..%2f", "%2e%2e%2f", "..%5c")),
        f"/static/..%252f..%252f{from_var}",
        f"/static/{up}{from_var}", f"/media/{up}{from_checkout}",
        f"/documents/{document.pk}/{up}{name}", f"/documents/{document.pk}/{quote('../' + name, safe='')}/",
        f"/documents/{document.pk}/{stored.name}/", f"/documents/{document.pk}/%2e%2e%2f%2e%2e%2f{from_var}/",
        f"/o/{world['ids']['org_id']}/{up}{from_checkout}", f"/api/v1/{up}{from_checkout}",
        f"/api/v1/documents/link/{quote(name, safe='')}/",
        f"/{root.name}/{name}",
    ]  # fmt: skip
    clients = {"anonymous": Client(raise_request_exception=False), "A's owner": Client(raise_request_exception=False)}
    clients["A's owner"].force_login(world["customer"])
    served = []
    for who, client in clients.items():
        for guess in guesses:
            response = client.get(guess)
            body = _body(response)
            if response.status_code != 404 or secret in body or secret[:64] in body:
                served.append(f"{who} {guess}: {response.status_code} {body[:80]!r}")
        # Under /admin/ the admin's catch-all sends everyone but verified staff to its log-in, with no body.
        response = client.get(f"/admin/{up}{from_checkout}")
        assert response.status_code == 302 and response["Location"].startswith(ADMIN_LOGIN) and not _body(response)
    assert served == [], "\n".join(served)
    # The door itself serves it to A's owner: the guesses failed for the path, not for want of a right.
    door = clients["A's owner"].get(f"/documents/{document.pk}/file/")
    assert door.status_code == 200 and _body(door).startswith(secret)
