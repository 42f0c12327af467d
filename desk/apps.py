from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The account manager's desk (/admin/desk/): their customers' applications at each carrier, what
    blocks them, what is late, what expires, and charts (docs/desk.md)."""

    name = "desk"
    verbose_name = _("Account manager's desk")
