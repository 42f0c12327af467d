from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin
from compliance.validators import mask_id_number

from .models import (
    Document,
    DocumentAccess,
    Entity,
    IcpApp,
    IdImageConsent,
    OwnedAddress,
    PartnerAuthorization,
    Trademark,
)


def _is_reviewer(request):
    return request.user.is_superuser or request.user.has_perm("accounts.review_filings")


class DocumentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Document
    extra = 0
    fields = ("kind", "preview", "content_type", "uploaded_at", "review_state", "is_current", "purged_at")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def preview(self, obj):
        if not obj.file:
            return "—"
        anchor = '<a href="{}" target="_blank" rel="noopener">{}</a>'
        link = format_html(anchor, reverse("document-file", args=[obj.pk, "file"]), _("open"))
        if obj.original:
            original = reverse("document-file", args=[obj.pk, "original"])
            link += format_html(" · " + anchor, original, _("original (logged)"))
        return link


@admin.register(Entity)
class EntityAdmin(StaffScopedAdmin):
    list_display = ("name", "uscc", "kind", "organization", "status", "created_at")
    list_filter = ("kind", "status", "mainland")
    search_fields = ("name", "uscc", "organization__name")
    inlines = [DocumentInline]
    exclude = ("legal_rep_id_number", "agent_id_number")
    readonly_fields = ("legal_rep_id", "agent_id", "closed_at", "created_by", "created_at")

    @admin.display(description=_("legal representative's ID number"))
    def legal_rep_id(self, obj):
        # Masked except to reviewers.
        return obj.legal_rep_id_number if _is_reviewer(self.request) else mask_id_number(obj.legal_rep_id_number)

    @admin.display(description=_("agent's ID number"))
    def agent_id(self, obj):
        return obj.agent_id_number if _is_reviewer(self.request) else mask_id_number(obj.agent_id_number)

    def get_form(self, request, obj=None, **kwargs):
        self.request = request
        return super().get_form(request, obj, **kwargs)


class EvidenceAdmin(StaffScopedAdmin):
    organization_lookup = "entity__organization__in"
    search_fields = ("entity__name",)


@admin.register(Trademark)
class TrademarkAdmin(EvidenceAdmin):
    list_display = ("name", "registration_number", "owner_name", "entity", "valid_until")


@admin.register(IcpApp)
class IcpAppAdmin(EvidenceAdmin):
    list_display = ("name", "icp_number", "filing_subject", "entity")


@admin.register(OwnedAddress)
class OwnedAddressAdmin(EvidenceAdmin):
    list_display = ("value", "kind", "icp_number", "entity")


@admin.register(PartnerAuthorization)
class PartnerAuthorizationAdmin(EvidenceAdmin):
    list_display = ("partner", "entity", "signatures", "valid_from", "valid_until")


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    organization_lookup = "document__entity__organization__in"
    list_display = ("at", "user", "variant", "document", "ip_address")
    list_filter = ("variant",)
    search_fields = ("user__email", "document__entity__name")


@admin.register(IdImageConsent)
class IdImageConsentAdmin(ReadOnlyAdminMixin, EvidenceAdmin):
    list_display = ("entity", "user", "notice_version", "granted_at", "withdrawn_at")
