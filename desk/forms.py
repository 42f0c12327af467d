"""The desk's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance import carriers
from compliance import transitions as t
from filing_portal.workflow import state_label
from filings.models import FilingStatus


class DeskFilterForm(forms.Form):
    manager = forms.TypedChoiceField(label=_("Account manager"), required=False, coerce=int, empty_value=None)
    organization = forms.TypedChoiceField(label=_("Organization"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    status = forms.ChoiceField(label=_("Platform state"), required=False)
    carrier = forms.ChoiceField(label=_("Carrier"), required=False)
    filing_state = forms.ChoiceField(label=_("Filing state"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    waiting = forms.BooleanField(label=_("Waiting on the customer"), required=False)

    def __init__(self, *args, organizations=(), managers=None, chinese=True, **kwargs):
        super().__init__(*args, **kwargs)
        if managers is None:
            del self.fields["manager"]  # an account manager sees their own customers
        else:
            self.fields["manager"].choices = [("", _("All account managers")), *managers]
        self.fields["organization"].choices = [("", _("All organizations")), *organizations]
        self.fields["kind"].choices = [("", _("All kinds")), ("signature", _("Signature")),
                                       ("template", _("Template"))]  # fmt: skip
        self.fields["status"].choices = [("", _("Any state")), *(
            (s, state_label(s)) for s in t.STATES if s not in t.ENDED_STATES)]  # fmt: skip
        self.fields["carrier"].choices = [("", _("All carriers")), *((c.code, c.name(chinese))
                                                                     for c in carriers.CARRIERS)]  # fmt: skip
        self.fields["filing_state"].choices = [("", _("Any state")), *FilingStatus.choices]
