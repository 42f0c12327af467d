"""Every page carries a Content-Security-Policy that forbids inline scripts, and no page needs one.

The walk takes every URL pattern of the site from the URLconf (the admin's included), fills its
ids from a real demo organization (seed_demo, plus a draft, a template, a test send, an
invitation), and GETs it as an anonymous visitor, as the customer, and as a verified superuser
in the admin. Each HTML answer must carry the policy, and its markup must hold no inline
<script>, no on*= attribute and no style attribute or <style> the policy would block. A pattern
that no actor could open as a page fails the walk, unless it is listed below with the reason:
a new page is walked as soon as it exists.
"""

import base64
import datetime as dt
import hashlib
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.management.commands.seed_demo import CUSTOMER, DEMO_ORG
from accounts.models import Membership, Organization, User
from announcements.models import Announcement
from policies.models import Holiday, Policy
from qualifications import services as qualification_services
from qualifications.models import Document, Entity, IcpApp, OwnedAddress, PartnerAuthorization, Trademark
from signatures import services as signature_services
from signatures.models import Signature
from templates_app import services as template_services

from .conftest import otp_login
from .factories import make_entity, walk

pytestmark = pytest.mark.django_db

# Patterns that are not pages, and why. Anything else must answer some actor with an HTML page.
NOT_PAGES = {
    "healthz": "a probe for load balancers (JSON)",
    "favicon.ico": "a redirect to the icon",
    "set_language": "POST only (the language form)",
    "admin:jsi18n": "JavaScript",
    "admin:autocomplete": "JSON for the admin's select widgets",
    "admin:view_on_site": "a redirect to the object's page",
    "admin:otp_totp_totpdevice_qrcode": "an SVG image",
    "document-file": "the file itself, under its own stricter policy (tested below)",
    "admin/(?P<url>.*)$": "the admin's catch-all redirect",
    "admin:logout": "POST only",
    "org:signature-check": "JSON for the signature form's live check",
    "admin:announcements_announcement_progress": "JSON for an announcement's progress bars",
}
# The REST API answers JSON (its readers, Swagger UI and Redoc, are pages and walked as such); each route is walked
# for its policy header, and one of them must answer 200 to someone.
API_JSON = "api:"
# Pages whose policy allows inline styles, and why (their scripts stay only ours: checked below).
INLINE_STYLES_ALLOWED = {
    "api:redoc": "Redoc draws with styled-components' <style> elements; it shows only the public API schema",
}
# A data block, not a script: never executed, so the policy does not govern it.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def _policy(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


class _Markup(HTMLParser):
    """What a strict policy would block in a page: inline scripts, handlers, inline styles."""

    def __init__(self, style_hashes):
        super().__init__(convert_charrefs=True)
        self.style_hashes = style_hashes
        self.problems: list[str] = []
        self._in = None  # ("script" | "style", attrs) while inside one
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f'<{tag} style="{attrs[name]}">')
        for name in ("href", "src", "action", "formaction"):
            if (attrs.get(name) or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag in ("script", "style"):
            self._in, self._text = (tag, attrs), []

    def handle_data(self, data):
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self._in or tag != self._in[0]:
            return
        kind, attrs = self._in
        self._in = None
        body = "".join(self._text)
        if kind == "script" and not attrs.get("src") and attrs.get("type") not in DATA_SCRIPT_TYPES:
            self.problems.append(f"inline <script>{body.strip()[:60]}")
        if kind == "style" and _sha256(body) not in self.style_hashes:
            self.problems.append(f"<style> not allowed by its hash: {body.strip()[:60]}")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page_problems(response) -> list[str]:
    """What is wrong with one HTML answer: its policy, and anything inline the policy would block."""
    header = response.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy"]
    policy, problems = _policy(header), []
    for directive in ("script-src", "style-src"):
        if not policy.get(directive) or {"'unsafe-inline'", "'unsafe-eval'"} & set(policy[directive]):
            problems.append(f"{directive}: {policy.get(directive)}")
    expected = {"object-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'self'"],
                "form-action": ["'self'"]}  # fmt: skip
    problems += [f"{k}: {policy.get(k)}" for k, v in expected.items() if policy.get(k) != v]
    markup = _Markup({source for source in policy.get("style-src", []) if source.startswith("'sha256-")})
    markup.feed(response.content.decode())
    return problems + markup.problems


def check_page(response, where: str) -> None:
    assert page_problems(response) == [], where


# --- the world the walk runs in ---------------------------------------------------------


