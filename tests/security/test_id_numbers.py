"""No full 18-character ID number leaves the portal, except where a reviewer reveals one (logged) or a carrier's
channel needs it in the batch file (configured, and logged).

One sweep captures everything the portal puts out for the walk's world (tests/walk.py): every page, admin page and
API answer, as the customer and as a verified superuser; the account manager's desk export and the carrier batch
files (CSV and XLSX, unpacked); every e-mail (text and HTML); every log line of every logger at DEBUG; and the
error report a 500 on the entity form sends to the admins. It looks for the world's own numbers and for anything
shaped like a resident ID (17 digits and a check character that checks out, with a birth date).

Proved elsewhere, not repeated here:
- the entity form and page show the numbers masked, the live check never echoes them:
  tests/test_entity_people_data.py::test_the_edit_form_shows_id_numbers_masked_to_owners_and_members,
  ::test_the_entity_page_and_the_live_check_never_carry_the_full_number;
- the admin masks them for every role: tests/test_qualifications.py::test_the_admin_masks_id_numbers_for_every_role_\
a_reviewer_reveals_one_on_the_review_page_logged;
- a reveal needs the reviewer's role (a customer gets 404), is shown once and logged:
  tests/test_review_queue.py::test_a_customer_reaches_no_staff_route_nor_any_move,
  ::test_a_full_id_number_is_shown_only_when_asked_and_each_reveal_is_logged,
  ::test_no_reveal_once_decided_nor_of_an_agent_the_entity_does_not_file_with;
- the carrier batch writes full numbers only for a configured carrier, each logged:
  tests/test_carrier_batches.py::test_full_id_numbers_are_written_only_for_a_carrier_that_needs_them_and_logged.
"""

import logging
import re
import sys

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import TestCase, override_settings

from compliance.validators import is_valid_resident_id
from qualifications.api import ENTITY_REQUEST
from qualifications.models import Document, DocumentAccess, Entity, IdNumberReveal

from .output import actors, body, every_log_line, module_world, readable, walk_all

pytestmark = pytest.mark.django_db

SHAPE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
ADMINS = [("Ops", "ops@platform.cn")]
TYPED = "11010519900307283X"  # typed into the entity form on the 500 path (named once: tracebacks show source lines)


def full_numbers(text: str, known: set[str]) -> set[str]:
    """The full ID numbers in ``text``: the world's own, and any other that is one (check character, birth date)."""
    found = {number for number in known if number in text}
    return found | {m.upper() for m in SHAPE.findall(text) if is_valid_resident_id(m.upper())}


def _error_report(client, world):
    """The 500 path on the entity form, with the full number typed: the error report the admins get by e-mail."""
    org, entity = world["ids"]["org_id"], world["ids"]["entity_id"]
    response = client.post(f"/o/{org}/entities/{entity}/edit/", {"legal_rep_id_number": TYPED})
    try:
        raise RuntimeError("the database went away")  # what any fault while serving this request looks like
    except RuntimeError:
        with override_settings(ADMINS=ADMINS, DEBUG=False):
            logging.getLogger("django.request").error(
                "Internal Server Error: %s", response.wsgi_request.path, exc_info=sys.exc_info(),
                extra={"status_code": 500, "request": response.wsgi_request},
            )  # fmt: skip


@pytest.fixture(scope="module")
def captured(django_db_setup, django_db_blocker):
    """Everything the portal put out while the world was built and walked, as (where, text)."""
    outputs = []
    with every_log_line() as lines, TestCase.captureOnCommitCallbacks(execute=True):
        mail.outbox = []
        with module_world(django_db_blocker) as world:
            known = {n for pair in Entity.objects.values_list("legal_rep_id_number", "agent_id_number") for n in pair}
            known = {n for n in known if n} | {TYPED}  # and the one typed in the error report's POST
            clients = actors(world)
            for where, response in walk_all(world, clients):
                outputs.append((where, readable(body(response))))
            clients["customer"].post("/accounts/password-reset/", {"email": world["customer"].email})
            from notices import services as notice_services
            from notices.models import Delivery, Notice

            for delivery in Delivery.objects.filter(channel=Delivery.Channel.EMAIL):
                notice_services.deliver(delivery_id=delivery.pk)
            outputs += [(f"webhook payload {n.pk}", str(notice_services.payload(n))) for n in Notice.objects.all()]
            _error_report(clients["customer"], world)
            for message in mail.outbox:
                parts = [message.subject, message.body] + [content for content, _type in message.alternatives]
                outputs.append((f"e-mail to {message.to}: {message.subject}", "\n".join(parts)))
            mails = list(mail.outbox)
            yield {
                "clients": clients,
                "outputs": outputs,
                "lines": lines,
                "known": known,
                "world": world,
                "mails": mails,
            }


