"""Customer forms in Chromium, in Chinese: a required field left empty is answered by the server in
the page's language under the field, never by the browser's own bubble ("Please fill out this field")."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .test_browser import _log_in
from .test_page_queries import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_empty_test_send_result_is_answered_in_chinese_by_the_server(page, owner_a, password):
    world = World(owner_a)
    _log_in(page, owner_a, password)
    page.goto(reverse("org:template-detail", args=[world.org.pk, world.template.pk]))
    form = page.locator("form").filter(has=page.locator("#id_delivered"))
    # The browser would block this submission with its own bubble: the form leaves that to the server.
    assert form.evaluate("f => f.noValidate") is True
    page.locator("#id_carrier").select_option("telecom")
    page.get_by_role("button", name="记录测试发送").click()
    result = page.locator("#div_id_delivered")
    expect(result).to_contain_text("请选择结果：测试短信是否送达？")
    expect(result.locator("label")).to_contain_text("结果")
