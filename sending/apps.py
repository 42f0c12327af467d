from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    """What each signature sent at each carrier, day by day: the evidence of inactivity and of mixed
    delivery (issue 12)."""

    name = "sending"
    verbose_name = _("Sending statistics")
