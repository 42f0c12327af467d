from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from accounts import views as account_views
from desk import views as desk_views
from filings import admin_views as batch_views
from qualifications import views as qualification_views
from review import admin_views as review_views

from . import health

# admin.site is the PortalAdminSite (settings: filing_portal.admin_apps): staff enter with a second factor.
urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Resolved per request: in production the hashed name exists only after collectstatic.
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("admin/status/", admin.site.admin_view(health.status_page), name="system-status"),
    # The review queue (review/admin_views.py): in the admin, behind its log-in and second factor.
    path("admin/review/", review_views.staff_route(review_views.queue_view), name="review-queue"),
    path("admin/review/<str:kind>/<str:pk>/", review_views.staff_route(review_views.item_view), name="review-item"),
    path(
        "admin/review/<str:kind>/<str:pk>/claim/",
        review_views.staff_route(review_views.claim_view),
        name="review-claim",
    ),
    path(
        "admin/review/<str:kind>/<str:pk>/release/",
        review_views.staff_route(review_views.release_view),
        name="review-release",
    ),
    path(
        "admin/review/<str:kind>/<str:pk>/reveal/",
        review_views.staff_route(review_views.reveal_view),
        name="review-reveal",
    ),
    path(
        "admin/review/<str:kind>/<str:pk>/decide/",
        review_views.staff_route(review_views.decide_view),
        name="review-decide",
    ),
    # The filing clerk's carrier batches (filings/admin_views.py): in the admin, behind its log-in and second factor.
    path("admin/filings/batches/", review_views.staff_route(batch_views.batches_view), name="carrier-batches"),
    path("admin/filings/batches/open/", review_views.staff_route(batch_views.open_view), name="carrier-batch-open"),
    path("admin/filings/batches/<int:pk>/", review_views.staff_route(batch_views.batch_view), name="carrier-batch"),
    path(
        "admin/filings/batches/<int:pk>/download/<str:fmt>/",
        review_views.staff_route(batch_views.download_view),
        name="carrier-batch-download",
    ),
    path(
        "admin/filings/batches/<int:pk>/submit/",
        review_views.staff_route(batch_views.submit_view),
        name="carrier-batch-submit",
    ),
    path(
        "admin/filings/batches/<int:pk>/import/",
        batch_views.capped_upload(review_views.staff_route(batch_views.import_view)),
        name="carrier-batch-import",
    ),
    # The account manager's desk (desk/views.py): in the admin, behind its log-in and second factor.
    path("admin/desk/", review_views.staff_route(desk_views.desk_view), name="desk"),
    path("admin/", admin.site.urls),
    # The REST API (api/, docs/api.md): keys or the session, problem+json errors, the OpenAPI schema.
    path("api/v1/", include("api.urls", namespace="api")),
    # Django's language switch, which also keeps the choice on the signed-in person (their e-mails).
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("", account_views.home, name="home"),
    path("o/<int:org_id>/", include("accounts.org_urls", namespace="org")),
    # Every document leaves storage through this one view (permission-checked and logged).
    path("documents/<uuid:document_id>/<str:variant>/", qualification_views.document_file, name="document-file"),
]

# Under /api/ a refused request, a missing page or a crash is a problem+json answer; elsewhere the site's own pages.
handler400 = "api.problems.bad_request"
handler403 = "api.problems.permission_denied"
handler404 = "api.problems.not_found"
handler500 = "api.problems.server_error"