@pytest.fixture
def world(db, password):
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(name=DEMO_ORG)
    customer = User.objects.get(email=CUSTOMER[0])
    entity = Entity.objects.get(organization=org, is_own=True)
    active = Signature.objects.get(organization=org, status="approved", source="full_name")
    draft = signature_services.signature_save_draft(
        organization=org, user=customer, draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                       text="示例科技")
    )  # fmt: skip
    template = template_services.template_submit(organization=org, user=customer, signature=active,
                                                 kind="notification", name="发货", text="您的订单已发货")  # fmt: skip
    walk(template, "approved")
    draft_template = template_services.template_save_draft(
        organization=org, user=customer, signature=active, kind="notification", name="到货", text="您的包裹已到"
    )
    template_services.record_test_send(template=template, user=customer, carrier="telecom", delivered=True,
                                       sent_on=timezone.localdate(template.created_at), failure_code="")  # fmt: skip
    invitation = account_services.invitation_create(organization=org, invited_by=customer,
                                                    email="new@demo.example", role=Membership.Role.MEMBER)  # fmt: skip
    superuser = User.objects.create_superuser(email="root@platform.cn", password=password)
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    # One row of every model the admin shows, so that each change, history and delete page is walked.
    document = Document.objects.filter(entity=entity).first()
    Trademark.objects.create(entity=entity, name="示例", registration_number="12345678", owner_name=entity.name)
    IcpApp.objects.create(entity=entity, name="示例", icp_number="京ICP备00000000号-2A", filing_subject=entity.name)
    partner = make_entity(organization=org, name="丙科技有限公司", uscc="91110000802100433B",
                                    legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    PartnerAuthorization.objects.create(entity=entity, partner=partner, signatures="丙科技",
                                        valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2027, 1, 1))  # fmt: skip
    qualification_services.document_log_access(document=document, user=customer, variant="file")
    qualification_services.id_number_reveal(entity=entity, user=superuser, person="legal_rep")
    Holiday.objects.create(day=dt.date(2026, 10, 1), name="国庆节")
    from announcements import services as announcements  # the app-name rule's, its dry run done

    announcement = announcements.announcement_save(
        announcement=Announcement(policy=Policy.objects.get(key="2026-05-01-no-app-names")), actor=superuser
    )
    announcements.run_inline(announcements.run_start(announcement=announcement, actor=superuser, dry_run=True,
                                                     enqueue=False))  # fmt: skip
    from notices import services as notice_services  # a notice in the inbox, a webhook endpoint
    from notices.models import WebhookEndpoint

    notice = notice_services.notify(organization=org, kind="status", key="walk",
                                    subject=notice_services.Text("走查", "Walk"))  # fmt: skip
    endpoint = WebhookEndpoint.objects.create(organization=org, url="https://hooks.example.com/in")
    from api import services as api_services  # an API key

    api_key = api_services.key_create(membership=Membership.objects.get(user=customer, organization=org),
                                      name="ERP", scope="read").key  # fmt: skip
    from filings import services as filing_services  # the approved signature's filings, in a batch

    batch = filing_services.open_batch(carrier="telecom", actor=superuser)
    Client().post("/accounts/login/", {"username": customer.email, "password": "wrong"})  # axes records it
    AccessFailureLog.objects.create(username=customer.email, ip_address="127.0.0.1", path_info="/accounts/login/")
    ids = {
        "org_id": org.pk,
        "entity_id": entity.pk,
        "document_id": document.pk,
        "variant": "file",
        "kind": "address",
        "evidence_id": OwnedAddress.objects.get(entity=entity).pk,
        "signature_id": active.pk,
        "template_id": template.pk,
        "membership_id": Membership.objects.filter(organization=org).exclude(user=customer).first().pk,
        "invitation_id": invitation.pk,
        "token": account_services.invitation_token(invitation),
        "uidb64": urlsafe_base64_encode(force_bytes(customer.pk)),
        "content_type_id": ContentType.objects.get_for_model(Entity).pk,
        "object_id": entity.pk,
        "app_label": "qualifications",
        "pk": TOTPDevice.objects.filter(user=superuser).get().pk,
        "id": customer.pk,
        "notice_id": notice.pk,
        "endpoint_id": endpoint.pk,
        "action": "pause",
        "key_id": api_key.pk,
        "code": "not-found",
    }
    per_pattern = {
        "org:signature-edit": {"signature_id": draft.pk},
        "org:template-edit": {"template_id": draft_template.pk},
        "accounts:password-reset-confirm": {"token": default_token_generator.make_token(customer)},
        **{f"review-{view}": {"kind": "signature", "pk": active.pk} for view in ("item", "claim", "release", "decide")},
        **{
            name: {"pk": batch.pk, "fmt": "xlsx"}
            for name in ("carrier-batch", "carrier-batch-download", "carrier-batch-submit", "carrier-batch-import")
        },
    }
    return {"customer": customer, "superuser": superuser, "ids": ids, "per_pattern": per_pattern}


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name) of every pattern, with the namespace in the name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield route, (namespace + pattern.name) if pattern.name else route


