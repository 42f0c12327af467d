"""Text a person typed stays text: on every page, admin page, e-mail and export; and no redirect leaves the site.

Every free-text column of the walk's world (tests/walk.py) is overwritten in the database with a payload, past the
forms' validators (many refuse it first: signature text allows no Latin letters, names allow no line break...; the
rendering must be inert even so): a formula start, template syntax, a <script>, an attribute break-out with an
onerror handler and a javascript: link, each tagged with its field. Then every URL is walked as the customer and as
a verified superuser, the notices are e-mailed (text and HTML), and the desk and carrier batch files are made.

Proved elsewhere, not repeated here: formula starts are neutralised cell by cell in the desk export and the carrier
batch files (tests/test_desk.py::test_the_export_holds_every_filtered_row_and_no_cell_runs_as_a_formula,
::test_inert_prefixes_every_formula_start, tests/test_carrier_batches.py::test_cells_a_spreadsheet_would_run_as_\
formulas_are_written_inert); no page needs inline code, so the policy would block any that got in
(tests/test_security_headers.py).
"""

import csv
import io
import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from filing_portal.tabular import FORMULA_STARTS

from ..conftest import make_staff
from ..test_security_headers import _Markup
from .output import actors, body, module_world, readable, walk_all

pytestmark = pytest.mark.django_db

# Every column a person types into (customers, staff, and a webhook receiver's answer).
FIELDS = [
    ("accounts.User", "full_name"), ("accounts.Organization", "name"), ("accounts.Authenticator", "name"),
    ("qualifications.Entity", "name"), ("qualifications.Entity", "legal_rep_name"),
    ("qualifications.Trademark", "name"), ("qualifications.Trademark", "owner_name"),
    ("qualifications.IcpApp", "name"), ("qualifications.IcpApp", "filing_subject"),
    ("qualifications.PartnerAuthorization", "signatures"), ("qualifications.Document", "original_filename"),
    ("qualifications.Document", "review_note"), ("qualifications.PackageEvent", "reason"),
    ("policies.Holiday", "name"), ("policies.Policy", "summary_zh"), ("policies.Policy", "summary_en"),
    ("signatures.Signature", "text"), ("signatures.SignatureEvent", "reason"),
    ("templates_app.SmsTemplate", "name"), ("templates_app.SmsTemplate", "text"),
    ("templates_app.TemplateEvent", "reason"), ("templates_app.TestSend", "failure_code"),
    ("filings.Filing", "carrier_ref"), ("filings.FilingEvent", "reason"),
    ("notices.Notice", "subject_zh"), ("notices.Notice", "body_zh"), ("notices.WebhookEndpoint", "description"),
    ("announcements.Announcement", "title_zh"), ("announcements.Announcement", "title_en"),
    ("announcements.Announcement", "body_zh"), ("announcements.Announcement", "body_en"),
    ("api.ApiKey", "name"),
]  # fmt: skip
# XSS<field>r<row>x: the row is counted, not its pk (a UUID may start with a letter); the x ends the tag, so that
# the 49 of evaluated template syntax cannot be read as part of the row's number.
TAG = re.compile(r"XSS(\d\d)r\d+x")


def payload(tag: str, max_length: int | None) -> str:
    """A formula start, template syntax (it would render as 49 and a debug dump), markup breaking out of text and
    of an attribute, and a javascript: link; shorter where the column is."""
    long = (f'={tag}{{{{7*7}}}}{{% debug %}}<script>alert("{tag}")</script>"><img src=x onerror=alert(1)>'
            f'<a href="javascript:alert(1)">x</a>')  # fmt: skip
    short = f'={tag}{{{{7*7}}}}"><img src=x onerror=alert(1)>'
    return long if max_length is None or len(long) <= max_length else short[:max_length]


def inject(world):
    for number, (label, name) in enumerate(FIELDS):
        model = apps.get_model(label)
        max_length = model._meta.get_field(name).max_length
        for row, pk in enumerate(model.objects.values_list("pk", flat=True)):
            model.objects.filter(pk=pk).update(**{name: payload(f"XSS{number:02d}r{row}x", max_length)})


def executable(html: str) -> list[str]:
    """What a browser would run in this markup: a <script> of its own, an on* handler, a javascript: link."""
    markup = _Markup(set())
    markup.feed(html)
    return [p for p in markup.problems if p.startswith("inline <script>") or " on" in p or "javascript:" in p]


def fields_in(text: str) -> set[str]:
    return {FIELDS[int(n)][0] + "." + FIELDS[int(n)][1] for n in TAG.findall(text)}


def evaluated(text: str) -> list[str]:
    """A payload whose template syntax ran: its tag followed by 49 (7*7 computed) instead of the braces."""
    return re.findall(r"XSS\d\dr\d+x49", text)


@pytest.fixture(scope="module")
def shown(django_db_setup, django_db_blocker):
    """(where, content type, text) of everything the portal put out with the payloads in place."""
    with TestCase.captureOnCommitCallbacks(execute=False), module_world(django_db_blocker, inject) as world:
        outputs = []
        mail.outbox = []
        clients = actors(world)
        files = {}
        for where, response in walk_all(world, clients):
            content = body(response)
            outputs.append((where, response.get("Content-Type", ""), readable(content), response.status_code))
            if "export=" in where or where.startswith("POST "):
                files[where] = content
        from notices import services as notice_services
        from notices.models import Delivery

        for delivery in Delivery.objects.filter(channel=Delivery.Channel.EMAIL):
            notice_services.deliver(delivery_id=delivery.pk)
        mails = list(mail.outbox)
        yield {"outputs": outputs, "mails": mails, "world": world, "files": files}


