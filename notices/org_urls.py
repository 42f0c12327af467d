"""The inbox and webhooks, under /o/<org_id>/ in the "org" namespace (see accounts/org_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("notices/", views.inbox, name="notices"),
    path("notices/<int:notice_id>/", views.notice_detail, name="notice-detail"),
    path("notices/<int:notice_id>/acknowledge/", views.acknowledge, name="notice-acknowledge"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:endpoint_id>/<str:action>/", views.webhook_action, name="webhook-action"),
]