def test_the_sweep_saw_every_kind_of_output(captured):
    """The sweep cannot pass by seeing nothing: pages, exports, e-mails, the error report and logs were captured."""
    wheres = [where for where, _text in captured["outputs"]]
    assert len(wheres) > 400, len(wheres)
    assert any("export=xlsx" in w for w in wheres)
    files = [text for where, text in captured["outputs"] if where.startswith("POST ")]
    assert len(files) == 2 and all("110105********0016" in text for text in files), files  # rows, masked
    assert any(w.startswith("/api/v1/entities/") for w in wheres)
    assert any("Internal Server Error" in m.subject for m in captured["mails"]), [m.subject for m in captured["mails"]]
    assert any("password" in m.body.lower() or "密码" in m.body for m in captured["mails"])
    assert len(captured["lines"]) > 100
    # and the sweep finds a number where there is one: the masked form is not one, the full form is
    assert full_numbers("110105********002X", set()) == set()
    assert full_numbers("法定代表人 11010519491231002X。", set()) == {"11010519491231002X"}


def test_no_page_export_email_or_api_answer_carries_a_full_id_number(captured):
    leaks = {where: found for where, text in captured["outputs"] if (found := full_numbers(text, captured["known"]))}
    # The API's schema documents a request with GB 11643's sample number (qualifications/api.py ENTITY_REQUEST);
    # the walk's world happens to give that sample to an entity. Only that number, only in the schema.
    for where in [w for w in leaks if w.startswith("/api/v1/schema/ ")]:
        leaks[where] -= {ENTITY_REQUEST["legal_rep_id_number"]}
    assert {where: found for where, found in leaks.items() if found} == {}


def test_no_log_line_carries_a_full_id_number(captured):
    leaks = [line[:300] for line in captured["lines"] if full_numbers(line, captured["known"])]
    assert leaks == []


def test_the_error_report_hides_the_typed_number(captured):
    """Django's report lists the request's POST: the entity form marks its ID number fields sensitive."""
    [report] = [m for m in captured["mails"] if "Internal Server Error" in m.subject]
    assert "legal_rep_id_number" in report.body and TYPED not in report.body


def test_a_configured_carrier_gets_full_numbers_and_each_download_is_logged(captured, client, settings):
    """The deliberate case, stated: a carrier listed in CARRIER_BATCH_FULL_ID_NUMBERS gets the legal
    representative's full number in its batch file (its channel needs it), and each download through the admin logs
    one reveal per entity, by the clerk, from their address."""
    world = captured["world"]
    settings.CARRIER_BATCH_FULL_ID_NUMBERS = ("telecom",)
    staff = captured["clients"]["staff"]
    batch = world["per_pattern"]["carrier-batch"]["pk"]
    before = IdNumberReveal.objects.count()
    response = staff.post(f"/admin/filings/batches/{batch}/download/csv/")
    text = readable(body(response))
    shown = full_numbers(text, captured["known"])
    assert shown, text[:500]
    reveals = IdNumberReveal.objects.order_by("-pk")[: len(shown)]
    assert IdNumberReveal.objects.count() == before + len(shown)
    assert {(r.user, r.person, r.ip_address) for r in reveals} == {(world["superuser"], "legal_rep", "127.0.0.1")}
    assert {r.entity.legal_rep_id_number for r in reveals} == shown


# --- the access logs: who saw a number or a document ----------------------------------------------------


