from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filing_portal import compiled
from filing_portal.choices import EMPTY_LABEL, carrier_choices, light_choices
from filing_portal.widgets import IsoDateInput
from signatures.models import HELD_STATES, Signature

from .models import SmsTemplate
from .services import ANALYSED_LIMIT


def _held(organization_id):
    """The organization's signatures a template may be filed under."""
    return Signature.objects.filter(organization_id=organization_id, status__in=HELD_STATES)


def _signature_options(organization_id):
    return _held(organization_id).values_list("pk", "text")


class TemplateForm(forms.Form):
    signature = forms.ModelChoiceField(label=_("Signature"), queryset=Signature.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=SmsTemplate.Kind.choices, initial=SmsTemplate.Kind.NOTIFICATION)
    name = forms.CharField(
        label=_("Template name"), max_length=64, help_text=_("For your own reference, e.g. Order confirmation.")
    )
    text = forms.CharField(
        label=_("Template text"), strip=False, max_length=ANALYSED_LIMIT,
        help_text=_("Without the signature: the platform adds 【signature】. Variables are written ${name}; "
                    "${name:20} also says its longest value, which the billed length counts."),
        widget=forms.Textarea(attrs={"rows": 5, "data-template-text": "1"}),
    )  # fmt: skip

    def __init__(self, *args, organization, fixed: Signature | None = None, **kwargs):
        """``fixed``: a new version of a template keeps its signature (this one) and its name. Offered
        even when no longer live, so that the service says why it is refused, not "choose a valid one"."""
        super().__init__(*args, **kwargs)
        if fixed is not None:
            self.fields["signature"].queryset = Signature.objects.filter(pk=fixed.pk)
            self.fields["signature"].empty_label = EMPTY_LABEL
            self.fields["signature"].disabled = self.fields["name"].disabled = True
        else:
            # Options as plain rows (filing_portal.choices): a select of hundreds of signatures stays cheap;
            # their SQL compiled once a process (filing_portal.compiled). Validation loads the chosen one from
            # the queryset, built for a bound form only: an unbound one is only shown.
            held = _held(organization.pk).select_related("entity") if self.is_bound else Signature.objects.none()
            light_choices(
                self.fields["signature"], held, ("text",), label=lambda text: f"【{text}】",
                rows=lambda: compiled.rows(_signature_options, organization.pk),
            )  # fmt: skip

    def signature_rows(self) -> list[tuple]:
        """The signature select's options, (pk, text), read once: whether there is any, and the only one."""
        return self.fields["signature"].light_rows()


class TestSendForm(forms.Form):
    __test__ = False

    carrier = forms.ChoiceField(label=_("Carrier"), choices=carrier_choices())
    sent_on = forms.DateField(label=_("Sent on"), initial=timezone.localdate, widget=IsoDateInput())
    # No default: a result picked for the customer ("Delivered") is how a failed send gets recorded wrongly.
    delivered = forms.TypedChoiceField(
        label=_("Result"), coerce=lambda v: v == "yes", empty_value=None,
        choices=[("", EMPTY_LABEL), ("yes", _("Delivered")), ("no", _("Failed"))],
        error_messages={"required": _("Choose the result: was the test message delivered, or did it fail?")},
    )  # fmt: skip
    failure_code = forms.CharField(label=_("Failure code"), max_length=64, required=False)
