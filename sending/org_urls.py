"""Sending statistics, under /o/<org_id>/ in the "org" namespace (see accounts/org_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [path("sending-stats/", views.stats_upload, name="sending-stats")]
