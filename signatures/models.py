"""Signature applications and their history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from compliance import transitions as states
from filing_portal.workflow import ApplicationStatus, Reviewed, StatusEvent, state_label  # noqa: F401 (state_label: re-exported)
from qualifications.models import Entity, IcpApp, PartnerAuthorization, Trademark

# Held signatures: no other application may hold the same text (SIG_TAKEN; the database backs it).
HELD_STATES = (
    states.SUBMITTED, states.IN_REVIEW, states.AWAITING_SECOND, states.CHANGES_REQUESTED, states.APPROVED,
)  # fmt: skip


class Signature(Reviewed):
    Status = ApplicationStatus  # the states of filing_portal.workflow, shared with templates

    class Source(models.TextChoices):
        FULL_NAME = "full_name", _("Company full name")
        ABBREVIATION = "abbreviation", _("Company abbreviation")
        TRADEMARK = "trademark", _("Registered trademark")
        APP_NAME = "app_name", _("ICP-filed app name")
        PARTNER = "partner", _("A partner's name, with its authorization")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="signatures")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("entity"))
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    trademark = models.ForeignKey(Trademark, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    app = models.ForeignKey(IcpApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    partner_authorization = models.ForeignKey(
        PartnerAuthorization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(_("signature"), max_length=64)
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.DRAFT)
    # What the precheck said when it was submitted, and under which notices.
    precheck = models.JSONField(default=list, blank=True)
    policy_notices = models.JSONField(default=list, blank=True)
    policy_keys = models.JSONField(default=list, blank=True)  # the policy changes folded: the version used
    warnings_acknowledged = models.BooleanField(_("warnings acknowledged"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["text"], condition=Q(status__in=HELD_STATES), name="signature_text_held_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "status"], name="signature_org_status_idx")]

    def __str__(self):
        return f"【{self.text}】"


class SignatureEvent(StatusEvent):
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("signature event")
        verbose_name_plural = _("signature events")

    def __str__(self):
        return f"{self.signature} {self.from_status or '∅'} → {self.to_status}"
