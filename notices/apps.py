from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """What the portal tells people: rule changes, inactive signatures, state changes; through the
    inbox, e-mail and webhooks (docs/notices.md)."""

    name = "notices"
    verbose_name = _("Notices")
