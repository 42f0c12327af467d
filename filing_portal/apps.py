from django.apps import AppConfig


class FilingPortalConfig(AppConfig):
    name = "filing_portal"
    verbose_name = "Filing portal"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
