"""SMS template pages, under /o/<org_id>/ in the "org" namespace (see accounts/org_urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("templates/", views.template_list, name="template-list"),
    path("templates/new/", views.template_create, name="template-create"),
    path("templates/check/", views.template_check, name="template-check"),
    path("templates/<int:template_id>/", views.template_detail, name="template-detail"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template-edit"),
    path("templates/<int:template_id>/revise/", views.template_revise, name="template-revise"),
    path("templates/<int:template_id>/withdraw/", views.template_withdraw, name="template-withdraw"),
    path("templates/<int:template_id>/test-sends/", views.test_send_create, name="template-test-send"),
]
