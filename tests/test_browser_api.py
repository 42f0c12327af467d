"""The API's pages in Chromium: an owner creates a key on the API keys page and calls the API with it; Swagger UI
and Redoc render the live schema from the portal's own files (no CDN)."""

from urllib.parse import urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .test_browser_activity import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_creates_a_key_in_the_browser_and_it_works(page, owner_a, org_a):
    log_in(page, owner_a)
    page.goto(reverse("org:dashboard", args=[org_a.pk]))
    page.get_by_test_id("nav-api").click()
    expect(page).to_have_url(f"{page.url.split('/o/')[0]}{reverse('org:api-keys', args=[org_a.pk])}")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("#id_name")).to_have_class("form-control is-invalid")  # the name is missing, in Chinese
    expect(page.get_by_text("这个字段是必填项。")).to_be_visible()
    page.locator("#id_name").fill("ERP 系统")
    page.get_by_label("读写").check()
    page.get_by_role("button", name="创建").click()
    secret = page.get_by_test_id("new-key-secret").inner_text()
    assert secret.startswith("sfp_")
    answer = page.request.get("/api/v1/policies/", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()[0]["key"]
    page.reload()
    expect(page.get_by_test_id("new-key")).to_have_count(0)  # shown once
    expect(page.get_by_test_id("api-keys")).to_contain_text("ERP 系统")


def _outside(request) -> bool:
    url = urlparse(request.url)
    return url.scheme in ("http", "https") and url.hostname not in ("localhost", "127.0.0.1")


def test_swagger_ui_and_redoc_render_the_schema_from_our_own_files(page):
    # Redoc's sidebar asks for its maker's logo at cdn.redoc.ly: the policy blocks it (img-src 'self'), so nothing
    # reaches the outside; only the requests that completed count.
    outside = []
    page.on("requestfinished", lambda request: outside.append(request.url) if _outside(request) else None)
    page.goto(reverse("api:docs"))
    expect(page.locator(".opblock-summary-path").first).to_contain_text("/api/v1/")
    expect(page.get_by_text("短信签名报备平台 API").first).to_be_visible()
    page.goto(reverse("api:redoc"))
    expect(page.locator("h1").first).to_contain_text("短信签名报备平台 API", timeout=15_000)
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    assert outside == []
