"""Issue 9: one colour per state. A state's badge has the same class on a list, on a detail page and
wherever else it is shown, through the state_badge macro of jinja2/_macros.html."""

import re

import pytest
from django.template import engines
from django.urls import reverse

from filing_portal.badges import STATE_BADGE_CLASS
from qualifications.models import Document, Entity
from signatures.models import Signature

from .factories import make_entity
from .test_state_labels import one_of_each  # noqa: F401 (a fixture: a signature and a template per state)

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span class="badge ([^"]+)" data-state="([^"]*)"')


def _badges(html) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for classes, state in BADGE.findall(html):
        found.setdefault(state, set()).add(classes)
    return found


def test_every_state_has_a_colour_and_an_unknown_one_is_grey():
    assert set(Signature.Status.values) | set(Entity.Status.values) <= set(STATE_BADGE_CLASS)
    macro = '{% from "_macros.html" import state_badge %}{{ state_badge("something_new", "x") }}'
    html = engines["jinja2"].from_string(macro).render({})
    assert 'class="badge text-bg-secondary"' in html and ">x</span>" in html


def test_a_template_state_has_one_colour_on_the_list_and_its_page(client, org_a, owner_a, one_of_each):  # noqa: F811
    client.force_login(owner_a)
    listing = _badges(client.get(reverse("org:template-list", args=[org_a.pk])).content.decode())
    for state, _signature, template in one_of_each:
        page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk])).content.decode()
        assert _badges(page) == {state: {STATE_BADGE_CLASS[state]}}, state
        assert listing[state] == {STATE_BADGE_CLASS[state]}, state
        assert 'data-testid="template-status"' in page


def test_a_signature_state_has_one_colour_on_the_list_and_its_page(client, org_a, owner_a, one_of_each):  # noqa: F811
    client.force_login(owner_a)
    listing = _badges(client.get(reverse("org:signature-list", args=[org_a.pk])).content.decode())
    for state, signature, _template in one_of_each:
        page = client.get(reverse("org:signature-detail", args=[org_a.pk, signature.pk])).content.decode()
        assert _badges(page) == {state: {STATE_BADGE_CLASS[state]}}, state
        assert listing[state] == {STATE_BADGE_CLASS[state]}, state
        assert 'data-testid="signature-status"' in page


def test_an_entity_state_has_one_colour_on_the_list_and_its_page(client, org_a, owner_a):
    client.force_login(owner_a)
    entities = [
        make_entity(
            organization=org_a,
            name=f"示例{n}科技有限公司",
            uscc=uscc,
            status=state,
            legal_rep_name="王演示",
            legal_rep_id_number="110105198001010016",
        )  # fmt: skip
        for n, (state, uscc) in enumerate(
            zip(Entity.Status.values, ("91110108MA01DEM0AW", "91350100M000100Y43", "91110000100000000X"), strict=True)
        )  # fmt: skip
    ]
    for entity in entities:  # a complete package: the badge then says the entity's own state
        for kind in ("entity_certificate", "legal_rep_id_front", "legal_rep_id_back"):
            Document.objects.create(entity=entity, kind=kind, content_type="image/jpeg", sha256="0" * 64)
    listing = _badges(client.get(reverse("org:entity-list", args=[org_a.pk]) + "?status=").content.decode())
    for entity in entities:
        page = client.get(reverse("org:entity-detail", args=[org_a.pk, entity.pk])).content.decode()
        assert _badges(page).get(entity.status) == {STATE_BADGE_CLASS[entity.status]}, entity.status
        if entity.status in listing:  # a list may leave closed or rejected entities out
            assert listing[entity.status] == {STATE_BADGE_CLASS[entity.status]}
    assert listing["active"] == {"text-bg-success"}


def test_a_new_entity_without_documents_is_not_shown_valid_its_badge_agrees_with_its_checklist(client, org_a, owner_a):
    entity = make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    client.force_login(owner_a)
    detail, listing = (
        reverse("org:entity-detail", args=[org_a.pk, entity.pk]),
        reverse("org:entity-list", args=[org_a.pk]),
    )
    page = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert (
        '<span class="badge text-bg-warning" data-state="incomplete" data-testid="entity-status">资质未齐全</span>'
        in page
    )
    assert 'data-testid="checklist-state">未齐全' in page and "有效</span>" not in page
    rows = client.get(listing, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert _badges(rows) == {"incomplete": {"text-bg-warning"}} and "资质未齐全" in rows
    # Every document there: the checklist is complete and the badge says the entity is active.
    for kind in ("entity_certificate", "legal_rep_id_front", "legal_rep_id_back"):
        Document.objects.create(entity=entity, kind=kind, content_type="image/jpeg", sha256="0" * 64)
    page = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<span class="badge text-bg-success" data-state="active" data-testid="entity-status">有效</span>' in page
    assert 'data-testid="checklist-state">已齐全' in page
    assert _badges(client.get(listing).content.decode()) == {"active": {"text-bg-success"}}
