"""The API keys page, under /o/<org_id>/ in the "org" namespace (see accounts/org_urls.py)."""

from django.urls import path

from . import portal

urlpatterns = [
    path("api-keys/", portal.keys, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", portal.revoke, name="api-key-revoke"),
]
