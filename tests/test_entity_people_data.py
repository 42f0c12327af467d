"""People's data on the customer side: ID numbers are masked everywhere, the edit form included
(re-type the number only to change it), and pages that hold people's data are never cached."""

import re
from html import unescape

import pytest
from django.urls import reverse

from compliance.validators import resident_id_check_character, uscc_check_character
from qualifications.models import Entity

from . import files
from .factories import make_entity
from .test_qualifications import ID_A, consented, entity_a, entity_data, upload  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

ID_NEW = "11010819800101001" + resident_id_check_character("11010819800101001")
ID_AGENT = "44030519900215002" + resident_id_check_character("44030519900215002")
USCC_HOSPITAL = "12110000MB0A1B2C3" + uscc_check_character("12110000MB0A1B2C3")
# An 18-character resident ID number anywhere in a page (not part of a longer token).
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")


@pytest.fixture
def public_entity(org_a, owner_a):
    """A public institution filing through an agent: two people's numbers on file."""
    return make_entity(
        organization=org_a, name="甲市第一医院", kind=Entity.Kind.PUBLIC_INSTITUTION, uscc=USCC_HOSPITAL,
        legal_rep_name="张三", legal_rep_id_number=ID_A, uses_agent=True, agent_name="李四",
        agent_id_number=ID_AGENT, created_by=owner_a,
    )  # fmt: skip


