"""Issue 9 §4: the pages' fixed cost cut without changing what they show. The faster rendering
helpers give exactly the HTML of what they replace: row_url() the URL of url(), the light select
Django's own select."""

import datetime as dt
import re
import uuid

import pytest
from django import forms
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from filing_portal.choices import EMPTY_LABEL, Select
from qualifications.models import Document, Entity, IcpApp, OwnedAddress, PartnerAuthorization, Trademark

from .factories import make_entity

ORG, ENTITY = 7, uuid.UUID("0b6a1f4e-3c2d-4e5f-8a9b-1c2d3e4f5a6b")


def _render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def test_row_url_gives_the_url_of_url_for_every_row():
    rows = [1, 22, 333, 7390146285013]  # the last one is the placeholder itself: reversed whole
    ids = [uuid.UUID(int=n) for n in (1, 2, 3)] + [uuid.UUID("9f3c2e1a-7b4d-4c6e-8a5f-0d1e2f3a4b5c")]
    source = (
        "{% for pk in rows %}{{ row_url('org:evidence-delete', org, entity, 'trademark', pk) }}|"
        "{{ row_url('org:signature-detail', org, pk) }}|{% endfor %}"
        "{% for pk in ids %}{{ row_url('org:entity-detail', org, pk) }}|{{ row_url('document-file', pk, 'file') }}|"
        "{{ row_url('document-file', pk, 'thumbnail') }}|{% endfor %}{{ row_url('org:dashboard', org) }}"
    )
    expected = "".join(
        reverse("org:evidence-delete", args=[ORG, ENTITY, "trademark", pk]) + "|"
        + reverse("org:signature-detail", args=[ORG, pk]) + "|" for pk in rows
    ) + "".join(
        reverse("org:entity-detail", args=[ORG, pk]) + "|" + reverse("document-file", args=[pk, "file"]) + "|"
        + reverse("document-file", args=[pk, "thumbnail"]) + "|" for pk in ids
    ) + reverse("org:dashboard", args=[ORG])  # fmt: skip
    assert _render(source, rows=rows, ids=ids, org=ORG, entity=ENTITY) == expected
    # In English too: the URL kept for one language is not given in another.
    with translation.override("en"):
        assert _render(source, rows=rows, ids=ids, org=ORG, entity=ENTITY) == expected


def test_the_light_select_writes_the_html_of_djangos_select():
    choices = [("", "(none)"), (1, "福州<云>通信"), (2, 'A & "B"'), (12, "十二"), (2, "again")]

    class Plain(forms.Select):
        template_name = "django/forms/widgets/select.html"
        option_template_name = "django/forms/widgets/select_option.html"

    for value in (None, "", 2, "12", 99):
        light = Select(choices=choices, attrs={"class": "form-select"}).render("entity", value)
        plain = Plain(choices=choices, attrs={"class": "form-select"}).render("entity", value)

        # The same characters escaped alike; Jinja2 (the widget's template) writes a quote as &#34;, Django &quot;.
        def normalise(html):
            html = html.replace("\n", " ").replace("&#34;", "&quot;")
            return " ".join(html.split()).replace("> <", "><")

        assert normalise(light) == normalise(plain), value
    assert light.count("selected") == 0 and Select(choices=choices).render("e", 2).count(" selected") == 1
    # Except Django's bare blank choice of a model field: the customer's selects say "—— Choose ——" instead.
    with translation.override("en"):
        blank = Select(choices=[("", "---------"), *choices[1:]]).render("e", None)
    assert "---------" not in blank and '<option value="" selected>—— Choose ——</option>' in blank


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_entity_form_s_selects_are_light_and_write_what_django_s_select_wrote(language):
    from django.utils import translation

    from qualifications.forms import EntityForm

    class Plain(forms.Select):
        template_name = "django/forms/widgets/select.html"
        option_template_name = "django/forms/widgets/select_option.html"

    def normalise(html):  # as above: Jinja2 writes a quote as &#34;, Django &quot;
        return " ".join(html.replace("\n", " ").replace("&#34;", "&quot;").split()).replace("> <", "><")

    edited = Entity(kind="public_institution", industry="finance", legal_rep_id_type="passport", agent_id_type="")
    with translation.override(language):
        for form in (EntityForm(), EntityForm(instance=edited), EntityForm({"kind": "x", "industry": "lottery"})):
            for name in ("kind", "industry", "legal_rep_id_type", "agent_id_type"):
                field = form[name]
                assert type(field.field.widget) is Select, name
                # The same, but for the blank choice's label (filing_portal.choices.EMPTY_LABEL).
                choices = [
                    (v, EMPTY_LABEL if (v, label) == ("", "---------") else label) for v, label in field.field.choices
                ]
                expected = field.as_widget(widget=Plain(choices=choices, attrs=field.field.widget.attrs))
                assert normalise(field.as_widget()) == normalise(expected), (name, form.data)