def _admin_object(route: str):
    """The pk of the first row of the model an admin route is for, or None when it has none."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    for model in admin.site._registry:
        if match and (model._meta.app_label, model._meta.model_name) == match.groups():
            row = model._default_manager.order_by("pk").first()
            return row.pk if row else None
    return None


def fill(route: str, name: str, world) -> str | None:
    if route.startswith("admin/^("):  # the app index, a regular expression
        return "/admin/qualifications/"
    if route == "admin/(?P<url>.*)$":  # the admin's catch-all
        return "/admin/no-such-page/"
    values = {**world["ids"], **world["per_pattern"].get(name, {})}
    if route.startswith("admin/") and "<path:object_id>" in route and not route.startswith("admin/r/"):
        values["object_id"] = _admin_object(route)
        if values["object_id"] is None:
            return None

    def value(match):
        key = match.group(2)
        assert key in values, f"{name}: no value for <{key}>: add one to the walk's world"
        return str(values[key])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_every_page_carries_a_strict_policy_and_needs_nothing_inline(client, world, password):
    pages, seen, skipped, problems = 0, {}, [], {}
    customer_client, staff_client = client.__class__(), client.__class__()
    customer_client.force_login(world["customer"])
    assert otp_login(staff_client, world["superuser"], password).status_code == 302
    actors = {"anonymous": client, "customer": customer_client, "staff": staff_client}
    for route, name in url_patterns():
        url = fill(route, name, world)
        if url is None:
            skipped.append(name)  # an admin model with no row: add one to the world
            continue
        for actor, walker in actors.items():
            response = walker.get(url, follow=name == "accounts:password-reset-confirm")
            assert response.get("Content-Security-Policy"), f"{url} as {actor}: no policy"
            seen.setdefault(name, set()).add(response.status_code)
            if name in INLINE_STYLES_ALLOWED:
                policy = _policy(response["Content-Security-Policy"])
                assert policy["script-src"] == ["'self'"] and "'unsafe-inline'" in policy["style-src"], policy
                continue
            if response["Content-Type"].startswith("text/html"):
                if found := page_problems(response):
                    problems[f"{url} as {actor}"] = sorted(set(found))
                if response.status_code in (200, 400, 410, 503):  # 503: the status page with a probe down
                    pages += 1
                    seen[name].add("page")
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
    # 405: GET is not how the view is used (POST only); 403: the admin refuses the action to everyone
    # (adding or deleting what only the services create or purge); the bare object address redirects.
    not_pages = {
        name
        for name, outcomes in seen.items()
        if "page" not in outcomes
        and not {403, 405} & outcomes
        and not name.endswith("<path:object_id>/")
        and not name.startswith(API_JSON)
    }
    unexplained = {name: seen[name] for name in sorted(not_pages - set(NOT_PAGES))}
    assert unexplained == {}, "\n".join(f"{k}: {v}" for k, v in unexplained.items())
    assert pages >= 100, pages  # the walk really walked (114 HTML answers when written)
    assert skipped == [], skipped


def test_an_error_page_carries_the_policy_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    check_page(response, "404")


def test_the_500_page_style_is_allowed_by_its_hash():
    """The 500 page is self-contained (it must render when nothing else does): its <style> is allowed by hash."""
    html = (Path(settings.BASE_DIR) / "templates" / "500.html").read_text()
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    allowed = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    assert styles and all(_sha256(style) in allowed for style in styles), [_sha256(s) for s in styles]


def test_document_files_keep_their_own_stricter_policy(client, world):
    client.force_login(world["customer"])
    response = client.get(f"/documents/{world['ids']['document_id']}/file/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def test_a_page_with_an_inline_script_would_be_caught():
    """The checker itself: each kind of inline code is found."""

    class Page:
        def __init__(self, body):
            self.content = body.encode()
            self.headers = {"Content-Security-Policy": "; ".join(
                f"{k} {' '.join(v)}" for k, v in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
            )}  # fmt: skip

        def get(self, key, default=None):
            return self.headers.get(key, default)

    check_page(Page('<script src="/static/js/portal.js"></script><script type="application/json">{}</script>'), "ok")
    for bad in (
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<div style="color:red">x</div>',
        "<style>body{}</style>",
    ):
        with pytest.raises(AssertionError):
            check_page(Page(bad), bad)
