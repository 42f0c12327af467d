"""The admin site: django-otp's, so staff need a second factor, made friendlier to use."""

from collections import Counter

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import PermissionDenied
from django.db import router
from django.http import Http404
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class PortalAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Email, password and the 6-digit code on one form.

    django-otp asks the user to pick a device before it checks a code (so that a wrong code
    throttles only that device). Staff here have one authenticator, so we pick it for them:
    no device list, no second round trip.
    """

    # django-otp's messages, in our words and the reader's language (the library has no Chinese).
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("Enter the 6-digit code from your authenticator app."),
        "invalid_token": _("The 6-digit code is wrong or has expired: enter the code your authenticator shows now."),
        "n_failed_attempts": ngettext_lazy(
            "Too many wrong codes (%(failure_count)d): wait a moment, then try again.",
            "Too many wrong codes (%(failure_count)d): wait a moment, then try again.",
            "failure_count",
        ),
        "verification_not_allowed": _("Codes cannot be checked just now: try again in a moment."),
        "device_required": _("No authenticator is set up for this account: set one up first."),
        "not_interactive": _("This authenticator cannot be used to log in here."),
    }

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def _update_form(self, user):
        super()._update_form(user)
        # django-otp re-renders the typed password into the page; never send it back.
        self.fields["password"].widget.render_value = False


class MissingObjectIs404:
    """Every route of an object (change, history, delete, and our own views) answers the same for an
    id that does not exist and for one outside the staff user's scope: 404. Django's admin redirected
    to the index instead, and its history page asked for the object before the permission, so a model
    not scoped to an organization told a staff user without its permission which ids exist (403 for
    those, a redirect for the others): here the permission is asked first."""

    def get_object(self, request, object_id, from_field=None):
        if not (self.has_view_or_change_permission(request) or self.has_delete_permission(request)):
            raise PermissionDenied
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


class CountedDeletion:
    """The delete confirmation names the rows asked for and counts what goes with them, by kind.
    Django's listed every related row, each read on its own (a user in 500 organizations: 1,000 queries)."""

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        if not objs:
            return [], {}, set(), []
        collector = NestedObjects(using=router.db_for_write(self.model), origin=objs)
        collector.collect(objs)
        perms_needed = {
            model._meta.verbose_name
            for model in collector.model_objs
            if self.admin_site.is_registered(model)
            and not self.admin_site.get_model_admin(model).has_delete_permission(request)
        }
        model_count = {model._meta.verbose_name_plural: len(rows) for model, rows in collector.model_objs.items()}
        name = capfirst(self.opts.verbose_name)
        asked = (
            [f"{name}: {objs[0]}"] if len(objs) == 1 else [f"{capfirst(self.opts.verbose_name_plural)}: {len(objs)}"]
        )
        with_them = [
            f"{capfirst(plural)}: {n}" for plural, n in model_count.items() if plural != self.opts.verbose_name_plural
        ]
        protected = Counter(type(row)._meta.verbose_name_plural for row in collector.protected)
        return (
            [*asked, with_them] if with_them else asked,
            model_count,
            perms_needed,
            [f"{capfirst(plural)}: {n}" for plural, n in protected.items()],
        )


class PortalAdminSite(OTPAdminSite):
    login_form = PortalAdminAuthenticationForm
    login_template = "admin/portal_login.html"
    site_header = "短信签名报备平台 · SMS Filing Portal"
    site_title = _("SMS Filing Portal admin")
    index_title = _("Administration")

    index_template = "admin/portal_index.html"

    def __init__(self, name="admin"):
        # The default site keeps Django's name ("admin:" URLs), not django-otp's "otpadmin".
        super().__init__(name)

    def index(self, request, extra_context=None):
        """The admin's first page leads a reviewer to the review queue and a filing clerk to the carrier
        batches, each with what waits there, and an account manager (a reviewer too) to the desk."""
        from accounts import staff

        extra = dict(extra_context or {})
        if staff.is_reviewer(request.user):
            from review.queue import waiting_count

            extra["review_waiting"] = waiting_count()
        if staff.is_clerk(request.user):
            from filings.selectors import waiting

            extra["batches_waiting"] = waiting()
        from desk.selectors import may_use_desk

        extra["desk"] = may_use_desk(request.user)
        return super().index(request, extra)

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every model's admin, ours and the libraries' (auth, axes, django-otp), answers a missing object alike.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, MissingObjectIs404):
            mixins = (MissingObjectIs404, CountedDeletion)
            admin_class = type(admin_class.__name__, (*mixins, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)
