"""The REST API's templates: the check (violations with their rules, the analysis, each carrier's verdict),
create (draft, submitted), idempotency, ETags, withdraw, resubmit and revise, the list's filters and its
queries, scopes and isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from filings.models import Filing
from signatures.models import Signature
from templates_app.models import SmsTemplate, TemplateEvent

from .api_helpers import for_member
from .factories import make_entity, walk

pytestmark = pytest.mark.django_db

BASE = "/api/v1/templates/"
TWO_LINKS = "新品上市：a.example.com 与 other.cn 同时开抢，拒收请回复R"
SHIPPED = "您的订单已发货"


@pytest.fixture
def entity(org_a):
    return make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                       legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip


@pytest.fixture
def signature(org_a, entity):
    return Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例科技",
                                    status="approved")  # fmt: skip


@pytest.fixture
def their_signature(org_b):
    entity = make_entity(organization=org_b, name="乙网络有限公司", uscc="914403001922038216", legal_rep_name="李四",
                         legal_rep_id_number="11010519491231002X")  # fmt: skip
    return Signature.objects.create(organization=org_b, entity=entity, source="abbreviation", text="乙网络",
                                    status="approved")  # fmt: skip


@pytest.fixture
def api(owner_a):
    return for_member(owner_a.memberships.get(), language="en")


@pytest.fixture
def api_zh(owner_a):
    return for_member(owner_a.memberships.get(), language="zh-hans")


def body(signature, text=SHIPPED, **extra):
    return {"signature": signature.pk, "kind": "notification", "name": "Shipped", "text": text, **extra}


# --- the check ------------------------------------------------------------------------------------------------------


def test_the_check_gives_the_analysis_each_verdict_and_the_rules_in_the_callers_language(api, api_zh, signature):
    response = api.post(f"{BASE}check/", {"signature": signature.pk, "kind": "marketing", "text": TWO_LINKS})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["blocked"] is True
    assert data["links"] == ["example.com", "other.cn"]
    assert data["length"] == len("【示例科技】" + TWO_LINKS) and data["segments"] == 1
    verdicts = {c["carrier"]: c for c in data["carriers"]}
    assert {c: v["verdict"] for c, v in verdicts.items()} == {"mobile": "blocked", "unicom": "blocked",
                                                             "telecom": "blocked"}  # fmt: skip
    (too_many,) = [v for v in verdicts["mobile"]["violations"] if v["code"] == "TPL_TOO_MANY_LINKS"]
    assert too_many["carrier"] == "mobile" and too_many["severity"] == "error"
    rule = too_many["rule"]
    assert (rule["effective"], rule["notice"], rule["policy_key"]) == ("2025-07-10", "2025.7.2",
                                                                       "2025-07-10-mobile-templates")  # fmt: skip
    assert rule["text"] == "From 2025-07-10 (notice 2025.7.2)"
    assert too_many in verdicts["mobile"]["blocked_by"]
    chinese = api_zh.post(f"{BASE}check/", {"signature": signature.pk, "kind": "marketing", "text": TWO_LINKS}).json()
    (zh,) = [v for v in chinese["carriers"][0]["violations"] if v["code"] == "TPL_TOO_MANY_LINKS"]
    assert zh["rule"]["text"] == "自 2025-07-10 起（通知 2025.7.2）" and zh["message"] != too_many["message"]
    assert not SmsTemplate.objects.exists()


def test_the_check_lists_contacts_as_written(api, signature):
    data = api.post(f"{BASE}check/", {"signature": signature.pk, "kind": "notification",
                                      "text": "如有疑问请致电 0591-87654321"}).json()  # fmt: skip
    assert [(c["kind"], c["written"]) for c in data["contacts"]] == [("landline", "0591-87654321")]


def test_the_check_under_another_organizations_signature_is_the_field_error_of_a_missing_one(api, their_signature):
    theirs = api.post(f"{BASE}check/", {"signature": their_signature.pk, "kind": "notification", "text": SHIPPED})
    missing = api.post(f"{BASE}check/", {"signature": 999999, "kind": "notification", "text": SHIPPED})
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json()["errors"] == missing.json()["errors"]
    assert [(e["field"], e["code"]) for e in theirs.json()["errors"]] == [("signature", "invalid_choice")]


# --- create ---------------------------------------------------------------------------------------------------------


def test_a_draft_is_saved_and_a_blocked_submission_is_refused_with_the_rules_codes(api, signature):
    draft = api.post(BASE, body(signature, TWO_LINKS))
    assert draft.status_code == 201, draft.content
    assert draft.json()["status"] == "draft" and draft["ETag"]
    assert draft["Location"] == f"{BASE}{draft.json()['id']}/"
    refused = api.post(BASE, body(signature, TWO_LINKS, kind="marketing", submit=True))
    assert refused.status_code == 400
    assert "TPL_TOO_MANY_LINKS" in {e["code"] for e in refused.json()["errors"] if e["field"] == "text"}
    submitted = api.post(BASE, body(signature, submit=True))
    assert submitted.status_code == 201, submitted.content
    data = submitted.json()
    assert data["status"] == "submitted" and data["signature"] == {"id": signature.pk, "text": "示例科技"}
    assert [(e["from_status"], e["to_status"]) for e in data["timeline"]] == [("", "draft"), ("draft", "submitted")]
    assert SmsTemplate.objects.count() == 2


def test_a_retried_create_returns_the_first_answer_and_a_reused_key_is_refused(api, signature):
    key = {"Idempotency-Key": "tpl-1"}
    first = api.post(BASE, body(signature, submit=True), headers=key)
    again = api.post(BASE, body(signature, submit=True), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert api.post(BASE, body(signature, "您的订单已签收"), headers=key).status_code == 422
    assert SmsTemplate.objects.count() == 1


def test_an_unknown_field_or_another_organizations_signature_is_refused(api, signature, their_signature):
    unknown = api.post(BASE, {**body(signature), "priority": 1})
    assert unknown.status_code == 400
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [("priority", "unknown_field")]
    theirs = api.post(BASE, body(their_signature, submit=True))
    assert theirs.status_code == 400
    assert [(e["field"], e["code"]) for e in theirs.json()["errors"]] == [("signature", "invalid_choice")]
    assert not SmsTemplate.objects.exists()


def test_a_read_only_key_cannot_write(owner_a, signature):
    reader = for_member(owner_a.memberships.get(), scope="read", language="en")
    response = reader.post(BASE, body(signature))
    assert response.status_code == 403 and response.json()["code"] == "scope-insufficient"
    # The check writes nothing: a read-only key may run it.
    checked = reader.post(f"{BASE}check/", {"signature": signature.pk, "kind": "notification", "text": "您好"})
    assert checked.status_code == 200
    assert not SmsTemplate.objects.exists()


# --- detail, update, withdraw, resubmit, revise ---------------------------------------------------------------------


def test_a_stale_update_is_a_412_and_changes_nothing(api, signature):
    created = api.post(BASE, body(signature)).json()
    url = f"{BASE}{created['id']}/"
    etag = api.get(url)["ETag"]
    changed = api.patch(url, {"text": "您的订单已签收"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.content
    assert changed.json()["text"] == "您的订单已签收" and changed["ETag"] != etag
    stale = api.patch(url, {"text": "您的订单已退回"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert SmsTemplate.objects.get().text == "您的订单已签收"


def test_an_update_of_a_submitted_template_is_a_conflict(api, signature):
    created = api.post(BASE, body(signature, submit=True)).json()
    response = api.patch(f"{BASE}{created['id']}/", {"text": "您的订单已签收"})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "Submitted" in response.json()["detail"]
    assert SmsTemplate.objects.get().text == SHIPPED


def test_withdraw_then_withdraw_again_is_a_conflict(api, signature):
    created = api.post(BASE, body(signature, submit=True)).json()
    url = f"{BASE}{created['id']}/withdraw/"
    assert api.post(url).json()["status"] == "withdrawn"
    again = api.post(url)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert TemplateEvent.objects.filter(to_status="withdrawn").count() == 1


def test_one_sent_back_is_resubmitted_and_an_approved_one_revised(api, api_zh, signature):
    created = api.post(BASE, body(signature, submit=True)).json()
    template = walk(SmsTemplate.objects.get(pk=created["id"]), "changes_requested")
    url = f"{BASE}{template.pk}/"
    data = api.get(url).json()
    assert data["can_resubmit"] is True
    assert [r["code"] for r in data["current_decision"]["reasons"]] == ["REV_TEMPLATE_CONTENT"]
    assert api_zh.get(url).json()["current_decision"]["reasons"][0]["title"] == "模板内容不符合发送规范"
    resubmitted = api.post(f"{url}resubmit/", {"text": "您的订单已签收"})
    assert resubmitted.status_code == 200, resubmitted.content
    assert resubmitted.json()["status"] == "submitted" and resubmitted.json()["text"] == "您的订单已签收"
    assert api.post(f"{url}resubmit/", {}).status_code == 409  # submitted: nothing to resubmit

    template.refresh_from_db()
    walk(template, "approved")
    data = api.get(url).json()
    assert {f["carrier"] for f in data["filings"]} == {"mobile", "unicom", "telecom"}
    revised = api.post(f"{url}resubmit/", {"text": "您的订单已发出"})
    assert revised.status_code == 201, revised.content
    revision = revised.json()
    assert revision["version"] == 2 and revision["previous"] == template.pk and revision["status"] == "submitted"
    assert revised["Location"] == f"{BASE}{revision['id']}/"
    assert api.get(url).json()["status"] == "approved"  # the approved one stays in use meanwhile


# --- the list -------------------------------------------------------------------------------------------------------


def test_the_list_filters_by_state_kind_and_carrier_state(api, signature):
    draft = api.post(BASE, body(signature)).json()
    verification = api.post(BASE, body(signature, "您的验证码是${code:6}", kind="verification", submit=True)).json()
    approved = walk(SmsTemplate.objects.get(pk=api.post(BASE, body(signature, submit=True)).json()["id"]), "approved")
    Filing.objects.filter(template=approved, carrier="mobile").update(status="failed")

    def ids(**params):
        response = api.get(BASE, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [approved.pk, verification["id"], draft["id"]]
    assert ids(status="draft") == [draft["id"]]
    assert ids(kind="verification") == [verification["id"]]
    assert ids(carrier_state="failed") == [approved.pk]
    assert ids(entity=str(signature.entity_id), status="approved") == [approved.pk]
    row = api.get(BASE, {"carrier_state": "failed"}).json()["results"][0]
    assert {m["carrier"]: m["state"] for m in row["carriers"]}["mobile"] == "failed"
    assert api.get(BASE, {"kind": "poem"}).status_code == 400


def test_the_list_pages_by_cursor(api, signature, org_a):
    SmsTemplate.objects.bulk_create([SmsTemplate(organization=org_a, signature=signature, kind="notification",
                                                 name=f"t{i}", text=SHIPPED) for i in range(5)])  # fmt: skip
    seen, url, params = [], BASE, {"page_size": 2}
    while url:
        page = api.get(url, params).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None
    assert seen == sorted(SmsTemplate.objects.values_list("pk", flat=True), reverse=True)


def test_the_list_makes_as_many_queries_for_50_rows_as_for_5(api, signature, org_a):
    def make(n):
        made = SmsTemplate.objects.bulk_create([
            SmsTemplate(organization=org_a, signature=signature, kind="notification", name=f"t{i}", text=SHIPPED,
                        status="approved" if i % 2 else "draft")
            for i in range(n)
        ])  # fmt: skip
        Filing.objects.bulk_create([Filing(organization=org_a, template=t, carrier=c) for t in made
                                    if t.status == "approved" for c in ("mobile", "unicom", "telecom")])  # fmt: skip

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(BASE, {"page_size": 100})
        assert response.status_code == 200
        return len(response.json()["results"]), len(queries)

    make(5)
    api.get(BASE)  # the key's last use recorded once
    rows, few = count()
    make(45)
    more_rows, many = count()
    assert (rows, more_rows) == (5, 50)
    assert few == many <= 10


# --- isolation ------------------------------------------------------------------------------------------------------


def test_another_organizations_template_is_a_404_like_a_missing_one(api, org_b, their_signature):
    theirs = SmsTemplate.objects.create(organization=org_b, signature=their_signature, kind="notification",
                                        name="theirs", text=SHIPPED, status="draft")  # fmt: skip
    for method, suffix, data in (("get", "", None), ("patch", "", {"text": "x"}), ("post", "withdraw/", {}),
                                 ("post", "resubmit/", {})):  # fmt: skip
        found = getattr(api, method)(f"{BASE}{theirs.pk}/{suffix}", data)
        missing = getattr(api, method)(f"{BASE}999999/{suffix}", data)
        assert found.status_code == missing.status_code == 404
        assert found.json()["code"] == missing.json()["code"] == "not-found"
        assert found.json()["detail"] == missing.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.text == SHIPPED and theirs.status == "draft"
    assert theirs.pk not in [row["id"] for row in api.get(BASE).json()["results"]]
    check = api.post(f"{BASE}check/", {"signature": their_signature.pk, "kind": "notification", "text": SHIPPED,
                                       "template": theirs.pk})  # fmt: skip
    assert check.status_code == 400
