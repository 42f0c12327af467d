"""/api/v1/: the REST API (docs/api.md). Each app's resources join here."""

from django.urls import path

from notices import api as notices_api
from qualifications import api as qualifications_api
from sending import api as sending_api
from signatures import api as signatures_api
from templates_app import api as templates_api

from . import problems, views

app_name = "api"

urlpatterns = [
    path("schema/", views.schema_view, name="schema"),
    path("docs/", views.swagger_view, name="docs"),
    path("redoc/", views.redoc_view, name="redoc"),
    path("problems/<str:code>/", problems.problem_type, name="problem"),
    path("policies/", views.PolicyTimeline.as_view(), name="policies"),
]

# Each app's resources: entities and documents, signatures, templates, notices and webhooks, statistics.
urlpatterns += qualifications_api.urlpatterns + signatures_api.urlpatterns + templates_api.urlpatterns
urlpatterns += notices_api.urlpatterns + sending_api.urlpatterns