def test_no_page_runs_a_payload(shown):
    problems, seen = {}, set()
    for where, content_type, text, _status in shown["outputs"]:
        if content_type.startswith("text/html"):
            seen |= fields_in(text)
            if found := executable(text):
                problems[where] = found
    assert problems == {}
    # the payloads were shown, not lost: the fields every reader meets
    assert {"qualifications.Entity.name", "signatures.Signature.text", "templates_app.SmsTemplate.text",
            "templates_app.SmsTemplate.name", "announcements.Announcement.title_zh", "api.ApiKey.name",
            "notices.WebhookEndpoint.description", "policies.Holiday.name", "accounts.Organization.name",
            "qualifications.Trademark.name", "qualifications.IcpApp.name",
            } <= seen, sorted(seen)  # fmt: skip


def test_no_page_evaluates_template_syntax(shown):
    ran = {where: found for where, _type, text, _status in shown["outputs"] if (found := evaluated(text))}
    assert ran == {}


def test_no_payload_turns_a_page_into_an_error(shown):
    errors = [
        where for where, _type, _text, status in shown["outputs"] if status >= 500 and "/admin/status/" not in where
    ]
    assert errors == []


def test_api_answers_are_json_never_html(shown):
    readers = ("/api/v1/docs/", "/api/v1/redoc/")  # the API's HTML readers show the schema, not the data
    api = [(where, content_type) for where, content_type, text, _status in shown["outputs"]
           if where.startswith("/api/v1/") and fields_in(text) and not where.startswith(readers)]  # fmt: skip
    assert api and all("json" in content_type for _where, content_type in api), api


def test_emails_carry_the_text_inert(shown):
    assert shown["mails"]
    for message in shown["mails"]:
        for html, _type in message.alternatives:
            assert executable(html) == [], message.subject
            assert evaluated(html) == [], message.subject
        assert evaluated(message.body) == [] and evaluated(message.subject) == []
    assert any(fields_in(m.body) for m in shown["mails"])  # a payload did reach an e-mail


def test_exports_neutralise_formulas_in_every_cell(shown):
    """CSV: a cell starting with a formula start has an apostrophe before it. XLSX: no cell is a formula, and a text
    starting like one is marked as text (quotePrefix). Both: the payloads are in them."""
    from openpyxl import load_workbook

    files = shown["files"]
    assert len(files) == 4, list(files)
    number = re.compile(r"^-?\d+(\.\d+)?$")
    for where, content in files.items():
        if "csv" in where:
            text = content.decode("utf-8-sig")
            cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
            bad = [c for c in cells if c.startswith(FORMULA_STARTS) and not number.match(c)]
        else:
            cells, bad = [], []
            for sheet in load_workbook(io.BytesIO(content)).worksheets:
                for cell in (cell for row in sheet.iter_rows() for cell in row):
                    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(
                            FORMULA_STARTS) and not cell.quotePrefix):  # fmt: skip
                        bad.append((cell.coordinate, cell.value))
                    cells.append(str(cell.value))
        assert bad == [], where
        assert fields_in("\n".join(cells)), where


# --- redirect parameters go only to this site ------------------------------------------------------------------

EVIL = [
    "https://evil.example/", "http://evil.example", "//evil.example/", "///evil.example/", "/\\evil.example/",
    "\\\\evil.example/", "\\/evil.example/", "/\t/evil.example/", " //evil.example/", "https:evil.example",
    "http:/\\/evil.example", "javascript:alert(1)", "//evil.example%2F@testserver/", "https://testserver@evil.example/",
    quote("//evil.example/", safe=""), quote("/\\evil.example/", safe=""), "%5C%5Cevil.example",
]  # fmt: skip


def same_site(location: str, base: str = "http://testserver/accounts/login/") -> bool:
    """Where a browser goes with this Location: it drops tabs and newlines, trims spaces and reads \\ as /."""
    cleaned = re.sub(r"[\t\r\n]", "", location).strip().replace("\\", "/")
    target = urlsplit(urljoin(base, cleaned))
    return target.scheme in ("http", "https") and target.netloc == "testserver"


def test_the_checker_knows_a_foreign_place():
    assert same_site("/o/1/") and same_site("https://testserver/x")
    foreign = ("//evil.example/", "/\\evil.example/", "https://evil.example/", " //evil.example", "/\t/evil.example",
               "javascript:alert(1)")  # fmt: skip
    assert not any(same_site(place) for place in foreign)


@pytest.mark.parametrize("evil", EVIL)
def test_log_in_log_out_and_the_language_switch_go_only_to_this_site(client, owner_a, password, evil):
    login = client.post(f"{reverse('accounts:login')}?next={quote(evil)}",
                        {"username": owner_a.email, "password": password, "next": evil})  # fmt: skip
    assert login.status_code == 302 and same_site(login["Location"]), login["Location"]
    again = client.get(reverse("accounts:login"), {"next": evil})  # already logged in: sent on at once
    assert again.status_code == 302 and same_site(again["Location"]), again["Location"]
    language = client.post(reverse("set_language"), {"language": "en", "next": evil}, HTTP_REFERER=evil)
    assert language.status_code == 302 and same_site(language["Location"]), language["Location"]
    logout = client.post(reverse("accounts:logout"), {"next": evil})
    assert logout.status_code == 302 and same_site(logout["Location"]), logout["Location"]
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("evil", EVIL)
def test_the_admins_log_in_with_its_code_goes_only_to_this_site(client, password, evil):
    staff = make_staff(f"s{EVIL.index(evil)}@platform.cn", roles.REVIEWER)
    device = TOTPDevice.objects.get(user=staff)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    data = {"username": staff.email, "password": password, "otp_token": code, "next": evil}
    response = client.post(f"{reverse('admin:login')}?next={quote(evil)}", data)
    assert response.status_code == 302 and same_site(response["Location"]), response["Location"]
