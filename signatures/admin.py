from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin
from filing_portal.admin_display import carrier_names, check_list, labelled, readable_list

from .models import Holiday, Policy, Signature, SignatureEvent, state_label
from .policy_form import HEAD, PolicyForm, describe_params, parameter_fieldsets


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """A policy change: typed fields for its parameters (signatures/policy_form.py), validated by the
    rules engine; shown as readable lists to those who may only read it, and for the built-in rows."""

    form = PolicyForm
    list_display = ("effective", "notice", "key", "carrier_list", "parameters", "builtin")
    list_filter = ("builtin",)
    ordering = ("effective", "key")
    readonly_fields = ("carrier_list", "parameters")

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            shown = tuple("carrier_list" if f == "carriers" else f for f in HEAD)
            return [(None, {"fields": (*shown, "parameters")})]
        return [(None, {"fields": HEAD}),
                *((title, {"fields": names}) for title, names in parameter_fieldsets())]  # fmt: skip

    @admin.display(description=_("carriers"))
    def carrier_list(self, obj):
        return carrier_names(obj.carriers)

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        return describe_params(obj.params)

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
    """The timeline in the admin names states as the customer's pages do (Signature.Status), and its
    columns in the reader's language (the events' fields have no verbose names: filing_portal/workflow.py)."""

    template = "admin/edit_inline/tabular_rows.html"  # no row title in English codes

    verbose_name = _("change of status")
    verbose_name_plural = _("timeline")
    fields = ("at_", "actor_", "from_state", "to_state", "reason_")
    readonly_fields = fields
    at_ = labelled("at", _("time"))
    actor_ = labelled("actor", _("by"))
    reason_ = labelled("reason", _("reason"))

    @admin.display(description=_("from"))
    def from_state(self, obj):
        return state_label(obj.from_status) if obj.from_status else "—"

    @admin.display(description=_("to"))
    def to_state(self, obj):
        return state_label(obj.to_status)


class SignatureEventInline(StateLabelsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = SignatureEvent
    extra = 0

    def get_queryset(self, request):
        # Each row names its actor and (in its title) its signature: read with the rows, not one query each.
        return super().get_queryset(request).select_related("actor", "signature")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    list_display = ("text", "entity", "source", "status", "warnings_acknowledged", "submitted_at_")
    list_filter = ("status", "source", "warnings_acknowledged")
    search_fields = ("text", "entity__name", "organization__name")
    inlines = [SignatureEventInline]
    # Named in the reader's language (fields with no verbose name of their own: labelled), the stored
    # checks as lists (not JSON).
    fields = ("organization_", "entity", "source", "trademark_", "app_", "partner_authorization_", "text", "status",
              "warnings_acknowledged", "check_at_submission", "notices_applied", "policy_changes_applied",
              "created_by_", "created_at_", "submitted_at_", "updated_at_")  # fmt: skip
    readonly_fields = fields
    organization_ = labelled("organization", _("organization"))
    trademark_ = labelled("trademark", _("trademark"))
    app_ = labelled("app", _("ICP-filed app"))
    partner_authorization_ = labelled("partner_authorization", _("partner authorization"))
    created_by_ = labelled("created_by", _("created by"))
    created_at_ = labelled("created_at", _("created at"))
    submitted_at_ = labelled("submitted_at", _("submitted at"))
    updated_at_ = labelled("updated_at", _("updated at"))

    @admin.display(description=_("check at submission"))
    def check_at_submission(self, obj):
        return check_list(obj.precheck)

    @admin.display(description=_("notices applied"))
    def notices_applied(self, obj):
        return readable_list(obj.policy_notices)

    @admin.display(description=_("policy changes applied"))
    def policy_changes_applied(self, obj):
        return readable_list(obj.policy_keys)
