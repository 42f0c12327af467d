"""Issue 9: one name per state of an application, everywhere (badge, list, timeline, admin filter), in
both languages, through the translation catalogue: Signature.Status's labels."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import roles
from compliance import transitions as states
from qualifications.models import Entity
from signatures.models import Signature, SignatureEvent
from templates_app.models import SmsTemplate, TemplateEvent

from .conftest import make_staff, otp_login
from .factories import make_entity

pytestmark = pytest.mark.django_db

LANGUAGES = {"zh-hans": "zh-hans", "en": "en"}


def labels(language):
    with translation.override(language):
        return {value: str(label) for value, label in Signature.Status.choices}


@pytest.fixture
def one_of_each(org_a, owner_a):
    """A signature and a template in every state, each with the event that brought it there."""
    entity = make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="王演示", legal_rep_id_number="110105198001010016")  # fmt: skip
    held = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例",
                                    status="approved")  # fmt: skip
    made = []
    for i, state in enumerate(Signature.Status.values):
        signature = (
            held
            if state == "approved"
            else Signature.objects.create(
                organization=org_a, entity=entity, source="abbreviation", text=f"示例{chr(0x4E00 + i)}", status=state
            )
        )
        came_from = "" if state == "draft" else "draft"
        SignatureEvent.objects.create(signature=signature, actor=owner_a, from_status=came_from, to_status=state)
        template = SmsTemplate.objects.create(organization=org_a, signature=held, kind="notification",
                                              name=f"t{i}", text="您的订单已发货", status=state)  # fmt: skip
        TemplateEvent.objects.create(template=template, actor=owner_a, from_status=came_from, to_status=state)
        made.append((state, signature, template))
    return made


def _text(html, pattern):
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(pattern, html)]


BADGE = r'<span class="badge[^"]*"[^>]*>([^<]+)</span>'
TIMELINE = r'<div class="fw-semibold">([^<]+)</div>'


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_state_has_one_label_on_lists_detail_pages_and_timelines(client, org_a, owner_a, one_of_each, language):
    names = labels(language)
    client.force_login(owner_a)
    get = lambda url: client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()  # noqa: E731
    signature_list = get(reverse("org:signature-list", args=[org_a.pk]))
    template_list = get(reverse("org:template-list", args=[org_a.pk]))
    for state, signature, template in one_of_each:
        name = names[state]
        assert name in _text(signature_list, BADGE), (state, "signature list")
        assert name in _text(template_list, BADGE), (state, "template list")
        page = get(reverse("org:signature-detail", args=[org_a.pk, signature.pk]))
        assert _text(page, r'data-testid="signature-status">([^<]+)<') == [name]
        moved = f"{names['draft']} → {name}" in page or state == "draft"  # a draft's row comes from nothing
        assert name in _text(page, TIMELINE) and moved
        page = get(reverse("org:template-detail", args=[org_a.pk, template.pk]))
        assert _text(page, r'data-testid="template-status">([^<]+)<') == [name]
        assert name in _text(page, TIMELINE) and (f"{names['draft']} → {name}" in page or state == "draft")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_filters_and_pages_use_the_same_labels(client, org_a, one_of_each, language):
    names = labels(language)
    assert otp_login(client, make_staff("reviewer@platform.cn", roles.REVIEWER)).status_code == 302
    for model in ("signatures_signature", "templates_app_smstemplate"):
        page = client.get(reverse(f"admin:{model}_changelist"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for state, name in names.items():
            assert re.search(rf'status__exact={state}"[^>]*>{re.escape(name)}</a>', page), (model, state)
    state, signature, _template = one_of_each[4]
    page = client.get(reverse("admin:signatures_signature_change", args=[signature.pk]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()  # fmt: skip
    assert f'<div class="readonly">{names[state]}</div>' in page


def test_the_chinese_names_are_the_timelines_not_the_entitys():
    names = labels("zh-hans")
    # The badge said 有效 and the filter 已通过 (the entity's and the document's words) while the timeline
    # said 可用 and 审核通过: one name now, the application's.
    assert names[states.APPROVED] == "审核通过" and names[states.AWAITING_SECOND] == "等待复核"
    assert len(set(names.values())) == len(names)  # no two states share a name
    with translation.override("zh-hans"):
        assert str(Entity.Status.ACTIVE.label) == "有效"  # the entity keeps its own word


def test_a_rejected_template_is_not_told_to_apply_for_a_signature(client, org_a, owner_a, one_of_each):
    client.force_login(owner_a)
    [(_state, _signature, template)] = [row for row in one_of_each if row[0] == states.REJECTED]
    for language, signature_word in (("zh-hans", "签名"), ("en", "signature")):
        page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]), HTTP_ACCEPT_LANGUAGE=language)
        next_step = states.TEMPLATE_NEXT_STEP[states.REJECTED][0 if language == "zh-hans" else 1]
        assert next_step in page.content.decode() and signature_word not in next_step
        listing = client.get(reverse("org:template-list", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert next_step in listing.content.decode()


def test_a_decided_application_makes_no_more_moves():
    """The application's life ends at the platform's decision: approved, rejected and withdrawn are
    final for the table (what the carriers do next is the filings' business)."""
    for end in (states.APPROVED, states.REJECTED, states.WITHDRAWN):
        # (an entity has one package: a rejected one is corrected and sent again)
        assert not [m for m in states.MOVES if m.source == end and "signature" in (m.kinds or {"signature"})]
    zh, en = states.TEMPLATE_NEXT_STEP[states.REJECTED]
    assert "新的模板" in zh and "new template" in en


@pytest.mark.parametrize(("language", "name"), [("zh-hans", "已撤回"), ("en", "Withdrawn")])
def test_a_refused_move_names_the_states_by_their_labels(org_a, owner_a, language, name):
    from filing_portal.workflow import TransitionRefused
    from signatures import services

    entity = make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW")
    signature = Signature.objects.create(organization=org_a, entity=entity, source="abbreviation", text="示例",
                                         status="withdrawn")  # fmt: skip
    with translation.override(language), pytest.raises(TransitionRefused) as refused:
        services.signature_withdraw(signature=signature, actor=owner_a)
    assert name in str(refused.value)
    assert "withdrawn”" not in str(refused.value)
