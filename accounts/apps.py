from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organizations")

    def ready(self):
        from .roles import ensure_staff_groups

        # Groups need the permission rows, which exist only after migrate: so after it. After
        # every app's migrate, since groups hold permissions of later apps (qualifications) too.
        post_migrate.connect(ensure_staff_groups, dispatch_uid="accounts.ensure_staff_groups")
