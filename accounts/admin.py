from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Invitation, Membership, Organization, User
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
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")

    def get_queryset(self, request):
        # Each row names its user and (in its title) its organization: read with the rows.
        return super().get_queryset(request).select_related("user", "organization")


@admin.register(Organization)
class OrganizationAdmin(StaffScopedAdmin):
    organization_lookup = "pk__in"
    list_display = ("name", "account_manager", "created_at")
    list_filter = ("account_manager",)
    search_fields = ("name", "memberships__user__email")
    inlines = [MembershipInline]


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


# django-otp's authenticator admin, in the reader's language, and answering 404 for a device id that is
# missing or that the staff user may not see (its own setup and QR code views asked the database
# directly: a server error for an unknown id).
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class PortalTOTPDeviceAdmin(TOTPDeviceAdmin):
    SECTIONS = {
        "Identity": _("Identity"),
        "Timestamps": _("Timestamps"),
        "Configuration": _("Configuration"),
        "State": _("State"),
        "Throttling": _("Throttling"),
    }

    def get_fieldsets(self, request, obj=None):
        return [(self.SECTIONS.get(name, name), options) for name, options in super().get_fieldsets(request, obj)]

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
