from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from filing_portal.admin_display import carrier_names

from .forms import HEAD, PolicyForm, describe_params, parameter_fieldsets
from .models import Holiday, Policy


def _announced(policy) -> bool:
    """Whether the change's announcement (announcements.Announcement) is publishing or published."""
    announcement = Policy.announcement.RelatedObjectDoesNotExist
    try:
        return policy.announcement.status != "draft"
    except announcement:
        return False


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """A policy change: typed fields for its parameters (policies/forms.py), validated by the
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
        # The built-in timeline lives in compliance/policies.py; later rules are new rows. A change whose
        # announcement went out is what its notices said: a correction is a new row, announced in turn.
        return super().has_change_permission(request, obj) and not (obj and (obj.builtin or _announced(obj)))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.builtin)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("day", "name", "is_workday")
    list_filter = ("is_workday",)