@pytest.mark.parametrize("model", [IdNumberReveal, DocumentAccess])
def test_the_admin_offers_no_change_nor_delete_of_an_access_log_row(captured, model):
    staff = captured["clients"]["staff"]
    row = model.objects.order_by("pk").first()
    name = f"admin/{model._meta.app_label}/{model._meta.model_name}"
    assert staff.get(f"/{name}/add/").status_code == 403
    change = staff.post(f"/{name}/{row.pk}/change/", {"ip_address": "10.0.0.1"})
    assert change.status_code in (200, 403)
    assert staff.post(f"/{name}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = staff.post(f"/{name}/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert listing.status_code in (200, 302)
    assert model.objects.filter(pk=row.pk, ip_address=row.ip_address).exists()


@pytest.mark.parametrize("model", [IdNumberReveal, DocumentAccess])
def test_an_access_log_row_cannot_be_changed_in_the_database_nor_changed_or_deleted_through_the_orm(captured, model):
    row = model.objects.order_by("pk").first()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET ip_address = %s WHERE id = %s", ["10.0.0.1", row.pk])
    for attempt in (row.save, row.delete, lambda: model.objects.filter(pk=row.pk).update(ip_address="10.0.0.1"),
                    lambda: model.objects.filter(pk=row.pk).delete()):  # fmt: skip
        with pytest.raises(TypeError), transaction.atomic():
            attempt()
    assert model.objects.filter(pk=row.pk, ip_address=row.ip_address).exists()


def test_a_deleted_user_leaves_the_access_logs_without_a_name_and_a_purged_document_takes_its_own(captured):
    """The two ways rows may go: a user deleted keeps the rows (user emptied), a document purged takes its own."""
    superuser = captured["world"]["superuser"]
    reveal = IdNumberReveal.objects.filter(user=superuser).first()
    superuser.delete()
    kept = IdNumberReveal.objects.get(pk=reveal.pk)
    assert (kept.user, kept.entity_id, kept.at) == (None, reveal.entity_id, reveal.at)
    access = DocumentAccess.objects.order_by("pk").first()
    Document.objects.filter(pk=access.document_id).delete()
    assert not DocumentAccess.objects.filter(pk=access.pk).exists()


# --- a reveal needs the reviewer's role (tests/test_review_queue.py), their code again, and is logged ----------


def test_a_reveal_needs_the_current_code_typed_again_and_only_then_is_logged(client, reviewer, password, org_a,
                                                                               owner_a, settings):  # fmt: skip
    """A verified session alone (a desk left open) reveals nothing: without the code, with a wrong one or with the
    one just used to log in, the number stays masked, the answer is 403 and nothing is logged."""
    from qualifications import services as qualification_services

    from ..conftest import otp_code, otp_login
    from ..factories import make_entity
    from ..test_signatures import complete_package

    entity = make_entity(organization=org_a, name="甲科技有限公司", uscc="91110108MA01ABCD0B", legal_rep_name="张三",
                         legal_rep_id_number="11010519491231002X")  # fmt: skip
    complete_package(entity)
    package = qualification_services.package_submit(entity=entity, user=owner_a)
    # django-otp makes a person wait longer after each wrong code; here the refusals come one after the other
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    used = otp_code(reviewer)
    assert otp_login(client, reviewer, password).status_code == 302
    url = f"/admin/review/entity/{package.pk}/reveal/"
    wrong = f"{(int(used) + 1) % 1_000_000:06d}"
    for code in ("", wrong, used):
        refused = client.post(url, {"person": "legal_rep", "otp_token": code}, HTTP_ACCEPT_LANGUAGE="en")
        text = refused.content.decode()
        assert refused.status_code == 403 and "11010519491231002X" not in text and "110105********002X" in text
        assert "The 6-digit code is wrong or has expired" in text
    assert not IdNumberReveal.objects.filter(entity=entity).exists()
    shown = client.post(url, {"person": "legal_rep", "otp_token": otp_code(reviewer, steps_ahead=1)})
    assert shown.status_code == 200 and "11010519491231002X" in shown.content.decode()
    assert IdNumberReveal.objects.filter(entity=entity, user=reviewer).count() == 1
