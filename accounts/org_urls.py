"""Organization-scoped pages: /o/<org_id>/…; every view resolves the caller's membership or 404s."""

from django.urls import path

from api import org_urls as api_org_urls
from notices import org_urls as notices_org_urls
from qualifications import org_urls as qualifications_org_urls
from sending import org_urls as sending_org_urls
from signatures import org_urls as signatures_org_urls
from templates_app import org_urls as templates_org_urls

from . import views

app_name = "org"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation-revoke"),
]

# Each app's organization pages join the same namespace.
urlpatterns += qualifications_org_urls.urlpatterns + signatures_org_urls.urlpatterns + templates_org_urls.urlpatterns
urlpatterns += sending_org_urls.urlpatterns + notices_org_urls.urlpatterns + api_org_urls.urlpatterns
