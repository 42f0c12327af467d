"""Notices through the real broker and a real worker (issue 12, section 3 and "Reliability"): a
decision becomes an inbox notice, an e-mail and a signed webhook request with no task called by
hand; and a submission made while the broker is unreachable succeeds, its notice waits, and goes out
once the broker is back (the beat sweep's task, through the worker), once.

These run on every pass: SQLite with kombu's filesystem broker, and PostgreSQL with Redis."""

import email
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from standardwebhooks import Webhook

from compliance import transitions as t
from filing_portal import outage
from notices import services
from notices.models import Delivery, Notice

from .conftest import wait_for
from .factories import make_entity, walk
from .test_signatures import complete_package
from .webhook_receiver import Receiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _mails_to(mail_dir, address):
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
            if f"To: {address}" in raw:
                found.append(email.message_from_string(raw.strip()))
    return found


def _submit(org, owner):
    from signatures import services as signature_services

    entity = complete_package(make_entity(organization=org, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    return signature_services.signature_submit(organization=org, user=owner, draft=draft, acknowledge_warnings=True)


def test_a_decision_reaches_the_inbox_the_mailbox_and_the_webhook_through_the_worker(org_a, owner_a,
                                                                                      celery_worker):  # fmt: skip
    with Receiver() as receiver:
        endpoint = services.endpoint_create(organization=org_a, url=receiver.url, description="", actor=owner_a)
        signature = walk(_submit(org_a, owner_a), t.APPROVED)
        decided = wait_for(lambda: Notice.objects.filter(organization=org_a, data__signature__to=t.APPROVED).first())
        assert decided is not None, celery_worker["log"].read_text()
        sent = wait_for(lambda: not Delivery.objects.filter(notice=decided).exclude(status="sent").exists())
        assert sent, list(Delivery.objects.filter(notice=decided).values("channel", "status", "last_error"))
        mails = wait_for(lambda: _mails_to(celery_worker["mail_dir"], "owner-a@alpha.cn"))
        subjects = [str(email.header.make_header(email.header.decode_header(m["Subject"]))) for m in mails]
        assert "签名【百度】：审核通过" in subjects
        assert wait_for(lambda: any(b'"signature.status_changed"' in body for _h, body in receiver.requests))
        for headers, body in receiver.requests:
            Webhook(endpoint.secret).verify(body, headers)  # every request verifies
    assert signature.events.filter(processed_at__isnull=True).count() == 0
    assert "notices.tasks.dispatch_event" in celery_worker["log"].read_text()


@contextmanager
def broker_unreachable():
    """The web process's broker connection points at a port nothing listens on (Redis stopped), then
    back at the real broker."""
    from filing_portal.celery import app

    real, options = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    # The settings' options for Redis (on the filesystem pass too: this stands in for Redis stopped).
    app.conf.broker_transport_options = settings.REDIS_FAIL_FAST
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        services._broker_down_until = 0.0  # the broker is back: this process may nudge again at once
        outage.redis_back()
        app.conf.broker_url, app.conf.broker_transport_options = real, options
        app._pool = None
        app.amqp._producer_pool = None


def test_a_submission_made_while_the_broker_is_down_succeeds_and_its_notice_goes_out_later(
    org_a, owner_a, celery_worker
):
    from notices.tasks import sweep

    with Receiver() as receiver:
        services.endpoint_create(organization=org_a, url=receiver.url, description="", actor=owner_a)
        with broker_unreachable():
            started = time.monotonic()
            signature = _submit(org_a, owner_a)
            took = time.monotonic() - started
        assert signature.status == t.SUBMITTED and took < 2.0, took
        waiting = signature.events.filter(processed_at__isnull=True)
        assert waiting.count() == 2  # created and submitted: in the outbox, nothing lost
        time.sleep(1.0)
        assert not receiver.requests  # nothing reached the worker
        # The broker is back: beat's sweep (sent by name through the broker, as beat sends it).
        sweep.apply_async(expires=60)
        assert wait_for(lambda: waiting.count() == 0), celery_worker["log"].read_text()
        notices = Notice.objects.filter(organization=org_a, key__startswith="event:signature:")
        assert notices.count() == 2
        sweep.apply_async(expires=60)  # and again: nothing twice
        time.sleep(1.0)
        assert notices.count() == 2
        # The webhook deliveries were written more than a minute ago in a real outage; here the next
        # sweep finds them after their minute, or their own nudge already sent them.
        from django.utils import timezone

        Delivery.objects.filter(notice__in=notices).update(created_at=timezone.now() - timezone.timedelta(minutes=2))
        sweep.apply_async(expires=60)
        assert wait_for(lambda: len(receiver.requests) >= 2)
        time.sleep(1.0)
        assert len(receiver.requests) == 2
