from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin
from accounts.selectors import organizations_for_staff
from filing_portal.admin_display import check_list, readable_list
from filings.inlines import FilingInline
from signatures.admin import StateLabelsMixin

from . import services
from .models import SmsTemplate, TemplateEvent, TestSend


class TemplateEventInline(StateLabelsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = TemplateEvent
    extra = 0

    def get_queryset(self, request):
        # Each row names its actor and (in its title) its template: read with the rows, not one query each.
        return super().get_queryset(request).select_related("actor", "template")


class TestSendInline(ReadOnlyAdminMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_rows.html"  # no row title in English codes
    model = TestSend
    extra = 0
    fields = ("carrier", "sent_on", "delivered", "failure_code", "recorded_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by", "template")


@admin.register(SmsTemplate)
class SmsTemplateAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    list_display = ("name", "version", "organization", "signature", "kind", "status", "submitted_at")
    list_filter = ("status", "kind")
    list_select_related = ("organization", "signature")
    search_fields = ("name", "text", "signature__text", "organization__name")
    inlines = [TemplateEventInline, FilingInline, TestSendInline]
    exclude = ("precheck", "policy_keys")  # stored as JSON: shown readable by the two methods below

    def get_readonly_fields(self, request, obj=None):
        # Chosen per request (never stored on this shared admin object): the link only for those who may add.
        fields = ("check_at_submission", "policy_changes_applied")
        if obj is not None and request.user.has_perm("templates_app.add_testsend"):
            fields += ("test_sends_link",)
        return fields

    @admin.display(description=_("check at submission"))
    def check_at_submission(self, obj):
        """The snapshot as the customer saw it, in the reader's language, not as JSON."""
        return check_list(obj.precheck)

    @admin.display(description=_("policy changes applied"))
    def policy_changes_applied(self, obj):
        return readable_list(obj.policy_keys)

    @admin.display(description=_("test sends"))
    def test_sends_link(self, obj):
        url = reverse("admin:templates_app_testsend_add")
        return format_html('<a href="{}?template={}">{}</a>', url, obj.pk, _("Record the test send"))


class TestSendAdminForm(forms.ModelForm):
    """Staff record test sends under the rule the customer site applies (services.validate_test_send)."""

    __test__ = False  # not a pytest test class, despite its name

    class Meta:
        model = TestSend
        fields = ["template", "carrier", "sent_on", "delivered", "failure_code"]
        labels = {"template": _("SMS template")}

    def clean(self):
        cleaned = super().clean()
        if {"template", "delivered", "failure_code", "sent_on"} <= cleaned.keys():  # one error per field
            services.validate_test_send(template=cleaned["template"], delivered=cleaned["delivered"],
                                        failure_code=cleaned["failure_code"], sent_on=cleaned["sent_on"])  # fmt: skip
            if cleaned["delivered"]:
                cleaned["failure_code"] = ""  # as services.record_test_send stores it
        return cleaned


@admin.register(TestSend)
class TestSendAdmin(StaffScopedAdmin):
    """The platform records test sends too (carriers report no filing results). Add-only: a row is
    evidence, never edited or deleted; a later send is a new row, and the latest counts."""

    __test__ = False

    organization_lookup = "template__organization__in"
    form = TestSendAdminForm
    fields = ("template", "carrier", "sent_on", "delivered", "failure_code")
    autocomplete_fields = ("template",)  # searched through SmsTemplateAdmin's scoped queryset
    list_display = ("template", "organization", "carrier", "sent_on", "delivered", "failure_code", "recorded_by",
                    "recorded_at")  # fmt: skip
    list_filter = ("carrier", "delivered")
    list_select_related = ("template__organization", "recorded_by")
    search_fields = ("template__name", "template__organization__name", "failure_code")

    @admin.display(description=_("organization"), ordering="template__organization__name")
    def organization(self, obj):
        return obj.template.organization

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else (*self.fields, "recorded_by", "recorded_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The form accepts only templates the staff user may see, whatever id is posted.
        if db_field.name == "template":
            visible = organizations_for_staff(user=request.user)
            kwargs["queryset"] = SmsTemplate.objects.filter(organization__in=visible)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        # A saved row cannot be edited: no "save and continue editing".
        return super().add_view(request, form_url, {**(extra_context or {}), "show_save_and_continue": False})

    def save_model(self, request, obj, form, change):
        # Written by the service (add-only: there is no change); the admin logs and links the row it wrote.
        data = {f: form.cleaned_data[f] for f in ("template", "carrier", "sent_on", "delivered", "failure_code")}
        row = services.record_test_send(user=request.user, **data)
        obj.pk, obj.recorded_by, obj.recorded_at, obj.failure_code = (
            row.pk,
            row.recorded_by,
            row.recorded_at,
            row.failure_code,
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
