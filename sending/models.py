"""Sending statistics: per signature, carrier and day, how many messages were sent, delivered and
failed (by failure code). Re-sending a day replaces it (docs/notices.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
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
