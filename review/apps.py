from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The platform's review of applications: claims, decisions with coded reasons, four-eyes."""

    name = "review"
    verbose_name = _("Review")
