"""What the customer sees of a review: each reason on the field it concerns, what to do, the
reviewer's note, and a timeline that names the platform's staff by their role; whose entity is whose."""

import pytest
from django.urls import reverse

from compliance import reasons as catalogue
from compliance import transitions as t
from review import selectors as review_selectors
from review import services as review
from signatures import services as signature_services
from signatures.models import Signature
from templates_app import services as template_services

from .factories import make_entity
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(org_a, owner_a):
    entity = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.Draft(entity=entity, source="abbreviation", text="百度")
    return signature_services.signature_submit(organization=org_a, user=owner_a, draft=draft, acknowledge_warnings=True)


def test_every_field_a_reason_concerns_has_a_name_on_the_customers_pages():
    assert {r.concerns for r in catalogue.REASONS} <= set(review_selectors.WHERE)
    for reason in catalogue.REASONS:
        assert reason.title_zh and reason.title_en and reason.todo_zh and reason.todo_en, reason.code
        assert "你" not in reason.title_zh + reason.todo_zh


@pytest.mark.parametrize(("language", "role"), [("zh-hans", "平台审核员"), ("en", "Platform reviewer")])
def test_a_change_requested_shows_on_the_field_it_concerns_with_what_to_do_and_the_note(
    client, org_a, owner_a, reviewer, submitted, language, role
):
    review.claim(submitted, reviewer=reviewer)
    review.decide(submitted, reviewer=reviewer, decision=t.REQUEST_CHANGES, reason_codes=["SIG_NEUTRAL"],
                  note="请使用能识别主体的名称")  # fmt: skip
    client.force_login(owner_a)
    detail = client.get(reverse("org:signature-detail", args=[org_a.pk, submitted.pk]),
                        HTTP_ACCEPT_LANGUAGE=language).content.decode()  # fmt: skip
    neutral = catalogue.reason("SIG_NEUTRAL")
    chinese = language == "zh-hans"
    assert 'data-testid="decision" data-action="request_changes"' in detail
    assert neutral.title(chinese) in detail and neutral.todo(chinese) in detail
    assert "请使用能识别主体的名称" in detail and 'data-testid="decision-note"' in detail
    assert 'data-review-reason="SIG_NEUTRAL" data-concerns="text"' in detail
    assert reviewer.email not in detail and role in detail  # staff are named by their role
    form = client.get(reverse("org:signature-edit", args=[org_a.pk, submitted.pk]),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()  # fmt: skip
    text_field = form[form.index('id="div_id_text"') :]
    assert text_field.index('data-review-reason="SIG_NEUTRAL"') < text_field.index("</form>")
    # Fixed and sent again, the decision is history: the page no longer shows it as current.
    signature_services.signature_update(signature=submitted, user=owner_a, submit=True, draft=signature_services.Draft(
        entity=submitted.entity, source="abbreviation", text="百度网讯"), acknowledge_warnings=True)  # fmt: skip
    detail = client.get(reverse("org:signature-detail", args=[org_a.pk, submitted.pk])).content.decode()
    assert 'data-testid="decision"' not in detail and neutral.title(True) in detail  # in the timeline only


def test_a_rejected_template_shows_its_reason_and_the_timeline_says_who_by_role(client, org_a, owner_a, reviewer,
                                                                                 submitted):  # fmt: skip
    from .factories import walk

    walk(submitted, t.APPROVED, reviewer=reviewer)
    template = template_services.template_submit(organization=org_a, user=owner_a, signature=submitted,
                                                 kind="notification", name="发货", text="您的订单已发货")  # fmt: skip
    review.claim(template, reviewer=reviewer)
    review.decide(template, reviewer=reviewer, decision=t.REJECT, reason_codes=["REV_TEMPLATE_KIND_MISMATCH"])
    client.force_login(owner_a)
    page = client.get(reverse("org:template-detail", args=[org_a.pk, template.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()  # fmt: skip
    assert 'data-action="reject"' in page and "模板类型与内容不符" in page
    assert 'data-review-reason="REV_TEMPLATE_KIND_MISMATCH" data-concerns="kind"' in page
    assert "平台审核员" in page and reviewer.email not in page
    assert owner_a.email in page  # the customer's own moves keep their name


def test_the_first_entity_is_asked_whose_it_is_and_later_ones_are_partners(client, org_a, owner_a):
    client.force_login(owner_a)
    url = reverse("org:entity-create", args=[org_a.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="is_own"' in page and 'value="own"' in page and 'value="partner"' in page
    assert "checked" not in page.split('name="is_own"')[1][:200]  # no default: the customer says
    refused = client.post(url, {"name": "北京百度网讯科技有限公司"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Say whether this entity is your organization itself or a partner." in refused
    own = make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B")
    assert own.is_own
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="is_own"' not in page and 'data-testid="partner-note"' in page and own.name in page


def test_a_signature_under_a_partner_entity_is_refused_with_the_way_forward(client, org_a, owner_a, submitted):
    partner = complete_package(make_entity(organization=org_a, name="小米科技有限责任公司", uscc="91110108551385082Q",
                                           legal_rep_name="雷军"))  # fmt: skip
    assert not partner.is_own
    client.force_login(owner_a)
    response = client.post(reverse("org:signature-create", args=[org_a.pk]),
                           {"entity": str(partner.pk), "source": "abbreviation", "text": "小米", "action": "submit"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "This entity is not your organization" in response.content.decode()  # and the way forward:
    assert "with the partner source" in response.content.decode()
    assert not Signature.objects.filter(text="小米").exists()


def test_the_customer_sends_a_complete_package_for_review_sees_the_decision_and_sends_it_again(
    client, org_a, owner_a, reviewer
):
    from qualifications.models import PackageReview

    from .factories import walk

    incomplete = make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                             legal_rep_name="李四")  # fmt: skip
    client.force_login(owner_a)
    page = reverse("org:entity-detail", args=[org_a.pk, incomplete.pk])
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "未提交" in html and 'data-testid="package-submit"' not in html  # documents missing: nothing to send
    refused = client.post(reverse("org:entity-package-submit", args=[org_a.pk, incomplete.pk]), follow=True,
                          HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "Upload every document the checklist asks for" in refused.content.decode()
    assert not PackageReview.objects.exists()
    complete_package(incomplete)
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="package-submit"' in html and "提交资质审核" in html
    client.post(reverse("org:entity-package-submit", args=[org_a.pk, incomplete.pk]))
    review_row = PackageReview.objects.get(entity=incomplete)
    assert review_row.status == t.SUBMITTED
    walk(review_row, t.CHANGES_REQUESTED, reviewer=reviewer, codes=["REV_LICENCE_ILLEGIBLE"])
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-code="REV_LICENCE_ILLEGIBLE"' in html and "营业执照不清晰" in html and "重新提交资质审核" in html
    client.post(reverse("org:entity-package-submit", args=[org_a.pk, incomplete.pk]))
    assert PackageReview.objects.get(entity=incomplete).status == t.SUBMITTED
    assert PackageReview.objects.get(entity=incomplete).events.latest("pk").action == t.RESUBMIT


def test_whose_entity_it_is_changes_until_its_package_is_under_review(client, org_a, owner_a, reviewer):
    from qualifications import services as qualification_services

    from .test_qualifications import entity_data

    own = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                                       legal_rep_name="张三", legal_rep_id_number="11010519491231002X"))  # fmt: skip
    client.force_login(owner_a)
    edit = reverse("org:entity-edit", args=[org_a.pk, own.pk])
    data = entity_data(name=own.name, uscc=own.uscc, legal_rep_id_number="", is_own="partner")
    assert client.post(edit, data).status_code == 302
    own.refresh_from_db()
    assert not own.is_own  # a partner after all
    qualification_services.package_submit(entity=own, user=owner_a)
    page = client.get(edit).content.decode()
    assert 'name="is_own"' not in page  # under review: it stays as sent


def test_the_entity_list_says_where_each_package_s_review_stands(client, org_a, owner_a, reviewer):
    from qualifications import services as qualification_services

    from .factories import walk

    sent = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司", uscc="91110000802100433B",
                                        legal_rep_name="李四"))  # fmt: skip
    make_entity(organization=org_a, name="小米科技有限责任公司", uscc="91110108551385082Q", legal_rep_name="雷军")
    package = qualification_services.package_submit(entity=sent, user=owner_a)
    walk(package, t.CHANGES_REQUESTED, reviewer=reviewer, codes=["REV_LICENCE_ILLEGIBLE"])
    client.force_login(owner_a)
    html = client.get(reverse("org:entity-list", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    states = [part.split("</div>")[0] for part in html.split('data-testid="package-review-state">')[1:]]
    assert sorted(states) == ["平台资质审核：未提交", "平台资质审核：需修改"]