@pytest.mark.django_db
def test_the_entity_page_links_each_evidence_item_s_live_files_only(client, org_a, owner_a):
    """The evidence's files are read in one query for all four kinds: each item still shows its own
    current files, never a replaced or purged one, nor another item's."""

    def entity(name, uscc):
        return make_entity(organization=org_a, name=name, uscc=uscc, legal_rep_name="张三",
                                     legal_rep_id_number="11010519491231002X", created_by=owner_a)  # fmt: skip

    holder, partner = entity("甲科技有限公司", "91350100M000100Y43"), entity("乙科技有限公司", "91350100M000200Y1X")
    items = {
        "trademark": Trademark.objects.create(entity=holder, name="甲云", registration_number="1", owner_name="甲"),
        "app": IcpApp.objects.create(entity=holder, name="甲云", icp_number="闽ICP备1号-1A", filing_subject="甲"),
        "address": OwnedAddress.objects.create(entity=holder, value="a.example.cn"),
        "partner_authorization": PartnerAuthorization.objects.create(
            entity=holder, partner=partner, signatures="乙", valid_from=dt.date(2026, 1, 1),
            valid_until=dt.date(2027, 1, 1),
        ),
    }  # fmt: skip
    kinds = {"trademark": "trademark_certificate", "app": "app_evidence", "address": "address_evidence",
             "partner_authorization": "partner_letter"}  # fmt: skip

    def document(field, item, **extra):
        return Document.objects.create(entity=holder, kind=kinds[field], content_type="application/pdf",
                                       sha256="0" * 64, uploaded_by=owner_a, **{field: item}, **extra)  # fmt: skip

    shown = {field: document(field, item) for field, item in items.items()}
    hidden = [document(field, item, is_current=False) for field, item in items.items()]
    hidden += [document(field, item, purged_at=timezone.now()) for field, item in items.items()]
    client.force_login(owner_a)
    html = client.get(reverse("org:entity-detail", args=[org_a.pk, holder.pk])).content.decode()
    evidence = html[html.index('data-testid="evidence"') :]
    sections = evidence.split("<h3")[1:]  # trademarks, apps, addresses, partners: one list each, in order
    for section, field in zip(sections, items, strict=True):
        links = set(re.findall(r'href="(/[^"]*/file/)"', section))
        assert links == {reverse("document-file", args=[shown[field].pk, "file"])}, field
    for gone in hidden:
        assert str(gone.pk) not in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_date_filter_writes_what_djangos_writes(language):
    """The pages' two formats are written directly, the rest by Django's formatter: the same text as
    Django's own date filter, in either language."""
    from django.template.defaultfilters import date as djangos

    from filing_portal.jinja2 import date

    moments = [timezone.now(), dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), dt.date(2031, 12, 31), dt.date(999, 1, 1)]
    with translation.override(language):
        for value in moments:
            local = timezone.template_localtime(value)  # as a template hands it to Django's filter
            for fmt in ("Y-m-d", "Y-m-d H:i", "DATE_FORMAT", "SHORT_DATE_FORMAT", "n/j"):
                if "H" in fmt and not isinstance(value, dt.datetime):
                    continue
                assert date(value, fmt) == djangos(local, fmt), (value, fmt)
            assert date(value) == djangos(local)
    assert date(None, "Y-m-d") == "" == date("", "Y-m-d")


@pytest.mark.parametrize("kept", [False, True])
def test_kept_options_are_written_as_the_light_select_writes_them(kept):
    """Rows kept between requests (filing_portal.choices.KeptRows) have their options written once and
    the chosen one marked at each request: the same HTML as the light select writes each time."""
    from filing_portal.choices import KeptRows, light_choices

    rows = [(1, "福州<云>通信", "e1"), (2, 'A & "B"', "e2"), (12, "十二", "e1"), (2, "again", "e3")]
    shared = KeptRows(rows)

    def field(source, required=True):
        made = forms.ModelChoiceField(queryset=Entity.objects.none(), required=required)
        light_choices(made, made.queryset, ("name",), label=lambda name: f"{name}!", data={"entity": "entity_id"},
                      rows=lambda: source)  # fmt: skip
        return made

    for required in (True, False):
        for value in (None, "", 2, "12", 1, 99):
            plain = field(list(rows), required).widget.render("entity", value)
            light = field(shared if kept else list(rows), required).widget.render("entity", value)
            assert light == plain, value
            assert plain.count(" selected") == (0 if value == 99 else 1)
    assert bool(shared.written) is kept


def test_url_gives_the_url_of_reverse_each_time_in_each_language():
    """url() keeps each URL a process (filing_portal.jinja2): the same URL reverse() gives, for each
    view and arguments, in each language, an argument told by its type too."""
    from filing_portal.jinja2 import url

    calls = [("home", ()), ("org:dashboard", (ORG,)), ("org:dashboard", (ORG + 1,)),
             ("org:entity-detail", (ORG, ENTITY)), ("org:evidence-create", (ORG, ENTITY, "app")),
             ("org:evidence-create", (ORG, ENTITY, "trademark")), ("set_language", ())]  # fmt: skip
    for language in ("en", "zh-hans", "en"):
        with translation.override(language):
            for _ in range(2):
                for name, args in calls:
                    assert url(name, *args) == reverse(name, args=args), (language, name, args)
    assert url("org:evidence-create", ORG, ENTITY, 1) == reverse("org:evidence-create", args=[ORG, ENTITY, 1])
    # 1.0 == 1 as a key: told by its type, "1.0" is not the "1" kept above.
    assert url("org:evidence-create", ORG, ENTITY, 1.0) == reverse("org:evidence-create", args=[ORG, ENTITY, 1.0])
    assert url("org:entity-detail", org_id=ORG, entity_id=ENTITY) == reverse(
        "org:entity-detail", kwargs={"org_id": ORG, "entity_id": ENTITY}
    )
