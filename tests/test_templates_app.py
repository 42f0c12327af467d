"""SMS template applications: the per-carrier verdict, submission, versions, test sends, isolation."""

import datetime as dt
import re
import threading
from html import unescape

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from qualifications.models import OwnedAddress
from review import services as review_services
from signatures.models import Signature
from templates_app import services
from templates_app.models import SmsTemplate, TemplateEvent, TestSend

from .factories import make_entity, review_reviewer, walk

pytestmark = pytest.mark.django_db

TWO_LINKS = "新品上市：a.example.com 与 other.cn 同时开抢，拒收请回复R"
ONE_OWNED_LINK = "新品上市，详见 shop.example.com ，拒收请回复R"


@pytest.fixture
def entity(org_a):
    return make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                 legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip


@pytest.fixture
def signature(org_a, entity):
    return Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例科技",
                                    status="approved")  # fmt: skip


def submit(client, org, signature, text, kind="marketing", name="活动"):
    data = {"signature": signature.pk, "kind": kind, "name": name, "text": text}
    return client.post(reverse("org:template-create", args=[org.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def check(client, org, signature, text, kind="marketing"):
    url = reverse("org:template-check", args=[org.pk])
    return client.post(url, {"signature": signature.pk, "kind": kind, "text": text}, HTTP_ACCEPT_LANGUAGE="en")


def test_two_links_are_blocked_by_every_carrier_with_the_reason(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    data = check(client, org_a, signature, TWO_LINKS).json()
    assert data["blocked"] is True
    verdicts = {c["carrier"]: c for c in data["carriers"]}
    assert {c: v["verdict"] for c, v in verdicts.items()} == {"mobile": "blocked", "unicom": "blocked",
                                                             "telecom": "blocked"}  # fmt: skip
    assert all("TPL_TOO_MANY_LINKS" in [v["code"] for v in c["violations"]] for c in verdicts.values())
    assert verdicts["telecom"]["night_window"] == "23:00-07:00"
    assert data["links"] == ["example.com", "other.cn"]
    assert data["length"] == len("【示例科技】" + TWO_LINKS)
    assert submit(client, org_a, signature, TWO_LINKS).status_code == 400
    assert not SmsTemplate.objects.exists()


def test_one_owned_link_needs_filing_and_is_submitted(client, org_a, owner_a, signature, entity):
    OwnedAddress.objects.create(entity=entity, kind="domain", value="example.com")
    client.force_login(owner_a)
    data = check(client, org_a, signature, ONE_OWNED_LINK).json()
    assert {c["carrier"]: c["verdict"] for c in data["carriers"]} == {"mobile": "needs_filing",
                                                                     "unicom": "needs_filing",
                                                                     "telecom": "needs_filing"}  # fmt: skip
    response = submit(client, org_a, signature, ONE_OWNED_LINK)
    assert response.status_code == 302
    template = SmsTemplate.objects.get()
    assert template.status == "submitted" and template.version == 1
    assert [(e.from_status, e.to_status) for e in template.events.all()] == [("", "draft"), ("draft", "submitted")]
    assert {v["code"] for v in template.precheck} == {"TPL_NEEDS_FILING"}


def test_an_unowned_link_is_blocked_by_telecom_and_offers_to_register_the_domain(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    data = check(client, org_a, signature, ONE_OWNED_LINK).json()
    telecom = next(c for c in data["carriers"] if c["carrier"] == "telecom")
    assert telecom["verdict"] == "blocked"
    assert [v["code"] for v in telecom["violations"]] == ["TPL_LINK_NOT_OWNED", "TPL_NEEDS_FILING"]
    assert data["add_address_url"].endswith("/evidence/address/new/")


def test_the_signature_whitelist_counts_its_other_templates(org_a, owner_a, signature, entity):
    OwnedAddress.objects.create(entity=entity, kind="domain", value="example.com")
    OwnedAddress.objects.create(entity=entity, kind="domain", value="other.cn")
    services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="marketing", name="a",
                             text=ONE_OWNED_LINK)  # fmt: skip
    result = services.template_check(signature=signature, kind="marketing", text="详见 other.cn ，拒收请回复R")
    telecom = next(c for c in result.carriers if c.carrier == "telecom")
    assert "TPL_SIGNATURE_WHITELIST_FULL" in [v.code for v in telecom.violations]


def test_editing_an_approved_template_makes_a_new_version_and_keeps_the_old(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    template = SmsTemplate.objects.get()
    url = reverse("org:template-revise", args=[org_a.pk, template.pk])
    assert client.post(url, {"kind": "notification", "text": "您的订单已签收"}).status_code == 400  # not approved yet
    walk(template, "approved")
    response = client.post(url, {"kind": "notification", "text": "您的订单已签收"})
    assert response.status_code == 302
    revision = SmsTemplate.objects.get(previous=template)
    template.refresh_from_db()
    assert (revision.version, revision.status, template.status) == (2, "submitted", "approved")


def test_test_sends_are_recorded_per_carrier_and_the_latest_shown(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    SmsTemplate.objects.update(created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))  # written before the sends
    template = SmsTemplate.objects.get()
    url = reverse("org:template-test-send", args=[org_a.pk, template.pk])
    response = client.post(url, {"carrier": "telecom", "sent_on": "2026-11-20", "delivered": "no"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400 and "Give the failure code" in response.content.decode()
    client.post(url, {"carrier": "telecom", "sent_on": "2026-11-20", "delivered": "no", "failure_code": "MK:100D"})
    client.post(url, {"carrier": "telecom", "sent_on": "2026-11-25", "delivered": "yes"})
    assert TestSend.objects.count() == 2
    latest = services.latest_test_sends(template=template)
    assert latest["telecom"].delivered and latest["telecom"].sent_on == dt.date(2026, 11, 25)
    html = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "2026-11-25 · " in html.content.decode() and "No test yet" in html.content.decode()


def test_a_withdrawn_or_foreign_signature_cannot_carry_a_template(client, org_a, owner_a, signature, org_b, owner_b):
    other = Signature.objects.create(organization=org_b, entity=make_entity(
        organization=org_b, name="乙", uscc="914403001922038216", legal_rep_name="李", legal_rep_id_number="x"),
        source="abbreviation", text="乙方", status="approved")  # fmt: skip
    client.force_login(owner_a)
    assert submit(client, org_a, other, "您好").status_code == 400
    signature.status = "withdrawn"
    signature.save()
    assert submit(client, org_a, signature, "您好").status_code == 400
    assert not SmsTemplate.objects.exists() and not TemplateEvent.objects.exists()


def test_every_template_url_of_another_organization_is_404(client, org_a, owner_a, signature, owner_b):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    template = SmsTemplate.objects.get()
    client.force_login(owner_b)
    for method, name, args in [
        ("get", "org:template-list", [org_a.pk]), ("get", "org:template-create", [org_a.pk]),
        ("get", "org:template-detail", [org_a.pk, template.pk]),
        ("get", "org:template-revise", [org_a.pk, template.pk]), ("get", "org:template-edit", [org_a.pk, template.pk]),
        ("post", "org:template-withdraw", [org_a.pk, template.pk]),
        ("post", "org:template-test-send", [org_a.pk, template.pk]), ("post", "org:template-check", [org_a.pk]),
    ]:  # fmt: skip
        assert getattr(client, method)(reverse(name, args=args)).status_code == 404, name
    org_b = owner_b.memberships.get().organization
    assert check(client, org_b, signature, "您好").status_code == 404
    template.refresh_from_db()
    assert template.status == "submitted"


def test_the_check_is_never_a_get(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    assert client.get(reverse("org:template-check", args=[org_a.pk])).status_code == 405


def test_a_template_can_be_revised_once_at_a_time_and_not_under_a_dead_signature(org_a, owner_a, signature):
    template = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                        name="发货", text="您的订单已发货")  # fmt: skip
    walk(template, "approved")
    services.template_revise(template=template, user=owner_a, kind="notification", text="您的订单已签收")
    with translation.override("zh-hans"), pytest.raises(services.ValidationError, match="新版本在处理中"):
        services.template_revise(template=template, user=owner_a, kind="notification", text="您的订单已退回")
    signature.status = "withdrawn"
    signature.save()
    with pytest.raises(services.ValidationError):
        services.template_revise(template=template, user=owner_a, kind="notification", text="x")


def test_a_replaced_version_no_longer_fills_the_whitelist(org_a, owner_a, signature, entity):
    for domain in ("example.com", "other.cn"):
        OwnedAddress.objects.create(entity=entity, kind="domain", value=domain)
    old = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="marketing",
                                   name="a", text=ONE_OWNED_LINK)  # fmt: skip
    walk(old, "approved")
    new = services.template_revise(template=old, user=owner_a, kind="marketing", text="详见 other.cn ，拒收请回复R")
    walk(new, "approved")
    [(contacts, domains)] = services.whitelists_of(signature=signature)
    assert domains == {"other.cn"}


def test_a_test_send_cannot_be_in_the_future(org_a, owner_a, signature):
    template = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                        name="发货", text="您的订单已发货")  # fmt: skip
    with pytest.raises(services.ValidationError):
        services.record_test_send(template=template, user=owner_a, carrier="mobile", sent_on=dt.date(2099, 1, 1),
                                  delivered=True, failure_code="")  # fmt: skip


def test_spans_are_in_utf16_units_for_the_page(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    text = "🎉详见 example.com"
    [span] = check(client, org_a, signature, text, kind="notification").json()["spans"]
    assert span[:2] == [5, 16]  # the emoji is two UTF-16 units


def test_a_huge_text_is_refused_for_length_without_being_analysed(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    data = check(client, org_a, signature, "1-" * 200_000, kind="notification").json()
    assert data["blocked"] and data["general"][0]["code"] == "TPL_LENGTH"


def save_draft(client, org, signature, text, kind="marketing", name="草稿"):
    data = {"signature": signature.pk, "kind": kind, "name": name, "text": text, "action": "draft"}
    return client.post(reverse("org:template-create", args=[org.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_draft_is_kept_unchecked_then_edited_and_submitted(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    assert save_draft(client, org_a, signature, TWO_LINKS).status_code == 302  # blocked text: still a draft
    template = SmsTemplate.objects.get()
    assert (template.status, template.submitted_at, template.precheck) == ("draft", None, [])
    assert list(template.events.values_list("to_status", flat=True)) == ["draft"]
    [(contacts, domains)] = services.whitelists_of(signature=signature)
    assert domains == set()  # a draft whitelists nothing
    url = reverse("org:template-edit", args=[org_a.pk, template.pk])
    assert "Save as a draft" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    data = {"signature": signature.pk, "kind": "marketing", "name": "双十一", "text": TWO_LINKS, "action": "submit"}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "TPL_TOO_MANY_LINKS" not in response.content.decode()
    assert "at most 1 link per template" in response.content.decode()
    template.refresh_from_db()
    assert (template.status, template.name) == ("draft", "草稿")  # a refused submission changes nothing
    data["text"] = "新品上市，回T退订"
    assert client.post(url, {**data, "action": "draft"}).status_code == 302
    template.refresh_from_db()
    assert (template.status, template.name, template.text) == ("draft", "双十一", "新品上市，回T退订")
    assert client.post(url, data).status_code == 302
    template.refresh_from_db()
    assert template.status == "submitted" and template.submitted_at is not None
    assert template.policy_keys  # the snapshot of the rules it was checked against
    assert list(template.events.values_list("from_status", "to_status")) == [("", "draft"), ("draft", "submitted")]
    assert client.get(url).status_code == 302  # no longer editable: back to its page


def test_a_template_sent_back_for_changes_is_resubmitted_from_its_page(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    template = SmsTemplate.objects.get()
    walk(template, "in_review")
    review_services.decide(template, reviewer=review_reviewer(), decision="request_changes",
                           reason_codes=["REV_TEMPLATE_CONTENT"], note="请写明单号")  # fmt: skip
    detail = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Make the changes and resubmit" in detail.content.decode()
    url = reverse("org:template-edit", args=[org_a.pk, template.pk])
    data = {"signature": signature.pk, "kind": "notification", "name": "发货", "text": "您的订单${order}已发货"}
    assert client.post(url, data).status_code == 302
    template.refresh_from_db()
    assert (template.status, template.text) == ("submitted", "您的订单${order}已发货")
    assert template.events.last().from_status == "changes_requested"


def test_two_tabs_cannot_both_submit_the_same_draft(org_a, owner_a, signature):
    draft = services.template_save_draft(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                         name="发货", text="您的订单已发货")  # fmt: skip
    stale = SmsTemplate.objects.get(pk=draft.pk)
    fields = {"signature": signature, "kind": "notification", "name": "发货", "text": "您的订单已发货"}
    services.template_update(template=draft, user=owner_a, submit=True, **fields)
    with translation.override("zh-hans"), pytest.raises(services.ValidationError, match="已被他人修改"):
        services.template_update(template=stale, user=owner_a, submit=True, **fields)
    assert TemplateEvent.objects.filter(template=draft, to_status="submitted").count() == 1


def test_a_new_version_keeps_its_signature_and_name_and_is_not_counted_against_the_old(
    client, org_a, owner_a, signature, entity
):
    OwnedAddress.objects.create(entity=entity, kind="domain", value="example.com")
    OwnedAddress.objects.create(entity=entity, kind="domain", value="other.cn")
    old = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="marketing",
                                   name="活动", text=ONE_OWNED_LINK)  # fmt: skip
    walk(old, "approved")
    client.force_login(owner_a)
    moved = "新品上市，详见 other.cn ，拒收请回复R"
    # Telecom whitelists one domain a signature: the old version's example.com is not counted against its successor.
    url = reverse("org:template-check", args=[org_a.pk])
    data = {"signature": signature.pk, "kind": "marketing", "text": moved}
    telecom = {c["carrier"]: c for c in client.post(url, data).json()["carriers"]}["telecom"]
    assert "TPL_SIGNATURE_WHITELIST_FULL" in [v["code"] for v in telecom["violations"]]
    telecom = {c["carrier"]: c for c in client.post(url, {**data, "template": old.pk}).json()["carriers"]}["telecom"]
    assert telecom["verdict"] == "needs_filing"
    other = Signature.objects.create(organization=org_a, entity=entity, source="full_name", text="示例科技有限公司",
                                     status="approved")  # fmt: skip
    revise = reverse("org:template-revise", args=[org_a.pk, old.pk])
    response = client.post(revise, {"signature": other.pk, "name": "改名", "kind": "marketing", "text": moved})
    assert response.status_code == 302
    revision = SmsTemplate.objects.get(previous=old)
    assert (revision.signature, revision.name, revision.version) == (signature, "活动", 2)


def test_a_draft_gets_no_test_send(client, org_a, owner_a, signature):
    draft = services.template_save_draft(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                         name="发货", text="您的订单已发货")  # fmt: skip
    client.force_login(owner_a)
    detail = client.get(reverse("org:template-detail", args=[org_a.pk, draft.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "submit it before testing" in detail.content.decode()
    assert reverse("org:template-test-send", args=[org_a.pk, draft.pk]) not in detail.content.decode()
    url = reverse("org:template-test-send", args=[org_a.pk, draft.pk])
    response = client.post(url, {"carrier": "mobile", "sent_on": "2026-11-20", "delivered": "yes"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400 and "submit it before testing" in response.content.decode()
    assert not TestSend.objects.exists()


def test_the_check_takes_only_a_template_of_the_organization_by_its_number(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    url = reverse("org:template-check", args=[org_a.pk])
    data = {"signature": signature.pk, "kind": "notification", "text": "您好"}
    assert client.post(url, {**data, "template": "²"}).status_code == 200  # not a number: ignored, never a 500
    assert client.post(url, {**data, "template": "999999"}).status_code == 404


def test_changes_saved_without_submitting_stay_sent_back(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    template = SmsTemplate.objects.get()
    walk(template, "changes_requested")
    url = reverse("org:template-edit", args=[org_a.pk, template.pk])
    assert "Save without submitting" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    data = {"signature": signature.pk, "kind": "notification", "name": "发货", "text": "您的订单${order}已发货"}
    response = client.post(url, {**data, "action": "draft"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Changes saved: submit them when they are ready." in response.content.decode()
    template.refresh_from_db()
    assert (template.status, template.text) == ("changes_requested", "您的订单${order}已发货")


def test_a_new_version_under_a_signature_no_longer_live_is_refused_with_the_reason(client, org_a, owner_a, signature):
    template = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                        name="发货", text="您的订单已发货")  # fmt: skip
    walk(template, "approved")
    signature.status = "withdrawn"
    signature.save()
    client.force_login(owner_a)
    response = client.post(reverse("org:template-revise", args=[org_a.pk, template.pk]),
                           {"kind": "notification", "text": "您的订单已签收"}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "no longer live" in response.content.decode() and "valid choice" not in response.content.decode()
    assert not SmsTemplate.objects.filter(previous=template).exists()


def test_a_format_problem_blocks_every_carrier_and_says_so(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    data = check(client, org_a, signature, "新品上市，全场五折", kind="marketing").json()  # no opt-out
    assert [v["code"] for v in data["general"]] == ["TPL_MARKETING_OPT_OUT"]
    assert data["general"][0]["rule_ref"] == "platform rule"  # in English here, 平台规则 in Chinese
    assert {c["carrier"]: c["verdict"] for c in data["carriers"]} == dict.fromkeys(services.CARRIERS, "blocked")


def test_a_verification_template_is_told_exactly_what_it_lacks(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    [problem] = check(client, org_a, signature, "您的验证码为123456", kind="verification").json()["general"]
    assert problem["message"] == "A verification template needs exactly one variable for the code (it has 0)."
    [problem] = check(client, org_a, signature, "您好${code}", kind="verification").json()["general"]
    assert problem["message"] == "A verification template needs one of 验证码/校验码/动态码/注册码."


def test_the_whitelist_error_names_what_fills_it(org_a, owner_a, signature, entity):
    for domain in ("example.com", "xn--fsqu00a.xn--fiqs8s"):
        OwnedAddress.objects.create(entity=entity, kind="domain", value=domain)
    services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="marketing", name="a",
                             text=ONE_OWNED_LINK)  # fmt: skip
    result = services.template_check(signature=signature, kind="marketing", text="请访问例子.中国领取，拒收请回复R")
    [full] = [v for v in result.violations if v.code == "TPL_SIGNATURE_WHITELIST_FULL"]
    assert "2 个域名（上限 1）：example.com、例子.中国" in full.message
    assert "2 domains (at most 1): example.com, 例子.中国" in full.message_en


def test_a_draft_page_checks_it_anew(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    save_draft(client, org_a, signature, "【示例】新品上市")
    template = SmsTemplate.objects.get()
    page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = unescape(page.content.decode())  # the text the customer reads, whatever the escaping
    assert "Checked now against today's rules:" in text
    assert "may not contain 【】" in text and "A marketing message offers a way out" in text
    template.text = "新品上市，回T退订"
    template.save()
    page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "no published rule stops it" in unescape(page.content.decode())


def test_every_test_send_problem_is_shown_at_once(client, org_a, owner_a, signature):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    template = SmsTemplate.objects.get()
    url = reverse("org:template-test-send", args=[org_a.pk, template.pk])
    response = client.post(url, {"carrier": "telecom", "sent_on": "2099-01-01", "delivered": "no"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert (
        "Give the failure code" in response.content.decode() and "cannot be in the future" in response.content.decode()
    )
    assert not TestSend.objects.exists()


def _approved(org, owner, signature, text="您的订单已发货", kind="notification"):
    template = services.template_submit(organization=org, user=owner, signature=signature, kind=kind, name="发货",
                                        text=text)  # fmt: skip
    walk(template, "approved")
    return template


def _in_thread(call) -> dict:
    """Start a service call in another thread (its own database connection); keep what it said."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except services.ValidationError as error:
            outcome["refused"] = " ".join(error.messages)
        except Exception as error:  # reported by the test, not lost with the thread
            outcome["error"] = repr(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return {"thread": thread, "outcome": outcome}


def _finish(second) -> dict:
    second["thread"].join(60)
    assert not second["thread"].is_alive(), "the second call never finished"
    return second["outcome"]


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_cannot_both_take_telecoms_one_domain(org_a, owner_a, signature, entity):
    for domain in ("example.com", "example.cn"):
        OwnedAddress.objects.create(entity=entity, kind="domain", value=domain)
    with transaction.atomic():  # the first submission holds the signature when the second starts
        services._claim(signature)
        second = _in_thread(lambda: services.template_submit(
            organization=org_a, user=owner_a, signature=signature, kind="marketing", name="b",
            text="详见 shop.example.cn ，拒收请回复R"))  # fmt: skip
        second["thread"].join(0.5)  # give it time to run ahead, were it not made to wait
        services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="marketing", name="a",
                                 text=ONE_OWNED_LINK)  # fmt: skip
    outcome = _finish(second)
    assert "上限 1" in outcome.get("refused", ""), outcome  # checked after the first, not around it
    assert SmsTemplate.objects.filter(status="submitted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_new_versions_at_once_make_one(org_a, owner_a, signature):
    template = _approved(org_a, owner_a, signature)
    with transaction.atomic():
        services._claim(signature)
        second = _in_thread(lambda: services.template_revise(template=template, user=owner_a, kind="notification",
                                                             text="您的订单已退回"))  # fmt: skip
        second["thread"].join(0.5)
        services.template_revise(template=template, user=owner_a, kind="notification", text="您的订单已签收")
    outcome = _finish(second)
    assert "新版本在处理中" in outcome.get("refused", ""), outcome
    assert SmsTemplate.objects.filter(previous=template).count() == 1


def test_a_version_number_is_never_used_twice(org_a, owner_a, signature):
    template = _approved(org_a, owner_a, signature)
    v2 = services.template_revise(template=template, user=owner_a, kind="notification", text="您的订单已签收")
    services.template_withdraw(template=v2, actor=owner_a)
    v3 = services.template_revise(template=template, user=owner_a, kind="notification", text="您的订单已退回")
    assert (v2.version, v3.version) == (2, 3)


def test_while_a_new_version_awaits_review_a_template_must_fit_beside_the_old_and_the_new(
    org_a, owner_a, signature, entity
):
    for domain in ("example.com", "example.cn", "example.net"):
        OwnedAddress.objects.create(entity=entity, kind="domain", value=domain)
    old = _approved(org_a, owner_a, signature, text=ONE_OWNED_LINK, kind="marketing")  # example.com, in use
    services.template_revise(template=old, user=owner_a, kind="marketing", text="详见 shop.example.cn ，拒收请回复R")
    now, later = services.whitelists_of(signature=signature)
    assert (now[1], later[1]) == ({"example.com"}, {"example.cn"})
    # Unrelated and link-free: it fits beside either, although the two together hold two domains.
    assert not services.template_check(signature=signature, kind="notification", text="您的订单已发货").blocked
    for text in ("详见 shop.example.cn ，拒收请回复R", "详见 shop.example.com ，拒收请回复R"):
        # Fits beside one version only: refused, as it would overfill Telecom's whitelist now or later.
        result = services.template_check(signature=signature, kind="marketing", text=text)
        assert "TPL_SIGNATURE_WHITELIST_FULL" in [v.code for v in result.violations], text


def test_a_test_send_needs_a_live_template_and_a_date_after_it_was_written(org_a, owner_a, signature):
    template = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                        name="发货", text="您的订单已发货")  # fmt: skip
    with pytest.raises(services.ValidationError) as refused:
        services.record_test_send(template=template, user=owner_a, carrier="mobile", sent_on=dt.date(1, 1, 1),
                                  delivered=True, failure_code="")  # fmt: skip
    assert list(refused.value.message_dict) == ["sent_on"]
    services.template_withdraw(template=template, actor=owner_a)
    with pytest.raises(services.ValidationError) as refused:
        services.record_test_send(template=template, user=owner_a, carrier="mobile",
                                  sent_on=timezone.localdate(), delivered=True, failure_code="")  # fmt: skip
    assert list(refused.value.message_dict) == ["template"]
    assert not TestSend.objects.exists()


def test_a_draft_under_a_signature_no_longer_live_says_so(client, org_a, owner_a, signature):
    draft = services.template_save_draft(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                         name="发货", text="您的订单已发货")  # fmt: skip
    signature.status = "withdrawn"
    signature.save()
    client.force_login(owner_a)
    page = client.get(reverse("org:template-detail", args=[org_a.pk, draft.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "is no longer live" in page.content.decode() and "choose another signature" in page.content.decode()


def test_a_sent_back_new_version_under_a_dead_signature_is_told_why_and_offered_withdrawal(
    client, org_a, owner_a, signature
):
    v1 = _approved(org_a, owner_a, signature)
    v2 = services.template_revise(template=v1, user=owner_a, kind="notification", text="您的订单已签收")
    walk(v2, "changes_requested")
    signature.status = "withdrawn"
    signature.save()
    client.force_login(owner_a)
    page = client.get(reverse("org:template-detail", args=[org_a.pk, v2.pk]), HTTP_ACCEPT_LANGUAGE="en").content
    assert "Withdraw it, and write a new template" in page.decode() and "resubmit" not in page.decode()
    data = {"kind": "notification", "text": "您的订单已签收。"}
    response = client.post(reverse("org:template-edit", args=[org_a.pk, v2.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "signature is no longer live" in response.content.decode()
    v2.refresh_from_db()
    assert (v2.status, v2.text) == ("changes_requested", "您的订单已签收")


def test_a_withdrawn_template_offers_no_test_send_and_no_new_version(client, org_a, owner_a, signature):
    template = services.template_submit(organization=org_a, user=owner_a, signature=signature, kind="notification",
                                        name="发货", text="您的订单已发货")  # fmt: skip
    services.template_withdraw(template=template, actor=owner_a)
    client.force_login(owner_a)
    page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "not sent: test one that is under way" in page.content.decode()
    assert reverse("org:template-test-send", args=[org_a.pk, template.pk]) not in page.content.decode()
    revise = client.get(reverse("org:template-revise", args=[org_a.pk, template.pk]))
    assert revise.status_code == 302 and revise.url == reverse("org:template-detail", args=[org_a.pk, template.pk])


def test_the_database_itself_keeps_one_new_version_at_a_time(org_a, owner_a, signature):
    from django.db import IntegrityError

    v1 = _approved(org_a, owner_a, signature)
    services.template_revise(template=v1, user=owner_a, kind="notification", text="您的订单已签收")
    with pytest.raises(IntegrityError), transaction.atomic():
        SmsTemplate.objects.create(organization=org_a, signature=signature, kind="notification", name="发货",
                                   text="您的订单已退回", status="submitted", version=3, previous=v1)  # fmt: skip


@pytest.mark.parametrize(
    ("language", "choose", "error"),
    [
        ("en", "—— Choose ——", "Choose the result: was the test message delivered, or did it fail?"),
        ("zh-hans", "—— 请选择 ——", "请选择结果：测试短信是否送达？"),
    ],
)
def test_a_test_sends_result_is_chosen_never_defaulted(client, org_a, owner_a, signature, language, choose, error):
    client.force_login(owner_a)
    submit(client, org_a, signature, "您的订单已发货", kind="notification")
    template = SmsTemplate.objects.get()
    page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE=language)
    select = re.search(r'<select name="delivered"[^>]*>(.*?)</select>', page.content.decode(), re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select)
    assert options[0][0] == "" and options[0][2] == choose  # the empty choice comes first
    assert [value for value, attrs, _ in options if "selected" in attrs] in ([], [""])  # nothing picked for you
    url = reverse("org:template-test-send", args=[org_a.pk, template.pk])
    for missing in ({}, {"delivered": ""}):
        response = client.post(url, {"carrier": "telecom", "sent_on": "2026-11-20", **missing},
                               HTTP_ACCEPT_LANGUAGE=language)  # fmt: skip
        assert response.status_code == 400 and error in response.content.decode()
    assert not TestSend.objects.exists()


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("🎉详见 https://shop.example.com/a?b=1 ，拒收请回复R", ["https://shop.example.com/a?b=1"]),
        ("官网http://example.com，拒收请回复R", ["http://example.com"]),
        ("详见 example.com 或 HTTPS://www.example.org/x", ["example.com", "HTTPS://www.example.org/x"]),
        ("打开 weixin://dl/example.com", ["example.com"]),  # no host right after the scheme: the host alone
    ],
)
def test_the_preview_highlights_the_whole_link_as_written(client, org_a, owner_a, signature, text, links):
    client.force_login(owner_a)
    spans = check(client, org_a, signature, text).json()["spans"]
    units = text.encode("utf-16-le")
    shown = [units[2 * start : 2 * end].decode("utf-16-le") for start, end, kind in spans if kind == "link"]
    assert shown == links


# --- issue 9, the second trial ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "way_forward"),
    [("approved", "运营商可能清理此签名"), ("in_review", "请您撤回"), ("changes_requested", "请您先修改签名来源")],
)
def test_a_template_under_an_app_name_signature_is_warned_on_its_form_and_its_page(
    client, org_a, owner_a, entity, status, way_forward
):
    import time_machine

    app = entity.apps.create(name="示例地图", icp_number="京ICP备1号-1A", filing_subject=entity.name)
    signature = Signature.objects.create(organization=org_a, entity=entity, source="app_name", app=app,
                                         text="示例地图", status=status)  # fmt: skip
    template = SmsTemplate.objects.create(organization=org_a, signature=signature, kind="notification", name="发货",
                                          text="您的订单已发货。", status="approved")  # fmt: skip
    client.force_login(owner_a)
    url = reverse("org:template-check", args=[org_a.pk])
    body = {"signature": signature.pk, "kind": "notification", "text": "您的订单已发货。"}
    detail = reverse("org:template-detail", args=[org_a.pk, template.pk])
    with time_machine.travel(dt.datetime(2026, 6, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        data = client.post(url, body, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
        html = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        english = client.post(url, body, HTTP_ACCEPT_LANGUAGE="en").json()
    [warning] = [v for v in data["general"] if v["code"] == "SIG_SOURCE_WITHDRAWN"]
    assert warning["severity"] == "warning" and warning["rule"] == "自 2026-05-01 起（通知 2026.4.23）"
    assert warning["message"].startswith("本模板所用签名【示例地图】：自 2026-05-01 起（通知 2026.4.23），ICP 备案")
    assert way_forward in warning["message"] and data["blocked"] is False
    alert = html.split('data-testid="signature-source-withdrawn"', 1)[1].split("</div>", 1)[0]
    assert "自 2026-05-01 起（通知 2026.4.23），ICP 备案应用名称不能作为签名来源" in alert and way_forward in alert
    assert reverse("org:signature-detail", args=[org_a.pk, signature.pk]) in alert
    assert "The signature 【示例地图】 of this template: From 2026-05-01" in english["general"][0]["message"]
    # Before the cut-off, nothing is said.
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        data = client.post(url, body).json()
        html = client.get(detail).content.decode()
    assert not any(v["code"] == "SIG_SOURCE_WITHDRAWN" for v in data["general"])
    assert 'data-testid="signature-source-withdrawn"' not in html


def test_the_form_gives_the_page_s_script_its_messages_translated_with_their_placeholders(
    client, org_a, owner_a, signature
):
    """The live check's messages (data-* of <template data-i18n>) keep %(...)s for portal.js to fill:
    their msgids are Django's {% translate %}'s, with each % doubled, and so must be looked up."""
    client.force_login(owner_a)
    html = client.get(reverse("org:template-create", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-billing-text="计费 %(length)s 字，共 %(segments)s 条。"' in html
    assert "按其声明的最大长度（如 ${code:6}）计，未声明的按 %(default)s 字计。" in html
    assert "%%" not in html and 'data-night-text="中国电信' in html


def test_the_form_picks_the_only_live_signature_and_asks_for_one_when_there_is_none(client, org_a, owner_a, entity):
    """The signature select's options are read once (test_page_queries): whether there is any live
    signature, and the only one, are told from them. A draft or withdrawn signature does not count."""
    client.force_login(owner_a)
    url = reverse("org:template-create", args=[org_a.pk])

    def signature_select():
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        found = re.search(r'<select name="signature"[^>]*>(.*?)</select>', html, re.S)
        return found.group(1) if found else html

    for status in ("draft", "withdrawn"):
        Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text=status, status=status)
    assert "A template is filed under a signature: apply for one first." in signature_select()

    only = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例科技",
                                    status="approved")  # fmt: skip
    select = signature_select()
    assert f'<option value="{only.pk}" selected>【示例科技】</option>' in select
    assert '<option value="" selected>' not in select

    Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例", status="approved")
    select = signature_select()
    assert '<option value="" selected>' in select and select.count(" selected>") == 1  # two: the customer chooses


def test_a_template_s_page_links_its_newer_versions_and_asks_only_when_there_are(client, org_a, owner_a, signature):
    """Whether a template has newer versions comes with the template (one query fewer for most); its
    timeline is read as plain rows, the reasons shown."""
    v1 = _approved(org_a, owner_a, signature)
    client.force_login(owner_a)
    url = reverse("org:template-detail", args=[org_a.pk, v1.pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Newer versions" not in html
    assert not [q for q in queries.captured_queries if '"templates_app_smstemplate"."previous_id" = ' in q["sql"]]

    v2 = services.template_revise(template=v1, user=owner_a, kind="notification", text="您的订单已签收")
    walk(v2, "in_review")
    review_services.decide(v2, reviewer=review_reviewer(), decision="request_changes",
                           reason_codes=["REV_TEMPLATE_CONTENT"], note="请补充退订方式")  # fmt: skip
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(rf'Newer versions: <a href="/o/{org_a.pk}/templates/{v2.pk}/">v2</a>', html)
    html = client.get(reverse("org:template-detail", args=[org_a.pk, v2.pk]), HTTP_ACCEPT_LANGUAGE="en").content
    assert "replaces version 1" in html.decode() and " · 请补充退订方式</span>" in html.decode()


def test_the_live_check_reads_the_entity_s_addresses_only_for_a_text_with_a_link_or_an_ip(
    client, org_a, owner_a, entity, signature
):
    """Owned domains and IPs decide only whether a link or an IP is the entity's own: a text with
    neither is checked without reading them, and one with a link is still checked against them."""
    OwnedAddress.objects.create(entity=entity, value="example.cn")
    client.force_login(owner_a)
    url = reverse("org:template-check", args=[org_a.pk])

    def check(text):
        with CaptureQueriesContext(connection) as queries:
            data = client.post(url, {"signature": signature.pk, "kind": "notification", "text": text}).json()
        reads = [q for q in queries.captured_queries if 'FROM "qualifications_ownedaddress"' in q["sql"]]
        return data, len(reads)

    data, reads = check("您的订单已发货，详询0591-87654321。")
    assert reads == 0 and not data["links"]
    for link, owned in (("https://example.cn/a", True), ("https://other.example.com/a", False)):
        data, reads = check(f"您的订单已发货，详见 {link} 。")
        telecom = next(c for c in data["carriers"] if c["carrier"] == "telecom")
        not_owned = any(v["code"] == "TPL_LINK_NOT_OWNED" for v in telecom["violations"])
        assert reads == 1 and not_owned is not owned, link
