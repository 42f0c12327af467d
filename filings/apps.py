from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    """Filings with the carriers, one per application and carrier, and the batches that carry them."""

    name = "filings"
    verbose_name = _("Carrier filings")

    def ready(self):
        from policies.models import Holiday

        # A filing's window counted on weekends only (an estimate) is counted again once policy admins
        # enter that year's holidays.
        for signal in (post_save, post_delete):
            signal.connect(_rewindow, sender=Holiday, dispatch_uid=f"filings-rewindow-{id(signal)}")


def _rewindow(**kwargs):
    from django.db import transaction

    from .services import rewindow_estimates

    transaction.on_commit(rewindow_estimates)
