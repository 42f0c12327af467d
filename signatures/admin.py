from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin
from filing_portal.admin_display import check_list, labelled, readable_list
from filings.inlines import FilingInline

from .models import Signature, SignatureEvent, state_label


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

    state_name = staticmethod(state_label)  # a filing's timeline names its states its own way

    @admin.display(description=_("from"))
    def from_state(self, obj):
        return self.state_name(obj.from_status) if obj.from_status else "—"

    @admin.display(description=_("to"))
    def to_state(self, obj):
        return self.state_name(obj.to_status)


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
    inlines = [SignatureEventInline, FilingInline]
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
