"""The admin app, configured the supported way: its default site is ours (django-otp's, with a
second factor), so every app's ``admin.register`` lands on it from the start."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "filing_portal.admin_site.PortalAdminSite"
