"""The portal's URLs plus the benchmarks' baselines: an authenticated bare view (benchmarks/pages.py, load.py) and a
bare DRF view (benchmarks/rest_api.py, load.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import ApiKeyAuthentication


@login_required
def bare(request):
    """Through every middleware, the session and the user loaded (login_required reads them), nothing else."""
    return HttpResponse(f"{request.user.pk}", content_type="text/plain")


class BareApi(APIView):
    """benchmarks/rest_api.py's baseline: a DRF view with the API's key authentication, doing nothing else."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):  # benchmarks/load.py's baseline for the API's lists
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare-api/", BareApi.as_view()),
    path("", include("filing_portal.urls")),
]
