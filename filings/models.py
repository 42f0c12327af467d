"""One filing per approved application (a signature, a template) and carrier, its history, and the
batches that carry filings to a carrier and bring back the results (docs/filings.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization
from compliance import transitions as t
from filing_portal.choices import carrier_choices
from filing_portal.workflow import StatusEvent
from signatures.models import Signature
from templates_app.models import SmsTemplate


class FilingStatus(models.TextChoices):
    # The one name of each state of a filing, everywhere (compliance/transitions.py, FILING_STATES).
    PENDING = t.PENDING, pgettext_lazy("filing state", "Waiting to be sent")
    SUBMITTED = t.SUBMITTED, pgettext_lazy("filing state", "With the carrier")
    FILED = t.FILED, pgettext_lazy("filing state", "Filed")
    FAILED = t.FAILED, pgettext_lazy("filing state", "Failed")
    CLEARED = t.CLEARED, pgettext_lazy("filing state", "Cleared by the carrier")
    AFFECTED = t.AFFECTED, pgettext_lazy("filing state", "Signature cleared")


assert tuple(FilingStatus.values) == t.FILING_STATES


def filing_state_label(status: str) -> str:
    return str(FilingStatus(status).label) if status in FilingStatus.values else status


class CarrierBatch(models.Model):
    """The filings of one carrier handed over together (a file today, an automated channel later: the
    gateway, filings/gateway.py), and the results file that came back."""

    carrier = models.CharField(_("carrier"), max_length=16, choices=carrier_choices())
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("exported by"))  # fmt: skip
    created_at = models.DateTimeField(_("exported at"), default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("submitted by"))  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    size = models.PositiveIntegerField(_("filings"), default=0)
    # Whether the file carried full ID numbers (a channel that needs them): each one is logged as a reveal.
    full_id_numbers = models.BooleanField(_("full ID numbers"), default=False)

    class Meta:
        verbose_name = _("carrier batch")
        verbose_name_plural = _("carrier batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"#{self.pk} · {self.get_carrier_display()}"


class Filing(models.Model):
    """One application at one carrier. Its state moves through filing_portal.workflow.move (the table
    of compliance/transitions.py, kind ``filing``); the application's own status stays the platform's
    decision, and what the customer reads is derived from both (compliance.filings.availability)."""

    Status = FilingStatus

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="filings",
                                     verbose_name=_("organization"))  # fmt: skip
    signature = models.ForeignKey(Signature, null=True, blank=True, on_delete=models.PROTECT, related_name="filings",
                                  verbose_name=_("signature"))  # fmt: skip
    template = models.ForeignKey(SmsTemplate, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="filings", verbose_name=_("SMS template"))  # fmt: skip
    carrier = models.CharField(_("carrier"), max_length=16, choices=carrier_choices())
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    batch = models.ForeignKey(CarrierBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="filings",
                              verbose_name=_("batch"))  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The window the carrier takes (compliance.filings.window), from the day it was submitted; ``due_exact``
    # False where China's calendar for those days is not yet known (weekends only: an estimate).
    due_from = models.DateField(_("expected from"), null=True, blank=True)
    due_by = models.DateField(_("expected by"), null=True, blank=True)
    due_exact = models.BooleanField(_("exact dates"), default=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    carrier_ref = models.CharField(_("carrier's reference"), max_length=64, blank=True)
    reason_codes = models.JSONField(_("reason codes"), default=list, blank=True)  # of the last failure or clearance
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("carrier filing")
        verbose_name_plural = _("carrier filings")
        ordering = ["pk"]
        permissions = [("file_with_carriers", "Can send filings to the carriers and record their results")]
        constraints = [
            models.CheckConstraint(
                condition=Q(signature__isnull=False, template__isnull=True)
                | Q(signature__isnull=True, template__isnull=False),
                name="filing_one_application",
            ),
            models.UniqueConstraint(
                fields=["signature", "carrier"],
                condition=Q(signature__isnull=False),
                name="filing_signature_carrier_once",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["template", "carrier"], condition=Q(template__isnull=False), name="filing_template_carrier_once"
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["carrier", "status"], name="filing_carrier_status_idx"),
            models.Index(fields=["organization", "status"], name="filing_org_status_idx"),
        ]

    def __str__(self):
        return f"{self.application} · {self.get_carrier_display()}"

    @property
    def application(self):
        return self.signature if self.signature_id else self.template


class FilingEvent(StatusEvent):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("filing event")
        verbose_name_plural = _("filing events")

    def __str__(self):
        return f"{self.filing} {self.from_status or '∅'} → {self.to_status}"
