"""Middleware of the portal's own."""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """A page shown to a logged-in person is theirs: never stored by a browser or a shared cache.

    Dashboards, member lists and applications carry names, e-mail addresses and the state of an
    enterprise's filings; a back button on a shared computer or a proxy cache must not show them to
    the next person. A view that chose its own caching (file downloads, the admin) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
