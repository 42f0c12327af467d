"""A task that crashes stops, and staff see it (issue 14, section 2): with results ignored nothing else would
keep it. A task that meets an error it cannot get over (here, a message naming a kind of event that does not
exist, as an old or hand-made message would) fails once, without retries (only a lost database connection is
retried: tests/faults/test_database.py), leaves a TaskFailure row, and the staff status page shows it.
Both passes, through the session's real worker."""

import pytest

from filing_portal.celery import app
from filing_portal.models import TaskFailure

from ..conftest import otp_login, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_that_crashes_fails_once_and_the_status_page_shows_it(client, reviewer, celery_worker):
    otp_login(client, reviewer)
    assert "tasks" in {p.key for p in client.get("/admin/status/").context["probes"]}
    assert not TaskFailure.objects.exists()
    result = app.send_task("notices.tasks.dispatch_event", args=["no-such-kind", 1])
    failure = wait_for(lambda: TaskFailure.objects.filter(task_id=result.id).first())
    assert failure is not None, celery_worker["log"].read_text()
    assert failure.task_name == "notices.tasks.dispatch_event" and failure.tries == 1
    assert failure.error.startswith("KeyError") and failure.args == ["no-such-kind", 1]
    assert "Traceback" not in failure.error
    page = client.get("/admin/status/")
    assert page.status_code == 503
    probe = {p.key: p for p in page.context["probes"]}["tasks"]
    assert not probe.ok and result.id in probe.detail and "notices.tasks.dispatch_event" in probe.detail
    assert result.id in page.content.decode()
    assert TaskFailure.objects.count() == 1  # not retried, not redelivered
