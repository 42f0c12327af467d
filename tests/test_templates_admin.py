"""Staff record test sends in the admin (issue 5: "a customer or the platform"): add-only, scoped to
the organizations the staff user may see, under the customer site's rule."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from signatures.models import Signature
from templates_app import services
from templates_app.models import TestSend

from .conftest import make_staff, otp_login
from .factories import make_entity

pytestmark = pytest.mark.django_db

ADD = reverse("admin:templates_app_testsend_add")


def _template(org, owner, uscc, text):
    entity = make_entity(organization=org, name=f"{text}有限公司", uscc=uscc, legal_rep_name="王演示",
                                   legal_rep_id_number="110105198001010016")  # fmt: skip
    signature = Signature.objects.create(organization=org, entity=entity, source="abbreviation", text=text,
                                         status="approved")  # fmt: skip
    template = services.template_submit(organization=org, user=owner, signature=signature, kind="notification",
                                        name="发货", text="您的订单已发货")  # fmt: skip
    template.created_at = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)  # written before the test sends below
    template.save(update_fields=["created_at"])
    return template


@pytest.fixture
def template_a(org_a, owner_a):
    return _template(org_a, owner_a, "91110108MA01DEM0AW", "示例科技")


@pytest.fixture
def template_b(org_b, owner_b):
    return _template(org_b, owner_b, "91310000MA1FL0TQ4X", "乙方网络")


def _verified(client, user, password):
    assert otp_login(client, user, password).status_code == 302


def _add(client, template, **overrides):
    data = {"template": template.pk, "carrier": "telecom", "sent_on": "2026-01-05", "failure_code": "", **overrides}
    return client.post(ADD, data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_reviewer_records_a_failed_test_send_with_its_code(client, reviewer, password, template_a):
    _verified(client, reviewer, password)
    response = _add(client, template_a, failure_code=" MK:100D ")
    assert response.status_code == 302
    send = TestSend.objects.get()
    assert (send.template, send.carrier, send.sent_on) == (template_a, "telecom", dt.date(2026, 1, 5))
    assert (send.delivered, send.failure_code, send.recorded_by) == (False, "MK:100D", reviewer)
    listing = client.get(reverse("admin:templates_app_testsend_changelist")).content.decode()
    assert "MK:100D" in listing and reviewer.email in listing
    # The customer's page reads the same rows: the platform's record is the latest for Telecom.
    assert services.latest_test_sends(template=template_a)["telecom"] == send
    client.force_login(template_a.created_by)
    page = client.get(reverse("org:template-detail", args=[template_a.organization_id, template_a.pk]),
                      HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "MK:100D" in page.content.decode() and "recorded by the platform" in page.content.decode()


def test_a_delivered_send_keeps_no_failure_code(client, reviewer, password, template_a):
    _verified(client, reviewer, password)
    assert _add(client, template_a, delivered="on", failure_code="stray").status_code == 302
    send = TestSend.objects.get()
    assert (send.delivered, send.failure_code) == (True, "")


def test_a_failed_send_without_its_code_is_refused(client, reviewer, password, template_a):
    _verified(client, reviewer, password)
    response = _add(client, template_a, failure_code="  ")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "failure_code": ["Give the failure code the carrier returned."]
    }
    assert TestSend.objects.count() == 0


def test_a_send_in_the_future_is_refused(client, reviewer, password, template_a):
    _verified(client, reviewer, password)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = _add(client, template_a, sent_on=tomorrow.isoformat(), delivered="on")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"sent_on": ["A test send cannot be in the future."]}
    assert TestSend.objects.count() == 0


def test_an_account_manager_cannot_record_for_another_managers_customer(
    client, account_manager, password, template_a, template_b
):
    _verified(client, account_manager, password)
    response = _add(client, template_b, failure_code="MK:100D")
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["template"]
    assert TestSend.objects.count() == 0
    # Nor find it: the picker searches through the template admin's scoped rows.
    query = {"app_label": "templates_app", "model_name": "testsend", "field_name": "template", "term": ""}
    found = json.loads(client.get(reverse("admin:autocomplete"), query).content)["results"]
    assert [row["id"] for row in found] == [str(template_a.pk)]
    # Their own customer's template is accepted.
    assert _add(client, template_a, failure_code="MK:100D").status_code == 302
    assert TestSend.objects.get().recorded_by == account_manager
    # The list shows their customers' sends only.
    services.record_test_send(template=template_b, user=None, carrier="mobile", sent_on=dt.date(2026, 1, 6),
                              delivered=False, failure_code="UNDELIV-B")  # fmt: skip
    listing = client.get(reverse("admin:templates_app_testsend_changelist")).content.decode()
    assert "MK:100D" in listing and "UNDELIV-B" not in listing


@pytest.fixture
def superuser(db):
    user = make_staff("root@platform.cn", roles.REVIEWER)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.mark.parametrize("who", ["reviewer", "superuser"])
def test_a_recorded_send_is_neither_changed_nor_deleted(client, request, who, password, template_a):
    """Evidence stays as recorded, even for a superuser (who holds every model permission)."""
    _verified(client, request.getfixturevalue(who), password)
    _add(client, template_a, failure_code="MK:100D")
    send = TestSend.objects.get()
    change = reverse("admin:templates_app_testsend_change", args=[send.pk])
    data = {"template": template_a.pk, "carrier": "mobile", "sent_on": "2026-01-05", "delivered": "on"}
    assert client.post(change, data).status_code == 403
    delete = reverse("admin:templates_app_testsend_delete", args=[send.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    actions = {"action": "delete_selected", "_selected_action": [send.pk], "post": "yes"}
    client.post(reverse("admin:templates_app_testsend_changelist"), actions)
    send.refresh_from_db()
    assert (TestSend.objects.count(), send.carrier, send.delivered, send.failure_code) == (1, "telecom", False,
                                                                                           "MK:100D")  # fmt: skip


def test_the_template_page_links_to_the_add_form_with_the_template_chosen(client, reviewer, password, template_a):
    _verified(client, reviewer, password)
    page = client.get(reverse("admin:templates_app_smstemplate_change", args=[template_a.pk])).content.decode()
    link = f"{ADD}?template={template_a.pk}"
    assert f'href="{link}"' in page
    form = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["template"] == str(template_a.pk)
    assert f'<option value="{template_a.pk}" selected>{template_a}</option>' in form.content.decode()
    assert 'name="_continue"' not in form.content.decode()  # a saved row cannot be edited


def test_the_prefill_shows_nothing_of_a_template_out_of_scope(client, account_manager, password, template_b):
    _verified(client, account_manager, password)
    form = client.get(f"{ADD}?template={template_b.pk}").content.decode()
    assert f'<option value="{template_b.pk}"' not in form


def test_staff_who_may_not_add_see_no_link_and_no_form(client, password, template_a):
    policy_admin = make_staff("policy@platform.cn", roles.POLICY_ADMIN)
    _verified(client, policy_admin, password)
    assert client.get(ADD).status_code == 403
    # A reviewer whose group lost the permission sees the template without the link.
    reviewer = make_staff("reviewer2@platform.cn", roles.REVIEWER)
    reviewer.groups.get().permissions.remove(*reviewer.groups.get().permissions.filter(codename="add_testsend"))
    client.logout()
    _verified(client, reviewer, password)
    page = client.get(reverse("admin:templates_app_smstemplate_change", args=[template_a.pk])).content.decode()
    assert template_a.name in page and ADD not in page


def test_staff_cannot_test_a_draft_either(client, reviewer, password, template_a):
    template_a.status = "draft"
    template_a.save()
    _verified(client, reviewer, password)
    response = _add(client, template_a, delivered="on")
    assert response.status_code == 200
    assert "submit it before testing" in str(response.context["adminform"].form.errors["template"])
    assert TestSend.objects.count() == 0


def test_the_template_page_shows_its_check_at_submission_readably(client, reviewer, password, org_a, owner_a):
    template = _template(org_a, owner_a, "91110108MA01DEM0AW", "示例科技")
    template.precheck = [{"code": "TPL_NEEDS_FILING", "severity": "warning", "message": "电信：须先报备",
                          "message_en": "file it first", "rule_ref": "2025-05-30 · 2025.6.3"}]  # fmt: skip
    template.save()
    _verified(client, reviewer, password)
    page = client.get(reverse("admin:templates_app_smstemplate_change", args=[template.pk]))
    text = page.content.decode()
    # The sentence first, then the rule as the reader reads it (date and notice), then the code.
    assert (
        "提交时的检查结果" in text
        and "电信：须先报备 <small>自 2025-05-30 起（通知 2025.6.3） · <code>TPL_NEEDS_FILING</code></small>" in text
    )
    assert "2025-05-30 · 2025.6.3" not in text  # never the raw rule_ref
    assert '"message_en"' not in text  # not the raw JSON
    text = client.get(reverse("admin:templates_app_smstemplate_change", args=[template.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert "file it first <small>From 2025-05-30 (notice 2025.6.3) · <code>TPL_NEEDS_FILING</code></small>" in text