def edit(client, org, entity, **overrides):
    data = entity_data(name=entity.name, kind=entity.kind, uscc=entity.uscc, legal_rep_id_number="")
    if entity.uses_agent:
        data.update({"uses_agent": "on", "agent_name": entity.agent_name, "agent_id_number": ""})
    data.update(overrides)
    return client.post(reverse("org:entity-edit", args=[org.pk, entity.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def field_errors(response) -> dict[str, list[str]]:
    """The error messages the page shows under each field, by field name: what the person reads."""
    html = response.content.decode()
    found = re.findall(r'<div id="id_(\w+)_error" class="invalid-feedback">(.*?)</div>', html, re.S)
    return {
        name: [unescape(m).strip() for m in re.findall(r"<strong>(.*?)</strong>", errors, re.S)]
        for name, errors in found
    }


def assert_no_full_id_number(html: str):
    assert ID_A not in html and ID_AGENT not in html and ID_NEW not in html
    assert RESIDENT_ID.findall(html) == []


@pytest.mark.parametrize("who", ["owner_a", "member_a"])
def test_the_edit_form_shows_id_numbers_masked_to_owners_and_members(client, org_a, public_entity, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("org:entity-edit", args=[org_a.pk, public_entity.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert_no_full_id_number(html)
    assert "110105********002X" in html and "440305********" + ID_AGENT[-4:] in html
    assert "Leave empty to keep it" in html
    cache = response["Cache-Control"]
    assert "no-store" in cache and "private" in cache


def test_an_empty_id_number_keeps_the_one_on_file(client, org_a, owner_a, public_entity):
    client.force_login(owner_a)
    response = edit(client, org_a, public_entity, legal_rep_name=" 张三 ", legal_rep_id_valid_until="2036-01-01")
    assert response.status_code == 302, field_errors(response)
    public_entity.refresh_from_db()
    assert (public_entity.legal_rep_name, public_entity.legal_rep_id_number) == ("张三", ID_A)
    assert public_entity.legal_rep_id_valid_until.isoformat() == "2036-01-01"
    assert public_entity.agent_id_number == ID_AGENT


@pytest.mark.parametrize(
    ("prefix", "new_name", "number", "zh"),
    [("legal_rep", "王五", ID_NEW, "“法定代表人”已更改：请您重新填写“法定代表人证件号码”"),
     ("agent", "赵六", ID_NEW, "“经办人”已更改：请您重新填写“经办人证件号码”")],
)  # fmt: skip
def test_a_new_name_needs_its_id_number_typed_again(
    client, org_a, owner_a, public_entity, prefix, new_name, number, zh
):
    """A new person's name with the last person's number left in place, silently: never."""
    client.force_login(owner_a)
    stored = getattr(public_entity, f"{prefix}_id_number")
    response = edit(client, org_a, public_entity, **{f"{prefix}_name": new_name})
    assert response.status_code == 200
    [error] = field_errors(response)[f"{prefix}_id_number"]
    label = "Legal representative" if prefix == "legal_rep" else "Agent"
    assert error.startswith(f"“{label}” changed: type “{label}'s ID number” again"), error
    public_entity.refresh_from_db()
    assert (
        getattr(public_entity, f"{prefix}_name") != new_name and getattr(public_entity, f"{prefix}_id_number") == stored
    )
    # The same in Chinese, the field named.
    url = reverse("org:entity-edit", args=[org_a.pk, public_entity.pk])
    data = entity_data(name=public_entity.name, kind=public_entity.kind, uscc=public_entity.uscc,
                       legal_rep_id_number="", uses_agent="on", agent_name="李四", agent_id_number="")  # fmt: skip
    html = client.post(url, {**data, f"{prefix}_name": new_name}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert zh in html
    # Typed again: saved, with the new number.
    response = edit(client, org_a, public_entity, **{f"{prefix}_name": new_name, f"{prefix}_id_number": number})
    assert response.status_code == 302, field_errors(response)
    public_entity.refresh_from_db()
    assert (getattr(public_entity, f"{prefix}_name"), getattr(public_entity, f"{prefix}_id_number")) == (
        new_name,
        number,
    )


def test_a_retyped_valid_number_replaces_the_one_on_file(client, org_a, owner_a, public_entity):
    client.force_login(owner_a)
    response = edit(client, org_a, public_entity, legal_rep_id_number=ID_NEW[:6] + " " + ID_NEW[6:].lower())
    assert response.status_code == 302, field_errors(response)
    public_entity.refresh_from_db()
    assert (public_entity.legal_rep_id_number, public_entity.agent_id_number) == (ID_NEW, ID_AGENT)


def test_a_retyped_invalid_number_is_refused_with_its_reason_and_nothing_changes(client, org_a, owner_a, public_entity):
    client.force_login(owner_a)
    response = edit(client, org_a, public_entity, legal_rep_id_number=ID_NEW[:-1] + ("1" if ID_NEW[-1] != "1" else "2"))
    assert response.status_code == 200
    assert field_errors(response) == {
        "legal_rep_id_number": [
            "This ID number's last character is wrong (GB 11643-1999 check digit): check the number."
        ]
    }
    assert "110105********002X" in response.content.decode()  # still said what is on file
    public_entity.refresh_from_db()
    assert public_entity.legal_rep_id_number == ID_A


def test_a_changed_id_type_needs_the_number_of_that_document(client, org_a, owner_a, public_entity):
    client.force_login(owner_a)
    response = edit(client, org_a, public_entity, legal_rep_id_type="passport")
    assert response.status_code == 200
    assert field_errors(response) == {"legal_rep_id_number": ["The ID type changed: type the number of that document."]}
    public_entity.refresh_from_db()
    assert (public_entity.legal_rep_id_type, public_entity.legal_rep_id_number) == ("resident_id", ID_A)
    response = edit(client, org_a, public_entity, legal_rep_id_type="passport", legal_rep_id_number="E12345678")
    assert response.status_code == 302
    public_entity.refresh_from_db()
    assert (public_entity.legal_rep_id_type, public_entity.legal_rep_id_number) == ("passport", "E12345678")


def test_the_entity_page_and_the_live_check_never_carry_the_full_number(client, org_a, member_a, public_entity):
    client.force_login(member_a)
    html = client.get(reverse("org:entity-detail", args=[org_a.pk, public_entity.pk])).content.decode()
    assert_no_full_id_number(html)
    assert "110105********002X" in html
    answer = client.post(reverse("org:entity-field-check", args=[org_a.pk]), {"field": "id_number", "value": ID_NEW})
    assert answer.json() == {"ok": True, "message": ""}
    assert ID_NEW not in answer.content.decode()


def test_pages_holding_peoples_data_are_never_cached(client, org_a, owner_a, consented):  # noqa: F811
    client.force_login(owner_a)
    upload(client, org_a, consented, "legal_rep_id_front", files.jpeg())
    document = consented.documents.get()
    pages = [
        ("get", reverse("org:entity-list", args=[org_a.pk])),
        ("get", reverse("org:entity-create", args=[org_a.pk])),
        ("get", reverse("org:entity-detail", args=[org_a.pk, consented.pk])),
        ("get", reverse("org:entity-edit", args=[org_a.pk, consented.pk])),
        ("get", reverse("org:entity-consent", args=[org_a.pk, consented.pk])),
        ("get", reverse("org:evidence-create", args=[org_a.pk, consented.pk, "trademark"])),
        ("post", reverse("org:entity-field-check", args=[org_a.pk])),
        ("post", reverse("org:document-upload", args=[org_a.pk, consented.pk])),  # the form again, with errors
        ("get", reverse("document-file", args=[document.pk, "file"])),
    ]
    for method, url in pages:
        response = getattr(client, method)(url, {"field": "id_number", "value": ID_A} if method == "post" else {})
        assert response.status_code in (200, 400), (url, response.status_code)
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, (url, response["Cache-Control"])


def test_turning_the_agent_off_deletes_everything_about_the_agent(client, org_a, owner_a, public_entity):
    """The edit form masks stored numbers and keeps an empty one: that must not keep the number of
    someone who no longer acts for the entity (PIPL art. 47)."""
    client.force_login(owner_a)
    public_entity.agent_id_valid_until = "2030-01-01"
    public_entity.save()
    response = edit(client, org_a, public_entity, uses_agent="", agent_name="", agent_id_number="")
    assert response.status_code == 302, field_errors(response)
    public_entity.refresh_from_db()
    assert public_entity.uses_agent is False
    assert (public_entity.agent_name, public_entity.agent_id_number) == ("", "")
    assert (public_entity.agent_id_type, public_entity.agent_id_valid_until) == ("", None)
    assert (public_entity.legal_rep_name, public_entity.legal_rep_id_number) == ("张三", ID_A)  # still kept


def test_without_an_agent_a_typed_agent_number_is_not_stored(client, org_a, owner_a, public_entity):
    client.force_login(owner_a)
    response = edit(client, org_a, public_entity, uses_agent="", agent_name="王五", agent_id_number=ID_NEW)
    assert response.status_code == 302, field_errors(response)
    public_entity.refresh_from_db()
    assert (public_entity.agent_name, public_entity.agent_id_number) == ("", "")


def test_the_legal_reps_number_stays_required(client, org_a, owner_a):
    client.force_login(owner_a)
    response = client.post(
        reverse("org:entity-create", args=[org_a.pk]), entity_data(legal_rep_id_number=""), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert field_errors(response) == {"legal_rep_id_number": ["This field is required."]}
    assert not Entity.objects.exists()


def test_turning_the_agent_off_deletes_the_agents_id_images(client, org_a, owner_a, public_entity):
    from pathlib import Path

    from qualifications import services
    from qualifications.models import Document

    services.consent_grant(entity=public_entity, user=owner_a)
    client.force_login(owner_a)
    for kind in ("agent_id_front", "legal_rep_id_front"):
        assert upload(client, org_a, public_entity, kind, files.jpeg()).status_code == 302
    agent_image, legal_rep_image = (Document.objects.get(kind=k) for k in ("agent_id_front", "legal_rep_id_front"))
    paths = [Path(agent_image.file.path), Path(agent_image.original.path)]

    edited = edit(client, org_a, public_entity, legal_rep_id_valid_until="2036-01-01")
    assert edited.status_code == 302  # still an agent: kept
    agent_image.refresh_from_db()
    assert agent_image.purge_after is None

    assert edit(client, org_a, public_entity, uses_agent="", agent_name="", agent_id_number="").status_code == 302
    assert client.get(reverse("document-file", args=[agent_image.pk, "file"])).status_code == 404  # at once
    services.purge_due_id_images()  # what the task enqueued on commit does
    agent_image.refresh_from_db()
    assert agent_image.purged_at is not None and agent_image.purge_reason == "agent_removed"
    assert not any(path.exists() for path in paths)
    legal_rep_image.refresh_from_db()
    assert legal_rep_image.purged_at is None and legal_rep_image.purge_after is None  # the legal rep's stay
