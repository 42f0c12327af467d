"""A signature's and a template's filings at each carrier, read-only on their admin pages (reviewers,
account managers and clerks see where each carrier stands)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
from compliance import filings as rules
from compliance import reasons as catalogue
from filing_portal.admin_display import chinese, labelled, readable_list

from .models import Filing


class FilingInline(ReadOnlyAdminMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_rows.html"  # no row title in English codes
    model = Filing
    extra = 0
    verbose_name_plural = _("filing with the carriers")
    fields = ("carrier", "status", "submitted_at_", "window", "filed_at_", "carrier_ref", "reasons")
    readonly_fields = fields
    submitted_at_ = labelled("submitted_at", _("submitted at"))
    filed_at_ = labelled("filed_at", _("filed at"))

    @admin.display(description=_("expected"))
    def window(self, obj):
        if obj.due_by is None:
            return "—"
        text = f"{obj.due_from:%Y-%m-%d} – {obj.due_by:%Y-%m-%d}"
        if not obj.due_exact:
            text += f" ({_('estimate')})"
        if rules.is_overdue(obj.status, obj.due_by, timezone.localdate()):
            text += f" · {_('Overdue')}"
        return text

    @admin.display(description=_("reasons"))
    def reasons(self, obj):
        found = [(catalogue.reason(code), code) for code in obj.reason_codes]
        return readable_list(f"{r.title(chinese())} ({code})" if r else code for r, code in found)
