from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin, StaffScopedAdmin

from .models import SmsTemplate, TemplateEvent, TestSend


class TemplateEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TemplateEvent
    extra = 0
    fields = ("at", "actor", "from_status", "to_status", "reason")
    readonly_fields = fields


class TestSendInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TestSend
    extra = 0
    fields = ("carrier", "sent_on", "delivered", "failure_code", "recorded_by")
    readonly_fields = fields


@admin.register(SmsTemplate)
class SmsTemplateAdmin(ReadOnlyAdminMixin, StaffScopedAdmin):
    list_display = ("name", "version", "signature", "kind", "status", "submitted_at")
    list_filter = ("status", "kind")
    search_fields = ("name", "text", "signature__text", "organization__name")
    inlines = [TemplateEventInline, TestSendInline]
