"""Every customer select's empty choice reads the same translated label, never Django's "---------"."""

import re

import pytest
from django.urls import reverse

from qualifications.models import Entity
from templates_app.forms import TestSendForm

from .factories import make_entity
from .test_qualifications import ID_A, USCC_A, USCC_B

pytestmark = pytest.mark.django_db

EMPTY_OPTION = re.compile(r'<option value=""[^>]*>(.*?)</option>')


def test_every_customer_selects_empty_choice_is_the_same_translated_label(client, org_a, owner_a):
    entity = make_entity(
        organization=org_a, name="甲科技有限公司", kind=Entity.Kind.PUBLIC_INSTITUTION, uscc=USCC_A,
        legal_rep_name="张三", legal_rep_id_number=ID_A, created_by=owner_a,
    )  # fmt: skip
    make_entity(organization=org_a, name="乙科技有限公司", uscc=USCC_B, legal_rep_name="李四", legal_rep_id_number=ID_A)
    client.force_login(owner_a)
    pages = {
        "signature-create": reverse("org:signature-create", args=[org_a.pk]),
        "template-create": reverse("org:template-create", args=[org_a.pk]),
        "entity-create": reverse("org:entity-create", args=[org_a.pk]),
        "entity-edit": reverse("org:entity-edit", args=[org_a.pk, entity.pk]),
        "evidence-create partner": reverse("org:evidence-create", args=[org_a.pk, entity.pk, "partner"]),
    }
    found = {}
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "---------" not in html, name
        found[name] = set(EMPTY_OPTION.findall(html))
    assert found["signature-create"] == {"—— 请选择 ——"}  # entity, trademark, app, partner authorization
    assert all(labels <= {"—— 请选择 ——"} for labels in found.values()), found
    assert found["entity-create"] and found["evidence-create partner"]
    assert EMPTY_OPTION.findall(str(TestSendForm()["delivered"])) == ["—— 请选择 ——"]  # the same constant
