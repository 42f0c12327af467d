from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    """Signature (短信签名) applications and their filing per carrier. Filled in by the signatures issue."""

    name = "signatures"
    verbose_name = _("Signatures")

    def ready(self):
        from .models import Holiday, Policy

        # The cached policy rows and holidays are forgotten whenever staff change one (policies.py).
        for model in (Policy, Holiday):
            for signal in (post_save, post_delete):
                signal.connect(_forget, sender=model, dispatch_uid=f"forget-cached-{model.__name__}-{id(signal)}")


def _forget(**kwargs):
    from .policies import forget_cached

    forget_cached()
