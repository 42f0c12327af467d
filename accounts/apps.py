from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organizations")

    def ready(self):
        from .roles import ensure_staff_groups

        # Groups need the permission rows, which exist only after migrate: so after it.
        post_migrate.connect(ensure_staff_groups, sender=self)
