"""Notices and their delivery (issue 12, section 3): one notice per audience and key; e-mail in the
reader's language, HTML and text; webhooks signed by the Standard Webhooks scheme, retried with
growing pauses for a day and logged; the history rows as the outbox, each turned into its notice once;
the inbox with its unread count; endpoints an owner keeps; another organization's notice is a 404."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import Membership
from compliance import transitions as t
from notices import events, services
from notices.models import Delivery, Notice, WebhookAttempt, WebhookEndpoint
from notices.services import Text

from .factories import walk
from .test_sending_stats import approved
from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


def tell(org, key="k1", **extra):
    fields = {"kind": Notice.Kind.ACTIVITY, "key": key,
              "subject": Text("签名【百度】在电信有停用风险", "Signature at risk"),
              "body": Text("请定期发送。", "Send regularly."), "severity": Notice.Severity.ALARM,
              "items": [{"label": "【百度】", "url": "/o/1/signatures/1/", "codes": ["ACT_AT_RISK"],
                         "reason_zh": "150 天无送达", "reason_en": "No delivery for 150 days"}]}  # fmt: skip
    return services.notify(organization=org, **{**fields, **extra})


def send_all():
    for delivery_id in Delivery.objects.order_by("pk").values_list("pk", flat=True):
        services.deliver(delivery_id=delivery_id)


def test_a_notice_is_written_once_per_organization_and_key(org_a, owner_a, member_a, org_b):
    first = tell(org_a)
    assert first is not None
    assert tell(org_a) is None  # the same key again: nothing
    assert tell(org_b) is not None  # another audience: its own
    assert Notice.objects.filter(organization=org_a).count() == 1
    addresses = sorted(Delivery.objects.filter(notice=first).values_list("recipient", flat=True))
    assert addresses == ["member-a@alpha.cn", "owner-a@alpha.cn"]


def test_the_email_is_html_and_text_in_each_reader_s_language(org_a, owner_a, member_a):
    member_a.language = "en"
    member_a.save(update_fields=["language"])
    tell(org_a)
    send_all()
    by_address = {m.to[0]: m for m in mail.outbox}
    chinese, english = by_address["owner-a@alpha.cn"], by_address["member-a@alpha.cn"]
    assert chinese.subject == "签名【百度】在电信有停用风险"
    assert "请定期发送。" in chinese.body and "150 天无送达" in chinese.body and "ACT_AT_RISK" in chinese.body
    assert english.subject == "Signature at risk"
    assert "【百度】" in english.body
    assert "No delivery for 150 days" in english.body and "请定期发送" not in english.body
    html, kind = chinese.alternatives[0]
    assert kind == "text/html" and "打开并修改" in html and 'lang="zh-Hans"' in html
    assert "/o/1/signatures/1/" in chinese.body  # the link to fix it, absolute
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_delivery_sent_is_not_sent_again_by_a_redelivered_task(org_a, owner_a):
    tell(org_a)
    delivery = Delivery.objects.get()
    assert services.deliver(delivery_id=delivery.pk) is True
    assert services.deliver(delivery_id=delivery.pk) is False  # redelivered task: claimed and sent already
    assert len(mail.outbox) == 1


def test_the_webhook_request_verifies_with_the_standard_webhooks_library(org_a, owner_a):
    with Receiver() as receiver:
        endpoint = services.endpoint_create(organization=org_a, url=receiver.url, description="", actor=owner_a)
        tell(org_a)
        send_all()
        assert len(receiver.requests) == 1
        headers, body = receiver.requests[0]
    event = Webhook(endpoint.secret).verify(body, headers)
    assert event["type"] == "notice.created"
    assert event["data"]["items"][0]["codes"] == ["ACT_AT_RISK"]
    assert event["data"]["items"][0]["url"] == settings.PORTAL_BASE_URL + "/o/1/signatures/1/"  # absolute
    assert event["data"]["subject"] == {"zh": "签名【百度】在电信有停用风险", "en": "Signature at risk"}
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(body, headers)  # another secret: refused
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and attempt.error == ""


def test_a_failing_endpoint_is_retried_with_growing_pauses_then_given_up_after_a_day(org_a, owner_a):
    with Receiver() as receiver:
        receiver.answer = 503
        services.endpoint_create(organization=org_a, url=receiver.url, description="", actor=owner_a)
        notice = tell(org_a)
        webhook = Delivery.objects.get(channel=Delivery.Channel.WEBHOOK)
        assert services.deliver(delivery_id=webhook.pk) is False
        webhook.refresh_from_db()
        assert webhook.status == Delivery.Status.FAILED and webhook.last_code == 503
        gap = webhook.next_attempt_at - timezone.now()
        assert timedelta(seconds=25) < gap <= timedelta(seconds=30)
        assert services.deliver(delivery_id=webhook.pk) is False  # not due yet: not even tried
        assert len(receiver.requests) == 1
        assert [services.retry_gap(n).total_seconds() for n in (1, 2, 3, 10, 20)] == [30, 60, 120, 3600, 3600]
        # Written a day ago: the next failure gives up.
        Notice.objects.filter(pk=notice.pk).update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
        Delivery.objects.filter(pk=webhook.pk).update(next_attempt_at=timezone.now())
        services.deliver(delivery_id=webhook.pk)
        webhook.refresh_from_db()
        assert webhook.status == Delivery.Status.GAVE_UP and webhook.attempts == 2
        receiver.answer = 200
        assert services.sweep() == [] or webhook.pk not in services.sweep()


def test_the_sweep_releases_a_dead_claim_and_finds_what_waited(org_a, owner_a):
    tell(org_a)
    delivery = Delivery.objects.get()
    assert services.sweep() == []  # written just now: its own nudge sends it
    later = timezone.now() + timedelta(minutes=2)
    assert services.sweep(now=later) == [delivery.pk]
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENDING, claimed_at=timezone.now())
    assert services.sweep(now=later) == []  # held by a live worker
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert services.sweep() == []  # its worker died: released as a failure, due after the first pause
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.last_error.startswith("claim released")
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.sweep() == [delivery.pk]
    assert services.deliver(delivery_id=delivery.pk) is True and len(mail.outbox) == 1


def test_every_move_becomes_one_notice_and_the_decisions_reach_the_inbox(org_a, owner_a):
    with Receiver() as receiver:
        services.endpoint_create(organization=org_a, url=receiver.url, description="", actor=owner_a)
        signature = approved(org_a, owner_a, "百度")
        assert events.dispatch_pending() >= 3  # created, submitted, claimed, approved (and the filings)
        assert events.dispatch_pending() == 0  # once
        notices = Notice.objects.filter(organization=org_a, kind=Notice.Kind.STATUS)
        approved_notice = notices.get(key__startswith="event:signature:", data__signature__to=t.APPROVED)
        assert approved_notice.in_inbox and approved_notice.subject_zh == "签名【百度】：审核通过"
        assert approved_notice.subject_en == "Signature 【百度】: Approved"
        assert services.item_for(approved_notice.items[0], "en")["label"] == "Signature 【百度】"
        assert services.item_for(approved_notice.items[0], "zh-hans")["label"] == "签名【百度】"
        claimed = notices.get(data__signature__to=t.IN_REVIEW)
        assert not claimed.in_inbox  # webhooks only
        send_all()
        types = {json.loads(body)["type"] for _headers, body in receiver.requests}
    assert {"signature.status_changed", "filing.status_changed"} <= types
    assert len(receiver.requests) == notices.count()  # every move on the webhook, once
    assert all(d.recipient != "owner-a@alpha.cn" for d in Delivery.objects.filter(notice=claimed))
    assert signature.events.filter(processed_at__isnull=True).count() == 0


def test_a_rejection_carries_its_reasons_to_the_customer(org_a, owner_a):
    from signatures import services as signature_services

    from .factories import make_entity
    from .test_signatures import complete_package

    entity = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    signature = signature_services.signature_submit(organization=org_a, user=owner_a, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    walk(signature, t.REJECTED)
    events.dispatch_pending()
    notice = Notice.objects.get(organization=org_a, data__signature__to=t.REJECTED)
    assert notice.severity == Notice.Severity.ALARM
    assert notice.items[0]["codes"] == ["REV_SIGNATURE_MISLEADING"] and notice.items[0]["reason_zh"]


def test_the_header_counts_unread_notices_and_opening_the_inbox_reads_them(client, org_a, owner_a, org_b):
    client.force_login(owner_a)
    tell(org_a, "a")
    tell(org_a, "b")
    tell(org_b, "c")
    page = client.get(reverse("org:dashboard", args=[org_a.pk])).content.decode()
    assert 'data-testid="header-unread">2<' in page and 'data-testid="unread-count">2<' in page
    inbox = client.get(reverse("org:notices", args=[org_a.pk])).content.decode()
    assert inbox.count('data-unread="1"') == 2
    assert "签名【百度】在电信有停用风险" in inbox
    page = client.get(reverse("org:dashboard", args=[org_a.pk])).content.decode()
    assert 'data-testid="header-unread"' not in page


def test_a_notice_is_acknowledged_once_and_another_organization_s_is_404(client, org_a, owner_a, member_a, owner_b):
    notice = tell(org_a, needs_ack=True, deadline=timezone.localdate())
    client.force_login(member_a)
    url = reverse("org:notice-detail", args=[org_a.pk, notice.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="acknowledge"' in page and "150 天无送达" in page
    assert client.post(reverse("org:notice-acknowledge", args=[org_a.pk, notice.pk])).status_code == 302
    notice.refresh_from_db()
    assert notice.acknowledged_by == member_a
    services.acknowledge(notice=notice, user=owner_a)
    notice.refresh_from_db()
    assert notice.acknowledged_by == member_a  # the first acknowledgement stands
    client.force_login(owner_b)
    org_b = owner_b.memberships.get().organization
    assert client.get(url).status_code == 404
    assert client.get(reverse("org:notice-detail", args=[org_b.pk, notice.pk])).status_code == 404
    assert client.post(reverse("org:notice-acknowledge", args=[org_b.pk, notice.pk])).status_code == 404


def test_the_inbox_refuses_anonymous_and_wrong_methods(client, org_a, owner_a):
    url = reverse("org:notices", args=[org_a.pk])
    assert client.get(url).status_code == 302
    client.force_login(owner_a)
    assert client.post(url).status_code == 405


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/x", "https://"),
        ("http://example.com/x", "https://"),
        ("https://10.0.0.8/hooks", "private or reserved"),
        ("https://169.254.169.254/latest", "private or reserved"),
        ("https://no-such-host.invalid/hooks", "cannot be found"),
    ],
)
def test_an_endpoint_must_be_https_to_a_public_address(client, org_a, owner_a, url, message):
    client.force_login(owner_a)
    response = client.post(reverse("org:webhooks", args=[org_a.pk]), {"url": url}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_loopback_is_refused_where_it_is_not_allowed(org_a, owner_a, settings):
    from django.core.exceptions import ValidationError

    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError, match="https://"):
        services.endpoint_create(organization=org_a, url="http://127.0.0.1:9/x", description="", actor=owner_a)
    with pytest.raises(ValidationError, match="private or reserved"):
        services.endpoint_create(organization=org_a, url="https://127.0.0.1:9/x", description="", actor=owner_a)


def test_an_owner_adds_an_endpoint_tests_it_and_reads_its_log(client, org_a, owner_a, member_a, owner_b):
    with Receiver() as receiver:
        client.force_login(owner_a)
        response = client.post(reverse("org:webhooks", args=[org_a.pk]), {"url": receiver.url, "description": "ERP"})
        endpoint = WebhookEndpoint.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"/webhooks/{endpoint.pk}/")
        page = client.get(response["Location"]).content.decode()
        assert endpoint.secret in page and endpoint.secret.startswith("whsec_")
        client.post(reverse("org:webhook-action", args=[org_a.pk, endpoint.pk, "test"]))
        headers, body = receiver.requests[0]
        assert Webhook(endpoint.secret).verify(body, headers)["type"] == "webhook.test"
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'data-testid="delivery-log"' in page and "webhook.test" in page and ">200<" in page
        # A member reads, but does not change, the endpoints; another customer sees nothing.
        client.force_login(member_a)
        assert endpoint.secret not in client.get(response["Location"]).content.decode()
        assert client.post(reverse("org:webhook-action", args=[org_a.pk, endpoint.pk, "delete"])).status_code == 403
        client.force_login(owner_b)
        org_b = owner_b.memberships.get().organization
        assert client.get(reverse("org:webhook-detail", args=[org_b.pk, endpoint.pk])).status_code == 404
        assert client.post(reverse("org:webhook-action", args=[org_b.pk, endpoint.pk, "test"])).status_code == 404
        client.force_login(owner_a)
        assert client.post(reverse("org:webhook-action", args=[org_a.pk, endpoint.pk, "explode"])).status_code == 404
        client.post(reverse("org:webhook-action", args=[org_a.pk, endpoint.pk, "pause"]))
        tell(org_a)
        assert not Delivery.objects.filter(notice__kind=Notice.Kind.ACTIVITY, channel="webhook").exists()


def test_switching_language_keeps_it_for_the_person_s_emails(client, owner_a):
    client.force_login(owner_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    owner_a.refresh_from_db()
    assert owner_a.language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    owner_a.refresh_from_db()
    assert owner_a.language == "en"


def test_a_staff_member_s_notice_goes_to_them_alone(account_manager, org_a):
    notice = services.notify(user=account_manager, kind=Notice.Kind.DIGEST, key="digest:1",
                             subject=Text("汇总", "Digest"))  # fmt: skip
    assert notice.organization_id is None
    assert list(Delivery.objects.values_list("recipient", flat=True)) == ["am@platform.cn"]
    assert Membership.objects.filter(organization=org_a).exists()


def test_the_status_probe_says_when_the_outbox_is_stuck(org_a, owner_a):
    from django.utils import translation

    from filings.models import FilingEvent
    from notices.selectors import outbox_health

    signature = approved(org_a, owner_a, "百度")
    assert outbox_health()[0] is True  # written just now: the sweep has not had its chance
    with translation.override("en"):
        ok, detail = outbox_health(now=timezone.now() + timedelta(minutes=6))
        assert ok is False and detail.startswith(
            f"waiting over 5 minutes: events {signature.events.count() + FilingEvent.objects.count()},"
        )
        events.dispatch_pending()
        ok, detail = outbox_health(now=timezone.now() + timedelta(minutes=6))
        assert ok is False and "events 0, deliveries 1;" in detail  # the decision's e-mail waits
    Delivery.objects.update(status=Delivery.Status.SENT)
    assert outbox_health(now=timezone.now() + timedelta(minutes=6))[0] is True


def test_the_request_goes_to_the_address_that_was_checked_and_names_the_host(org_a, owner_a, monkeypatch):
    """One lookup per request, and the connection to its checked answer (no second lookup that a
    rebinding name could answer differently); the Host header keeps the name."""
    import socket

    real, lookups = socket.getaddrinfo, []

    def dns(host, port, *args, **kwargs):  # the edge: a name that resolves to this machine
        lookups.append(host)
        return real("127.0.0.1" if host == "hooks.example.test" else host, port, *args, **kwargs)

    with Receiver() as receiver:
        port = receiver.server.server_port
        endpoint = WebhookEndpoint.objects.create(organization=org_a, url=f"http://hooks.example.test:{port}/in")
        monkeypatch.setattr(socket, "getaddrinfo", dns)
        delivery = services.endpoint_test(endpoint=endpoint, actor=owner_a)
        assert delivery.status == Delivery.Status.SENT, delivery.last_error
        headers, _body = receiver.requests[0]
    assert [host for host in lookups if not host[0].isdigit()] == ["hooks.example.test"]  # names, not IPs
    assert headers["host"] == f"hooks.example.test:{port}"


def test_a_rebinding_name_is_refused_at_send_time(org_a, owner_a, monkeypatch, settings):
    import socket

    settings.WEBHOOK_ALLOW_LOOPBACK = False
    endpoint = WebhookEndpoint.objects.create(organization=org_a, url="https://hooks.example.test/in")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                                                                  ("169.254.169.254", 443))])  # fmt: skip
    delivery = services.endpoint_test(endpoint=endpoint, actor=owner_a)
    assert delivery.status == Delivery.Status.FAILED and "private or reserved" in delivery.last_error
    assert WebhookAttempt.objects.get().status_code is None


def test_a_slow_endpoint_s_answer_is_read_no_further_than_needed(org_a, owner_a):
    with Receiver() as receiver:
        receiver.answer = 500
        endpoint = services.endpoint_create(organization=org_a, url=receiver.url, description="", actor=owner_a)
        delivery = services.endpoint_test(endpoint=endpoint, actor=owner_a)
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.response, delivery.last_code) == (500, "nope", 500)
    assert "500" in delivery.last_error


def test_a_dead_worker_s_claim_is_released_with_the_same_pauses_and_given_up_after_a_day(org_a, owner_a):
    notice = tell(org_a)
    delivery = Delivery.objects.get()
    long_ago = timezone.now() - timedelta(days=2)
    Notice.objects.filter(pk=notice.pk).update(created_at=long_ago)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENDING, attempts=40, claimed_at=long_ago)
    assert services.sweep() == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.GAVE_UP


def test_one_event_that_cannot_be_dispatched_holds_back_no_other(org_a, owner_a, caplog):
    from signatures.models import SignatureEvent

    signature = approved(org_a, owner_a, "百度")
    first = signature.events.order_by("at", "pk").first()
    SignatureEvent.objects.filter(pk=first.pk).update(to_status="no-such-state", from_status="nor-this")
    broken = Notice.objects.count()
    events.dispatch_pending()
    assert Notice.objects.count() > broken
    assert SignatureEvent.objects.filter(processed_at__isnull=True).count() <= 1


def test_an_out_of_range_port_and_an_empty_form_say_what_is_wrong(client, org_a, owner_a):
    client.force_login(owner_a)
    url = reverse("org:webhooks", args=[org_a.pk])
    response = client.post(url, {"url": "https://example.com:99999/x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "The port must be a number from 1 to 65535." in response.content.decode()
    response = client.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert client.get(reverse("org:notices", args=[org_a.pk]), {"page": "9" * 30}).status_code == 200
