from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ApiKey


class KeyForm(forms.Form):
    name = forms.CharField(label=_("Key name"), max_length=100, help_text=_("The system that will use it, e.g. ERP."))
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ,
                              widget=forms.RadioSelect)  # fmt: skip
