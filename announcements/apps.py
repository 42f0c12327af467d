from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    """A rule change told to exactly the customers it affects: the announcement a policy admin writes for a
    policy change, the dry run, the chunked re-check that any number of workers share, the notices, the
    acknowledgements and the reminders (docs/notices.md, "The rule-change run")."""

    name = "announcements"
    verbose_name = _("Announcements")
