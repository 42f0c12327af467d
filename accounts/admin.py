from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from filing_portal.admin_display import labelled

from . import services
from .models import Authenticator, Invitation, Membership, Organization, User
from .selectors import organizations_for_staff


class StaffScopedAdmin(admin.ModelAdmin):
    """Rows of the organizations the staff user may see (an account manager: their own customers)."""

    organization_lookup = "organization__in"

    def get_queryset(self, request):
        visible = organizations_for_staff(user=request.user)
        return super().get_queryset(request).filter(**{self.organization_lookup: visible})


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class ReadOnlyAdminMixin:
    """Shown, not edited: these rows change through the services (owners act in the customer site),
    which keep the rules (one open invitation per address, at least one owner)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_rows.html"  # no row title in English codes
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")

    def get_queryset(self, request):
        # Each row names its user and (in its title) its organization: read with the rows.
        return super().get_queryset(request).select_related("user", "organization")


class AssignManagerForm(forms.Form):
    account_manager = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("account manager"),
        empty_label=_("Nobody"),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].queryset = services.account_managers().order_by("email")


@admin.register(Organization)
class OrganizationAdmin(StaffScopedAdmin):
    organization_lookup = "pk__in"
    list_display = ("name", "account_manager", "created_at")
    list_filter = ("account_manager",)
    list_select_related = ("account_manager",)
    search_fields = ("name", "memberships__user__email")
    inlines = [MembershipInline]
    actions = ["assign_account_manager"]
    # Changed only through the action (accounts.services.organization_assign checks who may be one).
    readonly_fields = ("account_manager",)

    @admin.action(description=_("Assign to an account manager"))
    def assign_account_manager(self, request, queryset):
        """A staff admin gives the chosen organizations to one account manager (or to nobody), through
        accounts.services.organization_assign; a page first to choose whom."""
        if not request.user.is_superuser:
            raise PermissionDenied
        form = AssignManagerForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            manager = form.cleaned_data["account_manager"]
            organizations = list(queryset)
            moved = services.organization_assign(organizations=organizations, manager=manager, actor=request.user)
            for organization in organizations:
                self.log_change(request, organization, [{"changed": {"fields": ["account_manager"]}}])
            self.message_user(request, ngettext("%(n)d organization assigned.", "%(n)d organizations assigned.",
                                                moved) % {"n": moved}, messages.SUCCESS)  # fmt: skip
            return None
        context = {**self.admin_site.each_context(request), "title": _("Assign to an account manager"),
                   "form": form, "organizations": queryset, "opts": self.model._meta,
                   "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME}  # fmt: skip
        return render(request, "admin/accounts/organization/assign.html", context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("assign_account_manager", None)
        return actions


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at", "email_status")
    list_filter = ("email_status",)
    search_fields = ("email", "organization__name")
    # The nonce is half of the emailed link: never shown.
    exclude = ("nonce",)


# django-otp's authenticator admin, in the reader's language (under the Authenticator proxy, whose names are
# ours; the library's fields have English names only, so its labels are given here), and answering 404 for
# a device id that is missing or that the staff user may not see (its own setup and QR code views asked
# the database directly: a server error for an unknown id).
admin.site.unregister(TOTPDevice)


def _titled(title, base):
    """A list filter of ``base`` under our title (the library's fields name themselves in English)."""

    class Titled(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


@admin.register(Authenticator)
class PortalTOTPDeviceAdmin(TOTPDeviceAdmin):
    SECTIONS = {
        "Identity": _("Identity"),
        "Timestamps": _("Timestamps"),
        "Configuration": _("Configuration"),
        "State": _("State"),
        "Throttling": _("Throttling"),
    }
    # field -> (label, help text)
    FIELDS = {
        "user": (_("user"), _("The staff member whose authenticator it is.")),
        "name": (_("name"), _("A name to tell the staff member's authenticators apart.")),
        "confirmed": (_("confirmed"), _("Ready for use: the staff member entered a code from it once.")),
        "key": (_("secret key"), _("The shared secret, in hexadecimal (up to 40 bytes).")),
        "step": (_("step"), _("How many seconds each code lasts.")),
        "t0": (_("start time"), _("The Unix time from which steps are counted.")),
        "digits": (_("digits"), _("How many digits a code has.")),
        "tolerance": (_("tolerance"), _("How many steps before or after the current one a code may be.")),
        "drift": (_("drift"), _("How many steps the authenticator's clock is known to be off.")),
        "throttling_failure_timestamp": (_("last failure"), _("When a code was last refused; empty after a success.")),
        "throttling_failure_count": (_("failures"), _("Codes refused in a row.")),
    }
    SHOWN = {"created_at": "created_at_", "last_used_at": "last_used_at_"}
    created_at_ = labelled("created_at", _("created at"))
    last_used_at_ = labelled("last_used_at", _("last used at"))
    user_ = labelled("user", _("user"))
    name_ = labelled("name", _("name"))
    confirmed_ = labelled("confirmed", _("confirmed"))
    list_display = ["user_", "name_", "created_at_", "last_used_at_", "confirmed_"]
    list_filter = [
        ("created_at", _titled(_("created at"), admin.DateFieldListFilter)),
        ("last_used_at", _titled(_("last used at"), admin.DateFieldListFilter)),
        ("confirmed", _titled(_("confirmed"), admin.BooleanFieldListFilter)),
    ]
    readonly_fields = ["created_at_", "last_used_at_", "qrcode_link"]
    search_help_text = _("Search by the staff member's email address.")

    def get_fieldsets(self, request, obj=None):
        return [
            (self.SECTIONS.get(name, name), {**options, "fields": [self.SHOWN.get(f, f) for f in options["fields"]]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name, (label, help_text) in self.FIELDS.items():
            if name in form.base_fields:
                form.base_fields[name].label, form.base_fields[name].help_text = label, help_text
        return form

    @admin.display(description=_("QR code"))
    def qrcode_link(self, device):
        href = reverse("admin:otp_totp_totpdevice_config", kwargs={"pk": device.pk})
        return format_html('<a href="{}">{}</a>', href, _("QR code"))

    def config_view(self, request, pk):
        self.get_object(request, str(pk))  # 404 for a missing device, 403 without the permission
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        self.get_object(request, str(pk))
        return super().qrcode_view(request, pk)
