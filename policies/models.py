"""The rule tables policy admins keep, which signatures, templates and notices all read.

``Policy`` rows are the dated policy changes the rules engine folds (compliance.policies): the
built-in timeline is a data migration, so it shows in the admin beside the later rows policy admins
add. ``Holiday`` extends China's working-day calendar past the years the chinese-calendar package
knows.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Policy(models.Model):
    key = models.SlugField(_("key"), max_length=64, unique=True)
    effective = models.DateField(_("takes effect on"))
    carriers = models.JSONField(_("carriers"), help_text=_('A list of "mobile", "unicom", "telecom".'))
    notice = models.CharField(
        _("notice"), max_length=64, help_text=_("The announcement it comes from, e.g. 2026.4.23.")
    )
    summary_zh = models.TextField(_("summary (Chinese)"))
    summary_en = models.TextField(_("summary (English)"))
    params = models.JSONField(_("parameters"), help_text=_("The policy parameters this change sets."))
    builtin = models.BooleanField(_("built in"), default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["effective", "key"]

    def __str__(self):
        return f"{self.effective:%Y-%m-%d} · {self.notice} · {self.key}"


class Holiday(models.Model):
    """A day the official calendar treats differently from the weekend rule: a holiday on a
    weekday, or a make-up working day on a weekend."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("make-up working day"), default=False)
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.name}"
