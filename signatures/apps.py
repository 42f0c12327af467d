from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    """Signature (短信签名) applications and their history."""

    name = "signatures"
    verbose_name = _("Signatures")
