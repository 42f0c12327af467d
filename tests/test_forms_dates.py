"""Every date input of the site shows its value in both languages.

``<input type="date">`` takes only ISO 8601; a localised value (zh-hans: 2026/12/01) is dropped
by the browser and the field shows empty.
"""

import datetime as dt
import importlib
import inspect
import re

import pytest
from django import forms
from django.utils import translation

from filing_portal.widgets import IsoDateInput

from .factories import make_entity

pytestmark = pytest.mark.django_db

FORM_MODULES = ("accounts.forms", "qualifications.forms", "signatures.forms", "templates_app.forms")
DAY = dt.date(2026, 12, 1)


def _form_classes():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            abstract = issubclass(cls, forms.BaseModelForm) and cls._meta.model is None  # a base class
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name and not abstract:
                yield cls


def _instantiate(cls, org, entity):
    """The form as its view builds it, with the keyword arguments its __init__ asks for."""
    known = {"organization": org, "entity": entity, "email": "someone@example.com"}
    wanted = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.kind is parameter.KEYWORD_ONLY and parameter.name in known:
                wanted[parameter.name] = known[parameter.name]
    return cls(**wanted)


def test_every_date_field_of_every_form_uses_the_iso_date_input(org_a):

    entity = make_entity(organization=org_a, name="示例科技有限公司", uscc="91110108MA01DEM0AW")
    found = []
    for cls in _form_classes():
        form = _instantiate(cls, org_a, entity)
        for name, field in form.fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                found.append(f"{cls.__name__}.{name}")
                assert isinstance(field.widget, IsoDateInput), f"{cls.__name__}.{name} uses {type(field.widget)}"
    # The test would pass vacuously if the walk found nothing: the forms with dates are known.
    assert {"TestSendForm.sent_on", "EntityForm.licence_valid_until", "DocumentUploadForm.valid_until",
            "TrademarkForm.valid_until"} <= set(found)  # fmt: skip


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_test_send_date_is_iso_in_both_languages(language):
    from templates_app.forms import TestSendForm

    with translation.override(language):
        html = str(TestSendForm(initial={"sent_on": DAY})["sent_on"])
    assert re.search(r'type="date"', html)
    assert 'value="2026-12-01"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_posted_iso_date_is_accepted_in_both_languages(language):
    from qualifications.forms import DocumentUploadForm

    with translation.override(language):
        form = DocumentUploadForm(data={"kind": "business_licence", "valid_until": "2026-12-01"})
        form.is_valid()
    assert "valid_until" not in form.errors
    assert form.cleaned_data["valid_until"] == DAY
