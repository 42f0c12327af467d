"""Signature pages, under /o/<org_id>/ in the "org" namespace (see accounts/org_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("signatures/", views.signature_list, name="signature-list"),
    path("signatures/new/", views.signature_create, name="signature-create"),
    path("signatures/check/", views.signature_check, name="signature-check"),
    path("signatures/<int:signature_id>/", views.signature_detail, name="signature-detail"),
    path("signatures/<int:signature_id>/edit/", views.signature_edit, name="signature-edit"),
    path("signatures/<int:signature_id>/withdraw/", views.signature_withdraw, name="signature-withdraw"),
]
