from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    """Filings with the carriers, one per application and carrier, and the batches that carry them."""

    name = "filings"
    verbose_name = _("Carrier filings")
