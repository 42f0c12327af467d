"""The invitation email travels through the real broker to a real worker process.

These run on every pass: on the embedded default (SQLite + kombu's filesystem broker) and,
in CI's second pass, on PostgreSQL + Redis. A missing service fails them; they never skip.
"""

import email
import re
from email.header import decode_header, make_header

import pytest
from django.urls import reverse

from accounts.models import Invitation
from filing_portal.health import probe_all

from .conftest import wait_for
from .factories import make_entity

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _mail_to(mail_dir, address):
    for path in sorted(mail_dir.glob("*.log")):
        text = path.read_text()
        if f"To: {address}" in text:
            return text
    return None


def test_it_delivers_the_invitation_through_the_worker(client, org_a, owner_a, celery_worker):
    client.force_login(owner_a)
    response = client.post(reverse("org:members", args=[org_a.pk]), {"email": "colleague@alpha.cn", "role": "member"})
    assert response.status_code == 302

    invitation = Invitation.objects.get(email="colleague@alpha.cn")
    sent = wait_for(lambda: Invitation.objects.filter(pk=invitation.pk, email_status="sent").exists())
    assert sent, f"worker did not send the invitation; its log:\n{celery_worker['log'].read_text()}"

    raw = wait_for(lambda: _mail_to(celery_worker["mail_dir"], "colleague@alpha.cn"))
    assert raw is not None
    message = email.message_from_string(raw)
    assert (
        str(make_header(decode_header(message["Subject"])))
        == "邀请您加入 甲科技有限公司 · Invitation to join 甲科技有限公司"
    )
    assert re.search(r"http://\S+/accounts/invitations/\S+/", raw), raw
    assert "Task accounts.tasks.send_invitation_email" in celery_worker["log"].read_text()


def test_the_sweep_task_runs_on_the_worker(celery_worker, org_a, owner_a):
    from accounts.tasks import sweep_unsent_invitations

    # Sent by name through the broker, as beat would send it.
    sweep_unsent_invitations.apply_async(expires=60)
    assert wait_for(lambda: "accounts.tasks.sweep_unsent_invitations" in celery_worker["log"].read_text())
    assert wait_for(lambda: re.search(r"sweep_unsent_invitations\[\S+\] succeeded", celery_worker["log"].read_text()))


def test_the_status_probes_see_database_broker_and_worker(celery_worker):
    probes = {p.key: p for p in probe_all()}
    assert all(p.ok for p in probes.values()), probes
    assert celery_worker["name"] in probes["workers"].detail


def test_the_worker_makes_the_thumbnail_of_an_upload(client, org_a, owner_a, celery_worker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qualifications.models import Document

    from . import files

    entity = make_entity(organization=org_a, name="甲科技有限公司", uscc="91110000802100433B",
                                   legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    client.force_login(owner_a)
    response = client.post(
        reverse("org:document-upload", args=[org_a.pk, entity.pk]),
        {"kind": "entity_certificate", "file": SimpleUploadedFile("licence.jpg", files.jpeg(1600, 1200))},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    ready = wait_for(lambda: Document.objects.filter(pk=document.pk, thumbnail_state="ready").exists())
    assert ready, celery_worker["log"].read_text()
    response = client.get(reverse("document-file", args=[document.pk, "thumbnail"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
