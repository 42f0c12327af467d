"""The portal's URLs plus the benchmark's baseline: an authenticated bare view (benchmarks/pages.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def bare(request):
    """Through every middleware, the session and the user loaded (login_required reads them), nothing else."""
    return HttpResponse(f"{request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("", include("filing_portal.urls"))]
