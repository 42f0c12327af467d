"""The reviewer's forms: the queue's filters and the decision."""

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from compliance import reasons as catalogue
from compliance import transitions as t

from .queue import WAITING_CHOICES


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[
        ("", _("All kinds")), (catalogue.ENTITY, _("Qualification package")), (catalogue.SIGNATURE, _("Signature")),
        (catalogue.TEMPLATE, _("Template")),
    ])  # fmt: skip
    organization = forms.TypedChoiceField(label=_("Organization"), required=False, coerce=int, empty_value=None)
    manager = forms.TypedChoiceField(label=_("Account manager"), required=False, coerce=int, empty_value=None)
    assignee = forms.ChoiceField(label=_("Held by"), required=False)
    waited = forms.ChoiceField(label=_("Waiting"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, organizations=(), managers=(), reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("Anyone"))]
        # Worded per request, in the reader's language and number (not once, when the module loads).
        self.fields["waited"].choices = [("", _("Any time")), *(
            (key, ngettext("at least %(n)d day", "at least %(n)d days", days) % {"n": days})
            for key, days in WAITING_CHOICES.items()
        )]  # fmt: skip
        self.fields["organization"].choices = [("", _("All organizations")), *organizations]
        self.fields["manager"].choices = [("", _("All account managers")), *managers]
        self.fields["assignee"].choices = [*everyone, ("me", _("Me")), ("none", _("Nobody")),
                                           *((str(pk), name) for pk, name in reviewers)]  # fmt: skip


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (t.APPROVE, _("Approve")), (t.REQUEST_CHANGES, _("Request changes")), (t.REJECT, _("Reject")),
    ])  # fmt: skip
    ticked = forms.MultipleChoiceField(label=_("Checked by me"), required=False, widget=forms.CheckboxSelectMultiple)
    reasons = forms.MultipleChoiceField(label=_("Reasons"), required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note to the customer"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, kind: str, manual=(), **kwargs):
        super().__init__(*args, **kwargs)
        chinese = _chinese()
        self.fields["ticked"].choices = [(item.code, item.label(chinese)) for item in manual]
        self.fields["reasons"].choices = [
            (reason.code, f"{reason.title(chinese)} · {reason.code}") for reason in catalogue.for_kind(kind)
        ]

    def clean_seen(self):
        seen = parse_datetime(self.cleaned_data["seen"] or "")
        if seen is None:
            raise forms.ValidationError(_("Reload the page and decide again."))
        return seen

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") in (t.REQUEST_CHANGES, t.REJECT) and not cleaned.get("reasons"):
            self.add_error("reasons", _("Choose at least one reason: the customer reads it beside what it concerns."))
        return cleaned
