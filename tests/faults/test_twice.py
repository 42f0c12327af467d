"""The same task delivered twice at once (issue 14, section 2): at-least-once delivery (acks_late, a
redelivery after a lost worker, beat's sweep re-enqueueing what looks stuck) means two workers may run one
message's task together. The claim is a conditional UPDATE, so exactly one of them does the work.

Two threads, each with its own database connection as two worker processes have, run the real task at the
same moment (a barrier), several rounds. Both passes: SQLite serialises the two UPDATEs on its lock,
PostgreSQL on the row's."""

import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import Invitation
from accounts.tasks import send_invitation_email

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def _twice_at_once(task, *args):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(task.apply(args, throw=True).get())
        except Exception as exc:  # noqa: BLE001  (reported by the test, not lost in a thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return sorted(results)


def test_an_invitation_delivered_twice_at_once_is_sent_once(org_a, owner_a):
    now = timezone.now()
    for round_ in range(ROUNDS):
        address = f"colleague{round_}@alpha.cn"
        invitation = Invitation.objects.create(
            organization=org_a, email=address, role="member", invited_by=owner_a, created_at=now,
            expires_at=now + settings.INVITATION_MAX_AGE,
        )  # fmt: skip
        assert _twice_at_once(send_invitation_email, invitation.pk) == [False, True]
        assert [m.to for m in mail.outbox].count([address]) == 1
        assert Invitation.objects.get(pk=invitation.pk).email_status == "sent"
    assert len(mail.outbox) == ROUNDS
