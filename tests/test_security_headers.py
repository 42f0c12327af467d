"""Every page carries a Content-Security-Policy that forbids inline scripts, and no page needs one.

The walk (tests/walk.py) takes every URL pattern of the site from the URLconf (the admin's included), fills its
ids from a real demo organization (seed_demo, plus a draft, a template, a test send, an
invitation), and GETs it as an anonymous visitor, as the customer, and as a verified superuser
in the admin. Each HTML answer must carry the policy, and its markup must hold no inline
<script>, no on*= attribute and no style attribute or <style> the policy would block. A pattern
that no actor could open as a page fails the walk, unless it is listed below with the reason:
a new page is walked as soon as it exists.
"""

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from .conftest import otp_login
from .walk import build_world, fill, url_patterns

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


# --- the world the walk runs in (tests/walk.py) ------------------------------------------


@pytest.fixture
def world(db, password):
    return build_world(password)


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
