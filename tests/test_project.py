"""Project-wide promises: the layout, pure rules, complete translations, idempotent demo data."""

import ast
import datetime as dt
import gettext
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import translation

from accounts import roles
from accounts.models import Membership, Organization, User

BASE_DIR = Path(settings.BASE_DIR)


def test_the_layout_is_there():
    for path in [
        "manage.py", "filing_portal/settings.py", "filing_portal/celery.py", "filing_portal/urls.py",
        "filing_portal/wsgi.py", "filing_portal/asgi.py", "filing_portal/health.py", "compliance/__init__.py",
        "static", "jinja2/base.html", "requirements.txt", "README.md", "Makefile", "docs/architecture.md",
    ]:  # fmt: skip
        assert (BASE_DIR / path).exists(), path
    for app in ("accounts", "qualifications", "signatures", "templates_app"):
        assert (BASE_DIR / app / "apps.py").exists(), app
        assert (BASE_DIR / app / "models.py").exists(), app


def test_compliance_imports_no_django():
    for path in (BASE_DIR / "compliance").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("django", "rest_framework", "celery"), f"{path}: imports {name}"


def _po_entries(po_path):
    """(msgid, msgstr, fuzzy) of a .po file; enough of the format for our own catalogue."""
    entries, current, field, fuzzy = [], {}, None, False
    for line in po_path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith(("msgctxt ", "msgid ")) and field in ("msgstr", "msgstr[0]", "msgstr[1]"):
            # An entry begins right after the last one's msgstr, with no blank line between (msgfmt
            # allows it): close the last one rather than let the new msgid overwrite its own.
            entries.append(_entry(current, fuzzy))
            current, field, fuzzy = {}, None, False
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith(("msgctxt ", "msgid ", "msgstr ", "msgid_plural ", "msgstr[0] ", "msgstr[1] ")):
            key, _, rest = line.partition(" ")
            field = key
            current[field] = ast.literal_eval(rest)
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        elif not line.strip() and current:
            entries.append(_entry(current, fuzzy))
            current, field, fuzzy = {}, None, False
    return [e for e in entries if e[0]]


def _entry(fields, fuzzy):
    # A message with a context (msgctxt) is keyed as gettext keys it: "context\x04msgid".
    msgid = fields.get("msgid", "")
    if msgid and "msgctxt" in fields:
        msgid = f"{fields['msgctxt']}\x04{msgid}"
    return (msgid, fields.get("msgstr", fields.get("msgstr[0]", "")), fuzzy)


def test_every_message_has_a_compiled_chinese_translation():
    locale_dir = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
    entries = _po_entries(locale_dir / "django.po")
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert untranslated == []
    compiled = gettext.GNUTranslations(open(locale_dir / "django.mo", "rb"))  # noqa: SIM115
    stale = [msgid for msgid, msgstr, _ in entries if compiled.gettext(msgid) != msgstr]
    assert stale == [], "run `make messages` to recompile locale/zh_Hans/LC_MESSAGES/django.mo"


