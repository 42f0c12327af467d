"""The announcements in the admin: a policy admin writes one for a policy change, runs the dry run, publishes
it, and follows the run and the acknowledgements on its page. Every write goes through services; the
progress bar reads a JSON answer (static/js/announcements.js: the Content-Security-Policy allows no
inline script)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.staff import POLICY_PERMISSION
from filing_portal.admin_display import bilingual, carrier_names
from policies.forms import describe_params
from policies.models import Policy

from . import selectors, services
from .models import Announcement


def may_publish(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(POLICY_PERMISSION)


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["policy", "title_zh", "title_en", "body_zh", "body_en"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "policy" in self.fields:
            # A change is announced once: the changes without an announcement, and this one's own.
            taken = Announcement.objects.exclude(pk=self.instance.pk).values("policy")
            self.fields["policy"].queryset = Policy.objects.exclude(pk__in=taken).order_by("-effective", "key")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    form = AnnouncementForm
    change_form_template = "admin/announcements/announcement/change_form.html"
    list_display = ("title", "effective", "notice", "carrier_list", "status", "published_at")
    list_filter = ("status",)
    list_select_related = ("policy",)
    ordering = ("-created_at", "-pk")

    def get_readonly_fields(self, request, obj=None):
        shown = ("effective", "carrier_list", "parameters", "status")
        return shown if obj is None or obj.status == Announcement.Status.DRAFT else (*shown, "policy")

    def get_fieldsets(self, request, obj=None):
        head = ("policy", "effective", "carrier_list", "parameters", "status")
        return [(None, {"fields": head}), (_("What it says"), {"fields": ("title_zh", "title_en", "body_zh",
                                                                          "body_en")})]  # fmt: skip

    @admin.display(description=_("title"))
    def title(self, obj):
        return bilingual((obj.title_zh or obj.policy.summary_zh, obj.title_en or obj.policy.summary_en))

    @admin.display(description=_("takes effect on"), ordering="policy__effective")
    def effective(self, obj):
        return obj.policy.effective if obj and obj.pk else "—"

    @admin.display(description=_("notice"))
    def notice(self, obj):
        return obj.policy.notice

    @admin.display(description=_("carriers"))
    def carrier_list(self, obj):
        return carrier_names(obj.policy.carriers) if obj and obj.pk else "—"

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        return describe_params(obj.policy.params) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        services.announcement_save(announcement=obj, actor=request.user)

    def has_change_permission(self, request, obj=None):
        # Published, it is the record of what was said: read only.
        return super().has_change_permission(request, obj) and (obj is None or obj.status == Announcement.Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == Announcement.Status.DRAFT)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        announcement = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if announcement is not None:
            extra.update(self._panel(request, announcement))
        return super().change_view(request, object_id, form_url, extra)

    def _panel(self, request, announcement) -> dict:
        """What the announcement's page shows below its form: the dry run, the publishing run, and who has
        acknowledged (a fixed number of queries)."""
        dry, publishing = selectors.runs_of(announcement)
        panel = {"announcement": announcement, "may_publish": may_publish(request.user),
                 "is_draft": announcement.status == Announcement.Status.DRAFT}  # fmt: skip
        for name, run in (("dry", dry), ("publishing", publishing)):
            panel[name] = run and selectors.progress(run)
            panel[f"{name}_findings"] = run and run.status == run.Status.DONE and selectors.findings(run)
        if publishing is not None and publishing.status == publishing.Status.DONE:
            panel["acknowledgements"] = selectors.acknowledgements(announcement)
        return panel

    # --- the page's own routes: dry run, publish (POST), progress (JSON) ----------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/dry-run/", view(self.dry_run_view), name="announcements_announcement_dry_run"),
            path("<path:object_id>/publish/", view(self.publish_view), name="announcements_announcement_publish"),
            path("<path:object_id>/progress/", view(self.progress_view), name="announcements_announcement_progress"),
            *super().get_urls(),
        ]

    def _announcement(self, request, object_id):
        announcement = self.get_object(request, object_id)  # 404 for a missing one (MissingObjectIs404)
        if not may_publish(request.user):
            raise PermissionDenied
        return announcement

    def dry_run_view(self, request, object_id):
        announcement = self._announcement(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        services.run_start(announcement=announcement, actor=request.user, dry_run=True)
        self.message_user(request, _("Dry run started: the counts appear below when it is done."), messages.SUCCESS)
        return redirect("admin:announcements_announcement_change", announcement.pk)

    def publish_view(self, request, object_id):
        announcement = self._announcement(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            services.run_start(announcement=announcement, actor=request.user, dry_run=False)
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
        else:
            self.log_change(request, announcement, [{"changed": {"fields": ["status"]}}])
            self.message_user(request, _("Publishing: every live signature and template is being checked; the "
                                         "notices go out when the check is done."), messages.SUCCESS)  # fmt: skip
        return redirect("admin:announcements_announcement_change", announcement.pk)

    def progress_view(self, request, object_id):
        """The runs' progress as JSON, for the page's progress bars."""
        announcement = self.get_object(request, object_id)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        dry, publishing = selectors.runs_of(announcement)
        runs = [selectors.progress(run).as_json() for run in (dry, publishing) if run]
        return JsonResponse({"status": announcement.status, "runs": runs})
