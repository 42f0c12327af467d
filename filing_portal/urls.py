from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from accounts import views as account_views

from . import health

# Staff need a second factor (TOTP) to enter the admin.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "短信签名报备平台 · SMS Filing Portal"
admin.site.site_title = "SMS Filing Portal admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/status/", admin.site.admin_view(health.status_page), name="system-status"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("", account_views.home, name="home"),
    path("o/<int:org_id>/", include("accounts.org_urls", namespace="org")),
]
