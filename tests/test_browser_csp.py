"""The pages that do the most in the browser work under the Content-Security-Policy: Chromium
reports no violation while the live checks, the upload preview and the template highlighting run."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.management.commands.seed_demo import CUSTOMER, DEMO_PASSWORD
from qualifications.models import Entity

from . import files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page sees, recorded by the page itself (Playwright's init scripts are not
# subject to the policy), besides what Chromium writes to the console.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation collected from the console and from the page's own events."""
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)

    def violations():
        reported = page.evaluate("window.__violations || []")
        return reported + [text for text in console if "Content Security Policy" in text]

    page.violations = violations
    return page


def _log_in(page):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(CUSTOMER[0])
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_have_text(CUSTOMER[0])


def test_the_busiest_pages_run_with_no_policy_violation(watched, tmp_path):
    page = watched
    call_command("seed_demo", stdout=StringIO())
    entity = Entity.objects.get(uscc="91110108MA01DEM0AW")
    org_id = entity.organization_id
    _log_in(page)
    assert page.violations() == []

    # The signature form and its live check.
    page.goto(f"/o/{org_id}/signatures/new/")
    page.locator("#id_text").fill("示例1")
    expect(page.locator('[data-violations] li[data-code="SIG_HAS_DIGIT"]')).to_be_visible()
    assert page.violations() == [], "signature form"

    # The entity page: an upload with its preview (a blob: image) and progress bar.
    licence = tmp_path / "licence.jpg"
    licence.write_bytes(files.jpeg(1200, 850))
    page.goto(f"/o/{org_id}/entities/{entity.pk}/")
    page.locator('li[data-kind="entity_certificate"] input[type=file]').set_input_files(str(licence))
    with page.expect_navigation():
        page.locator('li[data-kind="entity_certificate"] button[type=submit]').click()
    expect(page.get_by_test_id("checklist-state")).to_have_text("已齐全")
    assert page.violations() == [], "entity page"

    # The entity form: the live check of an ID number, typed anew.
    page.goto(f"/o/{org_id}/entities/{entity.pk}/edit/")
    id_number = page.locator("#id_legal_rep_id_number")
    expect(id_number).to_have_value("")  # never the number on file
    expect(id_number).to_have_attribute("placeholder", "110105********0016")
    id_number.fill("110105194902300024")
    expect(id_number).to_have_class(re.compile("is-invalid"))
    assert page.violations() == [], "entity form"

    # The template form: highlighting and the carriers' verdicts.
    page.goto(f"/o/{org_id}/templates/new/")
    page.locator("#id_signature").select_option(index=1)
    page.locator("#id_kind").select_option("marketing")
    page.locator("#id_text").fill("双十一：详见 example.com ，拒收请回复R")
    expect(page.locator("[data-highlighted] mark")).to_have_count(1)
    assert page.violations() == [], "template form"


def test_an_inline_script_would_be_reported(watched):
    """The watch itself: an injected inline script is blocked and seen."""
    page = watched
    page.goto("/accounts/login/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
                  "document.body.append(s); }")  # fmt: skip
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("window.ran") is None
    assert any("script-src" in violation for violation in page.violations())


def test_the_admin_pages_run_with_no_policy_violation(watched):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.management.commands.seed_demo import STAFF
    from signatures.models import Signature

    page = watched
    call_command("seed_demo", stdout=StringIO())
    reviewer = STAFF[0][0]
    page.goto("/admin/")
    page.locator("#id_username").fill(reviewer)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    device = TOTPDevice.objects.get(user__email=reviewer)
    page.get_by_label("6 位验证码").fill(f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#site-name")).to_contain_text("短信签名报备平台")
    entity = Entity.objects.get(uscc="91110108MA01DEM0AW")
    signature = Signature.objects.get(entity=entity, status="approved", source="full_name")
    for path in (
        f"/admin/qualifications/entity/{entity.pk}/change/",
        f"/admin/signatures/signature/{signature.pk}/change/",
        "/admin/templates_app/testsend/add/",  # the admin's date widget and its calendar
        "/admin/policies/policy/",
        "/admin/status/",
    ):
        page.goto(path)
        expect(page.locator("#content")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.violations() == [], path
