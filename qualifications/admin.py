from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import staff
from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin
from accounts.models import Organization
from compliance import transitions as t
from compliance.validators import mask_id_number

from . import selectors, services
from .models import (
    Document,
    DocumentAccess,
    Entity,
    IcpApp,
    IdImageConsent,
    IdNumberReveal,
    OwnedAddress,
    PartnerAuthorization,
    Trademark,
)


def _is_reviewer(request):
    return staff.is_reviewer(request.user)


class DocumentInline(ReadOnlyAdminMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_rows.html"  # no row title in English codes
    model = Document
    extra = 0
    FIELDS = ("kind", "preview", "content_type", "uploaded_at", "review_state", "is_current", "purged_at")

    def get_queryset(self, request):
        # Each row's title names its entity: read with the rows, not one query each.
        return super().get_queryset(request).select_related("entity")

    def get_fields(self, request, obj=None):
        # Chosen per request (never stored on this shared admin object): a link to the unwatermarked
        # original only for those the download door lets open it (selectors.document_for_viewer).
        if selectors.staff_may_open_originals(user=request.user):
            return tuple("preview_with_original" if f == "preview" else f for f in self.FIELDS)
        return self.FIELDS

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("file"))
    def preview(self, obj):
        return self._links(obj, original=False)

    @admin.display(description=_("file"))
    def preview_with_original(self, obj):
        return self._links(obj, original=obj.is_id_image)

    @staticmethod
    def _links(obj, *, original):
        if not obj.file or not selectors.document_is_live(obj):
            return "—"
        anchor = '<a href="{}" target="_blank" rel="noopener">{}</a>'
        link = format_html(anchor, reverse("document-file", args=[obj.pk, "file"]), _("open"))
        if original and obj.original:
            link += format_html(" · " + anchor, reverse("document-file", args=[obj.pk, "original"]),
                                _("original (logged)"))  # fmt: skip
        return link


@admin.register(Entity)
class EntityAdmin(StaffScopedAdmin):
    list_display = ("name", "uscc", "kind", "organization", "status", "created_at")
    list_filter = ("kind", "status", "mainland")
    search_fields = ("name", "uscc", "organization__name")
    inlines = [DocumentInline]
    exclude = ("legal_rep_id_number", "agent_id_number")
    SECRET_FIELDS = ("legal_rep_id_number", "agent_id_number")

    def get_readonly_fields(self, request, obj=None):
        # Masked for everyone here: a reviewer reveals a full number on the package's review page, where
        # each reveal is logged (review/admin_views.py, qualifications.IdNumberReveal).
        return ("legal_rep_id", "agent_id", "closed_at", "created_by", "created_at")

    def lookup_allowed(self, lookup, value, request=None):
        # A query-string filter on an ID number would let someone rebuild it one character at a time.
        if lookup.split("__")[0] in self.SECRET_FIELDS and not (request and _is_reviewer(request)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_delete_permission(self, request, obj=None):
        return False  # documents and their files go through the services (purge, tombstones)

    @admin.display(description=_("legal representative's ID number"))
    def legal_rep_id(self, obj):
        return mask_id_number(obj.legal_rep_id_number)

    @admin.display(description=_("agent's ID number"))
    def agent_id(self, obj):
        return mask_id_number(obj.agent_id_number)

    def get_urls(self):
        transfer = self.admin_site.admin_view(self.transfer_view)
        share = self.admin_site.admin_view(self.share_view)
        return [
            path("<uuid:entity_id>/transfer/", transfer, name="qualifications_entity_transfer"),
            path("<uuid:entity_id>/share/", share, name="qualifications_entity_share"),
            *super().get_urls(),
        ]

    def transfer_view(self, request, entity_id):
        """An account manager moves an entity to the organization that rightly holds it
        (a second customer account found the USCC taken): to one of their own customers."""
        return self._to_organization(request, entity_id, share=False)

    def share_view(self, request, entity_id):
        """An account manager lets another of their customers file for the entity too."""
        return self._to_organization(request, entity_id, share=True)

    def _to_organization(self, request, entity_id, *, share):
        if t.ACCOUNT_MANAGER not in staff.staff_roles(request.user):
            raise PermissionDenied
        entity = self.get_object(request, str(entity_id))  # 404 if missing or another manager's customer's
        # A superuser may move it anywhere; an account manager among their own customers (accounts.staff).
        targets = (
            Organization.objects.all()
            if request.user.is_superuser
            else Organization.objects.filter(account_manager=request.user)
        )
        form = EntityTransferForm(request.POST or None, organizations=targets.exclude(pk=entity.organization_id))
        if request.method == "POST" and form.is_valid():
            organization = form.cleaned_data["organization"]
            if share:
                services.entity_share(entity=entity, organization=organization, actor=request.user)
                message = _("Entity shared.")
            else:
                services.entity_transfer(entity=entity, organization=organization)
                message = _("Entity transferred.")
            # In Django's structured form, which the history page reads in the reader's language.
            change = ({"added": {"name": "entity share", "object": str(organization)}} if share
                      else {"changed": {"fields": ["organization"]}})  # fmt: skip
            self.log_change(request, entity, [change])
            self.message_user(request, message, messages.SUCCESS)
            return redirect("admin:qualifications_entity_change", entity.pk)
        context = {**self.admin_site.each_context(request), "entity": entity, "form": form, "share": share,
                   "title": _("Share entity") if share else _("Transfer entity"), "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/qualifications/entity_transfer.html", context)


class EntityTransferForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("to organization"))

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class EvidenceAdmin(StaffScopedAdmin):
    organization_lookup = "entity__organization__in"
    search_fields = ("entity__name",)

    def has_delete_permission(self, request, obj=None):
        return False  # removed by customers through the services, which purge the files


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
    list_select_related = ("user", "document__entity")  # a document names its entity
    list_filter = ("variant",)
    search_fields = ("user__email", "document__entity__name")


@admin.register(IdNumberReveal)
class IdNumberRevealAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    organization_lookup = "entity__organization__in"
    list_display = ("at", "user", "entity", "person", "ip_address")
    list_select_related = ("user", "entity")
    list_filter = ("person",)
    search_fields = ("user__email", "entity__name")


@admin.register(IdImageConsent)
class IdImageConsentAdmin(ReadOnlyAdminMixin, EvidenceAdmin):
    list_display = ("entity", "user", "notice_version", "granted_at", "withdrawn_at")