def test_every_message_of_the_jinja2_pages_has_a_chinese_translation():
    """A Jinja2 page's messages (extracted as `make messages` does, with Babel) are in the catalogue:
    a msgid typed differently from the one translated would show English on the Chinese page."""
    from babel.messages.extract import extract_from_dir

    catalogue = {
        msgid: msgstr for msgid, msgstr, _fuzzy in _po_entries(BASE_DIR / "locale/zh_Hans/LC_MESSAGES/django.po")
    }
    method_map = [("**/jinja2/**.html", "jinja2")]
    options = {"**/jinja2/**.html": {"extensions": "jinja2.ext.i18n"}}
    skipped = {".venv", "node_modules", "var", ".git", "tests"}

    def directories(path):
        return Path(path).name not in skipped

    missing, seen = [], 0
    found = extract_from_dir(BASE_DIR, method_map, options, directory_filter=directories)
    for filename, lineno, message, _comments, context in found:
        # A plural message is filed under its singular msgid (msgid_plural beside it).
        for msgid in message[:1] if isinstance(message, tuple) else (message,):
            seen += 1
            key = f"{context}\x04{msgid}" if context else msgid
            if not catalogue.get(key):
                missing.append(f"{filename}:{lineno}: {msgid}")
    assert seen > 20 and missing == []


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins():
    first = StringIO()
    call_command("seed_demo", stdout=first)
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    second = StringIO()
    call_command("seed_demo", stdout=second)
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == counts
    text = second.getvalue()
    for email in ("customer@demo.example", "reviewer@demo.example", "manager@demo.example", "policy@demo.example"):
        assert email in text
    assert "Demo-Pass-2026" in text and "TOTP key" in text
    assert User.objects.get(email="reviewer@demo.example").groups.filter(name=roles.REVIEWER).exists()
    org = Organization.objects.get()
    assert org.account_manager.email == "manager@demo.example"
    # Ready for templates at once: one approved signature, through the services (a reviewer claimed and
    # approved it), and an owned domain.
    from signatures.models import Signature

    [signature] = Signature.objects.filter(status="approved", source="full_name")
    assert (signature.text, signature.status, signature.organization) == ("示例科技有限公司", "approved", org)
    assert list(signature.events.values_list("to_status", "actor_role")) == [
        ("draft", "customer"), ("submitted", "customer"), ("in_review", "reviewer"), ("approved", "reviewer")
    ]  # fmt: skip
    assert list(signature.entity.addresses.values_list("value", flat=True)) == ["example.com"]
    assert "Demo signature: 【示例科技有限公司】" in text
    # An app-name signature approved and filed before 2026-05-01, which the built-in rule of that day breaks
    # (its history marked read: no notice of March goes out today).
    legacy = Signature.objects.get(source="app_name")
    assert (legacy.text, legacy.status, legacy.app.name) == ("示例出行", "approved", "示例出行")
    assert sorted(legacy.filings.values_list("carrier", "status")) == [
        ("mobile", "filed"), ("telecom", "filed"), ("unicom", "filed")]  # fmt: skip
    assert legacy.submitted_at.date() < dt.date(2026, 5, 1) and not legacy.events.filter(processed_at=None).exists()
    assert "Demo app-name signature: 【示例出行】" in text
    # Work in the review queue for a new reviewer: a package, a signature, a template, and a partner's
    # signature that needs two reviewers; a second demo reviewer to give the second approval.
    from qualifications.models import PackageReview
    from review import services as review
    from templates_app.models import SmsTemplate

    assert PackageReview.objects.get().status == "submitted"
    waiting = dict(Signature.objects.filter(status="submitted").values_list("text", "source"))
    assert waiting == {"示例": "abbreviation", "示例伙伴": "partner"}
    assert review.four_eyes(Signature.objects.get(text="示例伙伴"))
    assert SmsTemplate.objects.get().status == "submitted"
    assert "In the review queue (/admin/review/)" in text and "reviewer2@demo.example" in text


@pytest.mark.django_db
def test_staff_groups_exist_with_their_permissions():
    for name, perms in roles.STAFF_GROUPS.items():
        group = Group.objects.get(name=name)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert have == set(perms), name


@pytest.mark.django_db
def test_otp_code_prints_the_current_code():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("otp_code", "reviewer@demo.example", stdout=out)
    assert out.getvalue().strip().isdigit() and len(out.getvalue().strip()) == 6


def _django_catalogs():
    import django

    root = Path(django.__file__).parent
    yield root / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    yield from sorted(root.glob("contrib/*/locale/zh_Hans/LC_MESSAGES/django.mo"))


def test_every_message_says_nin_never_ni_djangos_own_included():
    """One form of address: 您. Django's password hints, forms and admin say 你 in places; ours override them."""
    ours = [msgstr for _, msgstr, _ in _po_entries(BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")]
    assert [m for m in ours if "你" in m] == []
    informal = []
    for path in _django_catalogs():
        catalog = gettext.GNUTranslations(open(path, "rb"))._catalog  # noqa: SIM115
        informal += [key for key, text in catalog.items() if key and "你" in text]
    assert informal, "Django's catalogues no longer say 你: this test can go"
    with translation.override("zh-hans"):
        shown = {
            key: (translation.ngettext(key[0], key[0], 2) if isinstance(key, tuple) else translation.gettext(key))
            for key in informal
        }
    assert {key: text for key, text in shown.items() if "你" in text} == {}


def test_no_app_imports_another_apps_private_helpers():
    """Each app's private names (a leading underscore) stay in it: what apps share is public."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    apps = ("accounts", "qualifications", "signatures", "templates_app", "review", "filing_portal", "compliance")
    found = []
    for app in apps:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    source = node.module.split(".")[0]
                    if source in apps and source != app:
                        found += [f"{path.relative_to(root)}: {node.module}.{a.name}" for a in node.names
                                  if a.name.startswith("_")]  # fmt: skip
    assert found == []
