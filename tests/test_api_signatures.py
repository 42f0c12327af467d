"""The REST API's signatures: the precheck, create (draft, submitted), idempotency, ETags, withdraw and
resubmit, the list's filters and its queries, scopes and isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from filings.models import Filing
from signatures.models import Signature, SignatureEvent

from .api_helpers import for_member
from .factories import make_entity, walk
from .test_signatures import NAME, complete_package

pytestmark = pytest.mark.django_db

BASE = "/api/v1/signatures/"


@pytest.fixture
def entity(org_a):
    created = make_entity(organization=org_a, name=NAME, uscc="91110000802100433B", legal_rep_name="张三",
                          legal_rep_id_number="11010519491231002X")  # fmt: skip
    return complete_package(created)


@pytest.fixture
def other_entity(org_b):
    created = make_entity(organization=org_b, name="深圳市腾讯计算机系统有限公司", uscc="914403001922038216",
                          legal_rep_name="李四", legal_rep_id_number="11010519491231002X")  # fmt: skip
    return complete_package(created)


def membership(user) -> Membership:
    return user.memberships.get()


@pytest.fixture
def api(owner_a):
    return for_member(membership(owner_a), language="en")


@pytest.fixture
def api_zh(owner_a):
    return for_member(membership(owner_a), language="zh-hans")


def body(entity, text="百度", **extra):
    return {"entity": str(entity.pk), "source": "abbreviation", "text": text, **extra}


# --- the precheck ---------------------------------------------------------------------------------------------------


def test_the_precheck_names_each_violation_with_its_code_and_rule_in_the_callers_language(api, api_zh, entity):
    english = api.post(f"{BASE}precheck/", body(entity, "百度科技"))
    assert english.status_code == 200, english.content
    data = english.json()
    assert data["blocked"] is False and data["needs_acknowledgement"] is True
    (violation,) = [v for v in data["violations"] if v["code"] == "SIG_ABBREVIATION_NOT_CONTIGUOUS"]
    assert violation["severity"] == "warning"
    rule = violation["rule"]
    assert rule["ref"] == f"{rule['effective']} · {rule['notice']}"
    assert rule["policy_key"] == "2025-03-31-abbreviation"
    assert rule["text"] == f"From {rule['effective']} (notice {rule['notice']})"
    chinese = api_zh.post(f"{BASE}precheck/", body(entity, "百度科技")).json()
    (zh,) = [v for v in chinese["violations"] if v["code"] == "SIG_ABBREVIATION_NOT_CONTIGUOUS"]
    assert zh["message"] != violation["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in zh["message"])
    assert zh["rule"]["text"] == f"自 {rule['effective']} 起（通知 {rule['notice']}）"
    assert not Signature.objects.exists()


def test_the_precheck_says_a_text_held_by_another_entity_is_taken(api, entity, org_b, other_entity):
    Signature.objects.create(organization=org_b, entity=other_entity, source="abbreviation", text="百度",
                             status="approved")  # fmt: skip
    data = api.post(f"{BASE}precheck/", body(entity)).json()
    assert data["blocked"] is True
    assert "SIG_TAKEN" in [v["code"] for v in data["violations"]]


def test_the_precheck_of_another_organizations_entity_is_the_field_error_of_a_missing_one(api, other_entity):
    import uuid

    theirs = api.post(f"{BASE}precheck/", body(other_entity))
    missing = api.post(f"{BASE}precheck/", {**body(other_entity), "entity": str(uuid.uuid4())})
    assert theirs.status_code == missing.status_code == 400
    assert theirs["Content-Type"] == "application/problem+json"
    assert theirs.json()["errors"] == missing.json()["errors"]
    assert theirs.json()["errors"][0]["field"] == "entity"
    assert theirs.json()["errors"][0]["code"] == "invalid_choice"


def test_the_precheck_runs_few_queries(api, entity):
    api.post(f"{BASE}precheck/", body(entity))  # the entity kept, the SQL compiled
    with CaptureQueriesContext(connection) as queries:
        assert api.post(f"{BASE}precheck/", body(entity, "百度网讯")).status_code == 200
    assert len(queries) <= 6, [q["sql"] for q in queries.captured_queries]


# --- create ---------------------------------------------------------------------------------------------------------


def test_a_draft_is_saved_unchecked_and_a_submission_is_checked(api, entity):
    draft = api.post(BASE, body(entity, "百度网讯"))
    assert draft.status_code == 201, draft.content
    assert draft.json()["status"] == "draft"
    assert draft["Location"] == f"{BASE}{draft.json()['id']}/" and draft["ETag"]
    refused = api.post(BASE, body(entity, "百度科技", submit=True))
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "field": "acknowledge_warnings", "code": "warnings_not_acknowledged",
        "message": "Read the warnings above and tick the box to submit anyway.",
    }  # fmt: skip
    submitted = api.post(BASE, body(entity, "百度", submit=True))
    assert submitted.status_code == 201, submitted.content
    data = submitted.json()
    assert data["status"] == "submitted" and data["can_withdraw"] is True
    assert [(e["from_status"], e["to_status"]) for e in data["timeline"]] == [("", "draft"), ("draft", "submitted")]
    assert "2026.4.23" in data["policy_notices"]
    assert Signature.objects.count() == 2


def test_a_taken_text_is_refused_with_its_code(api, entity, org_b, other_entity):
    Signature.objects.create(organization=org_b, entity=other_entity, source="abbreviation", text="百度",
                             status="approved")  # fmt: skip
    response = api.post(BASE, body(entity, submit=True))
    assert response.status_code == 400
    assert response.json()["code"] == "validation-failed"
    assert any(e["field"] == "text" and e["code"] == "SIG_TAKEN" for e in response.json()["errors"])
    assert Signature.objects.count() == 1  # theirs only


def test_another_organizations_entity_is_refused_as_the_form_refuses_it(api, entity, other_entity):
    response = api.post(BASE, body(other_entity, submit=True))
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("entity", "invalid_choice")]
    assert Signature.objects.count() == 0


def test_an_unknown_field_is_refused_and_nothing_is_made(api, entity):
    response = api.post(BASE, {**body(entity), "colour": "red"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "colour", "code": "unknown_field", "message": "Unknown field."}]
    assert not Signature.objects.exists()


def test_a_retried_create_returns_the_first_answer_and_makes_one_signature(api, entity):
    key = {"Idempotency-Key": "order-1"}
    first = api.post(BASE, body(entity, submit=True), headers=key)
    again = api.post(BASE, body(entity, submit=True), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Signature.objects.count() == 1
    other = api.post(BASE, body(entity, "百度网讯"), headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert Signature.objects.count() == 1


def test_a_read_only_key_cannot_write(owner_a, entity):
    reader = for_member(membership(owner_a), scope="read", language="en")
    response = reader.post(BASE, body(entity))
    assert response.status_code == 403 and response.json()["code"] == "scope-insufficient"
    assert not Signature.objects.exists()
    assert reader.get(BASE).status_code == 200
    # The precheck writes nothing: a read-only key may run it.
    precheck = reader.post(f"{BASE}precheck/", {"entity": str(entity.pk), "source": "abbreviation", "text": "百度"})
    assert precheck.status_code == 200 and "blocked" in precheck.json()


# --- detail, update, withdraw, resubmit -----------------------------------------------------------------------------


def test_the_detail_has_its_etag_and_a_stale_update_changes_nothing(api, entity):
    created = api.post(BASE, body(entity, "百度科技")).json()
    url = f"{BASE}{created['id']}/"
    read = api.get(url)
    assert read.status_code == 200 and read.json()["text"] == "百度科技"
    etag = read["ETag"]
    changed = api.patch(url, {"text": "百度"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.content
    assert changed.json()["text"] == "百度" and changed["ETag"] != etag
    stale = api.patch(url, {"text": "百度网讯"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition-failed"
    assert Signature.objects.get().text == "百度"


def test_a_draft_is_submitted_by_patch(api, entity):
    created = api.post(BASE, body(entity)).json()
    response = api.patch(f"{BASE}{created['id']}/", {"submit": True})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"


def test_withdraw_then_a_second_withdraw_is_a_conflict(api, entity):
    created = api.post(BASE, body(entity, submit=True)).json()
    url = f"{BASE}{created['id']}/withdraw/"
    first = api.post(url)
    assert first.status_code == 200 and first.json()["status"] == "withdrawn"
    again = api.post(url)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert "Withdrawn" in again.json()["detail"]
    assert SignatureEvent.objects.filter(to_status="withdrawn").count() == 1


def test_one_sent_back_shows_the_decision_and_is_resubmitted(api, api_zh, entity):
    created = api.post(BASE, body(entity, submit=True)).json()
    signature = walk(Signature.objects.get(pk=created["id"]), "changes_requested")
    url = f"{BASE}{signature.pk}/"
    data = api.get(url).json()
    assert data["status"] == "changes_requested" and data["can_edit"] is True
    decision = data["current_decision"]
    assert decision["action"] == "request_changes"
    assert [r["code"] for r in decision["reasons"]] == ["REV_SIGNATURE_MISLEADING"]
    assert decision["reasons"][0]["title"] == "The signature misleads about who sends"
    assert api_zh.get(url).json()["current_decision"]["reasons"][0]["title"] == "签名易使人误解发送方"
    assert [d["action"] for d in data["decisions"]] == ["request_changes"]
    assert data["timeline"][-1]["to_status"] == "changes_requested"
    assert data["timeline"][-1]["who"] == "Platform reviewer"
    resubmitted = api.post(f"{url}resubmit/", {})
    assert resubmitted.status_code == 200, resubmitted.content
    assert resubmitted.json()["status"] == "submitted"
    assert resubmitted.json()["timeline"][-1]["action"] == "resubmit"
    again = api.post(f"{url}resubmit/", {})
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_an_approved_signature_shows_its_filing_at_each_carrier(api, entity, reviewer):
    created = api.post(BASE, body(entity, submit=True)).json()
    signature = walk(Signature.objects.get(pk=created["id"]), "approved")
    filing = Filing.objects.get(signature=signature, carrier="telecom")
    Filing.objects.filter(pk=filing.pk).update(status="failed", reason_codes=["FIL_SIGNATURE_NOT_ACCEPTED"],
                                                carrier_ref="T-1")  # fmt: skip
    data = api.get(f"{BASE}{signature.pk}/").json()
    filings = {f["carrier"]: f for f in data["filings"]}
    assert set(filings) == {"mobile", "unicom", "telecom"}
    assert filings["mobile"]["state"] == "pending" and filings["mobile"]["due_by"]
    assert filings["telecom"]["state"] == "failed" and filings["telecom"]["carrier_ref"] == "T-1"
    assert [r["code"] for r in filings["telecom"]["reasons"]] == ["FIL_SIGNATURE_NOT_ACCEPTED"]
    assert {m["carrier"]: m["state"] for m in data["carriers"]}["telecom"] == "failed"


# --- the list -------------------------------------------------------------------------------------------------------


def test_the_list_filters_by_state_entity_and_carrier_state(api, entity, org_a):
    second = make_entity(organization=org_a, name="北京字节跳动科技有限公司", uscc="91110108MA01DEM0AW",
                         legal_rep_name="王五", legal_rep_id_number="110105198001010016")  # fmt: skip
    draft = api.post(BASE, body(entity, "百度科技")).json()
    partners = api.post(BASE, body(second, "字节跳动")).json()
    approved = walk(Signature.objects.get(pk=api.post(BASE, body(entity, submit=True)).json()["id"]), "approved")
    Filing.objects.filter(signature=approved, carrier="unicom").update(status="filed")

    def ids(**params):
        response = api.get(BASE, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [approved.pk, partners["id"], draft["id"]]
    assert ids(status="draft") == [partners["id"], draft["id"]]
    assert ids(entity=str(second.pk)) == [partners["id"]]
    assert ids(carrier_state="filed") == [approved.pk]
    assert ids(carrier_state="failed") == []
    bad = api.get(BASE, {"status": "nonsense"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
    twice = api.get(f"{BASE}?status=draft&status=approved")
    assert twice.status_code == 400 and twice.json()["errors"][0]["code"] == "repeated"
    assert api.get(BASE, {"page_size": "many"}).json()["errors"][0]["field"] == "page_size"


def test_the_list_pages_by_cursor(api, entity, org_a):
    Signature.objects.bulk_create([Signature(organization=org_a, entity=entity, source="abbreviation", text=f"签名{i}")
                                   for i in range(5)])  # fmt: skip
    seen, url, params = [], BASE, {"page_size": 2}
    while url:
        page = api.get(url, params).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None
    assert seen == sorted(Signature.objects.values_list("pk", flat=True), reverse=True)
    assert api.get(BASE, {"cursor": "not-a-cursor"}).status_code == 404


def test_the_list_makes_as_many_queries_for_50_rows_as_for_5(api, entity, org_a):
    def make(n, start):
        Signature.objects.bulk_create([
            Signature(organization=org_a, entity=entity, source="abbreviation", text=f"签名{start + i}",
                      status="approved" if i % 2 else "draft")
            for i in range(n)
        ])  # fmt: skip
        for signature in Signature.objects.filter(status="approved", filings__isnull=True):
            for carrier in ("mobile", "unicom", "telecom"):
                Filing.objects.create(organization=org_a, signature=signature, carrier=carrier)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(BASE, {"page_size": 100})
        assert response.status_code == 200
        return len(response.json()["results"]), len(queries)

    make(5, 0)
    api.get(BASE)  # the key's last use recorded once
    rows, few = count()
    make(45, 100)
    more_rows, many = count()
    assert (rows, more_rows) == (5, 50)
    assert few == many <= 10


# --- isolation ------------------------------------------------------------------------------------------------------


def test_another_organizations_signature_is_a_404_like_a_missing_one(api, org_b, other_entity):
    theirs = Signature.objects.create(organization=org_b, entity=other_entity, source="abbreviation", text="腾讯",
                                      status="draft")  # fmt: skip
    for method, suffix, data in (("get", "", None), ("patch", "", {"text": "腾讯云"}), ("post", "withdraw/", {}),
                                 ("post", "resubmit/", {})):  # fmt: skip
        found = getattr(api, method)(f"{BASE}{theirs.pk}/{suffix}", data)
        missing = getattr(api, method)(f"{BASE}999999/{suffix}", data)
        assert found.status_code == missing.status_code == 404
        assert {k: v for k, v in found.json().items() if k != "instance"} == {
            k: v for k, v in missing.json().items() if k != "instance"
        }
    theirs.refresh_from_db()
    assert theirs.text == "腾讯" and theirs.status == "draft"
    assert theirs.pk not in [row["id"] for row in api.get(BASE).json()["results"]]
