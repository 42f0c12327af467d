"""Customer lists in Chromium: the state column on a 375 px phone, and long selects that can be searched."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Invitation

from .test_browser_csp import watched  # noqa: F401  (fixture: the page, with its CSP violations collected)
from .test_page_queries import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def _log_in(page, user, password):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def _assert_in_view(locator, width):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_it_shows_every_list_s_state_column_on_a_375_px_phone(page, owner_a, password):
    world = World(owner_a)
    world.grow(30)
    first = Invitation.objects.filter(organization=world.org).first()
    first.email = "a-rather-long-address.for-a-colleague@alpha.cn"
    first.save(update_fields=["email"])
    page.set_viewport_size(PHONE)
    _log_in(page, owner_a, password)
    org = world.org.pk
    lists = {
        "entity-table": reverse("org:entity-list", args=[org]),
        "signature-table": reverse("org:signature-list", args=[org]),
        "template-table": reverse("org:template-list", args=[org]),
        "members-table": reverse("org:members", args=[org]),
        "invitations-table": reverse("org:members", args=[org]),
    }
    for testid, url in lists.items():
        page.goto(url)
        table = page.get_by_test_id(testid)
        _assert_in_view(table.locator("th[data-column=status]"), PHONE["width"])
        _assert_in_view(table.locator("tbody tr").first.locator("[data-column=status]"), PHONE["width"])

    # The documents of an entity: each item's state (✔ or ○) and the checklist's badge.
    page.goto(reverse("org:entity-detail", args=[org, world.entity.pk]))
    _assert_in_view(page.get_by_test_id("checklist-state"), PHONE["width"])
    _assert_in_view(page.get_by_test_id("checklist").locator("li").first.locator(".fs-4"), PHONE["width"])


def test_it_makes_a_long_entity_select_searchable_and_keeps_short_ones_native(watched, owner_a, password):  # noqa: F811
    """Under the Content-Security-Policy: Tom Select (its styles and its dropdown) reports no violation."""
    page = watched
    world = World(owner_a)
    world.grow(30)  # 31 entities to choose from; 5 ... 30 apps, trademarks
    _log_in(page, owner_a, password)
    page.goto(reverse("org:signature-create", args=[world.org.pk]))

    control = page.locator("select#id_entity + .ts-wrapper")
    expect(control).to_be_visible()
    assert page.locator("select#id_entity option").count() > 30  # long enough to become searchable
    control.click()
    page.keyboard.type("闽江云")
    options = page.locator(".ts-dropdown .option:visible")
    expect(options).to_have_count(1)
    options.first.click()
    assert page.locator("select#id_entity").input_value() == str(world.entity.pk)
    page.wait_for_load_state("networkidle")  # the live check the choice triggers has answered
    assert page.violations() == [], "signature form with a searchable entity select"

    page.goto(reverse("org:template-create", args=[world.org.pk]))
    expect(page.locator("select#id_kind")).to_be_visible()  # three kinds: a native select
    expect(page.locator("select#id_signature + .ts-wrapper")).to_be_visible()  # 31 held signatures
    page.locator("select#id_signature + .ts-wrapper").click()
    expect(page.locator(".ts-dropdown .option:visible").first).to_be_visible()
    assert page.violations() == [], "template form with a searchable signature select"


def test_the_members_page_s_buttons_keep_to_one_line_on_a_375_px_phone(page, owner_a, member_a, password):
    from datetime import timedelta

    from django.utils import timezone

    org = owner_a.memberships.get().organization
    now = timezone.now()
    Invitation.objects.create(organization=org, email="a-rather-long-address.for-a-colleague@alpha.cn",
                              invited_by=owner_a, expires_at=now + timedelta(days=7), email_sent_at=now)  # fmt: skip
    page.set_viewport_size(PHONE)
    _log_in(page, owner_a, password)
    page.goto(reverse("org:members", args=[org.pk]))
    for testid, label in (("members-table", "移除"), ("invitations-table", "撤回")):
        button = page.get_by_test_id(testid).get_by_role("button", name=label)
        _assert_in_view(button, PHONE["width"])
        box = button.bounding_box()
        assert box is not None and box["height"] < 40, (label, box)  # one line, not a character a line
