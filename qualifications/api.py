"""The qualifications endpoints of the REST API (docs/api.md)."""

urlpatterns = []
