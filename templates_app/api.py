"""The templates_app endpoints of the REST API (docs/api.md)."""

urlpatterns = []
