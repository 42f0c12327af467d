"""Filings and carrier batches in the admin, read-only: they move through filings.services (the clerk's
pages at /admin/filings/batches/), never by editing a row here."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts import staff
from accounts.admin import ReadOnlyAdminMixin
from accounts.selectors import organizations_for_staff
from compliance import transitions as t
from filing_portal.admin_display import labelled
from filing_portal.workflow import TransitionRefused
from signatures.admin import StateLabelsMixin

from . import services
from .models import CarrierBatch, Filing, FilingEvent, filing_state_label


class FilingEventInline(StateLabelsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = FilingEvent
    extra = 0
    state_name = staticmethod(filing_state_label)
    fields = ("at_", "actor_", "from_state", "to_state", "reason_codes_", "reason_")
    readonly_fields = fields
    reason_ = labelled("reason", _("note"))

    @admin.display(description=_("reason codes"))
    def reason_codes_(self, obj):
        return "、".join(obj.reason_codes) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "filing")


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "application_", "organization", "carrier", "status", "batch", "submitted_at", "due_by",
                    "carrier_ref")  # fmt: skip
    list_filter = ("carrier", "status")
    search_fields = ("signature__text", "template__signature__text", "template__name", "organization__name")
    list_select_related = ("organization", "signature", "template", "batch")
    inlines = [FilingEventInline]
    actions = ["refile_selected", "cleared_inactive", "cleared_no_reason"]
    fields = ("organization", "signature", "template", "carrier", "status", "batch", "submitted_at",
              "due_from", "due_by", "due_exact", "filed_at", "carrier_ref", "reason_codes_", "created_at",
              "updated_at")  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("application"))
    def application_(self, obj):
        return str(obj.application) if obj.signature_id else f"{obj.template.name} v{obj.template.version}"

    @admin.display(description=_("reason codes"))
    def reason_codes_(self, obj):
        return "、".join(obj.reason_codes) or "—"

    def has_refile_permission(self, request):
        roles = staff.staff_roles(request.user)
        return t.CLERK in roles or t.ACCOUNT_MANAGER in roles

    @admin.action(description=_("Re-file the selected filings (failed, cleared or affected)"),
                  permissions=["refile"])  # fmt: skip
    def refile_selected(self, request, queryset):
        """Each selected filing that failed or was cleared goes back to be sent in the next batch, through
        the service (one move each); the others are left and counted."""
        done, left = 0, 0
        for filing in queryset.order_by("pk"):
            try:
                services.refile(filing, actor=request.user)
            except TransitionRefused:
                left += 1
            else:
                done += 1
        self.message_user(request, _("%(done)s sent back to be filed; %(left)s left as they were.")
                          % {"done": done, "left": left}, messages.SUCCESS if done else messages.WARNING)  # fmt: skip

    def has_clear_permission(self, request):
        return staff.is_clerk(request.user)

    def _clear(self, request, queryset, code):
        """A carrier cleared what it had filed (seen in its delivery reports, or told), outside any batch:
        each selected filed filing moves to cleared with ``code``, through the service (its templates at
        that carrier follow); the others are left and counted."""
        done, left = 0, 0
        for filing in queryset.order_by("pk"):
            try:
                services.record_outcome(filing, services.Outcome(filing.pk, t.CLEARED, (code,)), actor=request.user)
            except TransitionRefused:
                left += 1
            else:
                done += 1
        self.message_user(request, _("%(done)s recorded as cleared by the carrier; %(left)s left as they were.")
                          % {"done": done, "left": left}, messages.SUCCESS if done else messages.WARNING)  # fmt: skip

    @admin.action(description=_("Record as cleared by the carrier: not used for long (FIL_CLEARED_INACTIVE)"),
                  permissions=["clear"])  # fmt: skip
    def cleared_inactive(self, request, queryset):
        self._clear(request, queryset, "FIL_CLEARED_INACTIVE")

    @admin.action(description=_("Record as cleared by the carrier: no reason given (FIL_CLEARED_BY_CARRIER)"),
                  permissions=["clear"])  # fmt: skip
    def cleared_no_reason(self, request, queryset):
        self._clear(request, queryset, "FIL_CLEARED_BY_CARRIER")

    def get_queryset(self, request):
        # A clerk files for every organization; other staff see their own scope (an account manager: their customers).
        rows = super().get_queryset(request)
        if staff.is_clerk(request.user):
            return rows
        return rows.filter(organization__in=organizations_for_staff(user=request.user))


@admin.register(CarrierBatch)
class CarrierBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "carrier", "size", "created_at", "created_by", "submitted_at", "submitted_by",
                    "full_id_numbers")  # fmt: skip
    list_filter = ("carrier", "full_id_numbers")
    list_select_related = ("created_by", "submitted_by")
    fields = ("carrier", "size", "created_at", "created_by", "submitted_at", "submitted_by", "full_id_numbers")
    readonly_fields = fields
