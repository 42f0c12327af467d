"""The policy admin's form: one typed field per policy parameter (compliance/policies.py), no JSON box.

The fields are built from the parameter list, so a parameter added to ``Policy`` in compliance/ appears
here with its kind's field; a row is valid when the rules engine can fold it (``change_from_row``)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.carriers import CARRIERS
from compliance.policies import PARAMETER_CHOICES, PARAMETER_NAMES, PARAMETER_ORDER, SOURCES, parameter_kind
from compliance.signatures import SOURCE_NAMES
from filing_portal.admin_display import CARRIER_NAMES, bilingual, chinese, readable_list

from .models import Policy
from .timeline import change_from_row

UNCHANGED = _("— unchanged —")
UNLIMITED = "_unlimited"  # the suffix of a limit's "no limit" box


def _field(name: str) -> forms.Field:
    """The form field of one parameter; blank means "this change leaves it as it was"."""
    label, kind = bilingual(PARAMETER_NAMES.get(name, (name, name))), parameter_kind(name)
    if kind == "switch":
        return forms.TypedChoiceField(label=label, required=False, coerce=lambda v: v == "true", empty_value=None,
                                      choices=[("", UNCHANGED), ("true", _("yes")), ("false", _("no"))])  # fmt: skip
    if kind in ("count", "limit", "percent"):
        return forms.IntegerField(label=label, required=False, min_value=0,
                                  max_value=100 if kind == "percent" else None,
                                  help_text=_("Leave it blank for unchanged."))  # fmt: skip
    if kind == "sources":
        return forms.MultipleChoiceField(label=label, required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=[(s, bilingual(SOURCE_NAMES[s])) for s in SOURCES],
                                         help_text=_("Tick none for unchanged."))  # fmt: skip
    if kind == "words":
        return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("One per line; leave it blank for unchanged."))  # fmt: skip
    if kind == "choice":
        choices = [(value, bilingual(names)) for value, names in PARAMETER_CHOICES[name].items()]
        return forms.ChoiceField(label=label, required=False, choices=[("", UNCHANGED), *choices])
    return forms.CharField(label=label, required=False, help_text=_("Leave it blank for unchanged."))


def _from_field(name: str, value):
    """The JSON value a parameter's field stands for, or None when it was left unchanged."""
    kind = parameter_kind(name)
    if value in (None, "", []):
        return None
    if kind == "sources":
        return [s for s in SOURCES if s in value]
    if kind == "words":
        return [word.strip() for word in value.splitlines() if word.strip()]
    return value


def _to_field(name: str, value):
    kind = parameter_kind(name)
    if kind == "switch":
        return "true" if value else "false"
    if kind == "words":
        return "\n".join(value)
    return value


HEAD = ("key", "effective", "carriers", "notice", "summary_zh", "summary_en")


class BasePolicyForm(forms.ModelForm):
    carriers = forms.MultipleChoiceField(label=_("carriers"), widget=forms.CheckboxSelectMultiple, choices=[])

    class Meta:
        model = Policy
        fields = list(HEAD)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carriers"].choices = [(c.code, bilingual(CARRIER_NAMES[c.code])) for c in CARRIERS]
        if not self.instance.pk:
            self.initial.setdefault("carriers", [c.code for c in CARRIERS])
        for name, value in (self.instance.params or {}).items():
            if value is None and name + UNLIMITED in self.fields:
                self.initial.setdefault(name + UNLIMITED, True)
            elif name in self.fields:
                self.initial.setdefault(name, _to_field(name, value))

    def clean(self):
        cleaned = super().clean()
        params = {}
        for name in PARAMETER_ORDER:
            value = _from_field(name, cleaned.get(name))
            if cleaned.get(name + UNLIMITED):
                if value is not None:
                    self.add_error(name, gettext("Give a number or tick “no limit”, not both."))
                params[name] = None  # the limit lifted
            elif value is not None:
                params[name] = value
        if not params and not self.errors:
            raise ValidationError(gettext("Set at least one parameter: a change that sets none changes nothing."))
        if not self.errors:
            # The row must be a value the rules engine can fold: the same check the engine runs.
            candidate = Policy(**{f: cleaned.get(f) for f in HEAD}, params=params)
            try:
                change_from_row(candidate)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
            self.instance.params = params
        return cleaned


def parameter_fieldsets() -> list[tuple[str, tuple]]:
    """The form's parameter fields by what they govern: (title, field names); a limit and its
    "no limit" box on one line."""
    from compliance.activity import ACTIVITY_PARAMETERS
    from compliance.signatures import SIGNATURE_PARAMETERS

    def line(name):
        return (name, name + UNLIMITED) if parameter_kind(name) == "limit" else name

    signatures = tuple(line(n) for n in PARAMETER_ORDER if n in SIGNATURE_PARAMETERS)
    activity = tuple(line(n) for n in PARAMETER_ORDER if n in ACTIVITY_PARAMETERS)
    templates = tuple(line(n) for n in PARAMETER_ORDER if n not in SIGNATURE_PARAMETERS | ACTIVITY_PARAMETERS)
    return [(_("Signature rules"), signatures), (_("Template rules"), templates),
            (_("Signature activity at the carriers"), activity)]  # fmt: skip


def _fields() -> dict:
    fields = {}
    for name in PARAMETER_ORDER:
        fields[name] = _field(name)
        if parameter_kind(name) == "limit":
            fields[name + UNLIMITED] = forms.BooleanField(label=_("no limit"), required=False)
    return fields


# One field per parameter, declared on the class (the admin's fieldsets name them).
PolicyForm = type("PolicyForm", (BasePolicyForm,), {"__module__": __name__, **_fields()})


def describe_value(name: str, value) -> str:
    """A parameter's stored value as the reader reads it."""
    kind = parameter_kind(name)
    joiner = "、" if chinese() else ", "
    if kind == "switch":
        return gettext("yes") if value else gettext("no")
    if kind == "limit" and value is None:
        return gettext("no limit")
    if kind == "sources":
        ordered = sorted(value or (), key=lambda s: SOURCES.index(s) if s in SOURCES else len(SOURCES))
        return joiner.join(str(bilingual(SOURCE_NAMES.get(s, (s, s)))) for s in ordered)
    if kind == "words":
        return joiner.join(value or ())
    if kind == "choice":
        return str(bilingual(PARAMETER_CHOICES[name].get(value, (value, value))))
    return str(value)


def describe_params(params) -> str:
    """A policy row's parameters as a list: "name: value", in the parameters' order."""
    ordered = sorted((params or {}).items(), key=lambda item: PARAMETER_ORDER.index(item[0])
                     if item[0] in PARAMETER_ORDER else len(PARAMETER_ORDER))  # fmt: skip
    return readable_list(
        format_html(
            "{}{}{}",
            bilingual(PARAMETER_NAMES.get(name, (name, name))),
            "：" if chinese() else ": ",
            describe_value(name, value),
        )  # fmt: skip
        for name, value in ordered
    )
