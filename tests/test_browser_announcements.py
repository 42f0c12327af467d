"""Issue 12's first "done when", in Chromium: a policy admin publishes the 2026-05-01 app-name rule against the
demo data. The dry run counts the affected items (the demo's app-name signature, 【示例出行】); after
publishing, the demo customer's inbox and e-mail show the notice naming it, a webhook receiver run by the
test gets the event with a signature that verifies, and the admin shows who has acknowledged. The work is
done by the real worker process (the screenshots go to test-artifacts/announcements/)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect
from standardwebhooks import Webhook

from accounts.management.commands.seed_demo import CUSTOMER, DEMO_ORG, DEMO_PASSWORD, STAFF
from accounts.models import Organization
from notices import services as notices
from signatures.models import Signature

from .conftest import wait_for
from .test_announcements_workers import builtin_policies  # noqa: F401  (the fixture: the flush removed them)
from .test_browser_review import _admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

POLICY_ADMIN = next(email for email, _name, group in STAFF if group == "policy_admin")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "announcements"
SLOW = 60_000  # the worker's part: the filesystem broker polls once a second


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def receiver():
    """A webhook receiver on this machine: keeps each request's headers and body."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.append((dict(self.headers), body.decode()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    server.shutdown()


def test_a_policy_admin_publishes_the_app_name_rule_and_the_demo_customer_is_told(
    page,
    browser,
    live_server,
    celery_worker,
    receiver,
    builtin_policies,  # noqa: F811
):
    call_command("seed_demo", stdout=StringIO())
    org = Organization.objects.get(name=DEMO_ORG)
    legacy = Signature.objects.get(organization=org, source="app_name")
    url, received = receiver
    endpoint = notices.endpoint_create(organization=org, url=url, description="测试接收端", actor=None)

    # The policy admin writes the announcement of the built-in change.
    _admin_log_in(page, POLICY_ADMIN)
    page.get_by_role("link", name="公告", exact=True).first.click()
    page.locator("a.addlink").click()
    page.locator("#id_policy").select_option(label="2026-05-01 · 2026.4.23 · 2026-05-01-no-app-names")
    page.locator("#id_title_zh").fill("应用名称不再作为签名来源")
    page.locator("#id_title_en").fill("App names no longer count as signatures")
    page.locator("#id_body_zh").fill("请尽快以企业全称、简称或注册商标重新申请签名。")
    page.locator("#id_body_en").fill("Apply again under a full name, an abbreviation or a trademark.")
    page.locator('input[name="_continue"]').click()
    panel = page.get_by_test_id("announcement-panel")
    expect(panel).to_contain_text("影响范围")

    # The dry run: the worker checks; the page follows its progress and shows the counts and the sample.
    page.get_by_test_id("dry-run").click()
    expect(page.get_by_test_id("run-dry")).to_be_visible()
    found = page.get_by_test_id("findings-dry")
    expect(found).to_have_attribute("data-signatures", "1", timeout=SLOW)
    expect(found).to_have_attribute("data-templates", "0")
    expect(found).to_have_attribute("data-organizations", "1")
    expect(found).to_contain_text("受影响：签名 1 个，模板 0 个，组织 1 个。")
    expect(page.get_by_test_id("sample-dry")).to_contain_text("签名【示例出行】")
    expect(page.get_by_test_id("sample-dry")).to_contain_text("SIG_SOURCE_NOT_ACCEPTED")
    _shot(page, "dry-run")
    assert not org.notices.filter(key="policy:2026-05-01-no-app-names").exists()

    # Publishing.
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("findings-publishing")).to_have_attribute("data-signatures", "1", timeout=SLOW)
    expect(page.get_by_test_id("acknowledgement-counts")).to_have_attribute("data-notified", "1")
    expect(page.get_by_test_id("not-acknowledged")).to_contain_text(DEMO_ORG)
    _shot(page, "published")

    # The customer's inbox: the notice names the app-name signature, with the reason and a link to fix it.
    customer = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    customer.goto("/accounts/login/")
    customer.locator("#id_username").fill(CUSTOMER[0])
    customer.locator("#id_password").fill(DEMO_PASSWORD)
    customer.get_by_role("button", name="登录").click()
    customer.goto(f"/o/{org.pk}/notices/")
    customer.get_by_role("link", name="规则变更：应用名称不再作为签名来源（1 项受影响，截止 2026-05-01）").click()
    items = customer.get_by_test_id("notice-items")
    expect(items).to_contain_text("签名【示例出行】")
    expect(items).to_contain_text("ICP 备案应用名称不能作为签名来源")
    expect(items).to_contain_text("SIG_SOURCE_NOT_ACCEPTED")
    expect(customer.get_by_test_id("notice")).to_contain_text("2026-05-01")
    _shot(customer, "inbox-notice")
    # (an absolute link, as in the e-mail: to PORTAL_BASE_URL, not this test's server)
    fix = customer.get_by_role("link", name="打开并修改").get_attribute("href")
    assert fix.endswith(f"/o/{org.pk}/signatures/{legacy.pk}/")
    customer.get_by_test_id("acknowledge").click()
    expect(customer.get_by_test_id("acknowledged")).to_be_visible()
    customer.context.close()

    # The admin now shows it acknowledged.
    page.reload()
    expect(page.get_by_test_id("acknowledgement-counts")).to_have_attribute("data-acknowledged", "1")
    expect(page.get_by_test_id("acknowledged")).to_contain_text(CUSTOMER[0])

    # The e-mail, through the worker, in the customer's language.
    def mail():
        for path in sorted(celery_worker["mail_dir"].glob("*.log")):
            text = path.read_text()
            if f"To: {CUSTOMER[0]}" in text and "示例出行" in text and "SIG_SOURCE_NOT_ACCEPTED" in text:
                return text
        return None

    assert wait_for(mail, timeout=60), celery_worker["log"].read_text()[-4000:]

    # The webhook: signed by the Standard Webhooks scheme, verified with the endpoint's secret.
    def announced():
        return next((r for r in received if '"policy.announced"' in r[1]), None)

    request = wait_for(announced, timeout=60)
    assert request, celery_worker["log"].read_text()[-4000:]
    headers, body = request
    verified = Webhook(endpoint.secret).verify(body, {k.lower(): v for k, v in headers.items()})
    assert verified["type"] == "policy.announced" and json.loads(body) == verified
    assert [item["label"] for item in verified["data"]["items"]] == ["签名【示例出行】"]
    assert verified["data"]["policy"]["key"] == "2026-05-01-no-app-names"
