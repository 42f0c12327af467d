"""The REST API's notices and webhook endpoints (issue 13): the inbox in the caller's language with its filters,
acknowledging (twice), endpoints an owner adds (the address check, the secret shown once), pauses and resumes
(ETag / If-Match), removes and tests against a real receiver on loopback, the delivery log; members and read-only
keys may not change endpoints; another organization's notice or endpoint is a 404 like a missing one."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import Membership
from notices.models import Delivery, Notice, WebhookAttempt, WebhookEndpoint

from .api_helpers import Api, for_member, key_for
from .test_notices import tell
from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

NOTICES, WEBHOOKS = "/api/v1/notices/", "/api/v1/webhooks/"


def membership(user):
    return user.memberships.get()


@pytest.fixture
def api_a(owner_a):
    return for_member(membership(owner_a))


@pytest.fixture
def api_b(owner_b):
    return for_member(membership(owner_b))


def without_instance(body: dict) -> dict:
    return {name: value for name, value in body.items() if name != "instance"}


def test_it_lists_the_organization_s_notices_newest_first_and_filters_them(api_a, org_a, org_b):
    alarm = tell(org_a, "a", needs_ack=True)
    info = tell(org_a, "b", kind=Notice.Kind.REMINDER, severity=Notice.Severity.INFO)
    done = tell(org_a, "c", needs_ack=True)
    done.acknowledged_at = timezone.now()
    done.save(update_fields=["acknowledged_at"])
    tell(org_b, "a")  # another organization's
    tell(org_a, "d", in_inbox=False)  # webhooks only: not in the inbox

    response = api_a.get(NOTICES)
    assert response.status_code == 200, response.content
    assert [n["id"] for n in response.json()["results"]] == [done.pk, info.pk, alarm.pk]

    def ids(**query):
        answer = api_a.get(NOTICES, query)
        assert answer.status_code == 200, answer.content
        return [n["id"] for n in answer.json()["results"]]

    assert ids(unacknowledged="true") == [alarm.pk]
    assert ids(unacknowledged="false") == [done.pk, info.pk, alarm.pk]
    assert ids(kind="reminder") == [info.pk]
    assert ids(severity="alarm") == [done.pk, alarm.pk]
    assert ids(severity="alarm", unacknowledged="true", page_size=1) == [alarm.pk]


def test_a_bad_filter_or_an_unknown_parameter_is_a_400_naming_it(api_a, org_a):
    for query, field in (({"kind": "gossip"}, "kind"), ({"unacknowledged": "maybe"}, "unacknowledged"),
                         ({"colour": "red"}, "colour")):  # fmt: skip
        response = api_a.get(NOTICES, query)
        assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert api_a.get(NOTICES, {"colour": "red"}).json()["errors"][0]["code"] == "unknown_field"
    assert api_a.get(NOTICES, {"page_size": "null"}).json()["errors"][0]["field"] == "page_size"
    assert api_a.get(NOTICES, {"page_size": "0"}).status_code == 200  # a whole number: the paginator's default


def test_options_is_refused_and_allow_names_each_endpoints_methods(api_a, org_a):
    notice = tell(org_a)
    endpoint = WebhookEndpoint.objects.create(organization=org_a, url="https://hooks.example.cn/x")
    paths = [
        NOTICES,
        f"{NOTICES}{notice.pk}/",
        f"{NOTICES}{notice.pk}/acknowledge/",
        WEBHOOKS,
        f"{WEBHOOKS}{endpoint.pk}/",
        f"{WEBHOOKS}{endpoint.pk}/test/",
        f"{WEBHOOKS}{endpoint.pk}/deliveries/",
    ]
    for path in paths:  # the contract is the schema (/api/v1/schema/), not DRF's OPTIONS metadata
        response = api_a.client.options(path, headers=api_a.headers)
        assert response.status_code == 405 and response.json()["code"] == "method-not-allowed", (path, response.content)
        assert "OPTIONS" not in response["Allow"]
    assert response["Allow"] == "GET, HEAD"  # the delivery log
    assert set(api_a.client.options(WEBHOOKS, headers=api_a.headers)["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_a_notice_comes_in_the_caller_s_language_and_in_both(owner_a, org_a):
    notice = tell(org_a, items=[{"label": "【百度】", "label_en": "【Baidu】", "url": "/o/1/signatures/1/",
                                 "codes": ["ACT_AT_RISK"], "carrier": "telecom", "reason_zh": "150 天无送达",
                                 "reason_en": "No delivery for 150 days"}])  # fmt: skip
    secret = key_for(membership(owner_a))
    chinese = Api(secret, "zh-hans").get(f"{NOTICES}{notice.pk}/")
    english = Api(secret, "en").get(f"{NOTICES}{notice.pk}/")
    assert chinese.status_code == english.status_code == 200
    zh, en = chinese.json(), english.json()
    assert zh["subject"] == "签名【百度】在电信有停用风险" and en["subject"] == "Signature at risk"
    assert zh["body"] == "请定期发送。" and en["body"] == "Send regularly."
    for body in (zh, en):
        assert (body["subject_zh"], body["subject_en"]) == ("签名【百度】在电信有停用风险", "Signature at risk")
        assert (body["kind"], body["severity"], body["needs_ack"]) == ("activity", "alarm", False)
    [item_zh], [item_en] = zh["items"], en["items"]
    assert (item_zh["label"], item_zh["reason"]) == ("【百度】", "150 天无送达")
    assert (item_en["label"], item_en["reason"]) == ("【Baidu】", "No delivery for 150 days")
    assert item_en["reason_zh"] == "150 天无送达" and item_zh["label_en"] == "【Baidu】"
    assert item_en["codes"] == ["ACT_AT_RISK"] and item_en["carrier"] == "telecom"
    assert item_en["url"].startswith("http") and item_en["url"].endswith("/o/1/signatures/1/")
    assert chinese["ETag"] == english["ETag"]
    # A problem's message is in the caller's language too.
    ack = f"{NOTICES}{notice.pk}/acknowledge/"
    assert Api(secret, "en").post(ack).json()["detail"] == "This notice asks for no acknowledgement."
    assert Api(secret, "zh-hans").post(ack).json()["detail"] == "此通知无需确认。"


def test_acknowledging_twice_answers_200_both_times_and_the_first_stands(org_a, owner_a, member_a):
    notice = tell(org_a, needs_ack=True)
    member = Api()
    member.client.force_login(member_a)
    url = f"{NOTICES}{notice.pk}/acknowledge/"
    first = member.post(url)
    assert first.status_code == 200, first.content
    assert first.json()["acknowledged_by"] == "member-a@alpha.cn" and first.json()["acknowledged_at"]
    second = for_member(membership(owner_a)).post(url)
    assert second.status_code == 200
    assert second.json()["acknowledged_by"] == "member-a@alpha.cn"
    assert second.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert second["ETag"] == first["ETag"]
    notice.refresh_from_db()
    assert notice.acknowledged_by == member_a
    assert member.get(NOTICES, {"unacknowledged": "true"}).json()["results"] == []


def test_acknowledging_checks_its_body_the_notice_and_the_key(org_a, owner_a, api_a):
    asks_none = tell(org_a, "plain")
    response = api_a.post(f"{NOTICES}{asks_none.pk}/acknowledge/")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    notice = tell(org_a, "ack", needs_ack=True)
    response = api_a.post(f"{NOTICES}{notice.pk}/acknowledge/", {"really": True})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "really"
    reader = for_member(membership(owner_a), scope="read")
    response = reader.post(f"{NOTICES}{notice.pk}/acknowledge/")
    assert response.status_code == 403 and response.json()["code"] == "scope-insufficient"
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
    assert Api().get(NOTICES).status_code == 401


def test_another_organization_s_notice_is_404_like_a_missing_one(org_a, org_b, api_a, api_b):
    theirs = tell(org_b, needs_ack=True)
    missing = Notice.objects.order_by("-pk").first().pk + 1000
    for suffix in ("", "acknowledge/"):
        method = api_a.post if suffix else api_a.get
        answers = [method(f"{NOTICES}{pk}/{suffix}") for pk in (theirs.pk, missing)]
        assert [a.status_code for a in answers] == [404, 404]
        assert without_instance(answers[0].json()) == without_instance(answers[1].json())
    assert api_a.get(f"{NOTICES}{2**70}/").status_code == 404  # larger than any id: still a 404
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None
    assert api_b.get(f"{NOTICES}{theirs.pk}/").status_code == 200


def test_the_inbox_makes_as_many_queries_for_50_notices_as_for_5(org_a, owner_a, member_a, api_a):
    def count_for(total):
        for n in range(Notice.objects.filter(organization=org_a).count(), total):
            notice = tell(org_a, f"n{n}", needs_ack=True)
            Notice.objects.filter(pk=notice.pk).update(acknowledged_at=timezone.now(), acknowledged_by=member_a)
        api_a.get(NOTICES)  # the key's last use is written once a minute: not in the count
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get(NOTICES, {"page_size": 100})
        assert len(response.json()["results"]) == total
        return len(queries)

    five, fifty = count_for(5), count_for(50)
    assert five == fifty <= 10


# --- webhook endpoints -------------------------------------------------------------------------------------------


def test_a_private_address_is_refused_naming_the_url_and_nothing_is_written(api_a):
    for url in ("https://10.0.0.8/hooks", "https://169.254.169.254/latest"):
        response = Api(api_a.headers["Authorization"].split()[1], "en").post(WEBHOOKS, {"url": url})
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert (error["field"], error["code"]) == ("url", "private")
        assert "private or reserved" in error["message"]
    response = api_a.post(WEBHOOKS, {"url": "ftp://example.com/x"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "url"
    response = api_a.post(WEBHOOKS, {"url": "https://hooks.example.cn/x", "secret": "mine"})
    assert response.status_code == 400 and response.json()["errors"][0] == {
        "field": "secret", "code": "unknown_field", "message": response.json()["errors"][0]["message"]}  # fmt: skip
    assert not WebhookEndpoint.objects.exists()


def test_an_owner_adds_an_endpoint_and_its_secret_is_shown_once(api_a, org_a, owner_a):
    with Receiver() as receiver:
        response = api_a.post(WEBHOOKS, {"url": receiver.url, "description": "ERP"})
    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["id"] == endpoint.pk and body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert (body["url"], body["description"], body["active"], body["waiting"]) == (receiver.url, "ERP", True, 0)
    assert body["created_by"] == owner_a.email
    assert response["Location"].endswith(f"{WEBHOOKS}{endpoint.pk}/") and response["ETag"]
    detail = api_a.get(response["Location"])
    assert detail.status_code == 200 and detail["ETag"] == response["ETag"]
    assert "secret" not in detail.json() and endpoint.secret not in detail.content.decode()
    listed = api_a.get(WEBHOOKS)
    assert [e["id"] for e in listed.json()["results"]] == [endpoint.pk]
    assert endpoint.secret not in listed.content.decode()


def test_a_retried_create_with_its_idempotency_key_gets_the_first_answer(api_a):
    with Receiver() as receiver:
        first = api_a.post(WEBHOOKS, {"url": receiver.url}, headers={"Idempotency-Key": "hook-1"})
        again = api_a.post(WEBHOOKS, {"url": receiver.url}, headers={"Idempotency-Key": "hook-1"})
        other = api_a.post(WEBHOOKS, {"url": receiver.url + "/2"}, headers={"Idempotency-Key": "hook-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again["Location"] == first["Location"]
    # The same answer, except the signing secret: never kept for replays (it would sit a day in another table).
    assert first.json()["secret"].startswith("whsec_") and again.json() == {**first.json(), "secret": ""}
    from api.models import IdempotentRequest

    assert first.json()["secret"] not in IdempotentRequest.objects.get().body
    assert other.status_code == 422
    assert WebhookEndpoint.objects.count() == 1


def test_pause_and_resume_with_the_etag_and_a_stale_one_is_412(api_a, org_a, owner_a):
    with Receiver() as receiver:
        created = api_a.post(WEBHOOKS, {"url": receiver.url, "description": "ERP"})
        url, tag = created["Location"], created["ETag"]
        paused = api_a.patch(url, {"active": False}, headers={"If-Match": tag})
        assert paused.status_code == 200, paused.content
        assert paused.json()["active"] is False and paused["ETag"] != tag
        assert WebhookEndpoint.objects.get().active is False
        # Paused: a notice is not sent to it, and a test is refused.
        tell(org_a)
        assert not Delivery.objects.filter(channel=Delivery.Channel.WEBHOOK).exists()
        assert api_a.post(f"{url}test/").status_code == 409
        # The ETag read before the pause is stale now: nothing changes.
        stale = api_a.patch(url, {"active": True, "description": "new"}, headers={"If-Match": tag})
        assert stale.status_code == 412 and stale.json()["code"] == "precondition-failed"
        endpoint = WebhookEndpoint.objects.get()
        assert (endpoint.active, endpoint.description) == (False, "ERP")
        resumed = api_a.patch(url, {"active": True, "description": " ERP, production "},
                              headers={"If-Match": paused["ETag"]})  # fmt: skip
        assert resumed.status_code == 200
        assert (resumed.json()["active"], resumed.json()["description"]) == (True, "ERP, production")
        assert api_a.get(url)["ETag"] == resumed["ETag"] != paused["ETag"]
        assert api_a.patch(url, {"active": "sometimes"}).status_code == 400
        assert api_a.patch(url, {"url": "https://elsewhere.example.cn/"}).json()["errors"][0]["field"] == "url"
        assert WebhookEndpoint.objects.get().url == receiver.url


def test_an_owner_removes_an_endpoint(api_a):
    with Receiver() as receiver:
        created = api_a.post(WEBHOOKS, {"url": receiver.url})
    url = created["Location"]
    assert api_a.delete(url, headers={"If-Match": '"stale"'}).status_code == 412
    assert WebhookEndpoint.objects.exists()
    response = api_a.delete(url, headers={"If-Match": created["ETag"]})
    assert response.status_code == 204 and response.content == b""
    assert not WebhookEndpoint.objects.exists()
    assert api_a.get(url).status_code == 404
    assert api_a.delete(url).status_code == 404


def test_a_test_event_reaches_the_receiver_and_the_delivery_log_shows_each_attempt(api_a):
    with Receiver() as receiver:
        created = api_a.post(WEBHOOKS, {"url": receiver.url})
        url, secret = created["Location"], created.json()["secret"]
        sent = api_a.post(f"{url}test/")
        assert sent.status_code == 200, sent.content
        assert sent.json() | {"delivery_id": 0} == {"delivery_id": 0, "message_id": sent.json()["message_id"],
                                                      "delivered": True, "delivery_status": "sent",
                                                      "status_code": 200, "error": ""}  # fmt: skip
        [(headers, body)] = receiver.requests
        event = Webhook(secret).verify(body, headers)
        assert event["type"] == "webhook.test" and headers["webhook-id"] == sent.json()["message_id"]
        receiver.answer = 503
        failed = Api(api_a.headers["Authorization"].split()[1], "en").post(f"{url}test/")
        assert failed.status_code == 200
        assert failed.json()["delivered"] is False and failed.json()["delivery_status"] == "failed"
        assert (failed.json()["status_code"], failed.json()["error"]) == (503, "The endpoint answered 503.")
    log = api_a.get(f"{url}deliveries/")
    assert log.status_code == 200, log.content
    newest, oldest = log.json()["results"]
    assert (newest["status_code"], newest["delivery_status"], newest["response"]) == (503, "failed", "nope")
    assert newest["error"] and newest["next_attempt_at"] and newest["delivery_attempts"] == 1
    assert (oldest["status_code"], oldest["error"], oldest["delivery_status"]) == (200, "", "sent")
    assert oldest["event_type"] == "webhook.test" and oldest["next_attempt_at"] is None
    assert oldest["message_id"] == sent.json()["message_id"] and oldest["delivery_id"] == sent.json()["delivery_id"]
    assert api_a.get(url).json()["waiting"] == 1  # the failed one waits for its retry
    page = api_a.get(f"{url}deliveries/", {"page_size": 1})
    assert [a["id"] for a in page.json()["results"]] == [newest["id"]]
    assert [a["id"] for a in api_a.get(page.json()["next"]).json()["results"]] == [oldest["id"]]


def test_members_read_endpoints_but_only_owners_change_them(org_a, owner_a, member_a, api_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, url="https://hooks.example.cn/x")
    url = f"{WEBHOOKS}{endpoint.pk}/"
    session = Api()
    session.client.force_login(member_a)
    # A key whose creator is a member (no longer an owner) acts as a member.
    secret = key_for(membership(member_a))
    Membership.objects.filter(user=member_a).update(role=Membership.Role.MEMBER)
    member_key = Api(secret)
    read_only = for_member(membership(owner_a), scope="read")
    for caller, code in ((session, "permission-denied"), (member_key, "permission-denied"),
                         (read_only, "scope-insufficient")):  # fmt: skip
        assert caller.get(WEBHOOKS).status_code == 200
        assert caller.get(url).status_code == 200
        assert caller.get(f"{url}deliveries/").status_code == 200
        answers = [caller.post(WEBHOOKS, {"url": "https://hooks.example.cn/y"}), caller.patch(url, {"active": False}),
                   caller.delete(url), caller.post(f"{url}test/")]  # fmt: skip
        assert [(a.status_code, a.json()["code"]) for a in answers] == [(403, code)] * 4
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookEndpoint.objects.count() == 1
    assert not Delivery.objects.exists()
    assert api_a.patch(url, {"active": False}).status_code == 200  # the owner may


def test_another_organization_s_endpoint_is_404_like_a_missing_one(org_b, owner_b, api_a):
    theirs = WebhookEndpoint.objects.create(organization=org_b, url="https://hooks.example.cn/b")
    missing = theirs.pk + 1000
    calls = [("get", ""), ("patch", ""), ("delete", ""), ("post", "test/"), ("get", "deliveries/")]
    for method, suffix in calls:
        answers = []
        for pk in (theirs.pk, missing):
            path = f"{WEBHOOKS}{pk}/{suffix}"
            answers.append(api_a.patch(path, {"active": False}) if method == "patch" else getattr(api_a, method)(path))
        assert [a.status_code for a in answers] == [404, 404], (method, suffix)
        assert without_instance(answers[0].json()) == without_instance(answers[1].json())
    theirs.refresh_from_db()
    assert theirs.active and not Delivery.objects.exists()
    assert api_a.get(WEBHOOKS).json()["results"] == []


def test_the_endpoint_list_and_the_delivery_log_make_as_many_queries_for_50_rows_as_for_5(org_a, owner_a, api_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, url="https://hooks.example.cn/x")

    def fill(total):
        for n in range(WebhookEndpoint.objects.count(), total):
            WebhookEndpoint.objects.create(organization=org_a, url=f"https://hooks.example.cn/{n}", created_by=owner_a)
        for n in range(WebhookAttempt.objects.count(), total):
            notice = tell(org_a, f"k{n}", in_inbox=False, webhooks_too=False)
            delivery = Delivery.objects.create(notice=notice, channel=Delivery.Channel.WEBHOOK,
                                               recipient=str(endpoint.pk), endpoint=endpoint,
                                               status=Delivery.Status.FAILED)  # fmt: skip
            WebhookAttempt.objects.create(delivery=delivery, status_code=500, error="The endpoint answered 500.")

    def count(path, total):
        api_a.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get(path, {"page_size": 100})
        assert len(response.json()["results"]) == total
        return len(queries)

    fill(5)
    few = [count(WEBHOOKS, 5), count(f"{WEBHOOKS}{endpoint.pk}/deliveries/", 5)]
    fill(50)
    many = [count(WEBHOOKS, 50), count(f"{WEBHOOKS}{endpoint.pk}/deliveries/", 50)]
    assert few == many and max(many) <= 10
    assert api_a.get(f"{WEBHOOKS}{endpoint.pk}/").json()["waiting"] == 50


def test_malformed_bodies_and_wrong_methods_are_problems(api_a, org_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, url="https://hooks.example.cn/x")
    url = f"{WEBHOOKS}{endpoint.pk}/"
    response = api_a.client.post(WEBHOOKS, "{not json", content_type="application/json", headers=api_a.headers)
    assert response.status_code == 400 and response.json()["code"] == "malformed-request"
    response = api_a.client.patch(url, json.dumps([1, 2]), content_type="application/json", headers=api_a.headers)
    assert response.status_code == 400
    assert api_a.put(url, {"active": False}).status_code == 405
    assert api_a.post(url, {"active": False}).status_code == 405
    assert api_a.post(WEBHOOKS, {"url": "https://hooks.example.cn/" + "x" * 600}).status_code == 400
    assert api_a.patch(url, {"description": "x" * 201}).json()["errors"][0]["field"] == "description"
    assert api_a.post(WEBHOOKS, {"url": 12}).status_code == 400
    assert WebhookEndpoint.objects.count() == 1
