"""Sending statistics: per signature, carrier and day, how many messages were sent, delivered and
failed (by failure code). Re-sending a day replaces it. The daily run's flags on them (docs/notices.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization
from compliance import activity
from filing_portal.choices import carrier_choices
from signatures.models import Signature


class SendingStat(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sending_stats",
                                     verbose_name=_("organization"))  # fmt: skip
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="sending_stats",
                                  verbose_name=_("signature"))  # fmt: skip
    carrier = models.CharField(_("carrier"), max_length=16, choices=carrier_choices())
    day = models.DateField(_("day"))
    sent = models.PositiveIntegerField(_("sent"))
    delivered = models.PositiveIntegerField(_("delivered"))
    failed = models.PositiveIntegerField(_("failed"))
    failures = models.JSONField(_("failures by code"), default=dict, blank=True)  # {"code": count}
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("imported by"))  # fmt: skip
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("sending statistic")
        verbose_name_plural = _("sending statistics")
        ordering = ["-day", "signature", "carrier"]
        constraints = [
            models.UniqueConstraint(fields=["signature", "carrier", "day"], name="sending_stat_once_a_day"),
        ]
        indexes = [models.Index(fields=["signature", "carrier", "-day"], name="sending_stat_latest_idx")]

    def __str__(self):
        return f"{self.signature} · {self.get_carrier_display()} · {self.day}"


class ActivityFlag(models.Model):
    """A signature at a carrier found dormant, at risk or failing far more than at the other carriers
    (compliance/activity.py), by the daily run (sending/activity.py). Open while ``cleared_on`` is empty:
    one open flag per signature, carrier and kind (the database holds it). It ends when deliveries
    resume there, when dormant becomes at risk, or when the filing is no longer filed there; a later
    relapse is a new flag, told again."""

    class Flag(models.TextChoices):
        DORMANT = activity.DORMANT, pgettext_lazy("activity flag", "Dormant")
        AT_RISK = activity.AT_RISK, pgettext_lazy("activity flag", "At risk")
        FAILURE_SPIKE = activity.FAILURE_SPIKE, pgettext_lazy("activity flag", "Failure spike")

    class End(models.TextChoices):
        RESUMED = "resumed", _("Deliveries resumed")
        ESCALATED = "escalated", _("Became at risk")
        FILING_LEFT = "filing_left", _("No longer filed at this carrier")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="activity_flags",
                                     verbose_name=_("organization"))  # fmt: skip
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="activity_flags",
                                  verbose_name=_("signature"))  # fmt: skip
    carrier = models.CharField(_("carrier"), max_length=16, choices=carrier_choices())
    flag = models.CharField(_("flag"), max_length=16, choices=Flag.choices)
    raised_on = models.DateField(_("raised on"))
    # The day the days without a delivery are counted from: the last delivered message there, or the day
    # it was filed when that is later (or there is none). ``last_delivered`` is that last message's day.
    since = models.DateField(_("quiet since"))
    last_delivered = models.DateField(_("last delivered"), null=True, blank=True)
    # The last RECENT_DAYS days when it was raised: this carrier, and the other two together.
    sent_recent = models.PositiveIntegerField(_("sent (7 days)"), default=0)
    failed_recent = models.PositiveIntegerField(_("failed (7 days)"), default=0)
    others_sent_recent = models.PositiveIntegerField(_("other carriers sent (7 days)"), default=0)
    others_failed_recent = models.PositiveIntegerField(_("other carriers failed (7 days)"), default=0)
    cleared_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=16, choices=End.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity flag")
        verbose_name_plural = _("activity flags")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["signature", "carrier", "flag"],
                condition=Q(cleared_on__isnull=True),
                name="activity_flag_open_once",
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(
                fields=["organization", "flag"], condition=Q(cleared_on__isnull=True), name="activity_flag_open_idx"
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.signature} · {self.get_carrier_display()} · {self.get_flag_display()}"
