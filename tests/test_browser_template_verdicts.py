"""The template form's verdicts in Chromium: every blocked row names its rule, the code comes after
the sentence and quietly, a passing verdict says what it covers, the billed length says it is an estimate."""

import pytest
from playwright.sync_api import expect

from .factories import make_entity
from .test_browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_verification_code_with_a_link_names_the_rule_in_every_row(page, owner_a, password):
    from signatures.models import Signature

    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    Signature.objects.create(organization=org, entity=entity, source="abbreviation", text="示例科技", status="approved")
    _log_in(page, owner_a, password)
    page.goto(f"/o/{org.pk}/templates/new/")
    page.locator("#id_signature").select_option(label="【示例科技】")
    page.locator("#id_kind").select_option("verification")
    page.locator("#id_text").fill("您的验证码为${code:6}，详见 example.com")
    verdicts = page.get_by_test_id("carrier-verdicts")
    for carrier in ("mobile", "unicom", "telecom"):
        row = verdicts.locator(f'tr[data-carrier="{carrier}"]')
        expect(row).to_have_attribute("data-verdict", "blocked")
        reason = row.locator('li[data-code="TPL_VERIFICATION_FORMAT"]')
        expect(reason).to_contain_text("不得含链接或联系方式")
        # The sentence first, then the notice and the code, small and quiet.
        expect(reason.locator("span").first).not_to_contain_text("TPL_")
        expect(reason.locator("small.rule-ref")).to_have_text("平台规则 · TPL_VERIFICATION_FORMAT")
    expect(page.get_by_test_id("verdict-coverage")).to_be_hidden()
    expect(page.locator("[data-billing]")).to_contain_text("此为估算")

    page.locator("#id_kind").select_option("notification")
    page.locator("#id_text").fill("您的订单${order:20}已发货，详询0591-87654321")
    for carrier in ("mobile", "unicom", "telecom"):
        expect(verdicts.locator(f'tr[data-carrier="{carrier}"]')).to_have_attribute("data-verdict", "needs_filing")
    expect(page.get_by_test_id("verdict-coverage")).to_be_visible()
    expect(page.get_by_test_id("verdict-coverage")).to_contain_text("不保证送达")


def test_every_carrier_s_reasons_show_on_a_375_px_phone(page, owner_a, password):
    from signatures.models import Signature

    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    Signature.objects.create(organization=org, entity=entity, source="abbreviation", text="示例科技", status="approved")
    width = 375
    page.set_viewport_size({"width": width, "height": 812})
    _log_in(page, owner_a, password)
    page.goto(f"/o/{org.pk}/templates/new/")
    page.locator("#id_signature").select_option(label="【示例科技】")
    # Three contacts, one a long email address, named as written in every carrier's reasons: they must
    # wrap, not widen the table past the screen (the reasons were scrolled off, the 原因 column seemingly empty).
    page.locator("#id_kind").select_option("marketing")
    page.locator("#id_text").fill(
        "新品上市，详询 customerservice@exampleshopping.com 或 13800138000 或 QQ 123456789，拒收请回复R"
    )
    verdicts = page.get_by_test_id("carrier-verdicts")
    for carrier in ("mobile", "unicom", "telecom"):
        expect(verdicts.locator(f'tr[data-carrier="{carrier}"]')).to_contain_text("customerservice@")
        for reason in verdicts.locator(f'tr[data-carrier="{carrier}"] li').all():
            box = reason.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (carrier, box)
    scroll, client = verdicts.evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert scroll <= client, (scroll, client)


def test_the_verdict_table_fits_the_card_on_a_375_px_phone_when_no_carrier_gives_a_reason(page, owner_a, password):
    from signatures.models import Signature

    org = owner_a.memberships.get().organization
    entity = make_entity(organization=org, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    Signature.objects.create(organization=org, entity=entity, source="abbreviation", text="示例科技", status="approved")
    page.set_viewport_size({"width": 375, "height": 812})
    _log_in(page, owner_a, password)
    page.goto(f"/o/{org.pk}/templates/new/")
    page.locator("#id_signature").select_option(label="【示例科技】")
    page.locator("#id_kind").select_option("verification")
    page.locator("#id_text").fill("您的验证码为${code:6}，5分钟内有效。")
    verdicts = page.get_by_test_id("carrier-verdicts")
    for carrier in ("mobile", "unicom", "telecom"):
        row = verdicts.locator(f'tr[data-carrier="{carrier}"]')
        expect(row).to_have_attribute("data-verdict", "allowed")  # 未发现拦截它的已公布规则, the longest verdict
        expect(row.locator("li")).to_have_count(0)
    card = page.locator(".card", has=verdicts).bounding_box()
    table = verdicts.bounding_box()
    why = verdicts.locator("th").last.bounding_box()
    assert card is not None and table is not None and why is not None
    assert table["x"] + table["width"] <= card["x"] + card["width"], (table, card)
    assert why["x"] + why["width"] <= card["x"] + card["width"], (why, card)  # the 原因 header, whole
