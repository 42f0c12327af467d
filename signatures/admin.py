from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin
from compliance.policies import PARAMETERS

from .models import Holiday, Policy, Signature, SignatureEvent, state_label
from .policies import change_from_row


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["key", "effective", "carriers", "notice", "summary_zh", "summary_en", "params"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("carriers", ["mobile", "unicom", "telecom"])
            self.initial.setdefault("params", {})
        if "params" not in self.fields:  # a built-in row, shown read-only
            return
        self.fields["params"].help_text = _(
            'The parameters this change sets, e.g. {"max_length": 10}. Known: %(names)s.'
        ) % {"names": ", ".join(sorted(PARAMETERS))}

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            # The row must be a value the rules engine can fold: the same check the engine runs.
            candidate = Policy(**{f: cleaned.get(f) for f in self.Meta.fields})
            try:
                change_from_row(candidate)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return cleaned


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = ("effective", "notice", "key", "carrier_list", "builtin")
    list_filter = ("builtin",)
    ordering = ("effective", "key")

    @admin.display(description=_("carriers"))
    def carrier_list(self, obj):
        return ", ".join(obj.carriers or [])

    def has_change_permission(self, request, obj=None):
        # The built-in timeline lives in compliance/policies.py; later rules are new rows.
        return super().has_change_permission(request, obj) and not (obj and obj.builtin)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.builtin)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("day", "name", "is_workday")
    list_filter = ("is_workday",)


class StateLabelsMixin:
    """The timeline in the admin names states as the customer's pages do (Signature.Status)."""

    fields = ("at", "actor", "from_state", "to_state", "reason")
    readonly_fields = fields

    @admin.display(description=_("from"))
    def from_state(self, obj):
        return state_label(obj.from_status) if obj.from_status else "—"

    @admin.display(description=_("to"))
    def to_state(self, obj):
        return state_label(obj.to_status)


class SignatureEventInline(StateLabelsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = SignatureEvent
    extra = 0


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    list_display = ("text", "entity", "source", "status", "warnings_acknowledged", "submitted_at")
    list_filter = ("status", "source", "warnings_acknowledged")
    search_fields = ("text", "entity__name", "organization__name")
    inlines = [SignatureEventInline]
