"""Issue 12's "done when" for inactive signatures, in Chromium: statistics that stop for one carrier make that
signature's page show the carrier at risk, and a notice arrive, once (the screenshots go to
test-artifacts/activity/). The chart is drawn under the Content-Security-Policy with no violation."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from .factories import PASSWORD
from .test_activity_run import clerk, signature, stop_at_telecom  # noqa: F401 (fixtures)
from .test_browser_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "activity"


def log_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_have_text(user.email)


def test_statistics_that_stop_for_one_carrier_show_it_at_risk_and_a_notice_arrives_once(
    page,
    signature,  # noqa: F811  (filed at the three carriers 200 days ago; org A has an account manager)
    owner_a,
    org_a,
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    stop_at_telecom(signature, timezone.localdate())  # Telecom's last delivery: 151 days ago
    out = StringIO()
    call_command("activity_run", stdout=out)  # the beat task's service, by hand
    assert "flags raised: at_risk 1" in out.getvalue()

    # (The approval's and the filings' own notices count too when a worker from another test is about.)
    from notices.events import dispatch_pending
    from notices.models import Notice

    dispatch_pending()  # whatever a worker has not dispatched yet: the count cannot move under the page
    unread = Notice.objects.filter(organization=org_a, in_inbox=True).count()
    assert Notice.objects.filter(organization=org_a, kind=Notice.Kind.ACTIVITY).count() == 1
    log_in(page, owner_a)
    expect(page.get_by_test_id("header-unread")).to_have_text(str(unread))
    page.goto(reverse("org:signature-detail", args=[org_a.pk, signature.pk]))
    card = page.get_by_test_id("activity")
    telecom = card.locator('tr[data-carrier="telecom"]')
    expect(telecom).to_have_attribute("data-flags", "at_risk")
    expect(telecom).to_contain_text("有清理风险")
    expect(telecom).to_contain_text("已 151 天没有送达")
    expect(telecom).to_contain_text("联系客户经理重新报备")
    for carrier in ("mobile", "unicom"):
        expect(card.locator(f'tr[data-carrier="{carrier}"]')).to_have_attribute("data-flags", "")
    expect(page.get_by_test_id("activity-chart").locator("canvas")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "signature.png"), full_page=True)

    # The notice, in the inbox: one, about Telecom.
    page.goto(reverse("org:notices", args=[org_a.pk]))
    inbox = page.get_by_test_id("inbox")
    expect(inbox.locator('[data-kind="activity"]')).to_have_count(1)
    expect(inbox).to_contain_text("签名【百度】在中国电信：有清理风险")
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
    inbox.locator('[data-kind="activity"]').click()
    expect(page.locator("main")).to_contain_text("已 151 天没有送达")

    # The next morning's run, the same day's statistics: nothing new arrives.
    call_command("activity_run", stdout=StringIO())
    page.goto(reverse("org:notices", args=[org_a.pk]))
    expect(page.get_by_test_id("inbox").locator('[data-kind="activity"]')).to_have_count(1)
    expect(page.get_by_test_id("header-unread")).to_have_count(0)
    violations = page.evaluate("window.__violations || []") + [t for t in console if "Content Security Policy" in t]
    assert violations == []
