from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    """The policy changes and the holiday table policy admins keep: signatures, templates and notices
    read them (policies/timeline.py)."""

    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from .models import Holiday, Policy

        # The cached policy rows and holidays are forgotten whenever staff change one (timeline.py).
        for model in (Policy, Holiday):
            for signal in (post_save, post_delete):
                signal.connect(_forget, sender=model, dispatch_uid=f"forget-cached-{model.__name__}-{id(signal)}")


def _forget(**kwargs):
    from .timeline import forget_cached

    forget_cached()
