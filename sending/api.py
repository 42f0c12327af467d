"""The sending endpoints of the REST API (docs/api.md)."""

urlpatterns = []
