"""Entity pages, under /o/<org_id>/ in the "org" namespace (see accounts/org_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("entities/", views.entity_list, name="entity-list"),
    path("entities/new/", views.entity_create, name="entity-create"),
    path("entities/check/", views.field_check, name="entity-field-check"),
    path("entities/<uuid:entity_id>/", views.entity_detail, name="entity-detail"),
    path("entities/<uuid:entity_id>/edit/", views.entity_edit, name="entity-edit"),
    path("entities/<uuid:entity_id>/documents/", views.document_upload, name="document-upload"),
    path("entities/<uuid:entity_id>/consent/", views.consent, name="entity-consent"),
    path("entities/<uuid:entity_id>/review/", views.package_submit, name="entity-package-submit"),
    path("entities/<uuid:entity_id>/consent/withdraw/", views.consent_withdraw, name="entity-consent-withdraw"),
    path("entities/<uuid:entity_id>/evidence/<str:kind>/new/", views.evidence_create, name="evidence-create"),
    path(
        "entities/<uuid:entity_id>/evidence/<str:kind>/<int:evidence_id>/delete/",
        views.evidence_delete,
        name="evidence-delete",
    ),
]
